package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A damaged bbolt file must never reach a read-write bbolt: bbolt trusts
// the page references it reads from its memory map, so a bad page id makes
// it fault outside the map (a crash no recover catches) or panic deep in a
// transaction, and a read-write open writes to the file before any of that.
// Open therefore verifies an existing file in three steps, holding bbolt's
// shared (read-only) lock so a running writer cannot change it meanwhile:
//
//  1. bbolt opens it read-only (it reads only the two meta pages);
//  2. walk reads every reachable page with ReadAt, never through the map,
//     and checks what bbolt would otherwise trust: meta pages, page ids and
//     types, page and element bounds, key order, multiple references, the
//     free list, and pages neither reachable nor free;
//  3. when the walk is clean, bbolt's own tx.Check runs on the map.
//
// Only then is the file reopened for writing.

// FullCheckSize is the largest file Open checks completely every time.
// Bigger files get the meta pages, the free list, the root bucket and the
// root page of each top-level bucket, then as much of the rest as fits in
// Options.VerifyBudget; CheckFile (`collabbot check-db`) checks everything.
const FullCheckSize = 64 << 20

// DefaultVerifyBudget is the time Open spends checking a file bigger than
// FullCheckSize when Options.VerifyBudget is zero.
const DefaultVerifyBudget = 2 * time.Second

// fullCheckSize is FullCheckSize; tests lower it.
var fullCheckSize int64 = FullCheckSize

// maxProblems bounds the list kept for a file that is garbage throughout.
const maxProblems = 10000

// Report is what checking a store file found.
type Report struct {
	Path     string
	Size     int64
	PageSize int
	// Schema is the layout version recorded in the file (0: none).
	Schema uint64
	// Problems lists every problem found, in the order found.
	Problems []string
	// Complete is false when Open's time budget ran out before every page
	// of a file bigger than FullCheckSize was checked.
	Complete bool
}

// CorruptError is the error Open and CheckFile return for a damaged file;
// it wraps ErrCorrupt.
type CorruptError struct {
	Path     string
	Problems []string
}

func (e *CorruptError) Error() string {
	const show = 3
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v: ", e.Path, ErrCorrupt)
	for i, p := range e.Problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	fmt.Fprintf(&b, ". The file was not changed. Run `collabbot check-db -db %s` to see every problem, and restore the store from a backup (`collabbot backup` makes them)", e.Path)
	return b.String()
}

func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corrupt(path string, problems ...string) error {
	return &CorruptError{Path: path, Problems: problems}
}

func emptyFileError(path string) error {
	return fmt.Errorf("open %s: %w (0 bytes): it is not a collabbot store. If it should hold the bot's data, restore it from a backup (`collabbot backup` makes them); to start a new store, delete the empty file", path, ErrEmpty)
}

// CheckFile checks the store file at path completely, with no size limit or
// time budget, without writing to it. The report lists every problem; the
// error wraps ErrCorrupt when there are any, is ErrLocked when another
// process has the file open for writing (within timeout), and ErrEmpty for
// a 0-byte file.
func CheckFile(path string, timeout time.Duration) (*Report, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return &Report{Path: path}, emptyFileError(path)
	}
	if timeout == 0 {
		timeout = 50 * time.Millisecond
	}
	rep, bdb, err := verify(path, st.Size(), timeout, true, 0)
	if bdb != nil {
		bdb.Close()
	}
	return rep, err
}

