package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A group's project (/project, /announce, /retro): its goal, key results,
// departments, milestones, single announcer, close and retrospective.
// Layout, inside the group's bucket groups/<group key>, created lazily on
// the first write like the outbox's sub-buckets:
//
//	project/current → Project JSON
//
// One record per group: every command changes it in one transaction, so
// nothing is half-written, and the retrospective reminder's "sent" mark
// (RetroRemindedAt) commits with its outbox entry.

var (
	bucketProject  = []byte("project")
	keyProjectCurr = []byte("current")
)

// Project is the group's project card.
type Project struct {
	Group       GroupKey    `json:"group"`
	Goal        string      `json:"goal,omitempty"`
	Results     []string    `json:"results,omitempty"`
	Departments []string    `json:"departments,omitempty"`
	Milestones  []Milestone `json:"milestones,omitempty"`
	// Announcer is the group's single announcer; zero = the group lead.
	Announcer User `json:"announcer,omitzero"`
	// Initiator is whoever first set the project.
	Initiator User      `json:"initiator"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// RetroDays is the retrospective window in working days; 0 = default.
	RetroDays int `json:"retro_days,omitempty"`

	ClosedAt time.Time `json:"closed_at,omitzero"`
	ClosedBy User      `json:"closed_by,omitzero"`
	Summary  string    `json:"summary,omitempty"`

	Retro []RetroLine `json:"retro,omitempty"`
	// RetroRemindedAt is when the retrospective reminder was recorded
	// (or decided to be skipped: RetroSkipped says why).
	RetroRemindedAt time.Time `json:"retro_reminded_at,omitzero"`
	RetroSkipped    string    `json:"retro_skipped,omitempty"`
	RetroReportAt   time.Time `json:"retro_report_at,omitzero"`
}

// Closed reports whether the project was closed.
func (p *Project) Closed() bool { return !p.ClosedAt.IsZero() }

// Milestone is a key date; TaskID is the task that tracks it.
type Milestone struct {
	Name     string    `json:"name"`
	Deadline string    `json:"deadline"` // as written
	Due      time.Time `json:"due"`
	TaskID   int64     `json:"task_id"`
	AddedAt  time.Time `json:"added_at"`
	AddedBy  User      `json:"added_by"`
}

// RetroLine is one contribution to the retrospective.
type RetroLine struct {
	Kind string    `json:"kind"` // "highlight", "gap", "suggestion"
	Text string    `json:"text"`
	By   User      `json:"by"`
	At   time.Time `json:"at"`
}

// projectBucket returns the group's project bucket (see groupSub).
func (t *Tx) projectBucket(k GroupKey) (kvBucket, error) { return t.groupSub(k, bucketProject) }

// Project returns the group's project, or ErrNotFound.
func (t *Tx) Project(k GroupKey) (*Project, error) {
	var v []byte
	if gb := groupBucket(t.tx, k); gb != nil {
		if b := gb.Bucket(bucketProject); b != nil {
			v = b.Get(keyProjectCurr)
		}
	}
	if v == nil {
		return nil, fmt.Errorf("project of %s: %w", k, ErrNotFound)
	}
	var p Project
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, fmt.Errorf("project of %s: %w", k, err)
	}
	return &p, nil
}

// PutProject saves the group's project. p.Group must be an existing group.
func (t *Tx) PutProject(p *Project) error {
	b, err := t.projectBucket(p.Group)
	if err != nil {
		return err
	}
	if b == nil {
		return bolt.ErrTxNotWritable
	}
	return putJSON(b, keyProjectCurr, p)
}
