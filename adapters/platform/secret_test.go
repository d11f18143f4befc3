package platform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Every way a config value gets printed must hide a secret.
func TestSecretNeverPrints(t *testing.T) {
	const value = "s3cr3t-value"
	cfg := struct {
		Token Secret `yaml:"token" json:"token"`
	}{Token: value}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("cfg", "token", cfg.Token, "cfg", cfg)
	js, _ := json.Marshal(cfg)
	ym, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", cfg), "%+v": fmt.Sprintf("%+v", cfg), "%#v": fmt.Sprintf("%#v", cfg),
		"%s": fmt.Sprintf("%s", cfg.Token), "slog": logs.String(), "json": string(js), "yaml": string(ym),
	} {
		if strings.Contains(out, value) || !strings.Contains(out, "<secret>") && !strings.Contains(out, `\u003csecret\u003e`) {
			t.Errorf("%s: %q", name, out)
		}
	}
	if cfg.Token.Reveal() != value {
		t.Errorf("Reveal = %q", cfg.Token.Reveal())
	}
	var back struct {
		Token Secret `yaml:"token"`
	}
	if err := yaml.Unmarshal([]byte("token: "+value), &back); err != nil || back.Token.Reveal() != value {
		t.Errorf("decode: %q, %v", back.Token.Reveal(), err)
	}
	if fmt.Sprint(Secret("")) != "" {
		t.Errorf("empty secret prints %q", fmt.Sprint(Secret("")))
	}
}

func TestRedactor(t *testing.T) {
	r := NewRedactor(nil, "app-secret-1")
	r.Add("tok") // too short: ignored
	for i := range 20 {
		r.Add(fmt.Sprintf("token-%02d", i))
	}
	got := r.Clean("app-secret-1 token-19 token-00 tok")
	if want := "*** *** token-00 tok"; got != want {
		t.Errorf("Clean = %q, want %q (configured secrets stay, old tokens age out)", got, want)
	}
}
