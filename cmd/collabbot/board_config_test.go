package main

import (
	"strings"
	"testing"
	"time"

	"collabbot/store"
)

func TestPublicURL(t *testing.T) {
	for _, c := range []struct{ yaml, want, err string }{
		{"http:\n  listen: 127.0.0.1:9090\n", "http://127.0.0.1:9090", ""},
		{"http:\n  listen: \":9090\"\n", "http://localhost:9090", ""},
		{"http:\n  listen: \"[::]:9090\"\n", "http://localhost:9090", ""},
		{"http:\n  listen: \"\"\n", "", ""},
		{"http:\n  listen: 0.0.0.0:80\n  public_url: https://bot.example.com/collabbot/\n", "https://bot.example.com/collabbot", ""},
		{"http:\n  public_url: bot.example.com\n", "", "http.public_url: \"bot.example.com\" must start with http:// or https://"},
		{"http:\n  public_url: \"https://\"\n", "", "has no host"},
		{"http:\n  public_url: \"https://u:p@x.example.com\"\n", "", "user name or password"},
		{"http:\n  public_url: \"https://x.example.com/?a=1\"\n", "", "query or fragment"},
	} {
		cfg, err := ParseConfig([]byte(c.yaml), func(string) (string, bool) { return "", false })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.yaml, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		if got := cfg.HTTP.publicURL(); got != c.want {
			t.Errorf("%q: publicURL %q, want %q", c.yaml, got, c.want)
		}
	}
	cfg, _ := ParseConfig([]byte("http:\n  listen: 0.0.0.0:9090\n"), func(string) (string, bool) { return "", false })
	if w := strings.Join(cfg.Warnings(), "\n"); !strings.Contains(w, "http.public_url: not set") {
		t.Errorf("a public listener without public_url: warnings %q", w)
	}
}

// The board is served by the running binary: /b/<token> for anyone with
// the link, /admin/board only with the admin token, and no token in logs.
func TestBoardServed(t *testing.T) {
	const admin = "0123456789abcdef0123456789abcdef"
	a, base, logs := startTestHTTP(t, HTTPConfig{AdminToken: admin, PublicURL: "https://bot.example.com/"}, nil)
	if got := a.bot.BoardURL(); got != "https://bot.example.com" {
		t.Errorf("bot board URL %q", got)
	}
	k := store.GroupKey{Platform: "console", ChatID: "g1"}
	const token = "test-token-0123456789abcdefghij"
	err := a.db.Update(func(tx *store.Tx) error {
		if _, err := tx.EnsureGroup(k, time.Now()); err != nil {
			return err
		}
		return tx.SetBoardLink(k, store.BoardLink{Token: token, IssuedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/b/"+token, ""); code != 200 || !strings.Contains(string(body), "任务看板") {
		t.Errorf("/b/<token>: %d", code)
	}
	if code, _ := get(t, base+"/b/not-a-token", ""); code != 404 {
		t.Errorf("/b/<unknown>: %d, want 404", code)
	}
	if code, _ := get(t, base+"/admin/board", ""); code != 401 && code != 403 {
		t.Errorf("/admin/board without the token: %d, want 401 or 403", code)
	}
	code, body := get(t, base+"/admin/board", "Bearer "+admin)
	if code != 200 || !strings.Contains(string(body), "https://bot.example.com/b/"+token) {
		t.Errorf("/admin/board: %d %s", code, body)
	}
	if strings.Contains(logs.String(), token) {
		t.Error("a board token reached the log")
	}
}
