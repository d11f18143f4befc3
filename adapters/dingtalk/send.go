package dingtalk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"collabbot/bot/chat"
)

// Route names, also log and metrics labels.
const (
	routeCard       = "card.createAndDeliver"
	routeCardUpdate = "card.update"
	routeWebhook    = "sessionWebhook"
	routeGroupSend  = "robot.groupMessages.send"
	routeOtoSend    = "robot.oToMessages.batchSend"
)

// route is one way of delivering a reply.
type route struct {
	name string
	// idempotent: a resend with the same Reply.Key never posts twice.
	idempotent bool
	send       func(context.Context, chat.Reply) error
}

// plan lists the routes available for r, in order of preference:
//
//   - a direct message (Reply.ToUser) goes only through
//     oToMessages/batchSend, as markdown (see sendDirect);
//   - an update (Reply.Update) replaces the card data of an earlier card;
//   - a card (Reply.Card) and every proactive message go as an interactive
//     card via createAndDeliver when a template is configured: its atUserIds
//     notify the mentioned users and its outTrackId (derived from the key)
//     makes a resend harmless;
//   - a reply (ReplyTo set), or a card/mention that could not go as a card,
//     goes through the chat's latest valid sessionWebhook, with at.atUserIds;
//   - the last resort is robot/groupMessages/send (oToMessages/batchSend for
//     a 1:1 chat), which cannot @ anyone (mentions become plain names) and
//     has no idempotency key.
func (a *Adapter) plan(r chat.Reply) []route {
	if r.ToUser != "" {
		// batchSend reaches a user the robot has never talked to; a card
		// would need the 1:1 chat to exist.
		return []route{{routeOtoSend, false, a.sendDirect}}
	}
	if r.Update != "" {
		return []route{{routeCardUpdate, true, a.updateCard}}
	}
	var out []route
	card := func() {
		if a.cardsUsable(r) {
			out = append(out, route{routeCard, r.Key != "", a.sendCard})
		}
	}
	hook := func() {
		if _, ok := a.hookFor(r); ok {
			out = append(out, route{routeWebhook, false, a.sendWebhook})
		}
	}
	switch {
	case r.ReplyTo != "" && r.Card == nil:
		hook()
		card()
	case r.Card != nil || hasMention(r):
		card()
		hook()
	default:
		card()
	}
	name := routeGroupSend
	if _, direct := a.directs.Get(r.ChatID); direct {
		name = routeOtoSend
	}
	return append(out, route{name, false, a.sendPlain})
}

// cardsUsable says whether the card route may be tried for r.
func (a *Adapter) cardsUsable(r chat.Reply) bool {
	if a.cfg.CardTemplateID == "" {
		return false
	}
	if until := a.cardPausedUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return false
	}
	// A card that was refused, or created but not delivered, is not tried
	// again for the same key: the same outTrackId would fail again, or
	// answer cardAlreadyExist, a false success.
	if r.Key != "" {
		if _, bad := a.undelivered.Get(outTrackID(r.Key)); bad {
			return false
		}
	}
	return true
}

// Route implements chat.Router: the first route Send would try for r.
func (a *Adapter) Route(r chat.Reply) chat.Route {
	p := a.plan(r)
	return chat.Route{Name: p[0].name, Idempotent: p[0].idempotent}
}

// Limits implements chat.Limited: DingTalk allows 20 calls a second per app
// and API; each group is paced so that a burst of reminders reads well.
func (a *Adapter) Limits() chat.Limits {
	return chat.Limits{
		PerSecond:     20,
		ChatPerSecond: a.cfg.GroupRate,
		ChatBurst:     a.cfg.GroupBurst,
	}
}

// Send implements chat.Sender with one attempt: the first route of the plan
// is tried, and the next one only when the previous certainly did not post
// (rejected, gone, quota). Retries, backoff and pacing belong to the send
// stage; failures are classified as *chat.SendError.
func (a *Adapter) Send(ctx context.Context, r chat.Reply) error {
	if !a.acquire() {
		return &chat.SendError{Reason: chat.ReasonOther, Retry: true, Err: errClosed}
	}
	defer a.release()
	if r.ChatID == "" && r.Update == "" && r.ToUser == "" {
		return &chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("reply without chat id")}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(a.workCtx, cancel)
	defer stop()

	routes := a.plan(r)
	var err error
	for i, rt := range routes {
		err = rt.send(ctx, r)
		if err == nil {
			if r.Update == "" {
				a.interrupt(ctx, r)
			}
			return nil
		}
		if i == len(routes)-1 || !fallThrough(err) || ctx.Err() != nil {
			break
		}
		a.log.Info("dingtalk: send route failed, trying the next", "chat", r.ChatID, "route", rt.name, "next", routes[i+1].name, "err", err)
	}
	var se *chat.SendError
	if !errors.As(err, &se) {
		err = &chat.SendError{Reason: chat.ReasonOther, Err: a.red.Err(err)}
	}
	return err
}

