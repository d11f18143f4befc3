package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fillStore writes a store big enough that its tasks bucket is a tree of
// branch and leaf pages, and returns its path.
func fillStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "filled.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for g := range 3 {
		key := GroupKey{Platform: "lark", ChatID: fmt.Sprintf("oc_%d", g)}
		err := db.Update(func(tx *Tx) error {
			if _, err := tx.EnsureGroup(key, t0); err != nil {
				return err
			}
			for i := range 150 {
				task := &Task{Group: key, Topic: "产品研发", Item: fmt.Sprintf("事项%d", i),
					Request: strings.Repeat("需前端提供技术评估方案", 10), Deadline: "9月15日前",
					Due: t0.Add(48 * time.Hour), Urgency: "routine", Owner: User{ID: "zs", Name: "张三"},
					Initiator: User{ID: "ls", Name: "李四"}, Status: StatusOpen, CreatedAt: t0, MessageID: fmt.Sprintf("m%d", i)}
				if err := tx.NewTask(task); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Check(); err != nil {
		t.Fatalf("the filled store is not clean: %v", err)
	}
	return path
}

// layout finds pages to damage through bbolt's own view of the file.
type layout struct {
	pageSize   int
	rootPage   uint64 // the root bucket's page
	groupsRoot uint64 // the top-level groups bucket's root page
	tasksRoot  uint64 // a group's tasks bucket's root: a branch page
	tasksLeaf  uint64 // a leaf under it
	firstKey   int64  // file offset of that leaf's first key
	hwm        uint64 // pages in use or free
}

func findLayout(t *testing.T, path string) layout {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var l layout
	l.pageSize = bdb.Info().PageSize
	err = bdb.View(func(tx *bolt.Tx) error {
		groups := tx.Bucket(bucketGroups)
		l.groupsRoot = uint64(groups.Root())
		g := groups.Bucket(GroupKey{Platform: "lark", ChatID: "oc_1"}.bytes())
		l.tasksRoot = uint64(g.Bucket(bucketTasks).Root())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	hdr := readAt(t, path, int64(l.tasksRoot)*int64(l.pageSize), 16+16)
	if flags := ne.Uint16(hdr[8:]); flags != branchPage || l.groupsRoot == 0 || l.tasksRoot == 0 {
		t.Fatalf("the tasks bucket's root page %d has flags %#x, want a branch page: fill more", l.tasksRoot, flags)
	}
	l.tasksLeaf = ne.Uint64(hdr[16+8:]) // the first branch element's page id
	// The current meta page (the newer one) names the root bucket's page.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	w := newWalker(f, st.Size())
	if !w.readMeta() {
		t.Fatal(w.problems)
	}
	l.rootPage, l.hwm = w.meta.root, w.hwm
	leaf := readAt(t, path, int64(l.tasksLeaf)*int64(l.pageSize), 16+2*16)
	if ne.Uint16(leaf[8:]) != leafPage || ne.Uint16(leaf[10:]) < 2 {
		t.Fatalf("page %d is not a leaf with keys", l.tasksLeaf)
	}
	// The first element's key: the element's offset plus its pos.
	l.firstKey = int64(l.tasksLeaf)*int64(l.pageSize) + pageHeaderSize + int64(ne.Uint32(leaf[16+4:]))
	return l
}

func readAt(t *testing.T, path string, off int64, n int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(dst, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func garbage(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// openClean opens a store that must open, checking it when the test ends.
func openClean(t *testing.T, path string, opt *Options) *DB {
	t.Helper()
	db, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("tx.Check: %v", err)
		}
		db.Close()
	})
	return db
}

// wantCorrupt checks that Open (read-write and read-only) and CheckFile
// refuse path with ErrCorrupt, without a panic and without changing a byte.
func wantCorrupt(t *testing.T, path string, opt *Options) {
	t.Helper()
	before := fileHash(t, path)
	for _, ro := range []bool{false, true} {
		o := Options{ReadOnly: ro}
		if opt != nil {
			o = *opt
			o.ReadOnly = ro
		}
		db, err := Open(path, &o)
		if err == nil {
			db.Close()
			t.Fatalf("Open(ReadOnly: %v) of a damaged file succeeded", ro)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open(ReadOnly: %v): %v, want ErrCorrupt", ro, err)
		}
		msg := err.Error()
		for _, want := range []string{path, "collabbot check-db -db " + path, "collabbot backup", "not changed"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the error should contain %q:\n%s", want, msg)
			}
		}
	}
	rep, err := CheckFile(path, 0)
	t.Logf("CheckFile: %v", err)
	if !errors.Is(err, ErrCorrupt) || rep == nil || len(rep.Problems) == 0 {
		t.Errorf("CheckFile: %v, report %+v; want ErrCorrupt and problems", err, rep)
	}
	if fileHash(t, path) != before {
		t.Error("the damaged file was written to")
	}
}

func TestOpenRefusesDamagedPages(t *testing.T) {
	clean := fillStore(t)
	l := findLayout(t, clean)
	ps := int64(l.pageSize)
	cases := []struct {
		name string
		off  int64
		data []byte
	}{
		{"branch page overwritten", int64(l.tasksRoot) * ps, garbage(int(ps), 1)},
		{"leaf page overwritten", int64(l.tasksLeaf) * ps, garbage(int(ps), 2)},
		{"leaf element table garbled, header intact", int64(l.tasksLeaf)*ps + pageHeaderSize, garbage(64, 3)},
		{"leaf keys out of order", l.firstKey, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		// bbolt itself would follow this pointer outside its memory map: a
		// fault no recover catches.
		{"branch points far outside the file", int64(l.tasksRoot)*ps + pageHeaderSize + 8, []byte{0, 0, 0, 0, 0, 1, 0, 0}},
		{"branch points at a meta page", int64(l.tasksRoot)*ps + pageHeaderSize + 8, []byte{1, 0, 0, 0, 0, 0, 0, 0}},
		{"root bucket page overwritten", int64(l.rootPage) * ps, garbage(int(ps), 5)},
		{"top-level bucket's root overwritten", int64(l.groupsRoot) * ps, garbage(int(ps), 6)},
		{"both meta pages overwritten", 0, garbage(int(2*ps), 7)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := copyFile(t, clean)
			writeAt(t, path, c.off, c.data)
			wantCorrupt(t, path, nil)
		})
	}
	// The undamaged original still opens.
	openClean(t, clean, nil)
}

func TestOpenRefusesTruncatedFile(t *testing.T) {
	clean := fillStore(t)
	l := findLayout(t, clean)
	inUse := int64(l.hwm) * int64(l.pageSize) // bbolt grows files ahead of use
	for _, size := range []int64{inUse / 2, inUse - 1, 3000, 40, 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			path := copyFile(t, clean)
			if err := os.Truncate(path, size); err != nil {
				t.Fatal(err)
			}
			wantCorrupt(t, path, nil)
			wantCorrupt(t, path, &Options{Create: true}) // Create is only for empty files
		})
	}
}

func TestOpenRefusesGarbageFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(path, garbage(64<<10, 8), 0o600); err != nil {
		t.Fatal(err)
	}
	wantCorrupt(t, path, nil)
}

func TestOpenEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []*Options{nil, {ReadOnly: true}, {ReadOnly: true, Create: true}} {
		_, err := Open(path, opt)
		if !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "0 bytes") {
			t.Errorf("Open(%+v) of a 0-byte file: %v; want ErrEmpty naming the file", opt, err)
		}
	}
	if _, err := CheckFile(path, 0); !errors.Is(err, ErrEmpty) {
		t.Errorf("CheckFile of a 0-byte file: %v, want ErrEmpty", err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Fatalf("the refused empty file changed: %v %v", st, err)
	}
	// Deliberately creating a store there initialises it.
	db, err := Open(path, &Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	newTask(t, db, "zs")
	db.Close()
	db = openClean(t, path, nil)
	if rep := db.Verified(); rep == nil || !rep.Complete || rep.Schema != SchemaVersion {
		t.Errorf("reopened store's check: %+v", rep)
	}
	err = db.View(func(tx *Tx) error {
		_, err := tx.Task(gk, 1)
		return err
	})
	if err != nil {
		t.Errorf("the task written after Create: %v", err)
	}
}

func TestOpenCleanStore(t *testing.T) {
	path := fillStore(t)
	before := fileHash(t, path)
	rep, err := CheckFile(path, 0)
	if err != nil || !rep.Complete || len(rep.Problems) != 0 || rep.Schema != SchemaVersion || rep.PageSize == 0 {
		t.Fatalf("CheckFile of a clean store: %v, %+v", err, rep)
	}
	if fileHash(t, path) != before {
		t.Error("CheckFile wrote to the file")
	}
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep := ro.Verified(); rep == nil || !rep.Complete {
		t.Errorf("read-only Open's check: %+v", rep)
	}
	ro.Close()
	db := openClean(t, path, nil)
	newTask(t, db, "ww") // writable after the check
}

// Files over FullCheckSize: the essential pages always, the rest within
// the budget, and everything in CheckFile.
func TestOpenBigFileBudget(t *testing.T) {
	saved := fullCheckSize
	fullCheckSize = 0 // every file counts as big
	t.Cleanup(func() { fullCheckSize = saved })
	clean := fillStore(t)
	l := findLayout(t, clean)
	ps := int64(l.pageSize)

	for _, c := range []struct {
		budget   time.Duration
		complete bool
	}{{-1, false}, {0, true}} {
		db, err := Open(clean, &Options{ReadOnly: true, VerifyBudget: c.budget})
		if err != nil {
			t.Fatal(err)
		}
		if rep := db.Verified(); rep == nil || rep.Complete != c.complete || len(rep.Problems) != 0 {
			t.Errorf("budget %v: report %+v, want Complete %v", c.budget, rep, c.complete)
		}
		db.Close()
	}

	// A damaged leaf deep in the tree: found within the budget...
	deep := copyFile(t, clean)
	writeAt(t, deep, int64(l.tasksLeaf)*ps, garbage(int(ps), 9))
	wantCorrupt(t, deep, nil)
	// ...not by the essential part alone, which is why check-db exists.
	before := fileHash(t, deep)
	db, err := Open(deep, &Options{ReadOnly: true, VerifyBudget: -1})
	if err != nil {
		t.Fatalf("essential check only: %v", err)
	}
	if db.Verified().Complete {
		t.Error("a partial check reports itself complete")
	}
	db.Close()
	if _, err := CheckFile(deep, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("CheckFile: %v, want ErrCorrupt", err)
	}
	if fileHash(t, deep) != before {
		t.Error("the damaged file was written to")
	}

	// A damaged top-level bucket is found even with no budget.
	top := copyFile(t, clean)
	writeAt(t, top, int64(l.groupsRoot)*ps, garbage(int(ps), 10))
	wantCorrupt(t, top, &Options{VerifyBudget: -1})
}

func TestCorruptErrorListsFirstProblems(t *testing.T) {
	err := corrupt("/data/x.db", "a", "b", "c", "d", "e")
	msg := err.Error()
	for _, want := range []string{"/data/x.db", "a; b; c; and 2 more", "collabbot check-db -db /data/x.db"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Error("not ErrCorrupt")
	}
}
