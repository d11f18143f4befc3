package dingtalk

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"collabbot/bot/chat"
)

const apiDingSend = "/v1.0/robot/ding/send"

// DING receivers per call (platforms-2.md §9).
const (
	dingAppMax = 200
	dingSMSMax = 20 // sms and phone
)

// DING outcomes, the "result" label of collabbot_dingtalk_interrupts_total.
const (
	dingOK      = "ok"
	dingQuota   = "quota"
	dingRefused = "refused"
	dingSkipped = "skipped"
)

func remindType(channel string) int {
	switch channel {
	case DingSMS:
		return 2
	case DingPhone:
		return 3
	}
	return 1 // app
}

// interrupt DINGs r.Interrupt after r was posted: best effort, one call,
// never a reason to fail or retry the send (the message @-mentions them
// already). When DingTalk refuses DING for quota, edition or permission,
// one warning is logged and DING is skipped for DingCooldown, without
// calls or further log lines.
func (a *Adapter) interrupt(ctx context.Context, r chat.Reply) {
	if len(r.Interrupt) == 0 {
		return
	}
	if a.cfg.Ding == DingOff {
		a.interrupts.WithLabelValues(dingSkipped).Inc()
		return
	}
	if until := a.dingPausedUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		a.interrupts.WithLabelValues(dingSkipped).Inc()
		return
	}
	max := dingSMSMax
	if a.cfg.Ding == DingApp {
		max = dingAppMax
	}
	var ids []string
	for _, u := range r.Interrupt {
		if u.ID != "" && !slices.Contains(ids, u.ID) && len(ids) < max {
			ids = append(ids, u.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	content := chat.PlainText(r.Text, r.Mentions)
	if r.Card != nil {
		content = chat.PlainText(cardTitle(r.Card)+"\n"+r.Card.Body, r.Mentions)
	}
	body := map[string]any{
		"robotCode":          a.cfg.RobotCode,
		"remindType":         remindType(a.cfg.Ding),
		"receiverUserIdList": ids,
		"content":            content,
	}
	var out struct {
		OpenDingID string          `json:"openDingId"`
		FailedList json.RawMessage `json:"failedList"`
	}
	err := a.api.call(ctx, http.MethodPost, apiDingSend, body, &out)
	if err == nil {
		a.interrupts.WithLabelValues(dingOK).Inc()
		if f := strings.TrimSpace(string(out.FailedList)); f != "" && f != "null" && f != "[]" && f != "{}" {
			a.log.Info("dingtalk: DING sent, some receivers failed", "chat", r.ChatID, "failed", truncate(a.red.Clean(f), 200))
		}
		return
	}
	result, pause := dingRefusal(err)
	a.interrupts.WithLabelValues(result).Inc()
	if !pause {
		a.log.Warn("dingtalk: DING failed; the message's @-mentions stand", "chat", r.ChatID, "err", err)
		return
	}
	now := time.Now()
	for {
		old := a.dingPausedUntil.Load()
		if old != 0 && now.UnixNano() < old {
			return // another send paused it (and logged) meanwhile
		}
		if a.dingPausedUntil.CompareAndSwap(old, now.Add(a.cfg.DingCooldown).UnixNano()) {
			a.log.Warn("dingtalk: DING unavailable, interrupts skipped for a while; the messages' @-mentions stand",
				"channel", a.cfg.Ding, "pause", a.cfg.DingCooldown, "err", err)
			return
		}
	}
}

// dingRefusal classifies a failed DING: quota (the org's SMS/phone package
// is used up, ding.serverquota.insufficient; the bot's per-minute cap,
// toomuch.msg; the org's API quota) or refused. Refusals that will not
// change by themselves pause DING: quota, and the edition or permission
// errors. DING exists only on 专业版/专属版 orgs and the code for any other
// org is not documented, so every 403, permission or edition ("premium",
// "edition", "版") error counts as such a refusal.
func dingRefusal(err error) (result string, pause bool) {
	s, ae := todoText(err)
	switch {
	case strings.Contains(s, "serverquota") || strings.Contains(s, "toomuch") || isReason(err, chat.ReasonQuota):
		return dingQuota, true
	case (ae != nil && ae.Status == http.StatusForbidden && !retryable(err)) ||
		strings.Contains(s, "permission") || strings.Contains(s, "premium") || strings.Contains(s, "edition") ||
		strings.Contains(s, "版") || (isReason(err, chat.ReasonAuth) && !retryable(err)):
		return dingRefused, true
	}
	return dingRefused, false
}
