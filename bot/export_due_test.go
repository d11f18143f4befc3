package bot

import (
	"time"

	"collabbot/rules"
	"collabbot/store"
)

// ScanAll makes every tick decide every group in full, without the due
// index, as the engine did before it: the reference the index is tested
// against.
func (b *Bot) ScanAll() { b.due.scanAll = true }

// Undecided lists the keys the rules owe at now, reading every task, that
// the outbox does not have. Right after DecideDue(now) it must be empty,
// whatever the due index says.
func (b *Bot) Undecided(now time.Time) ([]string, error) {
	var out []string
	err := b.db.View(func(tx *store.Tx) error {
		return tx.Groups(func(g *store.Group) error {
			v, err := b.loadGroup(tx, g)
			if err != nil {
				return err
			}
			for _, o := range rules.Due(v.policy, v.states, b.cal, now) {
				if tx.OutboxHas(o.Key) {
					continue
				}
				if o.Kind == rules.RemindNudge && v.set.NudgeDM && dmSent(tx, o) {
					continue
				}
				out = append(out, o.Key)
			}
			return nil
		})
	})
	return out, err
}

func dmSent(tx *store.Tx, o rules.Owed) bool {
	for _, id := range o.Mentions {
		if !tx.OutboxHas(o.Key + ":dm:" + id) {
			return false
		}
	}
	return true
}
