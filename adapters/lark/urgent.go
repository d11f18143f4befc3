package lark

import (
	"context"
	"errors"
	"sync"
	"time"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"
)

// 加急 (urgent) error codes (platforms-2.md §4).
const (
	codeUrgentQuota   = 230024 // the tenant's urgent quota is used up
	codeUrgentRefused = 230052 // the group does not allow urgent messages
)

const (
	urgentTimeout  = 3 * time.Second
	urgentMaxUsers = 200
)

// urgentState remembers what keeps 加急 quiet: a refusal (until its
// cooldown ends) and the messages already interrupted for.
type urgentState struct {
	mu    sync.Mutex
	until time.Time // no calls before this
	done  *platform.TTLCache[struct{}]
}

// interruptAfter sends the 加急 for r.Interrupt on the message just
// posted, when configured and the post succeeded. It is best effort and at
// most once per message: a repeated Send of the same message (same uuid,
// same message id) does not interrupt again, and a refusal switches it off
// for UrgentCooldown with a single warning, the message's @-mentions
// being the fallback. It returns se unchanged.
func (a *Adapter) interruptAfter(ctx context.Context, r chat.Reply, res apiResult, se *chat.SendError) *chat.SendError {
	if se != nil || len(r.Interrupt) == 0 || a.cfg.Urgent == UrgentOff {
		return se
	}
	ids := urgentIDs(r.Interrupt)
	if len(ids) == 0 || res.messageID == "" {
		return se
	}
	if !a.urgent.done.Add(res.messageID, struct{}{}) {
		return se
	}
	now := time.Now()
	a.urgent.mu.Lock()
	off := now.Before(a.urgent.until)
	a.urgent.mu.Unlock()
	if off {
		a.m.interrupts.WithLabelValues("skipped").Inc()
		return se
	}
	ctx, cancel := context.WithTimeout(ctx, urgentTimeout)
	defer cancel()
	invalid, ures, err := a.urgentCall(ctx, res.messageID, ids)
	if err == nil && ures.code == 0 && ures.status/100 == 2 {
		a.m.interrupts.WithLabelValues("ok").Inc()
		if len(invalid) > 0 {
			a.log.Debug("lark: 加急 skipped users not in the chat", "message", res.messageID, "invalid_user_id_list", invalid)
		}
		return se
	}
	outcome := "refused"
	if err == nil && ures.code == codeUrgentQuota {
		outcome = "quota"
	}
	a.m.interrupts.WithLabelValues(outcome).Inc()
	a.urgent.mu.Lock()
	already := time.Now().Before(a.urgent.until) // a concurrent refusal logged it
	if !already {
		a.urgent.until = now.Add(a.cfg.UrgentCooldown)
	}
	a.urgent.mu.Unlock()
	if already {
		return se
	}
	args := []any{"kind", a.cfg.Urgent, "message", res.messageID, "outcome", outcome, "off_for", a.cfg.UrgentCooldown.String()}
	if err != nil {
		args = append(args, "err", a.red.Clean(err.Error()))
	} else {
		args = append(args, "http", ures.status, "code", ures.code, "msg", a.red.Clean(ures.msg))
	}
	a.log.Warn("lark: 加急 unavailable, relying on @-mentions", args...)
	return se
}

// urgentCall makes the one PATCH …/urgent_app|sms|phone call the
// configuration asks for.
func (a *Adapter) urgentCall(ctx context.Context, messageID string, ids []string) ([]string, apiResult, error) {
	body := &larkim.UrgentReceivers{UserIdList: ids}
	switch a.cfg.Urgent {
	case UrgentApp:
		resp, err := a.api.Im.V1.Message.UrgentApp(ctx, larkim.NewUrgentAppMessageReqBuilder().
			MessageId(messageID).UserIdType("open_id").UrgentReceivers(body).Build())
		if err != nil {
			return nil, apiResult{}, err
		}
		var invalid []string
		if resp.Data != nil {
			invalid = resp.Data.InvalidUserIdList
		}
		return invalid, result(resp.ApiResp, resp.CodeError), nil
	case UrgentSMS:
		resp, err := a.api.Im.V1.Message.UrgentSms(ctx, larkim.NewUrgentSmsMessageReqBuilder().
			MessageId(messageID).UserIdType("open_id").UrgentReceivers(body).Build())
		if err != nil {
			return nil, apiResult{}, err
		}
		var invalid []string
		if resp.Data != nil {
			invalid = resp.Data.InvalidUserIdList
		}
		return invalid, result(resp.ApiResp, resp.CodeError), nil
	case UrgentPhone:
		resp, err := a.api.Im.V1.Message.UrgentPhone(ctx, larkim.NewUrgentPhoneMessageReqBuilder().
			MessageId(messageID).UserIdType("open_id").UrgentReceivers(body).Build())
		if err != nil {
			return nil, apiResult{}, err
		}
		var invalid []string
		if resp.Data != nil {
			invalid = resp.Data.InvalidUserIdList
		}
		return invalid, result(resp.ApiResp, resp.CodeError), nil
	}
	return nil, apiResult{}, errors.New("lark: urgent is off")
}

// urgentIDs are the users' open_ids without empty ones or repeats, at
// most one call's 200.
func urgentIDs(us []chat.User) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range us {
		if u.ID == "" || seen[u.ID] || !validID(u.ID) {
			continue
		}
		seen[u.ID] = true
		out = append(out, u.ID)
		if len(out) == urgentMaxUsers {
			break
		}
	}
	return out
}