func hasMention(r chat.Reply) bool {
	body := r.Text
	if r.Card != nil {
		body += r.Card.Title + r.Card.Body
	}
	for _, s := range chat.Spans(body, r.Mentions) {
		if s.Mention != nil {
			return true
		}
	}
	return false
}

// fallThrough says whether a failed route certainly did not post and the
// next one may be tried.
func fallThrough(err error) bool {
	var se *chat.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case chat.ReasonInvalid, chat.ReasonGone, chat.ReasonQuota:
		return true
	case chat.ReasonAuth:
		// A refused token or a missing scope: the request was not processed.
		return true
	}
	return false
}

// hookFor is the sessionWebhook to answer r with: the one that came with
// the answered message (kept by the bot across restarts), else the chat's
// latest cached one, if it has not expired.
func (a *Adapter) hookFor(r chat.Reply) (hook, bool) {
	if h, ok := parseReplyHandle(r.ReplyHandle); ok && time.Until(h.exp) > a.cfg.WebhookMargin && !a.deadHook(h.url) {
		if c, ok := a.validHook(r.ChatID); ok && c.exp.After(h.exp) {
			return c, true
		}
		return h, true
	}
	return a.validHook(r.ChatID)
}

func (a *Adapter) deadHook(url string) bool {
	_, dead := a.dead.Get(url)
	return dead
}

// validHook returns the chat's cached sessionWebhook if it has not expired.
func (a *Adapter) validHook(chat string) (hook, bool) {
	h, ok := a.hooks.Get(chat)
	if !ok || h.url == "" || time.Until(h.exp) <= a.cfg.WebhookMargin {
		return hook{}, false
	}
	return h, true
}

