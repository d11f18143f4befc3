package lark

import (
	"context"
	"time"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"collabbot/bot/chat"
)

// pinTimeout bounds the best-effort pin after a post.
const pinTimeout = 3 * time.Second

// pinAfter pins the message just posted for r when r.Pin asks for it and
// the post succeeded (se == nil). Pinning is best effort: its outcome is
// logged and never turns a successful send into a failure, so the send
// stage does not post the message again. POST /open-apis/im/v1/pins
// {message_id}; pinning an already pinned message returns the existing
// pin, so a repeated Send (same uuid, same message) is harmless. It
// returns se unchanged.
func (a *Adapter) pinAfter(ctx context.Context, r chat.Reply, res apiResult, se *chat.SendError) *chat.SendError {
	if !r.Pin || se != nil {
		return se
	}
	if res.messageID == "" {
		a.log.Warn("lark: pin skipped: no message id in the send answer", "chat", r.ChatID)
		return se
	}
	ctx, cancel := context.WithTimeout(ctx, pinTimeout)
	defer cancel()
	req := larkim.NewCreatePinReqBuilder().
		Body(larkim.NewCreatePinReqBodyBuilder().MessageId(res.messageID).Build()).Build()
	resp, err := a.api.Im.V1.Pin.Create(ctx, req)
	switch {
	case err != nil:
		a.log.Warn("lark: pin failed", "chat", r.ChatID, "message", res.messageID, "err", err)
	case !resp.Success():
		// 230046: only the owner and admins may pin in this group; 230047:
		// pin rate limit; a missing scope also lands here.
		a.log.Warn("lark: pin refused", "chat", r.ChatID, "message", res.messageID, "code", resp.Code, "msg", resp.Msg)
	default:
		a.log.Info("lark: message pinned", "chat", r.ChatID, "message", res.messageID)
	}
	return se
}
