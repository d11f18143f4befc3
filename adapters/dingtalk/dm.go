package dingtalk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"collabbot/bot/chat"
)

// sendDirect posts r to the user r.ToUser through oToMessages/batchSend as
// markdown. batchSend cannot @ anyone and carries no card buttons (our card
// template goes through createAndDeliver, which needs a 1:1 chat the robot
// has seen), so a card is rendered as its title and body; mentions are
// names.
func (a *Adapter) sendDirect(ctx context.Context, r chat.Reply) error {
	var title, text string
	if r.Card != nil {
		title, text = cardTitle(r.Card), chat.PlainText(cardMarkdown(r.Card), r.Mentions)
	} else {
		text = chat.PlainText(r.Text, r.Mentions)
		title = truncate(firstLine(text), 60)
	}
	param, _ := json.Marshal(map[string]string{"title": title, "text": text})
	body := map[string]any{
		"robotCode": a.cfg.RobotCode,
		"userIds":   []string{r.ToUser},
		"msgKey":    "sampleMarkdown",
		"msgParam":  string(param),
	}
	var out struct {
		InvalidStaffIDs        []string `json:"invalidStaffIdList"`
		FlowControlledStaffIDs []string `json:"flowControlledStaffIdList"`
	}
	if err := a.api.call(ctx, http.MethodPost, apiOtoSend, body, &out); err != nil {
		return err
	}
	// The call succeeds for the batch; each user's fate is in the lists.
	if slices.Contains(out.InvalidStaffIDs, r.ToUser) {
		return &chat.SendError{Reason: chat.ReasonGone, Err: errors.New("dingtalk: user cannot get robot messages (invalidStaffIdList)")}
	}
	if slices.Contains(out.FlowControlledStaffIDs, r.ToUser) {
		return &chat.SendError{Reason: chat.ReasonThrottled, Retry: true, Err: errors.New("dingtalk: user's robot messages flow-controlled (flowControlledStaffIdList)")}
	}
	return nil
}