// verify checks an existing, non-empty file as described at the top of
// this file. On success it returns the file open read-only; the caller
// closes it. full ignores FullCheckSize and the budget.
func verify(path string, size int64, timeout time.Duration, full bool, budget time.Duration) (*Report, *bolt.DB, error) {
	rep := &Report{Path: path, Size: size}
	f, err := os.Open(path)
	if err != nil {
		return rep, nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	bdb, err := boltOpen(path, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		if errors.Is(err, ErrLocked) || errors.Is(err, ErrCorrupt) {
			return rep, nil, err
		}
		// bbolt's reasons ("invalid database") are terse: say what is wrong.
		w := newWalker(f, size)
		w.readMeta()
		if len(w.problems) > 0 {
			rep.Problems = w.problems
			return rep, nil, corrupt(path, w.problems...)
		}
		return rep, nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The size that counts is the one under the lock.
	if st, err := f.Stat(); err == nil {
		size, rep.Size = st.Size(), st.Size()
	}
	w := newWalker(f, size)
	if !full && size > fullCheckSize {
		if budget == 0 {
			budget = DefaultVerifyBudget
		}
		w.deadline = time.Now().Add(max(budget, 0))
	}
	w.run()
	rep.PageSize, rep.Problems, rep.Complete = w.ps, w.problems, w.complete
	if len(rep.Problems) == 0 && w.complete && (full || size <= fullCheckSize) {
		rep.Problems = boltCheck(bdb)
	}
	if len(rep.Problems) == 0 {
		rep.Schema, err = readSchema(bdb)
		if err != nil {
			rep.Problems = append(rep.Problems, err.Error())
		}
	}
	if len(rep.Problems) > 0 {
		bdb.Close()
		return rep, nil, corrupt(path, rep.Problems...)
	}
	return rep, bdb, nil
}

// boltOpen is bolt.Open that turns a panic into ErrCorrupt and a lock
// timeout into ErrLocked.
func boltOpen(path string, o *bolt.Options) (bdb *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, corrupt(path, fmt.Sprintf("bbolt panicked opening the file: %v", r))
		}
	}()
	bdb, err = bolt.Open(path, 0o600, o)
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	return bdb, err
}

// boltCheck runs tx.Check and returns its findings. bbolt recovers panics
// inside the check itself; the recover here covers the transaction around it.
func boltCheck(bdb *bolt.DB) (problems []string) {
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Sprintf("bbolt panicked checking the file: %v", r))
		}
	}()
	err := bdb.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if len(problems) < maxProblems {
				problems = append(problems, err.Error())
			}
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

func readSchema(bdb *bolt.DB) (v uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bbolt panicked reading the schema version: %v", r)
		}
	}()
	err = bdb.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			if b := m.Get(keySchema); len(b) == 8 {
				v = binary.BigEndian.Uint64(b)
			}
		}
		return nil
	})
	return v, err
}

// bbolt's file format (go.etcd.io/bbolt/internal/common), in the byte order
// of the machine that wrote it. Every page starts with a 16-byte header:
// id u64, flags u16, count u16, overflow u32.
const (
	pageHeaderSize = 16
	elementSize    = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHeader   = 16 // a bucket's value: root pgid u64, sequence u64, then an inline page when root is 0
	metaSize       = 64 // magic, version, page size, flags u32; root, seq, freelist, pgid, txid, checksum u64

	branchPage   = 0x01
	leafPage     = 0x02
	metaPage     = 0x04
	freelistPage = 0x10
	bucketLeaf   = 0x01

	boltMagic   = 0xED0CDAED
	boltVersion = 2
	noFreelist  = ^uint64(0)
)

var ne = binary.NativeEndian

type meta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages [0, pgid) are in use or free
	txid     uint64
}

