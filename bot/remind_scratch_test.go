package bot_test

import (
	"context"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/bot/bottest"
)

func TestScratchParse(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 9, 25, 10, 0, 0, 0, loc)
	b := bottest.New(t, bottest.Options{Now: func() time.Time { return now }})
	out := b.HandleMessage(context.Background(), bot.Message{Platform: "console", ChatID: "g1", MessageID: "m1",
		Sender: bot.User{ID: "ls", Name: "李四"}, Text: "@张三 【产品研发-需求确认-需前端提供技术评估方案-9月30日前】",
		Mentions: []bot.User{{ID: "zs", Name: "张三"}}, Time: now})
	for _, r := range out {
		t.Log(bot.PlainText(r.Text, r.Mentions))
	}
}
