package store

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestMeta(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	get := func(db *DB, name string) []byte {
		t.Helper()
		var v []byte
		if err := db.View(func(tx *Tx) error {
			var err error
			v, err = tx.Meta(name)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get(db, "console.clock"); v != nil {
		t.Errorf("unset name: %q", v)
	}
	// "schema" is the store's own key: a meta value of that name must not
	// replace the schema version.
	for _, kv := range [][2]string{{"console.clock", `{"offset":1}`}, {"schema", "not a version"}} {
		if err := db.Update(func(tx *Tx) error { return tx.PutMeta(kv[0], []byte(kv[1])) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Update(func(tx *Tx) error { return tx.PutMeta("", []byte("x")) }); err == nil {
		t.Error("an empty name was accepted")
	}
	db.Close()

	// The values survive a reopen, and the file still opens (schema intact)
	// and passes the full check.
	db, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := get(db, "console.clock"); !bytes.Equal(v, []byte(`{"offset":1}`)) {
		t.Errorf("after reopen: %q", v)
	}
	if v := get(db, "schema"); string(v) != "not a version" {
		t.Errorf("meta schema: %q", v)
	}
	if err := db.Update(func(tx *Tx) error { return tx.PutMeta("console.clock", nil) }); err != nil {
		t.Fatal(err)
	}
	if v := get(db, "console.clock"); v != nil {
		t.Errorf("deleted value: %q", v)
	}
	db.Close()
	if rep, err := CheckFile(path, 0); err != nil {
		t.Fatalf("check: %v (%+v)", err, rep)
	} else if rep.Schema != SchemaVersion {
		t.Errorf("schema %d after meta writes, want %d", rep.Schema, SchemaVersion)
	}
}
