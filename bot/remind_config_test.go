package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
)

// A group's /config nudge time, sent as a chat message, takes effect on the
// engine's next run: no restart, no new engine.
func TestGroupNudgeTimeWithoutRestart(t *testing.T) {
	now := at("2026-09-28 11:00")
	clock := func() time.Time { return now }
	b := bottest.New(t, bottest.Options{Now: clock, Admins: []string{liSi.ID}})
	p := newPlatform(clock)
	e := newEngine(t, b, p, nil)
	defer e.Close()
	seed(t, b, clock)
	nudges := func() (n int, last chat.Reply) {
		for _, m := range p.sent() {
			if strings.HasPrefix(m.Reply.Key, "nudge:") {
				n++
				last = m.Reply
			}
		}
		return n, last
	}
	run := func(ts string) {
		now = at(ts)
		if err := e.RunDue(context.Background(), now); err != nil {
			t.Fatalf("RunDue(%s): %v", ts, err)
		}
	}
	run("2026-09-29 16:00")
	now = at("2026-09-29 16:05")
	out := b.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: "g1", MessageID: "cfg1",
		Sender: liSi, Text: "/config nudge 17:30", Time: now})
	if len(out) != 1 || !strings.Contains(out[0].Text, "17:30") {
		t.Fatalf("/config nudge 17:30 answered %+v", out)
	}
	run("2026-09-29 17:00")
	if n, _ := nudges(); n != 0 {
		t.Errorf("at 17:00, after the group moved its nudge to 17:30: %d nudges, want 0", n)
	}
	run("2026-09-29 17:30")
	run("2026-09-29 17:31")
	n, last := nudges()
	if n != 1 {
		t.Fatalf("at 17:30: %d nudges, want 1", n)
	}
	if len(last.Mentions) != 1 || last.Mentions[0].ID != zhangSan.ID {
		t.Errorf("nudge mentions %+v, want only 张三", last.Mentions)
	}
}
