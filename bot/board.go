package bot

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"

	"collabbot/bot/chat"
	"collabbot/store"
)

// /board (/看板): the group's read-only web board link. The page itself is
// served by package bot/board on http.listen; here the group gets its link,
// and the lead or an admin can revoke it by issuing a new one.

func init() {
	registerFeature(feature{names: map[string]func(*Bot, *request, string) ([]chat.Reply, error){
		"board": (*Bot).cmdBoard, "看板": (*Bot).cmdBoard, "dashboard": (*Bot).cmdBoard,
	}})
}

// boardURLs holds each bot's board base URL (SetBoardURL), kept beside the
// Bot so that the board needs no field in bot.go.
var boardURLs sync.Map // *Bot → string

// SetBoardURL sets the base URL the board is served under (http.public_url,
// e.g. "https://bot.example.com"); links are <base>/b/<token>. Empty turns
// /board off: it then says how to turn it on.
func (b *Bot) SetBoardURL(base string) {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	if base == "" {
		boardURLs.Delete(b)
		return
	}
	boardURLs.Store(b, base)
}

// BoardURL returns the base URL set with SetBoardURL, or "".
func (b *Bot) BoardURL() string {
	v, _ := boardURLs.Load(b)
	s, _ := v.(string)
	return s
}

// BoardLink is the full link for token under base.
func BoardLink(base, token string) string {
	return strings.TrimRight(base, "/") + "/b/" + token
}

// newBoardToken is 192 random bits, URL-safe (32 characters).
func newBoardToken() string {
	var buf [24]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

func (b *Bot) cmdBoard(r *request, args string) ([]chat.Reply, error) {
	base := b.BoardURL()
	if base == "" {
		return []chat.Reply{r.reply(tr(r.lang, bdOff))}, nil
	}
	switch strings.ToLower(strings.TrimSpace(args)) {
	case "":
		l, err := r.tx.BoardLink(r.key())
		if errors.Is(err, store.ErrNotFound) {
			if l, err = b.issueBoardLink(r); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
		return []chat.Reply{r.reply(tr(r.lang, bdLink, BoardLink(base, l.Token)))}, nil
	case "reset", "重置", "new", "renew", "刷新":
		if !r.admin && (r.set.Lead == nil || r.set.Lead.ID != r.msg.Sender.ID) {
			return []chat.Reply{r.reply(tr(r.lang, bdResetDenied))}, nil
		}
		l, err := b.issueBoardLink(r)
		if err != nil {
			return nil, err
		}
		return []chat.Reply{r.reply(tr(r.lang, bdReset, BoardLink(base, l.Token)))}, nil
	}
	return []chat.Reply{r.reply(tr(r.lang, bdUsage, chat.Escape(clip(strings.TrimSpace(args), 30))))}, nil
}

// issueBoardLink gives the group a new token, revoking the old one in the
// same transaction.
func (b *Bot) issueBoardLink(r *request) (*store.BoardLink, error) {
	for range 3 { // a collision of 192 random bits does not happen; be safe anyway
		l := store.BoardLink{Token: newBoardToken(), IssuedAt: r.now, IssuedBy: r.sender()}
		err := r.tx.SetBoardLink(r.key(), l)
		if err == nil {
			return &l, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
	}
	return nil, errors.New("board: could not issue a unique token")
}
