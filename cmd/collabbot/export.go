package main

// collabbot export: a group's tasks as the seed guides' tables (see
// bot/export), to an XLSX workbook (all three tables, or one) or a CSV
// file (one table).
//
// The store is opened read-only. A running bot holds bbolt's file lock,
// so when the file is locked the export asks the running bot for a copy
// through /admin/backup (http.listen and http.admin_token in the config,
// as `collabbot backup` does) and exports from that copy in a temporary
// directory, removed afterwards. Without that endpoint it says how to
// export from a backup instead.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"collabbot/bot/export"
	"collabbot/store"
)

const exportUsage = "usage: collabbot export [-config FILE | -db FILE] [-group PLATFORM:CHATID] [-format xlsx|csv] [-table task|comm|issue] [-force] -o OUT"

func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (for store.path, timezone and the running bot's /admin/backup)")
	dbPath := fs.String("db", "", "store file, e.g. a backup (default: store.path)")
	groupArg := fs.String("group", "", "the group, PLATFORM:CHATID as /export shows it (may be omitted when the store holds one group)")
	format := fs.String("format", "", "xlsx or csv (default: from OUT's extension, else xlsx)")
	table := fs.String("table", "", "task, comm or issue: one table (required for csv, default task); xlsx: all three unless set")
	out := fs.String("o", "", "output file; - for standard output")
	force := fs.Bool("force", false, "overwrite OUT if it exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *out == "" {
		return errors.New(exportUsage)
	}
	f := strings.ToLower(strings.TrimPrefix(*format, "."))
	if f == "" {
		f = "xlsx"
		if strings.EqualFold(filepath.Ext(*out), ".csv") {
			f = "csv"
		}
	}
	if f != "xlsx" && f != "csv" {
		return fmt.Errorf("-format %q: use xlsx or csv", *format)
	}
	keys := export.Keys
	if *table != "" {
		k := strings.ToLower(*table)
		if _, ok := export.Headers[k]; !ok {
			return fmt.Errorf("-table %q: use task (跨平台任务跟踪表), comm (跨平台通讯协作记录表) or issue (沟通事项跟踪表)", *table)
		}
		keys = []string{k}
	} else if f == "csv" {
		keys = []string{export.KeyTask}
	}
	if *out != "-" && !*force {
		if _, err := os.Stat(*out); err == nil {
			return fmt.Errorf("%s exists: not overwritten (use -force to replace it)", *out)
		}
	}

	cfg, err := loadOptional(*cfgPath)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return err
	}
	file := *dbPath
	if file == "" {
		file = cfg.Store.Path
	}
	db, cleanup, err := openForExport(file, *dbPath == "", cfg)
	if err != nil {
		return err
	}
	defer cleanup()

	var in export.Input
	var key store.GroupKey
	err = db.View(func(tx *store.Tx) error {
		key, err = pickGroup(tx, *groupArg)
		if err != nil {
			return err
		}
		in, err = export.Load(tx, key, loc, time.Now())
		return err
	})
	if err != nil {
		return err
	}
	var tables []export.Table
	for _, k := range keys {
		t, err := export.Build(in, k)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	var buf bytes.Buffer
	if f == "xlsx" {
		err = export.WriteXLSX(&buf, tables)
	} else {
		err = export.WriteCSV(&buf, tables[0])
	}
	if err != nil {
		return err
	}
	var names []string
	for _, t := range tables {
		names = append(names, t.Title+" ("+t.Key+")")
	}
	msg := fmt.Sprintf("export: %s, %d tasks of %s", strings.Join(names, ", "), len(in.Tasks), key)
	if *out == "-" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintln(stderr, msg)
		return nil
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s to %s\n", msg, *out)
	if f == "csv" && *table == "" {
		fmt.Fprintln(stdout, "(one table per CSV: -table comm or -table issue for the others)")
	}
	return nil
}

// openForExport opens the store read-only; when a running bot holds it
// (and fromConfig: the file is the config's store.path) it gets a copy
// through the bot's /admin/backup.
func openForExport(file string, fromConfig bool, cfg Config) (*store.DB, func(), error) {
	if _, err := os.Stat(file); err != nil {
		return nil, nil, fmt.Errorf("no store to export: %w", err)
	}
	db, err := store.Open(file, &store.Options{Timeout: 200 * time.Millisecond, ReadOnly: true})
	if err == nil {
		return db, func() { db.Close() }, nil
	}
	if !errors.Is(err, store.ErrLocked) {
		return nil, nil, err
	}
	advice := "make a copy with `collabbot backup -config FILE copy.db` and run `collabbot export -db copy.db …` on it"
	if !fromConfig {
		return nil, nil, fmt.Errorf("%s is in use by a running collabbot: %s", file, advice)
	}
	dir, err := os.MkdirTemp("", "collabbot-export-")
	if err != nil {
		return nil, nil, err
	}
	copyPath := filepath.Join(dir, "copy.db")
	if _, err := fetchBackup(cfg.HTTP, copyPath); err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("%s is in use by a running collabbot and its /admin/backup failed (%v): %s", file, err, advice)
	}
	db, err = store.Open(copyPath, &store.Options{ReadOnly: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }, nil
}

// pickGroup resolves -group, or the only group when it is empty.
func pickGroup(tx *store.Tx, arg string) (store.GroupKey, error) {
	var keys []store.GroupKey
	err := tx.Groups(func(g *store.Group) error {
		keys = append(keys, g.Key)
		return nil
	})
	if err != nil {
		return store.GroupKey{}, err
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	list := func() string {
		var s []string
		for i, k := range keys {
			if i == 20 {
				s = append(s, fmt.Sprintf("… %d more", len(keys)-i))
				break
			}
			s = append(s, k.String())
		}
		return strings.Join(s, ", ")
	}
	if arg == "" {
		switch len(keys) {
		case 0:
			return store.GroupKey{}, errors.New("the store holds no group yet: nothing to export")
		case 1:
			return keys[0], nil
		}
		return store.GroupKey{}, fmt.Errorf("the store holds %d groups: choose one with -group (send /export in the group to see its name): %s", len(keys), list())
	}
	p, id, ok := strings.Cut(strings.TrimSpace(arg), ":")
	if !ok || p == "" || id == "" {
		return store.GroupKey{}, fmt.Errorf("-group %q: write PLATFORM:CHATID, e.g. lark:oc_123 (send /export in the group to see it)", arg)
	}
	want := store.GroupKey{Platform: p, ChatID: id}
	for _, k := range keys {
		if k == want {
			return k, nil
		}
	}
	return store.GroupKey{}, fmt.Errorf("-group %s: no such group in the store; it holds: %s", want, list())
}

// writeFileAtomic writes data to a temporary file next to path and
// renames it into place, so a failed export leaves no half-written file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
