package lark

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"collabbot/bot"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	"golang.org/x/time/rate"
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
)

// Send posts r: a reply to r.ReplyTo when set, else a new message in
// r.ChatID; r.Card becomes an interactive card. Mention tokens become
// native mentions; nothing else in the text can. Throttling, lost
// responses and server errors are retried a few times with backoff; the
// uuid derived from r.Key makes the retries (and any later resend with the
// same Key within the platform's hour) post at most once.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) error {
	if r.ChatID == "" && r.ReplyTo == "" {
		return a.sendFailed(&bot.SendError{Reason: bot.ReasonInvalid, Err: errors.New("no chat id")})
	}
	msgType, content, err := renderReply(r)
	if err != nil {
		return a.sendFailed(&bot.SendError{Reason: bot.ReasonInvalid, Err: err})
	}
	uuid := a.sendUUID(r.Key)
	chatKey := r.ChatID
	if chatKey == "" {
		chatKey = "reply:" + r.ReplyTo
	}
	replyTo := r.ReplyTo
	return a.withRetry(ctx, chatKey, func(ctx context.Context) (apiResult, error) {
		if replyTo != "" {
			res, err := a.reply(ctx, replyTo, msgType, content, uuid)
			if err != nil || res.code != codeMsgWithdrawn || r.ChatID == "" {
				return res, err
			}
			// The message we answer is gone: post to the chat instead.
			a.log.Info("lark: replied-to message withdrawn, posting to chat", "chat", r.ChatID)
			replyTo = ""
		}
		return a.create(ctx, r.ChatID, msgType, content, uuid)
	})
}

func (a *Adapter) create(ctx context.Context, chatID, msgType, content, uuid string) (apiResult, error) {
	req := larkim.NewCreateMessageReqBuilder().ReceiveIdType("chat_id").
		Body(larkim.NewCreateMessageReqBodyBuilder().ReceiveId(chatID).MsgType(msgType).Content(content).Uuid(uuid).Build()).
		Build()
	resp, err := a.api.Im.V1.Message.Create(ctx, req)
	if err != nil {
		return apiResult{}, err
	}
	return result(resp.ApiResp, resp.CodeError), nil
}

func (a *Adapter) reply(ctx context.Context, messageID, msgType, content, uuid string) (apiResult, error) {
	req := larkim.NewReplyMessageReqBuilder().MessageId(messageID).
		Body(larkim.NewReplyMessageReqBodyBuilder().MsgType(msgType).Content(content).Uuid(uuid).Build()).
		Build()
	resp, err := a.api.Im.V1.Message.Reply(ctx, req)
	if err != nil {
		return apiResult{}, err
	}
	return result(resp.ApiResp, resp.CodeError), nil
}

// patchCard replaces a card message's content (used when a click was
// answered late).
func (a *Adapter) patchCard(ctx context.Context, messageID, chatID string, content string) error {
	return a.withRetry(ctx, chatID, func(ctx context.Context) (apiResult, error) {
		req := larkim.NewPatchMessageReqBuilder().MessageId(messageID).
			Body(larkim.NewPatchMessageReqBodyBuilder().Content(content).Build()).Build()
		resp, err := a.api.Im.V1.Message.Patch(ctx, req)
		if err != nil {
			return apiResult{}, err
		}
		return result(resp.ApiResp, resp.CodeError), nil
	})
}

// sendUUID maps the reply's idempotency key to the request uuid (at most
// 50 characters). Without a key every Send gets a fresh uuid, which still
// keeps the adapter's own retries from posting twice.
func (a *Adapter) sendUUID(key string) string {
	if key == "" {
		key = fmt.Sprintf("auto:%d:%d:%d", time.Now().UnixNano(), a.uuidSalt.Add(1), rand.Int64())
	}
	sum := sha256.Sum256([]byte(bot.PlatformLark + "\x00" + key))
	return hex.EncodeToString(sum[:])[:40]
}

// apiResult is what matters of an API answer.
type apiResult struct {
	status int
	code   int
	msg    string
	header http.Header
}

func result(r *larkcore.ApiResp, ce larkcore.CodeError) apiResult {
	res := apiResult{code: ce.Code, msg: ce.Msg}
	if r != nil {
		res.status, res.header = r.StatusCode, r.Header
	}
	return res
}

// withRetry runs call under the rate limits, classifying each outcome and
// retrying those worth retrying with exponential backoff (or the
// platform's own hint), bounded by SendAttempts and ctx.
func (a *Adapter) withRetry(ctx context.Context, chatKey string, call func(context.Context) (apiResult, error)) error {
	var last *bot.SendError
	for attempt := 1; ; attempt++ {
		if err := a.limits.wait(ctx, chatKey); err != nil {
			if last == nil {
				last = &bot.SendError{Reason: bot.ReasonTransient, Retry: true, Err: err}
			}
			break
		}
		res, err := call(ctx)
		se := a.classify(res, err)
		if se == nil {
			a.m.sends.WithLabelValues("ok", "").Inc()
			return nil
		}
		last = se
		if !se.Retry || ctx.Err() != nil || attempt >= a.cfg.SendAttempts {
			break
		}
		a.m.retries.WithLabelValues(string(se.Reason)).Inc()
		delay := a.backoff(attempt, se.RetryAfter)
		a.log.Debug("lark: retrying send", "reason", se.Reason, "attempt", attempt+1, "delay", delay, "err", se.Err)
		if se.Reason == bot.ReasonThrottled {
			// Hold back every send to this chat (or, for the app-wide
			// limit, every send) until the window has passed; the next
			// limits.wait does the waiting.
			app := res.code == codeAppRateLimit || res.status == http.StatusTooManyRequests
			a.limits.pause(chatKey, app, delay)
			continue
		}
		if sleepCtx(ctx, delay) != nil {
			break
		}
	}
	return a.sendFailed(last)
}

