package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The web board's per-group links (/board). Layout, created lazily on the
// first write:
//
//	groups/<group key>/board/link → BoardLink JSON (the group's current link)
//	boards/<token>                → group key bytes (the lookup index)
//
// A link is a random token; issuing a new one for a group deletes the old
// token from the index in the same transaction, so a revoked link stops
// working at once and the two records never disagree.

var (
	bucketBoard  = []byte("board")
	bucketBoards = []byte("boards")
	keyBoardLink = []byte("link")
)

// BoardLink is a group's current web board link.
type BoardLink struct {
	Token    string    `json:"token"`
	IssuedAt time.Time `json:"issued_at"`
	IssuedBy User      `json:"issued_by"`
}

// BoardLink returns the group's current link, or ErrNotFound when none was
// issued (or the group does not exist).
func (t *Tx) BoardLink(k GroupKey) (*BoardLink, error) {
	gb := groupBucket(t.tx, k)
	var v []byte
	if gb != nil {
		if bb := gb.Bucket(bucketBoard); bb != nil {
			v = bb.Get(keyBoardLink)
		}
	}
	if v == nil {
		return nil, fmt.Errorf("board link of %s: %w", k, ErrNotFound)
	}
	var l BoardLink
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, fmt.Errorf("board link of %s: %w", k, err)
	}
	return &l, nil
}

// SetBoardLink makes l the group's link, revoking the previous one. The
// token must be new: a token already in use (by any group) is ErrConflict.
func (t *Tx) SetBoardLink(k GroupKey, l BoardLink) error {
	if l.Token == "" {
		return fmt.Errorf("board link: empty token: %w", ErrConflict)
	}
	gb := groupBucket(t.tx, k)
	if gb == nil {
		return fmt.Errorf("group %s: %w", k, ErrNotFound)
	}
	if !t.tx.Writable() {
		return bolt.ErrTxNotWritable
	}
	idx, err := t.tx.CreateBucketIfNotExists(bucketBoards)
	if err != nil {
		return err
	}
	if idx.Get([]byte(l.Token)) != nil {
		return fmt.Errorf("board token: %w", ErrConflict)
	}
	bb, err := gb.CreateBucketIfNotExists(bucketBoard)
	if err != nil {
		return err
	}
	if old, err := t.BoardLink(k); err == nil {
		if err := idx.Delete([]byte(old.Token)); err != nil {
			return err
		}
	}
	if err := idx.Put([]byte(l.Token), k.bytes()); err != nil {
		return err
	}
	return putJSON(bb, keyBoardLink, l)
}

// BoardGroup returns the group whose current link has token, or
// ErrNotFound (an unknown or revoked token).
func (t *Tx) BoardGroup(token string) (GroupKey, error) {
	idx := t.tx.Bucket(bucketBoards)
	var v []byte
	if idx != nil && token != "" {
		v = idx.Get([]byte(token))
	}
	if v == nil {
		return GroupKey{}, fmt.Errorf("board token: %w", ErrNotFound)
	}
	return parseGroupKey(v), nil
}
