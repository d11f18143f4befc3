package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/store"
)

// A feature is a group of commands with, optionally, its own timed
// messages (meeting reminders, incident re-pings, retrospective prompts).
// Each registers itself from its own file's init, so the command switch
// and the reminder engine do not grow a case per feature.
type feature struct {
	// names maps every spelling (without "/") to the handler.
	names map[string]func(b *Bot, r *request, args string) ([]chat.Reply, error)
	// due, when set, records in the outbox whatever the feature owes at now
	// (in its own write transaction, exactly once per occasion key) and
	// returns the groups that got something.
	due func(b *Bot, now time.Time) ([]store.GroupKey, error)
	// direct: the commands also work in a 1:1 chat with the bot, where
	// there is no group (the request's group is nil).
	direct bool
}

var features []feature

// registerFeature adds f; called from init functions only.
func registerFeature(f feature) {
	for name := range f.names {
		if _, dup := commandNames[name]; dup {
			panic("bot: command " + name + " registered twice")
		}
		for _, g := range features {
			if _, dup := g.names[name]; dup {
				panic("bot: command " + name + " registered twice")
			}
		}
	}
	features = append(features, f)
}

// featureCommand finds a registered feature's handler for a typed name.
func featureCommand(name string) func(b *Bot, r *request, args string) ([]chat.Reply, error) {
	for _, f := range features {
		if h, ok := f.names[name]; ok {
			return h
		}
	}
	return nil
}

// directCommand runs m in a 1:1 chat when it is a command of a feature
// that works there; ok is false for everything else.
func (b *Bot) directCommand(tx *store.Tx, m chat.Message, now time.Time) (out []chat.Reply, ok bool, err error) {
	text := stripLeadingMentions(strings.TrimSpace(m.Text), m.Mentions)
	cmd, isCmd := splitCommand(text)
	name, isFeature := strings.CutPrefix(cmd.name, "feature:")
	if !isCmd || !isFeature {
		return nil, false, nil
	}
	for _, f := range features {
		if h := f.names[name]; h != nil && f.direct {
			r := &request{msg: m, now: now, text: text, tx: tx, lang: b.def.Lang, set: Effective{Defaults: b.def}}
			out, err = h(b, r, cmd.args)
			return out, true, err
		}
	}
	return nil, false, nil
}

// featuresDue runs every feature's timed decisions; one failing feature
// does not stop the others.
func (b *Bot) featuresDue(now time.Time) ([]store.GroupKey, error) {
	var gs []store.GroupKey
	var errs []error
	for _, f := range features {
		if f.due == nil {
			continue
		}
		got, err := b.featureDueSafely(f, now)
		gs = append(gs, got...)
		errs = append(errs, err)
	}
	return gs, errors.Join(errs...)
}

func (b *Bot) featureDueSafely(f feature, now time.Time) (gs []store.GroupKey, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("feature reminders panicked")
			b.log.Error("feature reminders panicked", "panic", p)
		}
	}()
	return f.due(b, now)
}

// recordScheduled puts a timed message of a feature into the outbox, as the
// reminder engine does its own: at most once per key (a key once recorded
// is never decided again), held for working hours unless urgent, and
// at-most-once on a route without an idempotency key. It reports whether
// the key was new.
func (b *Bot) recordScheduled(tx *store.Tx, g store.GroupKey, kind, key string, r chat.Reply, urgent bool, occasion, now time.Time) (bool, error) {
	if tx.OutboxHas(key) {
		return false, nil
	}
	r.Platform, r.ChatID, r.Key, r.Urgent = g.Platform, g.ChatID, key, urgent
	msg, err := json.Marshal(r)
	if err != nil {
		return false, err
	}
	return tx.AddOutbox(&store.OutboxEntry{Key: key, Group: g, Kind: kind, Urgent: urgent, AtMostOnce: true,
		State: store.OutboxPending, Occasion: occasion, DecidedAt: now, Message: msg})
}

// dueByGroup is the shape every feature's timed decisions share: a read
// pass finds the groups owing something at now (owes), then one write
// transaction per such group decides again on fresh state (record), so a
// message is decided exactly once even if state changed in between.
// record reports whether it put anything in the outbox. A failing group is
// logged and does not stop the others. The read pass visits only the
// groups using the feature (store.GroupsWith: those with the feature's
// data, e.g. store.FeatureMeetings), so a tick costs in proportion to
// them, not to every group.
func (b *Bot) dueByGroup(what, feature string, owes func(tx *store.Tx, g *store.Group) (bool, error),
	record func(tx *store.Tx, g *store.Group) (bool, error)) ([]store.GroupKey, error) {
	var todo []store.GroupKey
	err := b.db.View(func(tx *store.Tx) error {
		return tx.GroupsWith(feature, func(g *store.Group) error {
			owed, err := owes(tx, g)
			if owed {
				todo = append(todo, g.Key)
			}
			return err
		})
	})
	if err != nil || len(todo) == 0 {
		return nil, err
	}
	var touched []store.GroupKey
	var errs []error
	for _, k := range todo {
		posted := false
		err := b.db.Update(func(tx *store.Tx) (err error) {
			defer func() {
				// One group's bad state must not stop the tick for all.
				if p := recover(); p != nil {
					posted, err = false, fmt.Errorf("panic: %v", p)
				}
			}()
			g, err := tx.Group(k)
			if err != nil {
				return err
			}
			posted, err = record(tx, g)
			return err
		})
		if err != nil {
			b.log.Error(what, "group", k.String(), "err", err)
			errs = append(errs, fmt.Errorf("group %s: %w", k, err))
			continue
		}
		if posted {
			touched = append(touched, k)
		}
	}
	return touched, errors.Join(errs...)
}
