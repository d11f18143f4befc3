package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// bucketDigest holds the personal digest subscriptions, one per person and
// platform: <platform>\x00<user id> → DigestSub JSON. It is small (people
// who opted in), so the daily decision reads all of it.
var bucketDigest = []byte("digest")

// DigestSub is one person's opt-in to a daily direct message listing their
// open tasks.
type DigestSub struct {
	Platform string `json:"platform"`
	User     User   `json:"user"`
	// Hour and Minute of the day (group time zone of the bot's default).
	Hour   int       `json:"hour"`
	Minute int       `json:"minute"`
	Lang   string    `json:"lang,omitempty"`
	Since  time.Time `json:"since"`
	// LastDate is the day (YYYY-MM-DD) of the last digest decided, so each
	// working day gets one at most.
	LastDate string `json:"last_date,omitempty"`
}

func digestKey(platform, user string) []byte { return []byte(platform + "\x00" + user) }

// Digest returns the person's subscription, or nil.
func (t *Tx) Digest(platform, user string) (*DigestSub, error) {
	b := t.tx.Bucket(bucketDigest)
	if b == nil {
		return nil, nil
	}
	v := b.Get(digestKey(platform, user))
	if v == nil {
		return nil, nil
	}
	var d DigestSub
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("digest of %s: %w", user, err)
	}
	return &d, nil
}

// PutDigest saves a subscription.
func (t *Tx) PutDigest(d *DigestSub) error {
	b, err := t.tx.CreateBucketIfNotExists(bucketDigest)
	if err != nil {
		return err
	}
	return putJSON(b, digestKey(d.Platform, d.User.ID), d)
}

// DeleteDigest ends a subscription; ending none is not an error.
func (t *Tx) DeleteDigest(platform, user string) error {
	b := t.tx.Bucket(bucketDigest)
	if b == nil {
		return nil
	}
	return b.Delete(digestKey(platform, user))
}

// Digests calls fn for every subscription.
func (t *Tx) Digests(fn func(d *DigestSub) error) error {
	b := t.tx.Bucket(bucketDigest)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var d DigestSub
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("digest %q: %w", k, err)
		}
		return fn(&d)
	})
}
