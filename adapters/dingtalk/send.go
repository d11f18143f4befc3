package dingtalk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"collabbot/bot"
)

// Send posts r. Routes, in order of preference:
//
//   - a card (Reply.Card, or a proactive reply that @-mentions someone) goes
//     out as an interactive card via createAndDeliver, whose atUserIds
//     notify the mentioned users;
//   - a reply (ReplyTo set), or a card/mention that could not go as a card,
//     goes through the chat's latest valid sessionWebhook, with at.atUserIds;
//   - everything else, and the last fallback, goes through
//     robot/groupMessages/send (or oToMessages/batchSend for a 1:1 chat),
//     which cannot @ anyone: mentions become plain names.
//
// A route is abandoned for the next only when it certainly did not post
// (rejected, gone, no template, quota). Sends to one chat are paced.
func (a *Adapter) Send(ctx context.Context, r bot.Reply) error {
	if !a.acquire() {
		return &bot.SendError{Reason: bot.ReasonOther, Retry: true, Err: errClosed}
	}
	defer a.release()
	return a.send(ctx, r)
}

func (a *Adapter) send(ctx context.Context, r bot.Reply) error {
	if r.ChatID == "" {
		return &bot.SendError{Reason: bot.ReasonInvalid, Err: errors.New("reply without chat id")}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(a.workCtx, cancel)
	defer stop()
	if err := a.chatLimiter(r.ChatID).Wait(ctx); err != nil {
		return &bot.SendError{Reason: bot.ReasonThrottled, Retry: true, Err: err}
	}

	routes := a.routes(r)
	var err error
	for i, route := range routes {
		err = route(ctx, r)
		if err == nil {
			return nil
		}
		if i < len(routes)-1 && !fallThrough(err) {
			return err
		}
		if i < len(routes)-1 && err != errNoRoute {
			a.log.Info("dingtalk: send route failed, trying the next", "chat", r.ChatID, "err", err)
		}
	}
	return err
}

type route func(context.Context, bot.Reply) error

var errNoRoute = &bot.SendError{Reason: bot.ReasonInvalid, Err: errors.New("route not available")}

func (a *Adapter) routes(r bot.Reply) []route {
	notify := hasMention(r)
	switch {
	case r.Card != nil:
		return []route{a.sendCard, a.sendWebhook, a.sendPlain}
	case r.ReplyTo != "" && notify:
		return []route{a.sendWebhook, a.sendCard, a.sendPlain}
	case r.ReplyTo != "":
		return []route{a.sendWebhook, a.sendPlain}
	case notify:
		return []route{a.sendCard, a.sendWebhook, a.sendPlain}
	default:
		return []route{a.sendPlain}
	}
}

func hasMention(r bot.Reply) bool {
	body := r.Text
	if r.Card != nil {
		body += r.Card.Title + r.Card.Body
	}
	for _, s := range bot.Spans(body, r.Mentions) {
		if s.Mention != nil {
			return true
		}
	}
	return false
}

// fallThrough says whether a failed route certainly did not post and the
// next one may be tried.
func fallThrough(err error) bool {
	var se *bot.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case bot.ReasonInvalid, bot.ReasonGone, bot.ReasonAuth, bot.ReasonQuota:
		return true
	}
	return false
}

func (a *Adapter) chatLimiter(chat string) *rate.Limiter {
	a.paceMu.Lock()
	defer a.paceMu.Unlock()
	l, ok := a.pace.get(chat)
	if !ok {
		l = rate.NewLimiter(rate.Limit(a.cfg.GroupRate), a.cfg.GroupBurst)
	}
	a.pace.put(chat, l) // refresh its life
	return l
}

// validHook returns the chat's cached sessionWebhook if it has not expired.
func (a *Adapter) validHook(chat string) (hook, bool) {
	h, ok := a.hooks.get(chat)
	if !ok || time.Until(h.exp) <= a.cfg.WebhookMargin {
		return hook{}, false
	}
	return h, true
}

// sendWebhook posts through the chat's sessionWebhook: text, or markdown for
// a card, with real @-mentions.
func (a *Adapter) sendWebhook(ctx context.Context, r bot.Reply) error {
	h, ok := a.validHook(r.ChatID)
	if !ok {
		return errNoRoute
	}
	var body map[string]any
	if r.Card != nil {
		text, ids := renderAt(cardMarkdown(r.Card), r.Mentions)
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": cardTitle(r.Card), "text": text}}
		body["at"] = map[string]any{"atUserIds": ids}
	} else {
		text, ids := renderAt(r.Text, r.Mentions)
		body = map[string]any{"msgtype": "text", "text": map[string]string{"content": text}, "at": map[string]any{"atUserIds": ids}}
	}
	err := a.api.postWebhook(ctx, h.url, body)
	var se *bot.SendError
	if errors.As(err, &se) && se.Reason == bot.ReasonGone {
		a.hooks.update(r.ChatID, func(old hook, found bool) hook {
			if found && old.url == h.url {
				return hook{} // expired: forget it
			}
			return old
		})
	}
	return err
}

