package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// User is a platform user: ID is stable, Name is what people see.
type User struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// IsZero reports whether u names nobody.
func (u User) IsZero() bool { return u.ID == "" }

// Settings are a group's own choices, set with /config. A zero field means
// "use the global default" so that changing the default reaches every group
// that never chose otherwise.
type Settings struct {
	Lang   string `json:"lang,omitempty"` // "zh" or "en"
	Lead   *User  `json:"lead,omitempty"`
	Admins []User `json:"admins,omitempty"`
	// Times of day as "HH:MM".
	DailyNudge    string `json:"daily_nudge,omitempty"`
	WeeklySummary string `json:"weekly_summary,omitempty"` // "Mon 10:00"
	WorkdayStart  string `json:"workday_start,omitempty"`
	WorkdayEnd    string `json:"workday_end,omitempty"`
	Timezone      string `json:"timezone,omitempty"`
	// Switches and windows; pointers so "off" differs from "default".
	NudgeEnabled      *bool          `json:"nudge_enabled,omitempty"`
	RequireAcceptance *bool          `json:"require_acceptance,omitempty"`
	AckWindow         *time.Duration `json:"ack_window,omitempty"`
	UrgentAck         *time.Duration `json:"urgent_ack,omitempty"`
	ImportantAck      *time.Duration `json:"important_ack,omitempty"`
	HelpReping        *time.Duration `json:"help_reping,omitempty"`
	WarnWorkdays      *int           `json:"warn_workdays,omitempty"`
	// LadderStep is the working time between escalation steps;
	// NudgeScope limits the daily nudge to tasks due within that many
	// working days (0 = every open task).
	LadderStep *time.Duration `json:"ladder_step,omitempty"`
	NudgeScope *int           `json:"nudge_scope,omitempty"`
	// FileNameHints: nil or true = hint about file names (see bot).
	FileNameHints *bool `json:"file_name_hints,omitempty"`
	// NudgeDM: true = the daily nudge reaches each owner by direct
	// message instead of in the group (nil or false = in the group).
	NudgeDM *bool `json:"nudge_dm,omitempty"`
	// Leaves are people away: no nudge or escalation reaches them.
	Leaves []Leave `json:"leaves,omitempty"`
}

// Leave is someone away from From to To (exclusive); Delegate, when set,
// receives what would have reached them, else the group lead.
type Leave struct {
	User     User      `json:"user"`
	Delegate User      `json:"delegate,omitzero"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	By       User      `json:"by"`
}

// Group is one chat the bot serves.
type Group struct {
	Key       GroupKey  `json:"key"`
	Name      string    `json:"name,omitempty"`
	Settings  Settings  `json:"settings"`
	NextID    int64     `json:"next_id"`
	CreatedAt time.Time `json:"created_at"`
}

func groupBucket(tx kvTx, k GroupKey) kvBucket {
	return tx.Bucket(bucketGroups).Bucket(k.bytes())
}

// groupSub returns the bucket at path inside group k's bucket (e.g.
// "incident", "items"): created in a write transaction, nil in a read one
// when it does not exist yet, so features add their data to a group
// without a schema change. A missing group is ErrNotFound.
func (t *Tx) groupSub(k GroupKey, path ...[]byte) (kvBucket, error) {
	b := groupBucket(t.tx, k)
	if b == nil {
		return nil, fmt.Errorf("group %s: %w", k, ErrNotFound)
	}
	for i, name := range path {
		next := b.Bucket(name)
		if next == nil {
			if !t.tx.Writable() {
				return nil, nil
			}
			var err error
			if next, err = b.CreateBucket(name); err != nil {
				return nil, err
			}
			if i == 0 {
				// The group now uses the feature (see GroupsWith).
				if err := t.markFeature(name, k); err != nil {
					return nil, err
				}
			}
		}
		b = next
	}
	return b, nil
}

// Group returns the group, or ErrNotFound.
func (t *Tx) Group(k GroupKey) (*Group, error) {
	b := groupBucket(t.tx, k)
	if b == nil {
		return nil, fmt.Errorf("group %s: %w", k, ErrNotFound)
	}
	var g Group
	if err := json.Unmarshal(b.Get(keyGroupInfo), &g); err != nil {
		return nil, fmt.Errorf("group %s: %w", k, err)
	}
	return &g, nil
}

// EnsureGroup returns the group, creating it (with its buckets) at now if
// it is new.
func (t *Tx) EnsureGroup(k GroupKey, now time.Time) (*Group, error) {
	g, err := t.Group(k)
	if err == nil {
		return g, nil
	}
	if !errors.Is(err, ErrNotFound) {
		// A group that exists but does not decode must not be replaced by
		// an empty one.
		return nil, err
	}
	b, err := t.tx.Bucket(bucketGroups).CreateBucketIfNotExists(k.bytes())
	if err != nil {
		return nil, err
	}
	for _, name := range [][]byte{bucketTasks, bucketHistory, bucketThreads} {
		if _, err := b.CreateBucketIfNotExists(name); err != nil {
			return nil, err
		}
	}
	g = &Group{Key: k, NextID: 1, CreatedAt: now}
	if err := putJSON(b, keyGroupInfo, g); err != nil {
		return nil, err
	}
	return g, t.groupWritten(g)
}

// PutGroup saves g, which must exist.
func (t *Tx) PutGroup(g *Group) error {
	b := groupBucket(t.tx, g.Key)
	if b == nil {
		return fmt.Errorf("group %s: %w", g.Key, ErrNotFound)
	}
	if err := putJSON(b, keyGroupInfo, g); err != nil {
		return err
	}
	return t.groupWritten(g)
}

// Groups calls fn for every group, in key order; fn returning an error
// stops the walk with that error.
func (t *Tx) Groups(fn func(g *Group) error) error {
	return t.tx.Bucket(bucketGroups).ForEachBucket(func(k []byte) error {
		g, err := t.Group(parseGroupKey(k))
		if err != nil {
			return err
		}
		return fn(g)
	})
}
