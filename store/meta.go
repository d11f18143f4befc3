package store

import (
	"errors"
	"strings"
)

// Small named values kept with the data, for the program around the bot
// (e.g. the console's simulated clock, which must not go back on a store
// whose records were made at later simulated times). They live in the meta
// bucket under a prefix, apart from the store's own keys (the schema
// version), so no name can overwrite those.
const metaPrefix = "app."

// Meta returns the value stored under name, or nil when there is none.
// The slice is a copy, valid after the transaction.
func (t *Tx) Meta(name string) ([]byte, error) {
	if err := metaName(name); err != nil {
		return nil, err
	}
	m := t.tx.Bucket(bucketMeta)
	if m == nil {
		return nil, nil
	}
	v := m.Get([]byte(metaPrefix + name))
	if v == nil {
		return nil, nil
	}
	return append([]byte{}, v...), nil
}

// PutMeta stores v under name; a nil or empty v deletes it.
func (t *Tx) PutMeta(name string, v []byte) error {
	if err := metaName(name); err != nil {
		return err
	}
	m, err := t.tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	if len(v) == 0 {
		return m.Delete([]byte(metaPrefix + name))
	}
	return m.Put([]byte(metaPrefix+name), v)
}

func metaName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > 200 {
		return errors.New("store: a meta name must be 1 to 200 bytes and not blank")
	}
	return nil
}
