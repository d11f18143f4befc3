package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Which groups use a feature, so a timer that concerns only them (meeting
// reminders, incident re-pings, recurring tasks, the retrospective, the
// prompt about unowned tasks) reads those groups and not every group each
// minute. The store keeps it itself: a group joins a feature when its
// sub-bucket is created (groupSub), and a task is marked unowned while it
// is open without an owner (every task write), so no feature code can
// forget it.
//
// Layout, in the top-level "featgroups" bucket:
//
//	<feature>\x00<group>             → empty: the group has the sub-bucket
//	<feature>\x00<group>\x01<id u64> → empty: a task mark
var bucketFeatureGroups = []byte("featgroups")

// Features that GroupsWith knows.
var (
	FeatureMeetings  = string(bucketMeetings)
	FeatureIncidents = string(bucketIncident)
	FeatureRecurring = string(bucketRecur)
	FeatureProject   = string(bucketProject)
	// FeatureUnowned: groups with an open task nobody owns.
	FeatureUnowned = "unowned"
)

func featureKey(name string, k GroupKey) []byte {
	return append([]byte(name+"\x00"), k.bytes()...)
}

// markFeature records that group k uses the feature.
func (t *Tx) markFeature(name []byte, k GroupKey) error {
	b, err := t.tx.CreateBucketIfNotExists(bucketFeatureGroups)
	if err != nil {
		return err
	}
	return b.Put(featureKey(string(name), k), nil)
}

// markTask keeps the task marks in step with a task just written.
func (t *Tx) markTask(task *Task) error {
	key := binary.BigEndian.AppendUint64(append(featureKey(FeatureUnowned, task.Group), 1), uint64(task.ID))
	b := t.tx.Bucket(bucketFeatureGroups)
	if task.Status == StatusOpen && task.Unowned() {
		if b == nil {
			var err error
			if b, err = t.tx.CreateBucket(bucketFeatureGroups); err != nil {
				return err
			}
		}
		return b.Put(key, nil)
	}
	if b == nil {
		return nil
	}
	return b.Delete(key)
}

// GroupsWith calls fn for each group using the feature, in key order,
// once per group.
func (t *Tx) GroupsWith(feature string, fn func(g *Group) error) error {
	b := t.tx.Bucket(bucketFeatureGroups)
	if b == nil {
		return nil
	}
	prefix := []byte(feature + "\x00")
	var last []byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		gk := k[len(prefix):]
		if n := len(gk); n > 9 && gk[n-9] == 1 {
			gk = gk[:n-9]
		}
		if bytes.Equal(gk, last) {
			continue
		}
		last = append(last[:0], gk...)
		g, err := t.Group(parseGroupKey(gk))
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

// migrateFeatureGroups (schema 2 → 3) registers the groups whose feature
// sub-buckets and unowned tasks predate the index.
func migrateFeatureGroups(tx kvTx) error {
	t := &Tx{tx: tx}
	core := [][]byte{bucketTasks, bucketHistory, bucketThreads}
	// An unowned task's JSON has an empty owner id; only those are decoded.
	noOwner := []byte(`"owner":{"id":""`)
	return tx.Bucket(bucketGroups).ForEachBucket(func(name []byte) error {
		k := parseGroupKey(name)
		gb := tx.Bucket(bucketGroups).Bucket(name)
		err := gb.ForEachBucket(func(sub []byte) error {
			for _, c := range core {
				if bytes.Equal(sub, c) {
					return nil
				}
			}
			return t.markFeature(sub, k)
		})
		if err != nil {
			return err
		}
		tb := gb.Bucket(bucketTasks)
		if tb == nil {
			return nil
		}
		return tb.ForEach(func(id, v []byte) error {
			if !bytes.Contains(v, noOwner) {
				return nil
			}
			var task Task
			if err := json.Unmarshal(v, &task); err != nil {
				return fmt.Errorf("group %s task %x: %w", k, id, err)
			}
			return t.markTask(&task)
		})
	})
}
