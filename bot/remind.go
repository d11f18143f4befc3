package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// kindDigest is the outbox kind of a morning digest that carries the
// messages which fell due in quiet hours.
const kindDigest rules.RemindKind = "digest"

// Scheduled and triggered messages are decided here and recorded in the
// outbox marked AtMostOnce: on a route without an idempotency key, a
// reminder whose send was cut short by a crash is given up rather than
// risk a second @-mention. Replies are at-least-once (see inbox.go).

// DecideDue records every message the rules newly owe at now in the
// outbox, as pending, and returns the groups that got some. A read-only
// pass finds the groups owing something new; one write transaction then
// decides those groups again on fresh state and records the entries, so a
// message is decided exactly once even if state changed in between. The
// reminder engine calls it every minute; the send stage sends.
func (b *Bot) DecideDue(now time.Time) ([]store.GroupKey, error) {
	// Recurring tasks due now are created first, so today's nudge and
	// lists already know them.
	made, rerr := b.DueRecurrences(now)
	owed, err := b.decideOwed(now)
	more, ferr := b.featuresDue(now)
	return append(append(made, owed...), more...), errors.Join(rerr, err, ferr)
}

func (b *Bot) decideOwed(now time.Time) ([]store.GroupKey, error) {
	var todo []store.GroupKey
	err := b.db.View(func(tx *store.Tx) error {
		return tx.Groups(func(g *store.Group) error {
			v, err := b.loadGroup(tx, g)
			if err != nil {
				return err
			}
			for _, o := range rules.Due(v.policy, v.states, b.cal, now) {
				if !tx.OutboxHas(o.Key) {
					todo = append(todo, g.Key)
					break
				}
			}
			return nil
		})
	})
	if err != nil || len(todo) == 0 {
		return nil, err
	}
	err = b.db.Update(func(tx *store.Tx) error {
		for _, k := range todo {
			g, err := tx.Group(k)
			if err != nil {
				return err
			}
			v, err := b.loadGroup(tx, g)
			if err != nil {
				return err
			}
			if err := b.recordOwedSafely(tx, v, now); err != nil {
				return fmt.Errorf("group %s: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return todo, nil
}

// recordOwedSafely turns a panic in one group's rules or rendering into an
// error, so the engine logs it instead of crashing at every tick.
func (b *Bot) recordOwedSafely(tx *store.Tx, v *groupView, now time.Time) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return b.recordOwed(tx, v, now)
}

// record writes the group's newly owed messages to the outbox and applies
// their effects (an acceptance by default marks the task). Messages that
// fell due in quiet hours go out as one digest when there are several.
func (b *Bot) recordOwed(tx *store.Tx, v *groupView, now time.Time) error {
	var fresh, deferred []rules.Owed
	for _, o := range rules.Due(v.policy, v.states, b.cal, now) {
		if tx.OutboxHas(o.Key) {
			continue
		}
		// A nudge sent by direct message must not end up in the group's
		// morning digest.
		if o.Deferred() && !o.Urgent && !(o.Kind == rules.RemindNudge && v.set.NudgeDM) {
			deferred = append(deferred, o)
		} else {
			fresh = append(fresh, o)
		}
	}
	if len(deferred) == 1 {
		fresh, deferred = append(fresh, deferred[0]), nil
	}
	for _, o := range append(fresh, deferred...) {
		if t := v.byID[o.TaskID]; t != nil {
			// The next step of a ladder counts from this one: record it
			// with the task, in this transaction.
			var ref time.Time
			switch o.Kind {
			case rules.RemindOverdue:
				ref = t.Due
			case rules.RemindReview:
				ref = t.DoneAt
			case rules.RemindApproval:
				if i := t.PendingDelay(); i >= 0 {
					ref = t.Delays[i].At
				}
			}
			if !ref.IsZero() {
				t.Escalations = append(t.Escalations, store.Escalation{Kind: string(o.Kind), Step: o.Step, At: now, Ref: ref.Unix()})
				if err := tx.PutTask(t); err != nil {
					return err
				}
			}
		}
		if o.Kind != rules.RemindAckDefault {
			continue
		}
		if t := v.byID[o.TaskID]; t != nil && t.AckedAt.IsZero() {
			t.AckedAt, t.AckDefaulted = now, true
			if err := tx.PutTask(t); err != nil {
				return err
			}
			if err := tx.AppendHistory(t.Group, t.ID, store.HistoryEntry{At: now, Action: "ack_default"}); err != nil {
				return err
			}
		}
	}
	for _, o := range fresh {
		r := b.render(v, o, now)
		if err := b.putOwed(tx, v, o.Key, o, r, now); err != nil {
			return err
		}
	}
	if len(deferred) == 0 {
		return nil
	}
	dkey := fmt.Sprintf("%s:%s:%s", kindDigest, v.policy.Key, now.In(v.set.Location).Format("2006-01-02T15:04"))
	var parts []rendered
	for _, o := range deferred {
		parts = append(parts, b.render(v, o, now))
		_, err := tx.AddOutbox(&store.OutboxEntry{Key: o.Key, Group: v.group.Key, Kind: string(o.Kind), TaskID: o.TaskID,
			Step: o.Step, State: store.OutboxMerged, Into: dkey, Occasion: o.Occasion, DecidedAt: now})
		if err != nil {
			return err
		}
	}
	d := rules.Owed{Kind: kindDigest, Occasion: deferred[0].Deliver}
	return b.putOwed(tx, v, dkey, d, b.digest(v, parts, now), now)
}

// put records one pending message with its rendered Reply.
func (b *Bot) putOwed(tx *store.Tx, v *groupView, key string, o rules.Owed, r rendered, now time.Time) error {
	if o.Kind == rules.RemindNudge && v.set.NudgeDM {
		return b.putNudgeDMs(tx, v, key, o, now)
	}
	rep := chat.Reply{Platform: v.group.Key.Platform, ChatID: v.group.Key.ChatID, Text: r.text,
		Mentions: fromStoreUsers(r.mentions), Card: r.card, Key: key, Urgent: o.Urgent}
	if b.interrupts(v, o) {
		rep.Interrupt = rep.Mentions
	}
	return b.addOwed(tx, v, key, o, rep, now)
}

func (b *Bot) addOwed(tx *store.Tx, v *groupView, key string, o rules.Owed, rep chat.Reply, now time.Time) error {
	msg, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = tx.AddOutbox(&store.OutboxEntry{Key: key, Group: v.group.Key, Kind: string(o.Kind), TaskID: o.TaskID,
		Step: o.Step, Urgent: o.Urgent, AtMostOnce: true, State: store.OutboxPending, Occasion: o.Occasion, DecidedAt: now, Message: msg})
	return err
}

// Hold reports whether the outbox entry e must wait at now: reminders go
// out in the group's working hours unless urgent; replies always go.
func (b *Bot) Hold(tx *store.Tx, e *store.OutboxEntry, now time.Time) bool {
	if e.Urgent || e.Kind == kindReply || e.Kind == kindPost {
		return false
	}
	g, err := tx.Group(e.Group)
	if err != nil {
		return false
	}
	return !rules.WorkingTime(policyOf(g, b.effective(g)), b.cal, now)
}

// PruneOutbox forgets finished outbox entries decided before the rules'
// horizon (rules.MaxLate, plus a week for weekly and daily keys): they can
// never be owed again.
func (b *Bot) PruneOutbox(now time.Time) (int, error) {
	var n int
	err := b.db.Update(func(tx *store.Tx) error {
		var err error
		n, err = tx.PruneOutbox(now.Add(-rules.MaxLate - 7*24*time.Hour))
		return err
	})
	return n, err
}
