package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Incidents (/incident, 紧急事务响应). Layout, inside the group's bucket
// groups/<group key>, created lazily on the first write:
//
//	incident/conf            → IncidentConfig JSON (the group's responders)
//	incident/items/<id u64>  → Incident JSON
//
// An incident's timed re-pings are decided once each: the markers
// (RolesPingedAt, StatusPingFor) are written in the transaction that
// records the re-ping in the outbox, so they do not depend on how long the
// outbox keeps its entries.

var (
	bucketIncident      = []byte("incident")
	bucketIncidentItems = []byte("items")
	keyIncidentConf     = []byte("conf")
)

// IncidentConfig is a group's incident settings.
type IncidentConfig struct {
	// Responders are @-mentioned, with the group lead, when an incident
	// is opened.
	Responders []User    `json:"responders,omitempty"`
	SetBy      User      `json:"set_by,omitzero"`
	SetAt      time.Time `json:"set_at,omitzero"`
}

// IncidentRole is one person's job in the response.
type IncidentRole struct {
	User User      `json:"user"`
	Task string    `json:"task"`
	At   time.Time `json:"at"`
	By   User      `json:"by"`
}

// IncidentEvent is one line of an incident's timeline.
type IncidentEvent struct {
	At   time.Time `json:"at"`
	By   User      `json:"by"`
	Kind string    `json:"kind"` // "open", "roles", "status", "resolved"
	Text string    `json:"text"`
}

// Incident is one emergency of a group.
type Incident struct {
	ID       int64    `json:"id"`
	Group    GroupKey `json:"group"`
	Problem  string   `json:"problem"`
	Impact   string   `json:"impact"`
	Measures string   `json:"measures"` // taken before the report
	Reporter User     `json:"reporter"`
	// Notified are the people called when it was opened (lead,
	// responders, those mentioned in the report).
	Notified  []User          `json:"notified,omitempty"`
	StartedAt time.Time       `json:"started_at"`
	MessageID string          `json:"message_id,omitempty"`
	Roles     []IncidentRole  `json:"roles,omitempty"`
	Timeline  []IncidentEvent `json:"timeline,omitempty"`
	// LastStatusAt is the latest /status (zero: none yet).
	LastStatusAt time.Time `json:"last_status_at,omitzero"`

	// Re-ping markers.
	RolesPingedAt time.Time `json:"roles_pinged_at,omitzero"`
	StatusPingFor time.Time `json:"status_ping_for,omitzero"` // the latest status re-ping occasion decided
	StatusPings   int       `json:"status_pings,omitempty"`

	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	ResolvedBy User      `json:"resolved_by,omitzero"`
	Cause      string    `json:"cause,omitempty"`
	Fix        string    `json:"fix,omitempty"`
}

// Open reports whether the incident is not resolved yet.
func (i *Incident) Open() bool { return i.ResolvedAt.IsZero() }

// incident returns the group's incident bucket, or its sub-bucket name
// when name is set (see groupSub).
func (t *Tx) incident(k GroupKey, name []byte) (kvBucket, error) {
	if name == nil {
		return t.groupSub(k, bucketIncident)
	}
	return t.groupSub(k, bucketIncident, name)
}

// IncidentConfig returns the group's incident settings (zero when never
// set).
func (t *Tx) IncidentConfig(k GroupKey) (*IncidentConfig, error) {
	var c IncidentConfig
	if groupBucket(t.tx, k) == nil {
		return &c, nil
	}
	b, err := t.incident(k, nil)
	if err != nil || b == nil {
		return &c, err
	}
	if v := b.Get(keyIncidentConf); v != nil {
		if err := json.Unmarshal(v, &c); err != nil {
			return nil, fmt.Errorf("incident config of %s: %w", k, err)
		}
	}
	return &c, nil
}

// PutIncidentConfig saves the group's incident settings.
func (t *Tx) PutIncidentConfig(k GroupKey, c *IncidentConfig) error {
	b, err := t.incident(k, nil)
	if err != nil {
		return err
	}
	if b == nil {
		return bolt.ErrTxNotWritable
	}
	return putJSON(b, keyIncidentConf, c)
}

// NewIncident assigns the group's next incident id to i and stores it.
func (t *Tx) NewIncident(i *Incident) error {
	b, err := t.incident(i.Group, bucketIncidentItems)
	if err != nil {
		return err
	}
	return newSeqRecord(b, i.Group, "incident %d", func(id int64) { i.ID = id }, i)
}

// Incident returns incident id of the group, or ErrNotFound.
func (t *Tx) Incident(k GroupKey, id int64) (*Incident, error) {
	if groupBucket(t.tx, k) == nil {
		return nil, fmt.Errorf("group %s: %w", k, ErrNotFound)
	}
	b, err := t.incident(k, bucketIncidentItems)
	if err != nil {
		return nil, err
	}
	return getSeqRecord[Incident](b, "incident %d", id)
}

// PutIncident saves an existing incident.
func (t *Tx) PutIncident(i *Incident) error {
	b, err := t.incident(i.Group, bucketIncidentItems)
	if err != nil {
		return err
	}
	return putSeqRecord(b, "incident %d", i.ID, i)
}

// Incidents calls fn for each incident of the group, resolved ones
// included, in id order. A group without any is no error.
func (t *Tx) Incidents(k GroupKey, fn func(i *Incident) error) error {
	if groupBucket(t.tx, k) == nil {
		return nil
	}
	b, err := t.incident(k, bucketIncidentItems)
	if err != nil {
		return err
	}
	return eachSeqRecord(b, "incident", fn)
}
