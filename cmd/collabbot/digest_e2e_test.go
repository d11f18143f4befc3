package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"collabbot/adapters/dingtalk"
	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/adapters/lark"
	"collabbot/adapters/lark/larkfake"
	"collabbot/adapters/platform"
	"collabbot/bot/bottest"
)

// One person on two platforms, two groups: their daily digest, a direct
// message on the platform where they opted in, lists their tasks from both
// groups, due soonest first, and nothing of anyone else's.
func TestDigestAcrossLarkAndDingTalk(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	var mu sync.Mutex
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, cst) // Thursday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }

	lk := larkfake.New(larkfake.Options{PingInterval: 1, AppID: fmt.Sprintf("cli_digest_%d", time.Now().UnixNano()), BotOpenID: "ou_bot"})
	defer lk.Close()
	dt := dingfake.New("ding_digest", "ding-secret-digest")
	defer dt.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	la, err := lark.New(lark.Config{AppID: lk.AppID(), AppSecret: platform.Secret(lk.AppSecret()), BaseURL: lk.URL,
		StartTimeout: 5 * time.Second, DrainTimeout: 3 * time.Second}, quiet, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	da, err := dingtalk.New(dingtalk.Config{ClientID: "ding_digest", ClientSecret: "ding-secret-digest", BaseURL: dt.URL, OAPIURL: dt.URL,
		GroupRate: 1000, GroupBurst: 100, ReconnectMin: 20 * time.Millisecond, ReconnectMax: 200 * time.Millisecond,
		CheckInterval: 20 * time.Millisecond, CloseGrace: 5 * time.Second}, quiet, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p := bottest.Start(t, bottest.Options{Now: clock}, la, da)
	p.Bot.SetPeople([][]string{{"lark:ou_zhangsan", "dingtalk:zhangsan"}})

	larkSay := func(id, from, text string, mentions ...larkfake.Mention) {
		t.Helper()
		ms := append([]larkfake.Mention{{OpenID: "ou_bot", Name: "collabbot"}}, mentions...)
		if code, err := lk.PushMessage(larkfake.Message{MessageID: id, ChatID: "oc_proj", Sender: from, Text: "@_user_1 " + text, Mentions: ms, Time: clock()}); err != nil || code != 200 {
			t.Fatalf("lark push: %d %v", code, err)
		}
		p.Settle(t)
	}
	zs := larkfake.Mention{OpenID: "ou_zhangsan", Name: "张三"}
	larkSay("om_1", "ou_lisi", "@_user_2 【产品研发-需求确认-需前端提供技术评估方案-3月10日 下午5点前】", zs)
	larkSay("om_2", "ou_lisi", "@_user_2 【产品研发-接口联调-联调完成-3月12日】", larkfake.Mention{OpenID: "ou_wangwu", Name: "王五"})
	dmsg := dingfake.BotMessage{MsgID: "dmsg_1", ConversationID: "cid_ops", SenderStaffID: "lisi", SenderNick: "李四", CreateAt: clock(),
		Text: " @张三 【市场推广-发布会-准备讲稿-3月6日 下午5点前】", AtUsers: []dingfake.AtUser{{DingtalkID: "$:zs", StaffID: "zhangsan"}}}
	if ack, err := dt.PushBotMessage(dmsg); err != nil || ack.Code != 200 {
		t.Fatalf("dingtalk push: %+v %v", ack, err)
	}
	p.Settle(t)
	larkSay("om_3", "ou_zhangsan", "/digest on 09:00")

	mu.Lock()
	now = time.Date(2026, 3, 6, 9, 0, 0, 0, cst)
	mu.Unlock()
	gs, err := p.Bot.DecideDue(clock())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gs {
		p.Stage.Kick(g)
	}
	p.Settle(t)
	dms := lk.DMs()
	if len(dms) != 1 {
		t.Fatalf("direct messages = %d, want 1 digest: %+v", len(dms), dms)
	}
	d := dms[0]
	body := d.Decoded()
	if d.ToUser != "ou_zhangsan" {
		t.Errorf("digest went to %q", d.ToUser)
	}
	first, second := strings.Index(body, "市场推广-发布会"), strings.Index(body, "产品研发-需求确认")
	if first < 0 || second < 0 || first > second {
		t.Errorf("digest should list the DingTalk task (due 3/6) before the Lark one (3/10):\n%s", body)
	}
	if strings.Contains(body, "接口联调") {
		t.Errorf("digest lists 王五's task:\n%s", body)
	}
	if strings.Contains(body, "<at") {
		t.Errorf("a digest must not @ anyone:\n%s", body)
	}
	if n := len(dt.Sent()); n != 1 { // only the task's reply in the DingTalk group
		t.Errorf("DingTalk messages = %d, want 1", n)
	}
}
