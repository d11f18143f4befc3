package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Recurring tasks (/every). Layout, inside the group's bucket
// groups/<group key>, created lazily on the first write like the outbox's
// sub-buckets:
//
//	recur/items/<id u64>           → Recurrence JSON
//	recur/done/<id u64><date>      → Occurrence JSON: the occurrence of
//	                                 recurrence id on date (YYYY-MM-DD in
//	                                 the group's zone) was decided
//
// The done marker is the idempotency key of an occurrence: NewOccurrenceTask
// writes it in the transaction that creates the task, so a date is never
// decided twice, whatever crashes or repeated ticks happen.

var (
	bucketRecur      = []byte("recur")
	bucketRecurItems = []byte("items")
	bucketRecurDone  = []byte("done")
)

// Recurrence is a task created again on every occurrence of a schedule.
type Recurrence struct {
	ID    int64    `json:"id"`
	Group GroupKey `json:"group"`
	// Schedule is the canonical schedule (rules.Schedule.String), Phrase
	// what the user wrote for it.
	Schedule string `json:"schedule"`
	Phrase   string `json:"phrase"`
	// Text is the 【…】 task with its tags as written; its deadline is
	// parsed again on every occurrence.
	Text          string    `json:"text"`
	Owner         User      `json:"owner"`
	OwnerMention  bool      `json:"owner_mention,omitempty"` // the owner was @-mentioned (else: the initiator)
	Collaborators []User    `json:"collaborators,omitempty"`
	Initiator     User      `json:"initiator"`
	CreatedAt     time.Time `json:"created_at"`
	MessageID     string    `json:"message_id,omitempty"`

	Count    int    `json:"count,omitempty"`     // tasks created so far
	LastDate string `json:"last_date,omitempty"` // the latest occurrence decided
	LastTask int64  `json:"last_task,omitempty"` // the latest task created

	StoppedAt time.Time `json:"stopped_at,omitzero"`
	StoppedBy User      `json:"stopped_by,omitzero"`
}

// Active reports whether the recurrence still creates tasks.
func (r *Recurrence) Active() bool { return r.StoppedAt.IsZero() }

// Occurrence records what became of one occurrence: a task, or a skip.
type Occurrence struct {
	Recurrence int64     `json:"recurrence"`
	Date       string    `json:"date"` // YYYY-MM-DD in the group's zone
	At         time.Time `json:"at"`   // when it was decided
	TaskID     int64     `json:"task_id,omitempty"`
	Skipped    string    `json:"skipped,omitempty"` // why no task: "late", "bad_task", …
}

// recur returns the group's recur/<name> bucket (see groupSub).
func (t *Tx) recur(k GroupKey, name []byte) (kvBucket, error) {
	return t.groupSub(k, bucketRecur, name)
}

func occurrenceKey(id int64, date string) []byte { return append(u64(uint64(id)), date...) }

// NewRecurrence assigns the group's next recurrence id to r and stores
// it. r.Group must be an existing group.
func (t *Tx) NewRecurrence(r *Recurrence) error {
	b, err := t.recur(r.Group, bucketRecurItems)
	if err != nil {
		return err
	}
	return newSeqRecord(b, r.Group, "recurrence %d", func(id int64) { r.ID = id }, r)
}

// Recurrence returns recurrence id of the group, or ErrNotFound.
func (t *Tx) Recurrence(k GroupKey, id int64) (*Recurrence, error) {
	b, err := t.recur(k, bucketRecurItems)
	if err != nil {
		return nil, err
	}
	return getSeqRecord[Recurrence](b, "recurrence %d", id)
}

// PutRecurrence saves an existing recurrence.
func (t *Tx) PutRecurrence(r *Recurrence) error {
	b, err := t.recur(r.Group, bucketRecurItems)
	if err != nil {
		return err
	}
	return putSeqRecord(b, "recurrence %d", r.ID, r)
}

// Recurrences calls fn for each recurrence of the group, stopped ones
// included, in id order. A group without any (or without a bucket) is no
// error.
func (t *Tx) Recurrences(k GroupKey, fn func(r *Recurrence) error) error {
	if groupBucket(t.tx, k) == nil {
		return nil
	}
	b, err := t.recur(k, bucketRecurItems)
	if err != nil {
		return err
	}
	return eachSeqRecord(b, "recurrence", fn)
}

// StopRecurrence marks the recurrence stopped by by at at. It returns the
// record and whether it changed: false when it was stopped already.
func (t *Tx) StopRecurrence(k GroupKey, id int64, by User, at time.Time) (*Recurrence, bool, error) {
	r, err := t.Recurrence(k, id)
	if err != nil {
		return nil, false, err
	}
	if !r.Active() {
		return r, false, nil
	}
	r.StoppedAt, r.StoppedBy = at, by
	return r, true, t.PutRecurrence(r)
}

