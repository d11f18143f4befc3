package store

import "time"

// Decline is an owner's 无法承接 at intake (seed 003 步骤二): why, and the
// alternative they suggest. The task is left without an owner until the
// initiator, the lead or an admin reassigns it.
type Decline struct {
	At          time.Time `json:"at"`
	By          User      `json:"by"` // the owner who declined
	Reason      string    `json:"reason"`
	Alternative string    `json:"alternative"`
}

// Delivery is the 《成果交付说明》 given with /done (seed 002 步骤4): the
// note as written, and the version and test report link found in it.
type Delivery struct {
	At         time.Time `json:"at"`
	By         User      `json:"by"`
	Text       string    `json:"text"`
	Version    string    `json:"version,omitempty"`
	TestReport string    `json:"test_report,omitempty"`
}

// Acceptance is one 《协作成果确认表》 entry (seed 000 第四步): the standard
// the result was checked against and the result, by the reviewer.
type Acceptance struct {
	At       time.Time `json:"at"`
	By       User      `json:"by"`
	Standard string    `json:"standard,omitempty"`
	Result   string    `json:"result,omitempty"`
}

// Rectification is what a /reject asks to fix and, when given, the new due
// time (seed 004 第四步 问题整改); OldDue is the due time it replaced.
type Rectification struct {
	At       time.Time `json:"at"`
	By       User      `json:"by"`
	Items    string    `json:"items"`
	Deadline string    `json:"deadline,omitempty"` // as written
	NewDue   time.Time `json:"new_due,omitzero"`
	OldDue   time.Time `json:"old_due,omitzero"`
}

// Unowned reports whether the task is waiting for a new owner: its owner
// declined it and nobody has been assigned since.
func (t *Task) Unowned() bool { return t.Owner.IsZero() }

// LastDecline returns the latest decline, or nil.
func (t *Task) LastDecline() *Decline {
	if len(t.Declines) == 0 {
		return nil
	}
	return &t.Declines[len(t.Declines)-1]
}

// LastDelivery returns the latest delivery note, or nil.
func (t *Task) LastDelivery() *Delivery {
	if len(t.Deliveries) == 0 {
		return nil
	}
	return &t.Deliveries[len(t.Deliveries)-1]
}
