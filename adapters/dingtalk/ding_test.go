package dingtalk

import (
	"context"
	"strings"
	"testing"
	"time"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/bot/chat"
)

func emergency(key string) chat.Reply {
	return chat.Reply{
		ChatID: testChat, Key: key, Urgent: true,
		Text:      "【紧急】线上故障 " + chat.MentionToken(uZhang),
		Mentions:  []chat.User{uZhang},
		Interrupt: []chat.User{uZhang, uZhang, uLisi},
	}
}

func TestDingAfterPost(t *testing.T) {
	for _, tc := range []struct {
		name      string
		channel   string
		fake      func(*dingfake.Server)
		wantCalls int // ding/send calls for two emergencies
		wantDings int
		results   map[string]float64
		warnings  int
	}{
		{"app", DingApp, nil, 2, 2, map[string]float64{dingOK: 2}, 0},
		{"sms quota used up", DingSMS, func(f *dingfake.Server) { f.SetDingQuotaExhausted(true) }, 1, 0,
			map[string]float64{dingQuota: 1, dingSkipped: 1}, 1},
		{"org without DING", DingPhone, func(f *dingfake.Server) { f.SetDingNonPremium(true) }, 1, 0,
			map[string]float64{dingRefused: 1, dingSkipped: 1}, 1},
		{"off", DingOff, nil, 0, 0, map[string]float64{dingSkipped: 2}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Ding = tc.channel })
			if tc.fake != nil {
				tc.fake(e.fake)
			}
			for i := range 2 {
				if err := e.a.Send(context.Background(), emergency("sos-"+string(rune('a'+i)))); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
			}
			if n := len(e.fake.SentVia("group")); n != 2 {
				t.Errorf("%d messages posted, want 2 (one each, never retried)", n)
			}
			if n := e.fake.DingCalls(); n != tc.wantCalls {
				t.Errorf("%d ding calls, want %d", n, tc.wantCalls)
			}
			dings := e.fake.Dings()
			if len(dings) != tc.wantDings {
				t.Fatalf("dings %+v, want %d", dings, tc.wantDings)
			}
			if len(dings) > 0 {
				d := dings[0]
				if d.RemindType != 1 || strings.Join(d.Receivers, ",") != "zhangsan01,lisi01" || d.Content != "【紧急】线上故障 @张三" || d.RobotCode != testClientID {
					t.Errorf("ding %+v", d)
				}
			}
			for _, r := range []string{dingOK, dingQuota, dingRefused, dingSkipped} {
				if got := counterValue(t, e.a.interrupts.WithLabelValues(r)); got != tc.results[r] {
					t.Errorf("interrupts{result=%s} = %v, want %v", r, got, tc.results[r])
				}
			}
			if n := strings.Count(e.logs.String(), "DING unavailable"); n != tc.warnings {
				t.Errorf("%d warnings, want %d:\n%s", n, tc.warnings, e.logs.String())
			}
		})
	}
}

// The cooldown ends: DING is tried again.
func TestDingCooldownEnds(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Ding, c.DingCooldown = DingApp, 50*time.Millisecond })
	e.fake.SetDingQuotaExhausted(true)
	if err := e.a.Send(context.Background(), emergency("sos-1")); err != nil {
		t.Fatal(err)
	}
	e.fake.SetDingQuotaExhausted(false)
	time.Sleep(80 * time.Millisecond)
	if err := e.a.Send(context.Background(), emergency("sos-2")); err != nil {
		t.Fatal(err)
	}
	if n, d := e.fake.DingCalls(), len(e.fake.Dings()); n != 2 || d != 1 {
		t.Errorf("ding calls %d, dings %d; want 2 and 1", n, d)
	}
}

// A failed post DINGs no one: the send stage retries the post, and only
// the post that succeeds interrupts.
func TestNoDingWhenPostFails(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Ding = DingApp })
	e.fake.FailNext(dingfake.PathGroupSend, 1, dingfake.QPSLimit)
	err := e.a.Send(context.Background(), emergency("sos-1"))
	if se := sendErr(t, err); se.Reason != chat.ReasonThrottled {
		t.Fatalf("post: %v", err)
	}
	if n := e.fake.DingCalls(); n != 0 {
		t.Errorf("%d ding calls after a failed post", n)
	}
	if err := e.a.Send(context.Background(), emergency("sos-1")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Dings()); n != 1 {
		t.Errorf("%d dings after the post went out, want 1", n)
	}
}
