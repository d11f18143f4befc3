package lark

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"collabbot/adapters/lark/larkfake"
	"collabbot/bot/chat"
)

func urgentApp(c *Config) { c.Urgent = UrgentApp }

func emergency(key string) chat.Reply {
	return chat.Reply{Platform: chat.PlatformLark, ChatID: "oc_group", Key: key, Urgent: true,
		Text:     "紧急 " + chat.MentionToken(zhang) + " " + chat.MentionToken(li),
		Mentions: []chat.User{zhang, li}, Interrupt: []chat.User{zhang, li, zhang, {}}}
}

// With the quota used up: the message is posted once, one urgent call is
// made and not retried, one warning is logged, and the next interrupt
// makes no call at all.
func TestUrgentQuotaExhausted(t *testing.T) {
	e := newEnv(t, urgentApp)
	e.fake.RefuseUrgent(larkfake.CodeUrgentQuota)
	ctx := context.Background()
	if err := e.ad.Send(ctx, emergency("emergency-1")); err != nil {
		t.Fatalf("Send failed because of 加急: %v", err)
	}
	if n := len(e.fake.Sent()); n != 1 || e.fake.SendAttempts() != 1 {
		t.Errorf("%d messages in %d attempts, want 1 in 1", n, e.fake.SendAttempts())
	}
	us := e.fake.Urgents()
	if len(us) != 1 || us[0].Kind != "app" || us[0].MessageID != e.fake.Sent()[0].MessageID ||
		!slices.Equal(us[0].Users, []string{"ou_zhang", "ou_li"}) || us[0].Code != larkfake.CodeUrgentQuota {
		t.Fatalf("urgent calls %+v", us)
	}
	if err := e.ad.Send(ctx, emergency("emergency-2")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Urgents()); n != 1 {
		t.Errorf("%d urgent calls after the refusal, want still 1", n)
	}
	if n := len(e.fake.Sent()); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
	if n := strings.Count(e.logs.String(), "加急 unavailable"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, e.logs.String())
	}
	for _, c := range []struct {
		result string
		want   float64
	}{{"quota", 1}, {"skipped", 1}, {"ok", 0}, {"refused", 0}} {
		if got := e.counter("collabbot_lark_interrupts_total", "result", c.result); got != c.want {
			t.Errorf("interrupts{result=%s} = %v, want %v", c.result, got, c.want)
		}
	}

	// After the cooldown the channel is tried again.
	e.ad.urgent.mu.Lock()
	e.ad.urgent.until = time.Now().Add(-time.Second)
	e.ad.urgent.mu.Unlock()
	e.fake.RefuseUrgent(0)
	if err := e.ad.Send(ctx, emergency("emergency-3")); err != nil {
		t.Fatal(err)
	}
	if us := e.fake.Urgents(); len(us) != 2 || us[1].Code != 0 {
		t.Errorf("after the cooldown: %+v", us)
	}
}

