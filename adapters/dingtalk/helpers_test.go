package dingtalk

import (
	"fmt"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
)

// botData is a group message mentioning n users u0…, with the robot first.
func botData(text string, n int) *chatbot.BotCallbackDataModel {
	d := &chatbot.BotCallbackDataModel{ChatbotUserId: "bot", Text: chatbot.BotCallbackDataTextModel{Content: text}}
	d.AtUsers = append(d.AtUsers, chatbot.BotCallbackDataAtUserModel{DingtalkId: "bot"})
	for i := range n {
		d.AtUsers = append(d.AtUsers, chatbot.BotCallbackDataAtUserModel{DingtalkId: fmt.Sprintf("d%d", i), StaffId: fmt.Sprintf("u%d", i)})
	}
	return d
}
