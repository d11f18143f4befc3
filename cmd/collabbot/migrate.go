package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"collabbot/store"
)

// cmdMigrate copies the store between backends:
//
//	collabbot migrate -config FILE -from bbolt:FILE -to etcd
//	collabbot migrate -config FILE -from etcd -to bbolt:FILE
//
// "etcd" means the cluster and prefix of store.etcd in the config file.
// The copy is verified (keys, nested buckets and a SHA-256 per top-level
// bucket, printed) and idempotent: a target that already matches is left
// as it is; one holding other data is refused unless -replace. Stop the
// bot (every replica) first: a store that changes during the copy fails
// the verification.
func cmdMigrate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	path := fs.String("config", "", "config file (for store.etcd)")
	from := fs.String("from", "", "bbolt:FILE or etcd")
	to := fs.String("to", "", "bbolt:FILE or etcd")
	replace := fs.Bool("replace", false, "delete whatever the target holds first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: collabbot migrate [-config FILE] -from bbolt:FILE|etcd -to bbolt:FILE|etcd [-replace]")
	}
	cfg, err := loadOptional(*path)
	if err != nil {
		return err
	}
	src, closeSrc, err := openMigrateEnd(cfg, *from, true)
	if err != nil {
		return fmt.Errorf("-from %s: %w", *from, err)
	}
	defer closeSrc()
	dst, closeDst, err := openMigrateEnd(cfg, *to, false)
	if err != nil {
		return fmt.Errorf("-to %s: %w", *to, err)
	}
	defer closeDst()
	if src.Path() == dst.Path() {
		return errors.New("-from and -to are the same store")
	}
	start := time.Now()
	rep, err := store.Copy(dst, src, *replace)
	if errors.Is(err, store.ErrTargetNotEmpty) {
		return fmt.Errorf("%s already holds other data: not changed (add -replace to delete it and copy %s over it)", dst.Path(), src.Path())
	}
	if err != nil {
		return err
	}
	for _, s := range rep.Sums {
		fmt.Fprintf(stdout, "bucket %-10s keys %6d buckets %5d sha256 %s\n", s.Name, s.Keys, s.Buckets, s.Sum)
	}
	if rep.Already {
		fmt.Fprintf(stdout, "migrate: %s already holds exactly what %s holds (verified); nothing written\n", dst.Path(), src.Path())
		return nil
	}
	fmt.Fprintf(stdout, "migrate: %d keys and %d buckets from %s to %s in %d commits, %v; verified\n",
		rep.Keys, rep.Buckets, src.Path(), dst.Path(), rep.Commits, time.Since(start).Round(time.Millisecond))
	return nil
}

// openMigrateEnd opens one end of a migration. A bbolt source is opened
// read-only (checked as at every start); a missing bbolt target is created.
func openMigrateEnd(cfg Config, spec string, source bool) (*store.DB, func(), error) {
	switch {
	case spec == "etcd":
		if len(cfg.Store.Etcd.Endpoints) == 0 {
			return nil, nil, errors.New("store.etcd.endpoints is not set: name the config file with -config FILE")
		}
		cli, err := newEtcdClient(cfg.Store.Etcd)
		if err != nil {
			return nil, nil, err
		}
		db, err := openEtcdStore(cli, cfg.Store.Etcd)
		if err != nil {
			cli.Close()
			return nil, nil, err
		}
		return db, func() { db.Close(); cli.Close() }, nil
	case strings.HasPrefix(spec, "bbolt:") && len(spec) > len("bbolt:"):
		file := strings.TrimPrefix(spec, "bbolt:")
		db, err := store.Open(file, &store.Options{Timeout: 200 * time.Millisecond, ReadOnly: source})
		if errors.Is(err, store.ErrLocked) {
			return nil, nil, fmt.Errorf("%s is in use by a running collabbot: stop it first", file)
		}
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	return nil, nil, fmt.Errorf("%q: want bbolt:FILE or etcd", spec)
}
