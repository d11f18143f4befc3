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
// outbox, as pending, and returns the groups that got some. The due index
// (due.go) names the tasks and groups that may owe something at now; write
// transactions then decide those on fresh state and record the entries,
// so a message is decided exactly once even if state changed in between,
// and a minute in which nothing is due reads next to nothing. The reminder
// engine calls it every minute; the send stage sends.
func (b *Bot) DecideDue(now time.Time) ([]store.GroupKey, error) {
	// Recurring tasks due now are created first, so today's nudge and
	// lists already know them.
	made, rerr := b.DueRecurrences(now)
	owed, err := b.decideOwed(now)
	more, ferr := b.featuresDue(now)
	gs := append(append(made, owed...), more...)
	// A big pass (the daily nudge reads every group) leaves the store's
	// pages mapped, and so does sending what it decided: they are the page
	// cache's to keep, not this process's resident memory. Released after
	// a busy tick and every ten minutes (about 0.5 ms on a 2 GB store).
	if len(gs) > 0 || b.due.quiet.Add(1) >= 10 {
		b.due.quiet.Store(0)
		b.releaseMapped()
	}
	return gs, errors.Join(rerr, err, ferr)
}

func (b *Bot) decideOwed(now time.Time) ([]store.GroupKey, error) {
	b.due.mu.Lock()
	defer b.due.mu.Unlock()
	if err := b.ensureDueIndex(now); err != nil {
		return nil, err
	}
	b.noteLB(now)
	todo, err := b.dueNow(now)
	if err != nil || len(todo) == 0 {
		return nil, err
	}
	var posted []store.GroupKey
	var errs []error
	for len(todo) > 0 {
		// Groups are decided in transactions of about dueBatch tasks read,
		// which bounds what a transaction holds in memory.
		var batch []*dueGroup
		var got []store.GroupKey
		err := b.db.Update(func(tx *store.Tx) error {
			batch, got = nil, nil
			for read := 0; len(batch) < len(todo) && read < dueBatch; {
				d := todo[len(batch)]
				batch = append(batch, d)
				p, err := b.decideGroup(tx, d, now)
				if err != nil {
					return fmt.Errorf("group %s: %w", d.key, err)
				}
				if p {
					got = append(got, d.key)
				}
				read += d.read + 1
			}
			return nil
		})
		todo = todo[len(batch):]
		if err == nil {
			posted = append(posted, got...)
			continue
		}
		if len(batch) == 1 {
			errs = append(errs, err)
			continue
		}
		// One group's bad state must not hold up the others: each again
		// on its own.
		for _, d := range batch {
			p := false
			err := b.db.Update(func(tx *store.Tx) error {
				var err error
				p, err = b.decideGroup(tx, d, now)
				return err
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("group %s: %w", d.key, err))
			} else if p {
				posted = append(posted, d.key)
			}
		}
	}
	return posted, errors.Join(errs...)
}

// recordOwedSafely turns a panic in one group's rules or rendering into an
// error, so the engine logs it instead of crashing at every tick.
func (b *Bot) recordOwedSafely(tx *store.Tx, v *groupView, owed []rules.Owed, now time.Time) (posted bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			posted, err = false, fmt.Errorf("panic: %v", p)
		}
	}()
	return b.recordOwed(tx, v, owed, now)
}

// record writes the group's newly owed messages (owed: what the rules owe
// at now) to the outbox and applies their effects (an acceptance by
// default marks the task), and reports whether any was new. Messages that
// fell due in quiet hours go out as one digest when there are several.
func (b *Bot) recordOwed(tx *store.Tx, v *groupView, owed []rules.Owed, now time.Time) (bool, error) {
	var fresh, deferred []rules.Owed
	for _, o := range owed {
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
	if len(fresh)+len(deferred) == 0 {
		return false, nil
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
					return false, err
				}
			}
		}
		if o.Kind != rules.RemindAckDefault {
			continue
		}
		if t := v.byID[o.TaskID]; t != nil && t.AckedAt.IsZero() {
			t.AckedAt, t.AckDefaulted = now, true
			if err := tx.PutTask(t); err != nil {
				return false, err
			}
			if err := tx.AppendHistory(t.Group, t.ID, store.HistoryEntry{At: now, Action: "ack_default"}); err != nil {
				return false, err
			}
		}
	}
	for _, o := range fresh {
		r := b.render(v, o, now)
		if err := b.putOwed(tx, v, o.Key, o, r, now); err != nil {
			return false, err
		}
	}
	if len(deferred) == 0 {
		return true, nil
	}
	dkey := fmt.Sprintf("%s:%s:%s", kindDigest, v.policy.Key, now.In(v.set.Location).Format("2006-01-02T15:04"))
	var parts []rendered
	for _, o := range deferred {
		parts = append(parts, b.render(v, o, now))
		_, err := tx.AddOutbox(&store.OutboxEntry{Key: o.Key, Group: v.group.Key, Kind: string(o.Kind), TaskID: o.TaskID,
			Step: o.Step, State: store.OutboxMerged, Into: dkey, Occasion: o.Occasion, DecidedAt: now})
		if err != nil {
			return false, err
		}
	}
	d := rules.Owed{Kind: kindDigest, Occasion: deferred[0].Deliver}
	return true, b.putOwed(tx, v, dkey, d, b.digest(v, parts, now), now)
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
	p := policyOf(g, b.effective(g))
	if rules.WorkingTime(p, b.cal, now) {
		return false
	}
	// Decided for working time and only just decided: a burst that runs a
	// little past the end of the day (the 18:00 overdue reminders of a
	// thousand groups take some 20 s at the platform's pace) still goes
	// out, instead of waiting for the next morning.
	return !(rules.WorkingTime(p, b.cal, e.Occasion) && now.Sub(e.DecidedAt) < holdGrace)
}

// holdGrace is how long after its decision a message decided in working
// time may still be sent once working time has ended.
const holdGrace = 15 * time.Minute

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
