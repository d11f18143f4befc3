package store

import (
	"fmt"
	"time"
)

// Meetings (/meeting, /minutes). Layout, inside the group's bucket
// groups/<group key>, created lazily on the first write:
//
//	meetings/<id u64> → Meeting JSON
//
// The bucket's sequence gives the per-group meeting ids (#M1, #M2, …).
// Reminder bookkeeping (StartReminded, MinutesReminded) is written in the
// transaction that records the reminder in the outbox, so a reminder is
// decided once even after its outbox key is pruned.

var bucketMeetings = []byte("meetings")

// Meeting is one scheduled meeting and, once posted, its minutes.
type Meeting struct {
	ID        int64     `json:"id"`
	Group     GroupKey  `json:"group"`
	Topic     string    `json:"topic"`
	TimeText  string    `json:"time_text"` // the time as written
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Agenda    string    `json:"agenda"`
	Materials string    `json:"materials,omitempty"`
	Attendees []User    `json:"attendees"`
	Organizer User      `json:"organizer"`
	// Weekly marks the weekly meeting, whose minutes are due sooner.
	Weekly    bool      `json:"weekly,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	MessageID string    `json:"message_id,omitempty"`

	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	CancelledBy User      `json:"cancelled_by,omitzero"`
	CancelNote  string    `json:"cancel_note,omitempty"`

	// StartReminded is the Start (Unix seconds) whose reminder was decided.
	StartReminded int64 `json:"start_reminded,omitempty"`
	// MinutesReminded counts the minutes reminders decided.
	MinutesReminded int `json:"minutes_reminded,omitempty"`

	Minutes []Minutes `json:"minutes,omitempty"`
}

// Minutes is one posting of a meeting's minutes.
type Minutes struct {
	At        time.Time `json:"at"`
	By        User      `json:"by"`
	Decisions []string  `json:"decisions,omitempty"`
	Notes     []string  `json:"notes,omitempty"`
	Tasks     []int64   `json:"tasks,omitempty"` // the tasks it created
}

// Cancelled reports whether the meeting was cancelled.
func (m *Meeting) Cancelled() bool { return !m.CancelledAt.IsZero() }

// HasMinutes reports whether minutes were posted.
func (m *Meeting) HasMinutes() bool { return len(m.Minutes) > 0 }

// meetings returns the group's meetings bucket (see groupSub).
func (t *Tx) meetings(k GroupKey) (kvBucket, error) { return t.groupSub(k, bucketMeetings) }

// NewMeeting assigns the group's next meeting id to m and stores it.
// m.Group must be an existing group.
func (t *Tx) NewMeeting(m *Meeting) error {
	b, err := t.meetings(m.Group)
	if err != nil {
		return err
	}
	return newSeqRecord(b, m.Group, "meeting M%d", func(id int64) { m.ID = id }, m)
}

// Meeting returns meeting id of the group, or ErrNotFound.
func (t *Tx) Meeting(k GroupKey, id int64) (*Meeting, error) {
	if groupBucket(t.tx, k) == nil {
		return nil, fmt.Errorf("meeting M%d: %w", id, ErrNotFound)
	}
	b, err := t.meetings(k)
	if err != nil {
		return nil, err
	}
	return getSeqRecord[Meeting](b, "meeting M%d", id)
}

// PutMeeting saves an existing meeting.
func (t *Tx) PutMeeting(m *Meeting) error {
	b, err := t.meetings(m.Group)
	if err != nil {
		return err
	}
	return putSeqRecord(b, "meeting M%d", m.ID, m)
}

// Meetings calls fn for each meeting of the group, cancelled ones
// included, in id order. A group without any is no error.
func (t *Tx) Meetings(k GroupKey, fn func(m *Meeting) error) error {
	if groupBucket(t.tx, k) == nil {
		return nil
	}
	b, err := t.meetings(k)
	if err != nil {
		return err
	}
	return eachSeqRecord(b, "meeting", fn)
}
