package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// Mirrors are the copies of tasks in a platform's own task app (Feishu
// Tasks, DingTalk 待办). Sync is state-based, not message-based: a task
// write marks its mirror behind (Want is bumped and the task queued, in the
// writing transaction), and the sync loop later pushes the task as it is
// then, so ten quick changes cost one call and nothing is lost in a crash.
//
// Layout, inside the top-level "mirror" bucket:
//
//	recs/<task>            → MirrorRec JSON
//	queue/<task>           → empty: mirrors behind their task
//	refs/<platform>\x00ref → <task>: the platform's id back to the task
//
// where <task> is <group>\x01<id u64>.

var (
	bucketMirror      = []byte("mirror")
	bucketMirrorRecs  = []byte("recs")
	bucketMirrorQueue = []byte("queue")
	bucketMirrorRefs  = []byte("refs")
)

// MirrorRec is where one task's mirror stands.
type MirrorRec struct {
	Group  GroupKey `json:"group"`
	TaskID int64    `json:"task_id"`
	// Ref is the platform's id of the mirror; empty until created.
	Ref string `json:"ref,omitempty"`
	// Want counts task writes; Synced is the Want last pushed.
	Want   uint64 `json:"want"`
	Synced uint64 `json:"synced"`
	// Hash fingerprints what was last pushed, so a write that changes
	// nothing the app shows (an escalation recorded on the task) costs no
	// call.
	Hash string `json:"hash,omitempty"`
	// Gone: the mirror was deleted on the platform, or the platform
	// refused it for good; it is never recreated.
	Gone bool `json:"gone,omitempty"`
	// Attempts and NextTry pace retries of a failing push; LastError
	// says why it failed (never a secret: adapters' errors carry none).
	Attempts  int       `json:"attempts,omitempty"`
	NextTry   time.Time `json:"next_try,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// Behind reports whether the mirror still owes a push.
func (r *MirrorRec) Behind() bool { return !r.Gone && r.Synced < r.Want }

func mirrorTaskKey(k GroupKey, id int64) []byte {
	b := append(k.bytes(), 1)
	return binary.BigEndian.AppendUint64(b, uint64(id))
}

func parseMirrorTaskKey(b []byte) (GroupKey, int64, error) {
	if len(b) < 10 || b[len(b)-9] != 1 {
		return GroupKey{}, 0, fmt.Errorf("mirror key %q: %w", b, ErrCorrupt)
	}
	return parseGroupKey(b[:len(b)-9]), int64(binary.BigEndian.Uint64(b[len(b)-8:])), nil
}

// mirrorSub returns a sub-bucket of "mirror", created in a write
// transaction; nil in a read transaction when nothing was mirrored yet.
func (t *Tx) mirrorSub(name []byte) (kvBucket, error) {
	root := t.tx.Bucket(bucketMirror)
	if root == nil {
		if !t.tx.Writable() {
			return nil, nil
		}
		var err error
		if root, err = t.tx.CreateBucket(bucketMirror); err != nil {
			return nil, err
		}
	}
	b := root.Bucket(name)
	if b == nil && t.tx.Writable() {
		return root.CreateBucket(name)
	}
	return b, nil
}

// MirrorRec returns the task's mirror record, or nil when it has none.
func (t *Tx) MirrorRec(k GroupKey, id int64) (*MirrorRec, error) {
	b, err := t.mirrorSub(bucketMirrorRecs)
	if err != nil || b == nil {
		return nil, err
	}
	v := b.Get(mirrorTaskKey(k, id))
	if v == nil {
		return nil, nil
	}
	var r MirrorRec
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("mirror of task #%d in %s: %w", id, k, err)
	}
	return &r, nil
}

// MarkMirror records that task #id changed, so its mirror is behind.
func (t *Tx) MarkMirror(k GroupKey, id int64) error {
	r, err := t.MirrorRec(k, id)
	if err != nil {
		return err
	}
	if r == nil {
		r = &MirrorRec{Group: k, TaskID: id}
	}
	if r.Gone {
		return nil
	}
	r.Want++
	// A change deserves a prompt try even after failures.
	r.NextTry = time.Time{}
	return t.PutMirrorRec(r)
}

// PutMirrorRec saves r, keeping the queue and the ref index in step.
func (t *Tx) PutMirrorRec(r *MirrorRec) error {
	recs, err := t.mirrorSub(bucketMirrorRecs)
	if err != nil {
		return err
	}
	queue, err := t.mirrorSub(bucketMirrorQueue)
	if err != nil {
		return err
	}
	refs, err := t.mirrorSub(bucketMirrorRefs)
	if err != nil {
		return err
	}
	key := mirrorTaskKey(r.Group, r.TaskID)
	if err := putJSON(recs, key, r); err != nil {
		return err
	}
	if r.Ref != "" {
		if err := refs.Put([]byte(r.Group.Platform+"\x00"+r.Ref), key); err != nil {
			return err
		}
	}
	if r.Behind() {
		return queue.Put(key, nil)
	}
	return queue.Delete(key)
}

// MirrorQueue calls fn for each task whose mirror is behind.
func (t *Tx) MirrorQueue(fn func(k GroupKey, id int64) error) error {
	b, err := t.mirrorSub(bucketMirrorQueue)
	if err != nil || b == nil {
		return err
	}
	return b.ForEach(func(k, _ []byte) error {
		g, id, err := parseMirrorTaskKey(k)
		if err != nil {
			return err
		}
		return fn(g, id)
	})
}

// MirrorByRef finds the task whose mirror on platform has id ref, or
// ErrNotFound.
func (t *Tx) MirrorByRef(platform, ref string) (GroupKey, int64, error) {
	b, err := t.mirrorSub(bucketMirrorRefs)
	if err != nil {
		return GroupKey{}, 0, err
	}
	var v []byte
	if b != nil {
		v = b.Get([]byte(platform + "\x00" + ref))
	}
	if v == nil {
		return GroupKey{}, 0, fmt.Errorf("mirror %s %q: %w", platform, ref, ErrNotFound)
	}
	return parseMirrorTaskKey(v)
}
