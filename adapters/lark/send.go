package lark

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"collabbot/bot/chat"
)

// Platform error codes the adapter reacts to.
const (
	codeAppRateLimit   = 99991400 // app-wide frequency limit (HTTP 429)
	codeChatRateLimit  = 230020   // per-chat / per-user frequency limit
	codeBotNotInChat   = 230002
	codeMsgWithdrawn   = 230011
	codeChatNotExist   = 230045
	codeBotDisabled    = 230006
	codeNoPermission   = 230027
	codeTokenInvalid   = 99991663 // tenant token invalid or expired
	codeAppTokenBad    = 99991664
	codeAccessTokenBad = 99991671
	codeUserNotInScope = 230013 // DM: user outside the app's 可用范围 (or resigned)
	codeUserBlocked    = 230053 // DM: the user blocked the bot
)

// Route names, for the send stage's metrics and logs.
const (
	routeCreate = "im.create"
	routeReply  = "im.reply"
	routePatch  = "im.patch"
	routeDM     = "im.create.dm"
)

// Route implements chat.Router. Creates and replies carry a uuid derived
// from the Key, which the platform dedupes for an hour; a card update sets
// the same content again. Without a Key the uuid is fresh per attempt, so
// a lost answer can mean a second message.
func (a *Adapter) Route(r chat.Reply) chat.Route {
	switch {
	case r.Update != "":
		return chat.Route{Name: routePatch, Idempotent: true}
	case r.ToUser != "":
		return chat.Route{Name: routeDM, Idempotent: r.Key != ""}
	case r.ReplyTo != "":
		return chat.Route{Name: routeReply, Idempotent: r.Key != ""}
	default:
		return chat.Route{Name: routeCreate, Idempotent: r.Key != ""}
	}
}

// Limits implements chat.Limited with the platform's documented send
// allowances: 50/s and 1000/min per app, 5/s per chat (shared by every bot
// in the chat).
func (a *Adapter) Limits() chat.Limits {
	return chat.Limits{PerSecond: 50, PerMinute: 1000, ChatPerSecond: 5, ChatBurst: 5}
}

// Send makes one attempt at posting r: a card update when r.Update is set,
// else a reply to r.ReplyTo when set (falling back to a new message in
// r.ChatID when that message was withdrawn), else a new message in
// r.ChatID; r.ToUser, when set, makes it a direct message to that user
// instead. r.Card becomes an interactive card. Mention tokens become
// native mentions; nothing else in the text can. After a post, r.Pin and
// r.Interrupt are best-effort extras that never fail the send. A failure
// is a *chat.SendError; retries, backoff and rate limits belong to the
// caller.
func (a *Adapter) Send(ctx context.Context, r chat.Reply) error {
	if r.Update != "" {
		return a.sendPatch(ctx, r)
	}
	if r.ToUser != "" {
		return a.sendDM(ctx, r)
	}
	if r.ChatID == "" && r.ReplyTo == "" {
		return a.sendDone(&chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("no chat id")})
	}
	msgType, content, err := renderReply(r)
	if err != nil {
		return a.sendDone(&chat.SendError{Reason: chat.ReasonInvalid, Err: err})
	}
	uuid := a.sendUUID(r.Key)
	if r.ReplyTo != "" {
		res, err := a.reply(ctx, r.ReplyTo, msgType, content, uuid)
		if err != nil || res.code != codeMsgWithdrawn || r.ChatID == "" {
			return a.sendDone(a.afterPost(ctx, r, res, a.classify(res, err)))
		}
		// The message we answer is gone: post to the chat instead, under a
		// uuid of its own (stable for the Key, so a repeated Send that
		// takes this path again still posts once).
		a.log.Info("lark: replied-to message withdrawn, posting to chat", "chat", r.ChatID)
		if r.Key != "" {
			uuid = a.sendUUID(r.Key + "\x00chat")
		}
	}
	res, err := a.create(ctx, "chat_id", r.ChatID, msgType, content, uuid)
	return a.sendDone(a.afterPost(ctx, r, res, a.classify(res, err)))
}

// sendDM posts r to the user r.ToUser (receive_id_type=open_id), which
// needs no shared chat, only the user inside the app's 可用范围. Mentions
// are written as plain names: a 1:1 chat has no one else to notify.
func (a *Adapter) sendDM(ctx context.Context, r chat.Reply) error {
	if !validID(r.ToUser) {
		return a.sendDone(&chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("bad user id for a direct message")})
	}
	msgType, content, err := renderDirect(r)
	if err != nil {
		return a.sendDone(&chat.SendError{Reason: chat.ReasonInvalid, Err: err})
	}
	res, err := a.create(ctx, "open_id", r.ToUser, msgType, content, a.sendUUID(r.Key))
	return a.sendDone(a.afterPost(ctx, r, res, a.classify(res, err)))
}

// afterPost runs the best-effort extras of a successful post.
func (a *Adapter) afterPost(ctx context.Context, r chat.Reply, res apiResult, se *chat.SendError) *chat.SendError {
	return a.interruptAfter(ctx, r, res, a.pinAfter(ctx, r, res, se))
}

// sendPatch replaces the card of message r.Update with r.Card.
func (a *Adapter) sendPatch(ctx context.Context, r chat.Reply) error {
	if r.Card == nil {
		return a.sendDone(&chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("card update without a card")})
	}
	b, err := json.Marshal(renderCard(r.Card, r.Mentions))
	if err != nil {
		return a.sendDone(&chat.SendError{Reason: chat.ReasonInvalid, Err: err})
	}
	req := larkim.NewPatchMessageReqBuilder().MessageId(r.Update).
		Body(larkim.NewPatchMessageReqBodyBuilder().Content(string(b)).Build()).Build()
	resp, err := a.api.Im.V1.Message.Patch(ctx, req)
	if err != nil {
		return a.sendDone(a.classify(apiResult{}, err))
	}
	return a.sendDone(a.classify(result(resp.ApiResp, resp.CodeError), nil))
}

