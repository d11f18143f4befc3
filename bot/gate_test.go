package bot

import (
	"testing"

	"collabbot/bot/chat"
)

// gateChat is plain chat as adapters deliver it: concernsBot runs on every
// such message in every group and must drop it without allocating.
var gateChat = []struct {
	name string
	m    chat.Message
}{
	{"zh", chat.Message{Platform: "lark", ChatID: "oc_1", MessageID: "om_1", Sender: chat.User{ID: "ou_1", Name: "李四"},
		Text: "好的，收到，我下午看一下"}},
	{"en", chat.Message{Platform: "lark", ChatID: "oc_1", MessageID: "om_2", Sender: chat.User{ID: "ou_1", Name: "Li Si"},
		Text: "ok, got it, I'll take a look this afternoon"}},
	// A long display name: "@"+name no longer fits the compiler's stack
	// buffer for a concatenation.
	{"mention", chat.Message{Platform: "lark", ChatID: "oc_1", MessageID: "om_3", Sender: chat.User{ID: "ou_1", Name: "Li Si"},
		Text:     "@Alexandra Konstantinopoulou-Smith (Platform Team) thanks, see you at the standup",
		Mentions: []chat.User{{ID: "ou_2", Name: "Alexandra Konstantinopoulou-Smith (Platform Team)"}}}},
}

func TestConcernsBotChatAllocs(t *testing.T) {
	for _, c := range gateChat {
		if concernsBot(c.m) {
			t.Fatalf("%s: concernsBot(%q) = true, want false for plain chat", c.name, c.m.Text)
		}
		if n := testing.AllocsPerRun(100, func() { concernsBot(c.m) }); n != 0 {
			t.Errorf("%s: concernsBot allocates %v times per message, want 0", c.name, n)
		}
	}
}

func BenchmarkConcernsBotChat(b *testing.B) {
	for _, c := range gateChat {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if concernsBot(c.m) {
					b.Fatal("chat concerns the bot")
				}
			}
		})
	}
}
