package bot

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"collabbot/store"
)

// HandleAction implements Handler: a card button does what the matching
// command does, with the same permissions, and answers with a toast and
// the task's new card. A redelivered click changes nothing.
func (b *Bot) HandleAction(ctx context.Context, a Action) ActionResult {
	now := a.Time
	if now.IsZero() {
		now = b.now()
	}
	var res ActionResult
	err := b.db.Batch(func(tx *store.Tx) error {
		res = ActionResult{}
		if a.EventID != "" {
			fresh, err := tx.MarkEvent(a.Platform, "card:"+a.EventID, now)
			if err != nil {
				return err
			}
			if !fresh {
				res = ActionResult{Toast: tr(b.def.Lang, msgActionDuplicate), ToastKind: "info"}
				return nil
			}
		}
		g, err := tx.EnsureGroup(store.GroupKey{Platform: a.Platform, ChatID: a.ChatID}, now)
		if err != nil {
			return err
		}
		r := &request{
			msg: Message{Platform: a.Platform, ChatID: a.ChatID, MessageID: a.MessageID, Sender: a.User, SenderIsAdmin: a.UserIsAdmin, Time: now},
			now: now, group: g, tx: tx,
		}
		r.set = b.effective(g)
		r.lang = r.set.Lang
		r.admin = b.isAdmin(a.Platform, a.User.ID, a.UserIsAdmin, g)
		ref := fmt.Sprintf("#%d", a.TaskID)
		var replies []Reply
		switch a.Action {
		case ActionAck:
			replies, err = b.cmdAck(r, ref)
		case ActionDone:
			replies, err = b.cmdDone(r, ref)
		case ActionAssist:
			replies, err = b.cmdAssist(r, ref+" "+tr(r.lang, msgAssistFromCard))
		case ActionProgress:
			res.Toast, res.ToastKind = tr(r.lang, msgProgressHowTo, a.TaskID), "info"
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
				res.Toast, res.ToastKind = toast(PlainText(rep.Text, rep.Mentions)), "success"
			}
			if len(rep.Mentions) > 0 {
				rep.ReplyTo = a.MessageID
				rep.Key = fmt.Sprintf("card:%s:%s:%d", a.Platform, a.EventID, i)
				res.Followups = append(res.Followups, rep)
			}
		}
		return nil
	})
	if err != nil {
		b.log.Error("handle card action", "platform", a.Platform, "chat", a.ChatID, "err", err)
		return ActionResult{Toast: tr(b.def.Lang, msgInternalError), ToastKind: "error"}
	}
	return res
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