// Occurrence returns the record of recurrence id's occurrence on date, or
// ErrNotFound when that occurrence was not decided.
func (t *Tx) Occurrence(k GroupKey, id int64, date string) (*Occurrence, error) {
	b, err := t.recur(k, bucketRecurDone)
	if err != nil {
		return nil, err
	}
	var v []byte
	if b != nil {
		v = b.Get(occurrenceKey(id, date))
	}
	if v == nil {
		return nil, fmt.Errorf("recurrence %d on %s: %w", id, date, ErrNotFound)
	}
	var o Occurrence
	if err := json.Unmarshal(v, &o); err != nil {
		return nil, fmt.Errorf("recurrence %d on %s: %w", id, date, err)
	}
	return &o, nil
}

// OccurrenceDone reports whether recurrence id's occurrence on date was
// decided (a task created or the date skipped).
func (t *Tx) OccurrenceDone(k GroupKey, id int64, date string) bool {
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return false
	}
	rb := gb.Bucket(bucketRecur)
	if rb == nil {
		return false
	}
	b := rb.Bucket(bucketRecurDone)
	return b != nil && b.Get(occurrenceKey(id, date)) != nil
}

// markOccurrence records o and updates the recurrence's progress; false,
// changing nothing, when the occurrence was decided before.
func (t *Tx) markOccurrence(k GroupKey, o *Occurrence) (*Recurrence, bool, error) {
	if o.Date == "" {
		return nil, false, fmt.Errorf("occurrence of recurrence %d: empty date: %w", o.Recurrence, ErrConflict)
	}
	if t.OccurrenceDone(k, o.Recurrence, o.Date) {
		return nil, false, nil
	}
	r, err := t.Recurrence(k, o.Recurrence)
	if err != nil {
		return nil, false, err
	}
	b, err := t.recur(k, bucketRecurDone)
	if err != nil {
		return nil, false, err
	}
	if b == nil {
		return nil, false, bolt.ErrTxNotWritable
	}
	if err := putJSON(b, occurrenceKey(o.Recurrence, o.Date), o); err != nil {
		return nil, false, err
	}
	if o.Date > r.LastDate {
		r.LastDate = o.Date
	}
	return r, true, nil
}

// SkipOccurrence records that recurrence id creates no task on date, and
// why. It returns false, changing nothing, when the date was decided
// before.
func (t *Tx) SkipOccurrence(k GroupKey, id int64, date, reason string, at time.Time) (bool, error) {
	r, fresh, err := t.markOccurrence(k, &Occurrence{Recurrence: id, Date: date, At: at, Skipped: reason})
	if err != nil || !fresh {
		return false, err
	}
	return true, t.PutRecurrence(r)
}

// NewOccurrenceTask creates task as recurrence id's occurrence on date:
// NewTask (id, history) plus the occurrence's done marker, in this
// transaction, so the task exists exactly when the marker does. The
// "created" history entry's detail names the recurrence and the date. It
// returns false, creating nothing, when that occurrence was decided
// before.
func (t *Tx) NewOccurrenceTask(task *Task, id int64, date string) (bool, error) {
	k := task.Group
	if t.OccurrenceDone(k, id, date) {
		return false, nil
	}
	if _, err := t.Recurrence(k, id); err != nil {
		return false, err
	}
	if err := t.NewTask(task); err != nil {
		return false, err
	}
	r, fresh, err := t.markOccurrence(k, &Occurrence{Recurrence: id, Date: date, At: task.CreatedAt, TaskID: task.ID})
	if err != nil || !fresh {
		return false, err
	}
	r.Count++
	r.LastTask = task.ID
	if err := t.PutRecurrence(r); err != nil {
		return false, err
	}
	return true, t.amendCreated(k, task.ID, fmt.Sprintf(" recurrence=R%d occurrence=%d date=%s", id, r.Count, date))
}

// amendCreated appends suffix to the detail of the task's "created"
// history entry (NewTask writes it first).
func (t *Tx) amendCreated(k GroupKey, id int64, suffix string) error {
	hb := groupBucket(t.tx, k).Bucket(bucketHistory).Bucket(taskKey(id))
	if hb == nil {
		return fmt.Errorf("task #%d history: %w", id, ErrNotFound)
	}
	c := hb.Cursor()
	for key, v := c.First(); key != nil; key, v = c.Next() {
		var e HistoryEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("task #%d history: %w", id, err)
		}
		if e.Action != "created" {
			continue
		}
		e.Detail += suffix
		return putJSON(hb, bytes.Clone(key), e)
	}
	return fmt.Errorf("task #%d has no created entry: %w", id, ErrNotFound)
}

// PruneOccurrences forgets the group's occurrence markers dated before
// before (YYYY-MM-DD) and returns how many it removed. Only an occurrence
// on the current date can still be created, so markers of past dates are
// history; callers keep a margin for clock and zone changes.
func (t *Tx) PruneOccurrences(k GroupKey, before string) (int, error) {
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return 0, nil
	}
	rb := gb.Bucket(bucketRecur)
	if rb == nil {
		return 0, nil
	}
	b := rb.Bucket(bucketRecurDone)
	if b == nil {
		return 0, nil
	}
	var old [][]byte
	err := b.ForEach(func(key, _ []byte) error {
		if len(key) > 8 && string(key[8:]) < before {
			old = append(old, bytes.Clone(key))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, key := range old {
		if err := b.Delete(key); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}
