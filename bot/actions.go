package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"collabbot/bot/chat"
	"collabbot/store"
)

// HandleAction implements chat.Intake: a card button does what the
// matching command does, with the same permissions, and answers with a
// toast and the task's new card, read from the committed state. Messages
// the click causes (the help flag's @-mention of the lead) are recorded in
// the outbox in the same transaction. A redelivered click changes nothing.
func (b *Bot) HandleAction(ctx context.Context, a chat.Action) chat.ActionResult {
	now := a.Time
	if now.IsZero() {
		now = b.now()
	}
	var res chat.ActionResult
	personal := a.Group != "" && a.Group != a.ChatID
	if personal {
		// A button on a personal list (digest, private nudge): the task
		// lives in a.Group, and the answer goes there, not as a reply to
		// the 1:1 card.
		a.ChatID, a.MessageID, a.UserIsAdmin = a.Group, "", false
	}
	g := store.GroupKey{Platform: a.Platform, ChatID: a.ChatID}
	err := b.applyRecovering(func() error {
		return b.db.Batch(func(tx *store.Tx) error { return b.action(tx, a, personal, now, &res) })
	})
	if err != nil {
		b.log.Error("handle card action", "platform", a.Platform, "chat", a.ChatID, "err", err)
		return chat.ActionResult{Toast: tr(b.def.Lang, msgInternalError), ToastKind: "error"}
	}
	b.kick(g)
	return res
}

func (b *Bot) action(tx *store.Tx, a chat.Action, personal bool, now time.Time, out *chat.ActionResult) error {
	res := chat.ActionResult{}
	defer func() { *out = res }()
	if a.EventID != "" {
		fresh, err := tx.MarkEvent(a.Platform, "card:"+a.EventID, now)
		if err != nil {
			return err
		}
		if !fresh {
			res = chat.ActionResult{Toast: tr(b.def.Lang, msgActionDuplicate), ToastKind: "info"}
			return nil
		}
	}
	var g *store.Group
	var err error
	if personal {
		// Never create a group from a button's value.
		g, err = tx.Group(store.GroupKey{Platform: a.Platform, ChatID: a.ChatID})
	} else {
		g, err = tx.EnsureGroup(store.GroupKey{Platform: a.Platform, ChatID: a.ChatID}, now)
	}
	if err != nil {
		return err
	}
	r := &request{
		msg: chat.Message{Platform: a.Platform, ChatID: a.ChatID, MessageID: a.MessageID, Sender: a.User, SenderIsAdmin: a.UserIsAdmin, Time: now},
		now: now, group: g, tx: tx,
	}
	r.set = b.effective(g)
	r.lang = r.set.Lang
	r.admin = b.isAdmin(a.Platform, a.User.ID, a.UserIsAdmin, g)
	ref := fmt.Sprintf("#%d", a.TaskID)
	var replies []chat.Reply
	switch a.Action {
	case chat.ActionAck:
		replies, err = b.cmdAck(r, ref)
	case chat.ActionDone:
		replies, err = b.cmdDone(r, ref)
	case chat.ActionAssist:
		replies, err = b.cmdAssist(r, ref+" "+tr(r.lang, msgAssistFromCard))
	case chat.ActionProgress:
		// A card cannot take the text on every platform, so the group gets
		// the command, filled in, for the clicker to copy and complete.
		res.Toast, res.ToastKind = tr(r.lang, msgProgressToast), "info"
		replies = []chat.Reply{r.reply(tr(r.lang, msgProgressPrefill, mention(r.sender()), a.TaskID), r.sender())}
	default:
		res.Toast, res.ToastKind = tr(r.lang, msgActionUnknown), "error"
		return nil
	}
	if err != nil {
		return err
	}
	t, terr := tx.Task(g.Key, a.TaskID)
	if terr == nil {
		res.Card = b.taskCard(r.lang, r.set, t, now, b.cardText(r.lang, r.set, t, now))
	}
	for i, rep := range replies {
		if i == 0 && res.Toast == "" {
			res.Toast, res.ToastKind = toast(chat.PlainText(rep.Text, rep.Mentions)), "success"
		}
		if len(rep.Mentions) > 0 || personal {
			rep.ReplyTo = a.MessageID
			rep.Key = fmt.Sprintf("card:%s:%s:%d", a.Platform, a.EventID, i)
			if err := b.record(tx, g.Key, kindReply, []chat.Reply{rep}, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// toast shortens a reply to the one line a toast can show.
func toast(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if utf8.RuneCountInString(line) > 60 {
		rs := []rune(line)
		line = string(rs[:59]) + "…"
	}
	return line
}
