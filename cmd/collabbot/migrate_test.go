package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"collabbot/store"
	"collabbot/store/etcdtest"
)

// bbolt → etcd → bbolt with the subcommand: the second run of each finds
// the target matching and writes nothing; the copy back has the original's
// sums; a target with other data is refused without -replace.
func TestMigrateCommand(t *testing.T) {
	c := etcdtest.New(t, 1)
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	db, err := store.Open(orig, nil)
	if err != nil {
		t.Fatal(err)
	}
	gk := store.GroupKey{Platform: "lark", ChatID: "oc_1"}
	err = db.Update(func(tx *store.Tx) error {
		if _, err := tx.EnsureGroup(gk, time.Now()); err != nil {
			return err
		}
		for i := range 150 {
			if err := tx.NewTask(&store.Task{Group: gk, Topic: fmt.Sprint("T", i), Owner: store.User{ID: "o"}, Status: store.StatusOpen, CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := db.Sums()
	db.Close()
	cfg := filepath.Join(dir, "c.yaml")
	yaml := fmt.Sprintf("store:\n  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: /migrate-test\n", c.Endpoints[0])
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"migrate", "-config", cfg}, args...), nil, &out, &errb)
		return out.String() + errb.String(), code
	}
	back := filepath.Join(dir, "back.db")
	for _, step := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"-from", "bbolt:" + orig, "-to", "etcd"}, "verified", 0},
		{[]string{"-from", "bbolt:" + orig, "-to", "etcd"}, "nothing written", 0},
		{[]string{"-from", "etcd", "-to", "bbolt:" + back}, "verified", 0},
		{[]string{"-from", "etcd", "-to", "bbolt:" + back}, "nothing written", 0},
	} {
		out, code := run(step.args...)
		if code != step.code || !strings.Contains(out, step.want) {
			t.Fatalf("migrate %v: exit %d\n%s\nwant exit %d and %q", step.args, code, out, step.code, step.want)
		}
	}
	cp, err := store.Open(back, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := cp.Sums()
	cp.Close()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("round trip:\n got %v\nwant %v", got, want)
	}
	other := filepath.Join(dir, "other.db")
	odb, err := store.Open(other, nil)
	if err != nil {
		t.Fatal(err)
	}
	odb.Update(func(tx *store.Tx) error { _, err := tx.EnsureGroup(gk, time.Now()); return err })
	odb.Close()
	if out, code := run("-from", "etcd", "-to", "bbolt:"+other); code == 0 || !strings.Contains(out, "-replace") {
		t.Errorf("onto other data: exit %d\n%s", code, out)
	}
	if out, code := run("-from", "etcd", "-to", "bbolt:"+other, "-replace"); code != 0 {
		t.Errorf("-replace: exit %d\n%s", code, out)
	}
}

func TestEtcdConfigKeys(t *testing.T) {
	env := map[string]string{"PW": "s3cret"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := ParseConfig([]byte("store:\n  backend: etcd\n  etcd:\n    endpoints: [http://a:2379, http://b:2379]\n    username: bot\n    password: ${PW}\n    prefix: /cb/prod\n    session_ttl: 3s\n    max_txn_ops: 1024\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	e := cfg.Store.Etcd
	if len(e.Endpoints) != 2 || e.Password.Reveal() != "s3cret" || e.Prefix != "/cb/prod" || e.MaxTxnOps != 1024 {
		t.Errorf("parsed %+v", e)
	}
	if strings.Contains(fmt.Sprintf("%v %+v", e, e), "s3cret") {
		t.Error("the etcd password prints")
	}
	for _, bad := range []string{
		"store:\n  backend: etcd\n",
		"store:\n  backend: mysql\n",
		"store:\n  backend: etcd\n  etcd:\n    endpoints: [http://a:2379]\n    session_ttl: 200ms\n",
		"store:\n  backend: etcd\n  etcd:\n    endpoints: [http://a:2379]\n    prefix: cb\n",
	} {
		if _, err := ParseConfig([]byte(bad), lookup); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}
