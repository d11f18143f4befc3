//go:build linux

package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// ReleaseMapped drops the store file's pages from the process's mapping
// (madvise MADV_DONTNEED). bbolt maps the whole file read-only and writes
// through the file, so the pages stay in the page cache and come back on
// the next read, unchanged; but a pass over a big store (the daily nudge
// reads every group) no longer leaves hundreds of megabytes counted as
// the process's resident memory. It runs inside a read transaction, which
// holds bbolt's mmap lock, so the mapping cannot move meanwhile.
func (db *DB) ReleaseMapped() error {
	if db.bolt == nil {
		return nil // etcd: nothing of the store is mapped here
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		info := db.bolt.Info()
		size := tx.Size()
		if info == nil || info.Data == 0 || size <= 0 {
			return nil
		}
		// The raw call takes the address as bbolt reports it; no Go
		// pointer is made from it.
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(size), syscall.MADV_DONTNEED); errno != 0 {
			return errno
		}
		return nil
	})
}
