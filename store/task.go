package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Status is where a task stands.
type Status string

const (
	StatusOpen      Status = "open"      // being worked on
	StatusDone      Status = "done"      // owner says done; awaiting acceptance
	StatusAccepted  Status = "accepted"  // closed: accepted by the initiator (or done with no acceptance step)
	StatusCancelled Status = "cancelled" // closed without result
)

// Closed reports whether the task needs nothing more from anyone.
func (s Status) Closed() bool { return s == StatusAccepted || s == StatusCancelled }

// Task is a tracked request. Slices only grow: corrections are new entries,
// so the record reads as what happened.
type Task struct {
	ID       int64     `json:"id"`
	Group    GroupKey  `json:"group"`
	Topic    string    `json:"topic"`
	Item     string    `json:"item"`
	Request  string    `json:"request"`
	Deadline string    `json:"deadline"` // as written
	Due      time.Time `json:"due"`
	// OriginalDue is the due time at creation, kept when delays move Due.
	OriginalDue   time.Time `json:"original_due"`
	Urgency       string    `json:"urgency"` // routine|important|urgent
	Owner         User      `json:"owner"`
	Collaborators []User    `json:"collaborators,omitempty"`
	Initiator     User      `json:"initiator"`
	Status        Status    `json:"status"`
	Percent       int       `json:"percent"`
	CreatedAt     time.Time `json:"created_at"`
	MessageID     string    `json:"message_id,omitempty"`

	AckedAt      time.Time `json:"acked_at,omitzero"`
	AckDefaulted bool      `json:"ack_defaulted,omitempty"` // silence counted as acceptance
	LastUpdateAt time.Time `json:"last_update_at,omitzero"`
	DoneAt       time.Time `json:"done_at,omitzero"`
	AcceptedAt   time.Time `json:"accepted_at,omitzero"`

	// AssignedAt is when the current owner got the task (creation or
	// /assign); acknowledgement timers count from it. Zero = CreatedAt.
	AssignedAt time.Time `json:"assigned_at,omitzero"`
	// SnoozedUntil: the owner asked for quiet until then (/snooze).
	SnoozedUntil time.Time `json:"snoozed_until,omitzero"`
	SnoozedAt    time.Time `json:"snoozed_at,omitzero"` // one snooze a day

	// NudgedAt is the last 催办 (/nudge), which is rate-limited.
	NudgedAt time.Time `json:"nudged_at,omitzero"`

	Updates []Update   `json:"updates,omitempty"`
	Help    []HelpFlag `json:"help,omitempty"`
	Risks   []Risk     `json:"risks,omitempty"`
	Delays  []Delay    `json:"delays,omitempty"`
	Reviews []Review   `json:"reviews,omitempty"`
	// Escalations are the reminder steps sent about the task, so the next
	// step is counted from the last one sent, never skipped.
	Escalations []Escalation `json:"escalations,omitempty"`

	// Intake and acceptance (store/acceptance.go): the owners who could
	// not take the task (/decline; the task is unowned until /assign), the
	// 《成果交付说明》 of each /done, the 《协作成果确认表》 entries of
	// /accept and the 整改 of each /reject with a new due time.
	Declines       []Decline       `json:"declines,omitempty"`
	Deliveries     []Delivery      `json:"deliveries,omitempty"`
	Acceptances    []Acceptance    `json:"acceptances,omitempty"`
	Rectifications []Rectification `json:"rectifications,omitempty"`
}

// Escalation is one step of a reminder ladder, recorded when decided.
type Escalation struct {
	Kind string    `json:"kind"` // overdue, review or approval
	Step int       `json:"step"`
	At   time.Time `json:"at"`
	// Ref names the ladder: the due time, the /done time or the delay
	// request time it belongs to (Unix seconds), so a new due date or a
	// new request starts a new ladder.
	Ref int64 `json:"ref"`
}

// Update is a progress report.
type Update struct {
	At      time.Time `json:"at"`
	By      User      `json:"by"`
	Text    string    `json:"text"`
	Percent int       `json:"percent"` // -1 when the update named none
}

// HelpFlag is a 【需协助】 request on a task.
type HelpFlag struct {
	At         time.Time `json:"at"`
	By         User      `json:"by"`
	Text       string    `json:"text"`
	Helper     User      `json:"helper,omitzero"` // named helper; zero = the group lead
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ResolvedBy User      `json:"resolved_by,omitzero"`
}

// Open reports whether the flag still waits for help.
func (h HelpFlag) Open() bool { return h.ResolvedAt.IsZero() }

// Risk is a 风险预警: cause and plan.
type Risk struct {
	At   time.Time `json:"at"`
	By   User      `json:"by"`
	Text string    `json:"text"`
}

// DelayState is where a delay request stands.
type DelayState string

const (
	DelayPending  DelayState = "pending"
	DelayApproved DelayState = "approved"
	DelayDenied   DelayState = "denied"
)

// Delay is a 延期申请.
type Delay struct {
	At        time.Time  `json:"at"`
	By        User       `json:"by"`
	NewDue    time.Time  `json:"new_due"`
	Deadline  string     `json:"deadline"` // as written
	Reason    string     `json:"reason"`
	State     DelayState `json:"state"`
	DecidedBy User       `json:"decided_by,omitzero"`
	DecidedAt time.Time  `json:"decided_at,omitzero"`
	OldDue    time.Time  `json:"old_due,omitzero"`
}

// Review is an acceptance decision.
type Review struct {
	At       time.Time `json:"at"`
	By       User      `json:"by"`
	Accepted bool      `json:"accepted"`
	Comment  string    `json:"comment,omitempty"`
}