// sendWebhook posts through the chat's sessionWebhook: text, or markdown for
// a card, with real @-mentions.
func (a *Adapter) sendWebhook(ctx context.Context, r chat.Reply) error {
	h, ok := a.hookFor(r)
	if !ok {
		return &chat.SendError{Reason: chat.ReasonGone, Err: errors.New("no valid sessionWebhook")}
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
	var se *chat.SendError
	if errors.As(err, &se) && se.Reason == chat.ReasonGone {
		a.dead.Put(h.url, struct{}{})
		a.hooks.Update(r.ChatID, func(old hook, found bool) hook {
			if found && old.url == h.url {
				return hook{} // expired: forget it
			}
			return old
		})
	}
	return err
}

// Card API error codes we act on.
const (
	codeCardAlreadyExist = "param.cardalreadyexist"
	codeCardNotExist     = "param.cardnotexist"
)

// sendCard creates and delivers an interactive card; atUserIds notify the
// mentioned users. The outTrackId comes from Reply.Key: sent again, the
// card already exists and nothing new is posted.
func (a *Adapter) sendCard(ctx context.Context, r chat.Reply) error {
	c := r.Card
	if c == nil {
		c = &chat.Card{Body: r.Text}
	}
	track := outTrackID(r.Key)
	at := map[string]string{}
	for _, s := range chat.Spans(c.Title+"\n"+c.Body, r.Mentions) {
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
	if user, direct := a.directs.Get(r.ChatID); direct {
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
	a.cards.Put(track, r.ChatID)
	var out struct {
		Success *bool `json:"success"`
		Result  struct {
			DeliverResults []struct {
				Success  bool   `json:"success"`
				ErrorMsg string `json:"errorMsg"`
			} `json:"deliverResults"`
		} `json:"result"`
	}
	err := a.api.call(ctx, http.MethodPost, apiCardDeliver, body, &out)
	if err != nil {
		code := strings.ToLower(apiCode(err))
		if code == codeCardAlreadyExist {
			// Sent before (a resend after a crash or a lost answer).
			return nil
		}
		if !retryable(err) {
			// Certainly not posted, and sending the same card again would
			// fail the same way: resends of this key skip the card route,
			// so that Route names the fallback they will take.
			a.undelivered.Put(track, struct{}{})
		}
		if strings.Contains(code, "template") || isReason(err, chat.ReasonQuota) || (isReason(err, chat.ReasonAuth) && !retryable(err)) {
			// The template, a permission or the quota is missing: skip
			// cards for a while, so that Route tells the truth.
			a.cardPausedUntil.Store(time.Now().Add(a.cfg.CardPause).UnixNano())
			a.log.Warn("dingtalk: card route unavailable, using the fallbacks for a while", "pause", a.cfg.CardPause, "err", err)
		}
		return err
	}
	if out.Success != nil && !*out.Success {
		a.undelivered.Put(track, struct{}{})
		return &chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("card deliver: success=false")}
	}
	for _, d := range out.Result.DeliverResults {
		if !d.Success {
			a.undelivered.Put(track, struct{}{})
			return &chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("card deliver: " + truncate(a.red.Clean(d.ErrorMsg), 200))}
		}
	}
	return nil
}

// updateCard replaces the card data of the card r.Update (an outTrackId).
func (a *Adapter) updateCard(ctx context.Context, r chat.Reply) error {
	c := r.Card
	if c == nil {
		c = &chat.Card{Body: r.Text}
	}
	body := map[string]any{
		"outTrackId":        r.Update,
		"cardData":          map[string]any{"cardParamMap": cardParams(c, r.Mentions)},
		"cardUpdateOptions": map[string]any{"updateCardDataByKey": true},
	}
	var out struct {
		Success *bool `json:"success"`
	}
	err := a.api.call(ctx, http.MethodPut, apiCardUpdate, body, &out)
	if err != nil {
		if strings.ToLower(apiCode(err)) == codeCardNotExist {
			var se *chat.SendError
			if errors.As(err, &se) {
				se.Reason, se.Retry = chat.ReasonInvalid, false
			}
		}
		return err
	}
	if out.Success != nil && !*out.Success {
		return &chat.SendError{Reason: chat.ReasonInvalid, Err: errors.New("card update: success=false")}
	}
	return nil
}

func isReason(err error, r chat.Reason) bool {
	var se *chat.SendError
	return errors.As(err, &se) && se.Reason == r
}

func retryable(err error) bool {
	var se *chat.SendError
	return errors.As(err, &se) && se.Retry
}

// sendPlain posts through the robot OpenAPI; it cannot @ anyone, so mentions
// are written as names.
func (a *Adapter) sendPlain(ctx context.Context, r chat.Reply) error {
	var key string
	var param map[string]string
	if r.Card != nil {
		key = "sampleMarkdown"
		param = map[string]string{"title": cardTitle(r.Card), "text": chat.PlainText(cardMarkdown(r.Card), r.Mentions)}
	} else {
		key = "sampleText"
		param = map[string]string{"content": chat.PlainText(r.Text, r.Mentions)}
	}
	msgParam, _ := json.Marshal(param)
	body := map[string]any{"robotCode": a.cfg.RobotCode, "msgKey": key, "msgParam": string(msgParam)}
	api := apiGroupSend
	if user, direct := a.directs.Get(r.ChatID); direct {
		api = apiOtoSend
		body["userIds"] = []string{user}
	} else {
		body["openConversationId"] = r.ChatID
	}
	return a.api.call(ctx, http.MethodPost, api, body, nil)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// renderAt writes mentions as "@userId" (DingTalk shows the name) and lists
// their ids for at.atUserIds.
func renderAt(text string, mentions []chat.User) (string, []string) {
	var b strings.Builder
	ids := []string{}
	seen := map[string]bool{}
	for _, s := range chat.Spans(text, mentions) {
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

func cardTitle(c *chat.Card) string {
	if c.Title != "" {
		return c.Title
	}
	return truncate(firstLine(c.Body), 60)
}

func cardMarkdown(c *chat.Card) string {
	if c.Title == "" {
		return c.Body
	}
	return "### " + c.Title + "\n\n" + c.Body
}

// cardButton is one entry of the template's "buttons" list variable; the
// template's button sends action and task back as callback params.
type cardButton struct {
	Text   string `json:"text"`
	Action string `json:"action"`
	Task   string `json:"task"`
	// Group is Button.Group; the template's button sends it back as the
	// "group" callback param.
	Group   string `json:"group,omitempty"`
	Primary bool   `json:"primary"`
}

// cardParams is the card data for the template (all values are strings, as
// DingTalk's cardParamMap wants): title, markdown (mentions as @Name),
// color, buttons (a JSON list).
func cardParams(c *chat.Card, mentions []chat.User) map[string]string {
	buttons := make([]cardButton, 0, len(c.Buttons))
	for _, b := range c.Buttons {
		buttons = append(buttons, cardButton{Text: b.Label, Action: b.Action, Task: strconv.FormatInt(b.TaskID, 10), Group: b.Group, Primary: b.Primary})
	}
	bs, _ := json.Marshal(buttons)
	color := c.Template
	if color == "" {
		color = "blue"
	}
	return map[string]string{
		"title":    chat.PlainText(c.Title, mentions),
		"markdown": chat.PlainText(c.Body, mentions),
		"color":    color,
		"buttons":  string(bs),
	}
}

// outTrackID derives the card's id from the reply key, so that a resent
// reply finds its card instead of posting another.
func outTrackID(key string) string {
	if key == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return "cb_" + hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(key))
	return "cb_" + hex.EncodeToString(sum[:20])
}