func (a *Adapter) sendFailed(se *bot.SendError) error {
	a.m.sends.WithLabelValues("error", string(se.Reason)).Inc()
	return se
}

// backoff is base·2^(attempt-1) with ±20% jitter, capped at 10 s, and never
// shorter than the platform's hint.
func (a *Adapter) backoff(attempt int, hint time.Duration) time.Duration {
	d := a.cfg.retryBase << (attempt - 1)
	if d > 10*time.Second {
		d = 10 * time.Second
	}
	d = time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	if hint > d {
		d = hint
	}
	return d
}

// classify maps an API outcome to nil (success) or a SendError. The error
// text holds codes and the platform's message, never credentials.
func (a *Adapter) classify(res apiResult, err error) *bot.SendError {
	if err != nil {
		var ce larkcore.CodeError
		if errors.As(err, &ce) { // the token grant itself failed
			return a.classify(apiResult{status: http.StatusBadRequest, code: ce.Code, msg: ce.Msg}, nil)
		}
		return &bot.SendError{Reason: bot.ReasonTransient, Retry: true, Err: a.red.err(err)}
	}
	if res.code == 0 && res.status/100 == 2 {
		return nil
	}
	e := a.red.err(fmt.Errorf("lark api: http %d code %d: %s", res.status, res.code, res.msg))
	switch {
	case res.status == http.StatusTooManyRequests || res.code == codeAppRateLimit:
		after := time.Second
		if s, perr := strconv.Atoi(strings.TrimSpace(res.header.Get("x-ogw-ratelimit-reset"))); perr == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return &bot.SendError{Reason: bot.ReasonThrottled, Retry: true, RetryAfter: after, Err: e}
	case res.code == codeChatRateLimit:
		// No hint from the platform; the window is one second.
		return &bot.SendError{Reason: bot.ReasonThrottled, Retry: true, Err: e}
	case res.code == codeTokenInvalid || res.code == codeAppTokenBad || res.code == codeAccessTokenBad:
		sharedTokenCache.clear() // fetch a fresh token on the retry
		return &bot.SendError{Reason: bot.ReasonAuth, Retry: true, Err: e}
	case res.code == codeBotNotInChat || res.code == codeChatNotExist || res.code == codeMsgWithdrawn:
		return &bot.SendError{Reason: bot.ReasonGone, Err: e}
	case res.code == codeBotDisabled || res.code == codeNoPermission ||
		(res.code >= 99991660 && res.code <= 99991679) || res.code == 10014 || res.code == 10003 ||
		res.status == http.StatusUnauthorized || res.status == http.StatusForbidden:
		return &bot.SendError{Reason: bot.ReasonAuth, Err: e}
	case res.status >= 500 || res.status == 0:
		return &bot.SendError{Reason: bot.ReasonTransient, Retry: true, Err: e}
	case res.status == http.StatusBadRequest:
		return &bot.SendError{Reason: bot.ReasonInvalid, Err: e}
	default:
		return &bot.SendError{Reason: bot.ReasonOther, Err: e}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendLimits holds the send rate limiters: one per chat and two per app
// (per second and per minute), plus pauses the platform asked for.
type sendLimits struct {
	chatRate    rate.Limit
	app         *rate.Limiter
	appMinute   *rate.Limiter
	mu          sync.Mutex
	chats       map[string]*chatLimit
	appPaused   time.Time
	lastCleanup time.Time
}

type chatLimit struct {
	lim    *rate.Limiter
	paused time.Time
	used   time.Time
}

func newSendLimits(cfg Config) *sendLimits {
	return &sendLimits{
		chatRate: rate.Limit(cfg.ChatRate),
		// Burst 5 at 45/s keeps any one-second window within 50; burst 50 at
		// 950/min keeps any minute within 1000.
		app:       rate.NewLimiter(rate.Limit(cfg.AppRate), max(1, 50-int(cfg.AppRate))),
		appMinute: rate.NewLimiter(rate.Limit(float64(cfg.AppPerMinute)/60), max(1, 1000-cfg.AppPerMinute)),
		chats:     map[string]*chatLimit{},
	}
}

// wait blocks until a send to chatKey is allowed.
func (l *sendLimits) wait(ctx context.Context, chatKey string) error {
	l.mu.Lock()
	now := time.Now()
	c := l.chats[chatKey]
	if c == nil {
		// Burst 1: at 4/s no one-second window sees more than 5.
		c = &chatLimit{lim: rate.NewLimiter(l.chatRate, 1)}
		l.chats[chatKey] = c
	}
	c.used = now
	until := c.paused
	if l.appPaused.After(until) {
		until = l.appPaused
	}
	if now.Sub(l.lastCleanup) > 10*time.Minute {
		l.lastCleanup = now
		for k, v := range l.chats {
			if now.Sub(v.used) > 10*time.Minute {
				delete(l.chats, k)
			}
		}
	}
	l.mu.Unlock()
	if d := time.Until(until); d > 0 {
		if err := sleepCtx(ctx, d); err != nil {
			return err
		}
	}
	if err := c.lim.Wait(ctx); err != nil {
		return err
	}
	if err := l.app.Wait(ctx); err != nil {
		return err
	}
	return l.appMinute.Wait(ctx)
}

// pause holds back sends to a chat (or the whole app) for d.
func (l *sendLimits) pause(chatKey string, app bool, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until := time.Now().Add(d)
	if app {
		if until.After(l.appPaused) {
			l.appPaused = until
		}
		return
	}
	if c := l.chats[chatKey]; c != nil && until.After(c.paused) {
		c.paused = until
	}
}