// parseMeta reads a meta page (header included); it returns why not.
func parseMeta(b []byte) (meta, string) {
	if len(b) < pageHeaderSize+metaSize {
		return meta{}, "cut short"
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	switch {
	case ne.Uint32(m[0:]) != boltMagic:
		return meta{}, "no bbolt magic number"
	case ne.Uint32(m[4:]) != boltVersion:
		return meta{}, fmt.Sprintf("format version %d, want %d", ne.Uint32(m[4:]), boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return meta{}, "checksum mismatch"
	}
	return meta{pageSize: ne.Uint32(m[8:]), root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]),
		pgid: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, ""
}

// walker checks the page structure by reading the file, never mapping it.
type walker struct {
	hdr      [pageHeaderSize]byte // scratch for page headers
	f        io.ReaderAt
	size     int64
	ps       int
	meta     meta
	metaPage uint64 // which meta page is current: 0 or 1
	hwm      uint64
	reached  bitset
	freed    bitset
	queue    []item
	deadline time.Time // zero: none
	complete bool
	problems []string
}

// item is a page to visit.
type item struct {
	pgid   uint64
	inline []byte // an inline bucket's page, instead of pgid
	from   uint64 // the page that refers to it
	lo, hi []byte // its keys must be in [lo, hi) (nil: unbounded)
	bucket string // the bucket, for messages: the root bucket, bucket "a"/"b"
	path   string // the bucket's key path: "a"/"b"
	level  int    // bucket nesting: 0 is the root bucket
	depth  int    // page depth within the bucket
}

func newWalker(f io.ReaderAt, size int64) *walker { return &walker{f: f, size: size} }

func (w *walker) problem(format string, args ...any) {
	switch {
	case len(w.problems) < maxProblems:
		w.problems = append(w.problems, fmt.Sprintf(format, args...))
	case len(w.problems) == maxProblems:
		w.problems = append(w.problems, fmt.Sprintf("stopped listing after %d problems", maxProblems))
	}
}

// readMeta finds the page size and the current meta page as bbolt does,
// and checks that the file is as long as the meta page says.
func (w *walker) readMeta() bool {
	if w.size < pageHeaderSize+metaSize {
		w.problem("the file is %d bytes, shorter than a bbolt header: truncated or not a bbolt file", w.size)
		return false
	}
	buf := make([]byte, pageHeaderSize+metaSize)
	var m0, m1 meta
	var why0, why1 string
	if _, err := w.f.ReadAt(buf, 0); err != nil {
		w.problem("meta page 0: %v", err)
		return false
	}
	m0, why0 = parseMeta(buf)
	ps := int64(m0.pageSize)
	if why0 != "" {
		// Like bbolt: look for the second meta page at each possible size.
		why1 = "not found"
		for i := 0; i <= 14; i++ {
			pos := int64(1024) << i
			if pos >= w.size-1024 {
				break
			}
			if _, err := w.f.ReadAt(buf, pos); err != nil {
				continue
			}
			if m, why := parseMeta(buf); why == "" {
				m1, why1, ps = m, "", int64(m.pageSize)
				break
			}
		}
	}
	if why0 != "" && why1 != "" {
		w.problem("no valid meta page (page 0: %s; page 1: %s): not a bbolt file, or both meta pages are damaged", why0, why1)
		return false
	}
	if ps < 512 || ps > 1<<24 || ps&(ps-1) != 0 {
		w.problem("meta page: page size %d is not a power of two between 512 and 16 MiB", ps)
		return false
	}
	w.ps = int(ps)
	if why0 == "" {
		if w.size < 2*ps {
			w.problem("the file is %d bytes, shorter than its two %d-byte meta pages: truncated", w.size, ps)
			return false
		}
		if _, err := w.f.ReadAt(buf, ps); err != nil {
			w.problem("meta page 1: %v", err)
			return false
		}
		m1, why1 = parseMeta(buf)
	}
	// The newer valid meta page is the current one; the other may be a
	// write that a crash cut short, which bbolt recovers from.
	switch {
	case why1 != "" || (why0 == "" && m0.txid >= m1.txid):
		w.meta = m0
	default:
		w.meta, w.metaPage = m1, 1
	}
	if w.meta.pageSize != uint32(ps) {
		w.problem("meta pages disagree on the page size (%d and %d)", ps, w.meta.pageSize)
		return false
	}
	w.hwm = w.meta.pgid
	if w.hwm < 4 || w.hwm > uint64(w.size)/uint64(ps) {
		w.problem("the file is %d bytes but its meta page counts %d pages of %d bytes: truncated", w.size, w.hwm, ps)
		return false
	}
	if w.meta.root < 2 || w.meta.root >= w.hwm {
		w.problem("meta page: root bucket page %d is outside [2, %d)", w.meta.root, w.hwm)
		return false
	}
	if w.meta.freelist == noFreelist {
		// Then bbolt rebuilds the free list by walking the file in a
		// goroutine that panics on any problem, which no recover reaches.
		w.problem("meta page: the free list is not stored (the file was written with NoFreelistSync, which collabbot never uses), so it cannot be checked safely")
		return false
	}
	if w.meta.freelist < 2 || w.meta.freelist >= w.hwm {
		w.problem("meta page: free list page %d is outside [2, %d)", w.meta.freelist, w.hwm)
		return false
	}
	return true
}

// run checks the whole file, or as much as the deadline allows.
func (w *walker) run() {
	if !w.readMeta() {
		return
	}
	w.reached = newBitset(w.hwm)
	w.freed = newBitset(w.hwm)
	w.reached.set(0)
	w.reached.set(1)
	w.readFreelist()
	w.complete = true
	w.queue = append(w.queue, item{pgid: w.meta.root, from: w.metaPage, bucket: "the root bucket"})
	for n := 0; len(w.queue) > 0; n++ {
		// Depth first: the queue then holds one path's siblings, not a
		// whole level of a big file (a breadth-first walk of a million
		// tasks held hundreds of megabytes of pending pages).
		last := len(w.queue) - 1
		it := w.queue[last]
		w.queue[last] = item{}
		w.queue = w.queue[:last]
		// The root bucket and each top-level bucket's root page are always
		// checked; the rest while the budget lasts.
		essential := it.level == 0 || (it.level == 1 && it.depth == 0)
		if !essential && !w.deadline.IsZero() && (!w.complete || n%64 == 0 && time.Now().After(w.deadline)) {
			w.complete = false
			continue
		}
		if it.inline != nil {
			w.visitLeaf(it, it.inline, it.from)
		} else {
			w.visit(it)
		}
	}
	if !w.complete {
		return
	}
	// Pages under a damaged one were not reached: one line says so, rather
	// than a line per page burying the cause.
	damaged := len(w.problems) > 0
	lost := 0
	for id := uint64(2); id < w.hwm; id++ {
		if !w.reached.has(id) && !w.freed.has(id) {
			if lost++; !damaged {
				w.problem("page %d: neither reachable nor free", id)
			}
		}
	}
	if damaged && lost > 0 {
		w.problem("%d pages are neither reachable nor free (most likely under the damaged pages)", lost)
	}
}

func (w *walker) readFreelist() {
	id := w.meta.freelist
	buf, ok := w.page(id, "the free list", w.metaPage)
	if !ok {
		return
	}
	if f := ne.Uint16(buf[8:]); f != freelistPage {
		w.problem("page %d: the free list page has type %s", id, pageType(f))
		return
	}
	start, count := uint64(pageHeaderSize), uint64(ne.Uint16(buf[10:]))
	if count == 0xFFFF {
		if len(buf) < pageHeaderSize+8 {
			w.problem("page %d: free list cut short", id)
			return
		}
		count = ne.Uint64(buf[pageHeaderSize:])
		start += 8
	}
	if count > (uint64(len(buf))-start)/8 {
		w.problem("page %d: the free list counts %d pages, more than fit in it", id, count)
		return
	}
	for i := uint64(0); i < count; i++ {
		p := ne.Uint64(buf[start+8*i:])
		switch {
		case p < 2 || p >= w.hwm:
			w.problem("page %d: the free list holds page %d, outside [2, %d)", id, p, w.hwm)
		case w.freed.has(p):
			w.problem("page %d: already freed", p)
		case w.reached.has(p):
			w.problem("page %d: free, but it is the free list itself", p)
		default:
			w.freed.set(p)
		}
	}
}

// page reads page id with its overflow pages, checking its header and
// marking it reached.
func (w *walker) page(id uint64, what string, from uint64) ([]byte, bool) {
	if id < 2 || id >= w.hwm {
		w.problem("page %d: referenced by page %d for %s, outside [2, %d)", id, from, what, w.hwm)
		return nil, false
	}
	hdr := w.hdr[:]
	if _, err := w.f.ReadAt(hdr, int64(id)*int64(w.ps)); err != nil {
		w.problem("page %d (%s): %v", id, what, err)
		return nil, false
	}
	if got := ne.Uint64(hdr); got != id {
		w.problem("page %d (%s, referenced by page %d): its header says page %d: overwritten", id, what, from, got)
		return nil, false
	}
	overflow := uint64(ne.Uint32(hdr[12:]))
	if id+overflow >= w.hwm {
		w.problem("page %d (%s): %d overflow pages run past page %d", id, what, overflow, w.hwm)
		return nil, false
	}
	for i := uint64(0); i <= overflow; i++ {
		if w.reached.has(id + i) {
			w.problem("page %d (%s): multiple references", id+i, what)
			return nil, false
		}
		if w.freed.has(id + i) {
			w.problem("page %d (%s): reachable but free", id+i, what)
		}
		w.reached.set(id + i)
	}
	buf := make([]byte, (overflow+1)*uint64(w.ps))
	if _, err := w.f.ReadAt(buf, int64(id)*int64(w.ps)); err != nil {
		w.problem("page %d (%s): %v", id, what, err)
		return nil, false
	}
	return buf, true
}

func (w *walker) visit(it item) {
	what := it.bucket
	buf, ok := w.page(it.pgid, what, it.from)
	if !ok {
		return
	}
	switch f := ne.Uint16(buf[8:]); f {
	case leafPage:
		w.visitLeaf(it, buf, it.pgid)
	case branchPage:
		w.visitBranch(it, buf)
	default:
		w.problem("page %d (%s, referenced by page %d): invalid type %s", it.pgid, what, it.from, pageType(f))
	}
}

// elements returns a page's element count after checking they fit.
func (w *walker) elements(buf []byte, where string) (int, bool) {
	n := int(ne.Uint16(buf[10:]))
	if pageHeaderSize+n*elementSize > len(buf) {
		w.problem("%s: %d elements do not fit in %d bytes", where, n, len(buf))
		return 0, false
	}
	return n, true
}

// key returns element i's key and value, checking they lie in buf.
func (w *walker) kv(buf []byte, i int, pos, ksize, vsize uint32, where string) (k, v []byte, ok bool) {
	start := uint64(pageHeaderSize+i*elementSize) + uint64(pos)
	end := start + uint64(ksize) + uint64(vsize)
	if end > uint64(len(buf)) {
		w.problem("%s: element %d (offset %d, %d+%d bytes) runs past the page's %d bytes", where, i, start, ksize, vsize, len(buf))
		return nil, nil, false
	}
	return buf[start : start+uint64(ksize)], buf[start+uint64(ksize) : end], true
}

// inOrder checks key i of a page against the one before it and the bounds
// its parent set.
func (w *walker) inOrder(where string, i int, k, prev []byte, it item) {
	switch {
	case i > 0 && bytes.Compare(prev, k) >= 0:
		w.problem("%s: key %d (%s) is not after key %d (%s)", where, i, showKey(k), i-1, showKey(prev))
	case i == 0 && it.lo != nil && bytes.Compare(k, it.lo) < 0:
		w.problem("%s: first key (%s) is before its parent's key (%s)", where, showKey(k), showKey(it.lo))
	}
	if it.hi != nil && bytes.Compare(k, it.hi) >= 0 {
		w.problem("%s: key %d (%s) is not before its parent's next key (%s)", where, i, showKey(k), showKey(it.hi))
	}
}

func (w *walker) visitBranch(it item, buf []byte) {
	where := fmt.Sprintf("page %d (branch of %s)", it.pgid, it.bucket)
	n, ok := w.elements(buf, where)
	if !ok {
		return
	}
	if n == 0 {
		w.problem("%s: no elements", where)
		return
	}
	type child struct {
		pgid uint64
		key  []byte
	}
	kids := make([]child, 0, n)
	var prev []byte
	for i := 0; i < n; i++ {
		e := buf[pageHeaderSize+i*elementSize:]
		k, _, ok := w.kv(buf, i, ne.Uint32(e[0:]), ne.Uint32(e[4:]), 0, where)
		if !ok {
			return
		}
		w.inOrder(where, i, k, prev, it)
		prev = k
		kids = append(kids, child{ne.Uint64(e[8:]), bytes.Clone(k)})
	}
	for i, c := range kids {
		hi := it.hi
		if i+1 < len(kids) {
			hi = kids[i+1].key
		}
		w.queue = append(w.queue, item{pgid: c.pgid, from: it.pgid, lo: c.key, hi: hi,
			bucket: it.bucket, path: it.path, level: it.level, depth: it.depth + 1})
	}
}

// visitLeaf checks a leaf page (page is the page holding buf: itself, or
// the page holding an inline bucket) and queues the buckets it holds.
func (w *walker) visitLeaf(it item, buf []byte, page uint64) {
	where := fmt.Sprintf("page %d (leaf of %s)", page, it.bucket)
	if it.inline != nil {
		where = fmt.Sprintf("page %d (inline %s)", page, it.bucket)
	}
	n, ok := w.elements(buf, where)
	if !ok {
		return
	}
	var prev []byte
	for i := 0; i < n; i++ {
		e := buf[pageHeaderSize+i*elementSize:]
		flags := ne.Uint32(e[0:])
		k, v, ok := w.kv(buf, i, ne.Uint32(e[4:]), ne.Uint32(e[8:]), ne.Uint32(e[12:]), where)
		if !ok {
			return
		}
		w.inOrder(where, i, k, prev, it)
		prev = k
		if flags&^bucketLeaf != 0 {
			w.problem("%s: element %d has unknown flags %#x", where, i, flags)
			continue
		}
		if flags&bucketLeaf == 0 {
			continue
		}
		path := showKey(k)
		if it.level > 0 {
			path = it.path + "/" + path
		}
		name := "bucket " + path
		if len(v) < bucketHeader {
			w.problem("%s: %s: its %d-byte header is cut short", where, name, len(v))
			continue
		}
		next := item{from: page, bucket: name, path: path, level: it.level + 1}
		if root := ne.Uint64(v); root != 0 {
			next.pgid = root
		} else {
			in := v[bucketHeader:]
			if len(in) < pageHeaderSize {
				w.problem("%s: inline %s: its page is cut short", where, name)
				continue
			}
			if f := ne.Uint16(in[8:]); f != leafPage {
				w.problem("%s: inline %s: invalid type %s", where, name, pageType(f))
				continue
			}
			// A copy: a sub-slice would keep the whole page buffer alive
			// until the inline bucket's turn comes.
			next.inline = bytes.Clone(in)
		}
		w.queue = append(w.queue, next)
	}
}

func pageType(f uint16) string {
	switch f {
	case branchPage:
		return "branch"
	case leafPage:
		return "leaf"
	case metaPage:
		return "meta"
	case freelistPage:
		return "freelist"
	}
	return fmt.Sprintf("unknown<%02x>", f)
}

// showKey prints a key for a message: quoted, and shortened when long.
func showKey(k []byte) string {
	if len(k) > 48 {
		return strconv.Quote(string(k[:48])) + "…"
	}
	return strconv.Quote(string(k))
}

type bitset []uint64

func newBitset(n uint64) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i uint64)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
