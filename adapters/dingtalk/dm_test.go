package dingtalk

import (
	"context"
	"strings"
	"testing"

	"collabbot/bot/chat"
)

func TestDirectMessageViaBatchSend(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CardTemplateID = testTemplate })
	text := chat.Reply{ChatID: testChat, ToUser: "zhangsan01", Key: "dm-1", Text: "今日待办\n1. 需求确认 " + chat.MentionToken(uLisi), Mentions: []chat.User{uLisi}}
	card := chat.Reply{ChatID: testChat, ToUser: "zhangsan01", Key: "dm-2", Card: &chat.Card{
		Title: "个人待办", Body: "1. 需求确认",
		Buttons: []chat.Button{{Label: "标记完成", Action: chat.ActionDone, TaskID: 1, Group: testChat}},
	}}
	for _, tc := range []struct {
		name      string
		r         chat.Reply
		wantTitle string
		wantText  []string
	}{
		{"text", text, "今日待办", []string{"今日待办\n1. 需求确认 @李四"}},
		{"card as markdown, no buttons", card, "个人待办", []string{"### 个人待办", "1. 需求确认"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rt := e.a.Route(tc.r); rt.Name != routeOtoSend || rt.Idempotent {
				t.Errorf("Route = %+v, want %s, not idempotent", rt, routeOtoSend)
			}
			before := len(e.fake.SentVia("oto"))
			if err := e.a.Send(context.Background(), tc.r); err != nil {
				t.Fatal(err)
			}
			sent := e.fake.SentVia("oto")
			if len(sent) != before+1 {
				t.Fatalf("oto sends %d, want %d", len(sent), before+1)
			}
			s := sent[len(sent)-1]
			if s.MsgType != "sampleMarkdown" || len(s.UserIDs) != 1 || s.UserIDs[0] != "zhangsan01" || s.Title != tc.wantTitle {
				t.Errorf("sent %+v", s)
			}
			for _, w := range tc.wantText {
				if !strings.Contains(s.Text, w) {
					t.Errorf("text %q lacks %q", s.Text, w)
				}
			}
			if strings.Contains(s.Text, "标记完成") || strings.Contains(s.Raw, "atUserIds") {
				t.Errorf("buttons or @ in a direct message: %s", s.Raw)
			}
		})
	}
	if n := len(e.fake.SentVia("card")); n != 0 {
		t.Errorf("%d cards sent for direct messages", n)
	}
}

func TestDirectMessageRefusals(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.SetInvalidStaff("left01")
	e.fake.SetFlowControlled("busy01")
	for _, tc := range []struct {
		user   string
		reason chat.Reason
		retry  bool
	}{
		{"left01", chat.ReasonGone, false},
		{"busy01", chat.ReasonThrottled, true},
	} {
		err := e.a.Send(context.Background(), chat.Reply{ToUser: tc.user, Text: "hi"})
		e.errs = append(e.errs, err)
		if se := sendErr(t, err); se.Reason != tc.reason || se.Retry != tc.retry {
			t.Errorf("%s: %v (retry %v), want %s retry %v", tc.user, err, se.Retry, tc.reason, tc.retry)
		}
	}
	if n := len(e.fake.SentVia("oto")); n != 0 {
		t.Errorf("%d messages reached refused users", n)
	}
	e.fake.SetFlowControlled()
	if err := e.a.Send(context.Background(), chat.Reply{ToUser: "busy01", Text: "hi"}); err != nil {
		t.Errorf("after the flow control: %v", err)
	}
}