// A successful interrupt goes once per message, even when the send stage
// repeats the Send; users outside the chat are logged at debug; the
// configured kind picks the endpoint; off makes no call.
func TestUrgentOncePerMessage(t *testing.T) {
	for _, kind := range []string{UrgentApp, UrgentSMS, UrgentPhone} {
		e := newEnv(t, func(c *Config) { c.Urgent = kind })
		e.fake.SetNotInChat("ou_li")
		r := emergency("emergency-" + kind)
		for range 2 {
			if err := e.ad.Send(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(e.fake.Sent()); n != 1 {
			t.Errorf("%s: %d messages", kind, n)
		}
		us := e.fake.Urgents()
		if len(us) != 1 || us[0].Kind != kind || us[0].Code != 0 {
			t.Errorf("%s: urgent calls %+v", kind, us)
		}
		if !strings.Contains(e.logs.String(), "invalid_user_id_list=[ou_li]") {
			t.Errorf("%s: invalid users not logged:\n%s", kind, e.logs.String())
		}
		if got := e.counter("collabbot_lark_interrupts_total", "result", "ok"); got != 1 {
			t.Errorf("%s: ok = %v", kind, got)
		}
	}
	e := newEnv(t, nil)
	if err := e.ad.Send(context.Background(), emergency("emergency-off")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.fake.Urgents()); n != 0 {
		t.Errorf("urgent off: %d calls", n)
	}
}

func TestUrgentConfig(t *testing.T) {
	c := NewConfig()
	c.Enable, c.AppID, c.AppSecret, c.Urgent = true, "a", "b", "loud"
	if ps := c.Validate("lark"); len(ps) != 1 || ps[0] != `lark.urgent: must be off, app, sms or phone, got "loud"` {
		t.Errorf("problems %q", ps)
	}
	for _, v := range []string{"", "off", "APP", " sms ", "phone"} {
		c.Urgent = v
		if ps := c.Validate("lark"); len(ps) != 0 {
			t.Errorf("urgent %q: %q", v, ps)
		}
	}
	for _, doc := range []string{"tasks: true\nurgent: off\n", "tasks: false\nurgent: phone\n"} {
		c := NewConfig()
		dec := yaml.NewDecoder(strings.NewReader("enabled: true\napp_id: a\napp_secret: b\n" + doc))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		want := strings.Contains(doc, "tasks: true")
		if c.Tasks != want || !strings.Contains(doc, "urgent: "+c.Urgent) || len(c.Validate("lark")) != 0 {
			t.Errorf("%q decoded as tasks %v urgent %q", doc, c.Tasks, c.Urgent)
		}
	}
	ad, err := New(Config{AppID: "a", AppSecret: "b"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ad.cfg.Urgent != UrgentOff || ad.cfg.Tasks || ad.cfg.UrgentCooldown != 24*time.Hour {
		t.Errorf("defaults: urgent %q tasks %v cooldown %v", ad.cfg.Urgent, ad.cfg.Tasks, ad.cfg.UrgentCooldown)
	}
}

// A reply to a user goes to that user (receive_id_type=open_id), once per
// Key, with mentions as plain names; refusals are classified.
func TestDirectMessageToUser(t *testing.T) {
	e := newEnv(t, nil)
	r := chat.Reply{Platform: chat.PlatformLark, ChatID: "oc_group", ToUser: "ou_zhang", Key: "digest:ou_zhang:1",
		Text: "今日待办：请 " + chat.MentionToken(li) + " 协助", Mentions: []chat.User{li}}
	if rt := e.ad.Route(r); rt != (chat.Route{Name: "im.create.dm", Idempotent: true}) {
		t.Errorf("route %+v", rt)
	}
	for range 2 {
		if err := e.ad.Send(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	dms := e.fake.DMs()
	if len(dms) != 1 || dms[0].ToUser != "ou_zhang" || dms[0].MsgType != "text" {
		t.Fatalf("DMs %+v", dms)
	}
	if c := dms[0].Decoded(); !strings.Contains(c, "请 @李四 协助") || strings.Contains(c, "<at") {
		t.Errorf("content %s", c)
	}
	if n := len(e.fake.Sent()); n != 1 {
		t.Errorf("%d messages in all, want only the DM", n)
	}

	card := r
	card.Key, card.Text = "digest:ou_zhang:2", ""
	card.Card = &chat.Card{Title: "今日待办", Body: "#7 " + chat.MentionToken(li)}
	if err := e.ad.Send(context.Background(), card); err != nil {
		t.Fatal(err)
	}
	if dms := e.fake.DMs(); len(dms) != 2 || dms[1].MsgType != "interactive" || strings.Contains(dms[1].Decoded(), "<at") {
		t.Errorf("card DM %+v", dms)
	}

	for _, code := range []int{larkfake.CodeDMNotInScope, larkfake.CodeDMBlocked} {
		e.fake.RefuseDM("ou_gone", code)
		err := e.ad.Send(context.Background(), chat.Reply{ChatID: "oc_group", ToUser: "ou_gone", Text: "x", Key: "dm-gone"})
		var se *chat.SendError
		if !errors.As(err, &se) || se.Reason != chat.ReasonGone || se.Retry {
			t.Errorf("code %d: %#v, want gone without retry", code, err)
		}
	}
}

// Button.Group rides in the button value and comes back with the click.
func TestButtonGroupRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	in := &mirrorIntake{}
	startWith(t, e, in)
	r := chat.Reply{Platform: chat.PlatformLark, ChatID: "oc_group", ToUser: "ou_zhang", Key: "digest:g",
		Card: &chat.Card{Title: "待办", Body: "#7", Buttons: []chat.Button{
			{Action: chat.ActionDone, TaskID: 7, Group: "oc_project"},
			{Action: chat.ActionAck, TaskID: 8},
		}}}
	if err := e.ad.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	var card struct {
		Elements []struct {
			Actions []struct {
				Value map[string]any `json:"value"`
			} `json:"actions"`
		} `json:"elements"`
	}
	dm := e.fake.DMs()[0]
	if err := json.Unmarshal([]byte(dm.Content), &card); err != nil {
		t.Fatal(err)
	}
	var values []map[string]any
	for _, el := range card.Elements {
		for _, a := range el.Actions {
			values = append(values, a.Value)
		}
	}
	if len(values) != 2 {
		t.Fatalf("button values %+v", values)
	}
	for _, v := range values {
		if _, err := e.fake.PushCardAction(larkfake.CardAction{Operator: "ou_zhang", ChatID: dm.ChatID,
			MessageID: dm.MessageID, Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	in.mu.Lock()
	acts := slices.Clone(in.actions)
	in.mu.Unlock()
	if len(acts) != 2 || acts[0].TaskID != 7 || acts[0].Group != "oc_project" || acts[1].TaskID != 8 || acts[1].Group != "" {
		t.Errorf("actions %+v", acts)
	}
}