// OpenHelp returns the flags still open.
func (t *Task) OpenHelp() []HelpFlag {
	var out []HelpFlag
	for _, h := range t.Help {
		if h.Open() {
			out = append(out, h)
		}
	}
	return out
}

// PendingDelay returns the index of the pending delay request, or -1.
func (t *Task) PendingDelay() int {
	for i := len(t.Delays) - 1; i >= 0; i-- {
		if t.Delays[i].State == DelayPending {
			return i
		}
	}
	return -1
}

// Overdue reports whether the task is still owed and past due at now.
func (t *Task) Overdue(now time.Time) bool {
	return t.Status == StatusOpen && now.After(t.Due)
}

// Involves reports whether the user owns, initiated or collaborates on t.
func (t *Task) Involves(id string) bool {
	if t.Owner.ID == id || t.Initiator.ID == id {
		return true
	}
	for _, c := range t.Collaborators {
		if c.ID == id {
			return true
		}
	}
	return false
}

// HistoryEntry is one line of a task's append-only history.
type HistoryEntry struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	By     User      `json:"by"`
	Action string    `json:"action"` // created, ack, update, done, accept, reject, assist, resolve, risk, delay, approve, deny, reminder…
	Detail string    `json:"detail,omitempty"`
}

func taskKey(id int64) []byte { return u64(uint64(id)) }

// NewTask assigns the group's next id to t, stores it and records the
// creation in its history. t.Group must be an existing group.
func (t *Tx) NewTask(task *Task) error {
	g, err := t.Group(task.Group)
	if err != nil {
		return err
	}
	task.ID = g.NextID
	g.NextID++
	if err := t.PutGroup(g); err != nil {
		return err
	}
	b := groupBucket(t.tx, task.Group).Bucket(bucketTasks)
	if b.Get(taskKey(task.ID)) != nil {
		return fmt.Errorf("task #%d in %s: %w", task.ID, task.Group, ErrConflict)
	}
	if task.OriginalDue.IsZero() {
		task.OriginalDue = task.Due
	}
	if err := putJSON(b, taskKey(task.ID), task); err != nil {
		return err
	}
	if err := t.taskWritten(task); err != nil {
		return err
	}
	if task.MessageID != "" {
		if err := t.LinkThread(task.Group, task.MessageID, task.ID); err != nil {
			return err
		}
	}
	return t.AppendHistory(task.Group, task.ID, HistoryEntry{At: task.CreatedAt, By: task.Initiator, Action: "created",
		Detail: fmt.Sprintf("【%s-%s-%s-%s】 owner=%s", task.Topic, task.Item, task.Request, task.Deadline, task.Owner.Name)})
}

// Task returns task #id of the group, or ErrNotFound.
func (t *Tx) Task(k GroupKey, id int64) (*Task, error) {
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return nil, fmt.Errorf("task #%d: %w", id, ErrNotFound)
	}
	v := gb.Bucket(bucketTasks).Get(taskKey(id))
	if v == nil {
		return nil, fmt.Errorf("task #%d: %w", id, ErrNotFound)
	}
	var task Task
	if err := json.Unmarshal(v, &task); err != nil {
		return nil, fmt.Errorf("task #%d: %w", id, err)
	}
	return &task, nil
}

// PutTask saves an existing task.
func (t *Tx) PutTask(task *Task) error {
	gb := groupBucket(t.tx, task.Group)
	if gb == nil {
		return fmt.Errorf("group %s: %w", task.Group, ErrNotFound)
	}
	b := gb.Bucket(bucketTasks)
	if b.Get(taskKey(task.ID)) == nil {
		return fmt.Errorf("task #%d: %w", task.ID, ErrNotFound)
	}
	if err := putJSON(b, taskKey(task.ID), task); err != nil {
		return err
	}
	return t.taskWritten(task)
}

// Tasks calls fn for each task of the group in id order.
func (t *Tx) Tasks(k GroupKey, fn func(task *Task) error) error {
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return nil
	}
	return gb.Bucket(bucketTasks).ForEach(func(_, v []byte) error {
		var task Task
		if err := json.Unmarshal(v, &task); err != nil {
			return err
		}
		return fn(&task)
	})
}

// AppendHistory adds an entry to the task's history; Seq is assigned here.
func (t *Tx) AppendHistory(k GroupKey, id int64, e HistoryEntry) error {
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return fmt.Errorf("group %s: %w", k, ErrNotFound)
	}
	hb, err := gb.Bucket(bucketHistory).CreateBucketIfNotExists(taskKey(id))
	if err != nil {
		return err
	}
	seq, err := hb.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	return putJSON(hb, u64(seq), e)
}

// History returns the task's history, oldest first.
func (t *Tx) History(k GroupKey, id int64) ([]HistoryEntry, error) {
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return nil, fmt.Errorf("group %s: %w", k, ErrNotFound)
	}
	hb := gb.Bucket(bucketHistory).Bucket(taskKey(id))
	if hb == nil {
		return nil, nil
	}
	var out []HistoryEntry
	err := hb.ForEach(func(_, v []byte) error {
		var e HistoryEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// LinkThread records that platform message msgID belongs to task id, so a
// reply to it counts as an update to that task.
func (t *Tx) LinkThread(k GroupKey, msgID string, id int64) error {
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return fmt.Errorf("group %s: %w", k, ErrNotFound)
	}
	return gb.Bucket(bucketThreads).Put([]byte(msgID), taskKey(id))
}

// ThreadTask returns the task linked to msgID, or 0.
func (t *Tx) ThreadTask(k GroupKey, msgID string) int64 {
	gb := groupBucket(t.tx, k)
	if gb == nil || msgID == "" {
		return 0
	}
	v := gb.Bucket(bucketThreads).Get([]byte(msgID))
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}