// sendDone counts the outcome and returns it as an error (nil on success).
func (a *Adapter) sendDone(se *chat.SendError) error {
	if se == nil {
		a.m.sends.WithLabelValues("ok", "").Inc()
		return nil
	}
	a.m.sends.WithLabelValues("error", string(se.Reason)).Inc()
	return se
}

func (a *Adapter) create(ctx context.Context, idType, receiveID, msgType, content, uuid string) (apiResult, error) {
	req := larkim.NewCreateMessageReqBuilder().ReceiveIdType(idType).
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(receiveID).MsgType(msgType).Content(content).Uuid(uuid).Build()).
		Build()
	resp, err := a.api.Im.V1.Message.Create(ctx, req)
	if err != nil {
		return apiResult{}, err
	}
	res := result(resp.ApiResp, resp.CodeError)
	if resp.Data != nil && resp.Data.MessageId != nil {
		res.messageID = *resp.Data.MessageId
	}
	return res, nil
}

func (a *Adapter) reply(ctx context.Context, messageID, msgType, content, uuid string) (apiResult, error) {
	req := larkim.NewReplyMessageReqBuilder().MessageId(messageID).
		Body(larkim.NewReplyMessageReqBodyBuilder().MsgType(msgType).Content(content).Uuid(uuid).Build()).
		Build()
	resp, err := a.api.Im.V1.Message.Reply(ctx, req)
	if err != nil {
		return apiResult{}, err
	}
	res := result(resp.ApiResp, resp.CodeError)
	if resp.Data != nil && resp.Data.MessageId != nil {
		res.messageID = *resp.Data.MessageId
	}
	return res, nil
}

// sendUUID maps the reply's idempotency key to the request uuid (at most
// 50 characters). Without a key every Send gets a fresh uuid.
func (a *Adapter) sendUUID(key string) string {
	if key == "" {
		key = fmt.Sprintf("auto:%d:%d:%d", time.Now().UnixNano(), a.uuidSalt.Add(1), rand.Int64())
	}
	sum := sha256.Sum256([]byte(chat.PlatformLark + "\x00" + key))
	return hex.EncodeToString(sum[:])[:40]
}

// apiResult is what matters of an API answer.
type apiResult struct {
	status int
	code   int
	msg    string
	header http.Header
	// messageID is the posted message's id (create and reply).
	messageID string
}

func result(r *larkcore.ApiResp, ce larkcore.CodeError) apiResult {
	res := apiResult{code: ce.Code, msg: ce.Msg}
	if r != nil {
		res.status, res.header = r.StatusCode, r.Header
	}
	return res
}

// classify maps an API outcome to nil (success) or a SendError. The error
// text holds codes and the platform's message, never credentials.
func (a *Adapter) classify(res apiResult, err error) *chat.SendError {
	if err != nil {
		var ce larkcore.CodeError
		if errors.As(err, &ce) { // the token grant itself failed
			return a.classify(apiResult{status: http.StatusBadRequest, code: ce.Code, msg: ce.Msg}, nil)
		}
		return &chat.SendError{Reason: chat.ReasonTransient, Retry: true, Err: a.red.Err(err)}
	}
	if res.code == 0 && res.status/100 == 2 {
		return nil
	}
	e := a.red.Err(fmt.Errorf("lark api: http %d code %d: %s", res.status, res.code, res.msg))
	switch {
	case res.status == http.StatusTooManyRequests || res.code == codeAppRateLimit:
		after := time.Second
		if s, perr := strconv.Atoi(strings.TrimSpace(res.header.Get("x-ogw-ratelimit-reset"))); perr == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return &chat.SendError{Reason: chat.ReasonThrottled, Retry: true, RetryAfter: after, Err: e}
	case res.code == codeChatRateLimit:
		// No hint from the platform; the window is one second.
		return &chat.SendError{Reason: chat.ReasonThrottled, Retry: true, Err: e}
	case res.code == codeTokenInvalid || res.code == codeAppTokenBad || res.code == codeAccessTokenBad:
		sharedTokenCache.clear() // the retry fetches a fresh token
		return &chat.SendError{Reason: chat.ReasonAuth, Retry: true, Err: e}
	case res.code == codeBotNotInChat || res.code == codeChatNotExist || res.code == codeMsgWithdrawn ||
		res.code == codeUserNotInScope || res.code == codeUserBlocked:
		return &chat.SendError{Reason: chat.ReasonGone, Err: e}
	case res.code == codeBotDisabled || res.code == codeNoPermission ||
		(res.code >= 99991660 && res.code <= 99991679) || res.code == 10014 || res.code == 10003 ||
		res.status == http.StatusUnauthorized || res.status == http.StatusForbidden:
		return &chat.SendError{Reason: chat.ReasonAuth, Err: e}
	case res.status >= 500 || res.status == 0:
		return &chat.SendError{Reason: chat.ReasonTransient, Retry: true, Err: e}
	case res.status == http.StatusBadRequest:
		return &chat.SendError{Reason: chat.ReasonInvalid, Err: e}
	default:
		return &chat.SendError{Reason: chat.ReasonOther, Err: e}
	}
}