// sendCard creates and delivers an interactive card; atUserIds notify the
// mentioned users. Idempotent by outTrackId, so it is retried freely.
func (a *Adapter) sendCard(ctx context.Context, r bot.Reply) error {
	if a.cfg.CardTemplateID == "" {
		return errNoRoute
	}
	c := r.Card
	if c == nil {
		c = &bot.Card{Body: r.Text}
	}
	track := outTrackID(r.Key)
	at := map[string]string{}
	for _, s := range bot.Spans(c.Title+"\n"+c.Body, r.Mentions) {
		if s.Mention != nil {
			at[s.Mention.ID] = s.Mention.Name
		}
	}
	body := map[string]any{
		"cardTemplateId": a.cfg.CardTemplateID,
		"outTrackId":     track,
		"callbackType":   "STREAM",
		"cardData":       map[string]any{"cardParamMap": cardParams(c, r.Mentions)},
	}
	if user, direct := a.directs.get(r.ChatID); direct {
		body["openSpaceId"] = "dtv1.card//IM_ROBOT." + user
		body["imRobotOpenSpaceModel"] = map[string]any{"supportForward": false}
		body["imRobotOpenDeliverModel"] = map[string]any{"spaceType": "IM_ROBOT", "robotCode": a.cfg.RobotCode}
	} else {
		deliver := map[string]any{"robotCode": a.cfg.RobotCode}
		if len(at) > 0 {
			deliver["atUserIds"] = at
		}
		body["openSpaceId"] = "dtv1.card//IM_GROUP." + r.ChatID
		body["imGroupOpenSpaceModel"] = map[string]any{"supportForward": true}
		body["imGroupOpenDeliverModel"] = deliver
	}
	a.cards.put(track, r.ChatID)
	var out struct {
		Success *bool `json:"success"`
		Result  struct {
			DeliverResults []struct {
				Success  bool   `json:"success"`
				ErrorMsg string `json:"errorMsg"`
			} `json:"deliverResults"`
		} `json:"result"`
	}
	if err := a.api.call(ctx, apiCardDeliver, true, body, &out); err != nil {
		return err
	}
	if out.Success != nil && !*out.Success {
		return &bot.SendError{Reason: bot.ReasonInvalid, Err: errors.New("card deliver: success=false")}
	}
	for _, d := range out.Result.DeliverResults {
		if !d.Success {
			return &bot.SendError{Reason: bot.ReasonInvalid, Err: errors.New("card deliver: " + truncate(d.ErrorMsg, 200))}
		}
	}
	return nil
}

// sendPlain posts through the robot OpenAPI; it cannot @ anyone, so mentions
// are written as names.
func (a *Adapter) sendPlain(ctx context.Context, r bot.Reply) error {
	var key string
	var param map[string]string
	if r.Card != nil {
		key = "sampleMarkdown"
		param = map[string]string{"title": cardTitle(r.Card), "text": bot.PlainText(cardMarkdown(r.Card), r.Mentions)}
	} else {
		key = "sampleText"
		param = map[string]string{"content": bot.PlainText(r.Text, r.Mentions)}
	}
	msgParam, _ := json.Marshal(param)
	body := map[string]any{"robotCode": a.cfg.RobotCode, "msgKey": key, "msgParam": string(msgParam)}
	api := apiGroupSend
	if user, direct := a.directs.get(r.ChatID); direct {
		api = apiOtoSend
		body["userIds"] = []string{user}
	} else {
		body["openConversationId"] = r.ChatID
	}
	return a.api.call(ctx, api, false, body, nil)
}

// renderAt writes mentions as "@userId" (DingTalk shows the name) and lists
// their ids for at.atUserIds.
func renderAt(text string, mentions []bot.User) (string, []string) {
	var b strings.Builder
	ids := []string{}
	seen := map[string]bool{}
	for _, s := range bot.Spans(text, mentions) {
		if s.Mention == nil {
			b.WriteString(s.Text)
			continue
		}
		b.WriteString("@" + s.Mention.ID)
		if !seen[s.Mention.ID] {
			seen[s.Mention.ID] = true
			ids = append(ids, s.Mention.ID)
		}
	}
	return b.String(), ids
}

func cardTitle(c *bot.Card) string {
	if c.Title != "" {
		return c.Title
	}
	t := strings.TrimSpace(c.Body)
	if i := strings.IndexByte(t, '\n'); i >= 0 {
		t = t[:i]
	}
	return truncate(t, 60)
}

func cardMarkdown(c *bot.Card) string {
	if c.Title == "" {
		return c.Body
	}
	return "### " + c.Title + "\n\n" + c.Body
}

// cardButton is one entry of the template's "buttons" list variable; the
// template's button sends action and task back as callback params.
type cardButton struct {
	Text    string `json:"text"`
	Action  string `json:"action"`
	Task    string `json:"task"`
	Primary bool   `json:"primary"`
}

// cardParams is the card data for the template (all values are strings, as
// DingTalk's cardParamMap wants): title, markdown (mentions as @Name),
// color, buttons (a JSON list).
func cardParams(c *bot.Card, mentions []bot.User) map[string]string {
	buttons := make([]cardButton, 0, len(c.Buttons))
	for _, b := range c.Buttons {
		buttons = append(buttons, cardButton{Text: b.Label, Action: b.Action, Task: strconv.FormatInt(b.TaskID, 10), Primary: b.Primary})
	}
	bs, _ := json.Marshal(buttons)
	color := c.Template
	if color == "" {
		color = "blue"
	}
	return map[string]string{
		"title":    bot.PlainText(c.Title, mentions),
		"markdown": bot.PlainText(c.Body, mentions),
		"color":    color,
		"buttons":  string(bs),
	}
}

// outTrackID derives the card's id from the reply key, so that a retried
// send updates the same card instead of posting another.
func outTrackID(key string) string {
	if key == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return "cb_" + hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(key))
	return "cb_" + hex.EncodeToString(sum[:20])
}
