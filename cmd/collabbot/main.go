// Command collabbot is a chat bot for Feishu/Lark and DingTalk project
// groups that turns 【主题-事项-需求-截止时间】 requests into tracked tasks.
//
//	collabbot console [-config FILE]      a local simulated group
//	collabbot run -config FILE            serve the enabled platforms
//	collabbot check-config -config FILE   validate a config file
//	collabbot parse [-now T] [-tz ZONE]   parse messages from stdin as JSON lines
//	collabbot backup [-config FILE] [-force] OUT   consistent hot copy of the store
//	collabbot check-db [-config FILE | -db FILE]   check the store file completely
//	collabbot export [-config FILE | -db FILE] [-group P:ID] -format xlsx|csv [-table T] -o OUT
//	                                      a group's tasks as the seed guides' tables
//	collabbot migrate [-config FILE] -from bbolt:FILE|etcd -to bbolt:FILE|etcd [-replace]
//	                                      copy the store between backends, verified
//	collabbot version                     version, commit and Go version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"collabbot/store"

	// The static binary must know Asia/Shanghai on images with no zoneinfo.
	_ "time/tzdata"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `collabbot: keeps project groups to 【主题-事项-需求-截止时间】.

Usage:
  collabbot console [-config FILE]          try it locally: a simulated group on the terminal
  collabbot run -config FILE                run the bot on the enabled platforms
  collabbot check-config -config FILE       validate a config file and exit
  collabbot parse [-now RFC3339] [-tz ZONE] read messages from stdin, print one JSON result per line
  collabbot backup [-config FILE] [-force] OUT
                                            write a consistent copy of the store to OUT
  collabbot check-db [-config FILE | -db FILE]
                                            check every page of the store; list every problem
  collabbot export [-config FILE | -db FILE] [-group PLATFORM:CHATID] [-format xlsx|csv]
                   [-table task|comm|issue] [-force] -o OUT
                                            a group's tasks as the guides' tables (Excel or CSV)
  collabbot migrate [-config FILE] -from bbolt:FILE|etcd -to bbolt:FILE|etcd [-replace]
                                            copy the store between backends (etcd: store.etcd in FILE),
                                            idempotent, verified by counts and a checksum per bucket
  collabbot version                         print the version, commit and Go version
`

// Main runs a subcommand and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "console":
		err = cmdConsole(args[1:], stdin, stdout, stderr)
	case "run":
		err = cmdRun(args[1:], stderr)
	case "check-config":
		err = cmdCheckConfig(args[1:], stdout)
	case "parse":
		err = cmdParse(args[1:], stdin, stdout)
	case "backup":
		err = cmdBackup(args[1:], stdout)
	case "check-db":
		err = cmdCheckDB(args[1:], stdout)
	case "export":
		err = cmdExport(args[1:], stdout, stderr)
	case "migrate":
		err = cmdMigrate(args[1:], stdout)
	case "version", "-version", "--version":
		err = cmdVersion(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "collabbot: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "collabbot %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// loadOptional loads path, or the defaults when path is empty.
func loadOptional(path string) (Config, error) {
	if path == "" {
		cfg := DefaultConfig()
		return cfg, cfg.validate()
	}
	return LoadConfig(path)
}

func cmdCheckConfig(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	path := fs.String("config", "", "config file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" && fs.NArg() == 1 {
		*path = fs.Arg(0)
	}
	if *path == "" {
		return fmt.Errorf("-config FILE is required")
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		return err
	}
	cal, err := cfg.WorkCalendar()
	if err != nil {
		return err
	}
	enabled := cfg.EnabledPlatforms()
	if len(enabled) == 0 {
		enabled = append(enabled, "none (console only)")
	}
	fmt.Fprintf(stdout, "%s: OK (platforms: %s)\n", *path, strings.Join(enabled, ", "))
	// Warnings are printed, and do not fail the check.
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	for _, w := range calendarWarnings(cal, nowIn(cfg.Timezone)) {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	return nil
}

// cmdCheckDB checks the whole store file, read-only and with no time
// budget, and prints every problem; problems make the exit status non-zero.
func cmdCheckDB(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("check-db", flag.ContinueOnError)
	path := fs.String("config", "", "config file (for store.path)")
	dbPath := fs.String("db", "", "store file (default: store.path, collabbot.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("usage: collabbot check-db [-config FILE | -db FILE]")
	}
	file := *dbPath
	if file == "" {
		cfg, err := loadOptional(*path)
		if err != nil {
			return err
		}
		file = cfg.Store.Path
	}
	rep, err := store.CheckFile(file, 200*time.Millisecond)
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("%s is in use by a running collabbot; check a copy: collabbot backup -config FILE copy.db && collabbot check-db -db copy.db", file)
	case errors.Is(err, store.ErrCorrupt) && rep != nil && len(rep.Problems) > 0:
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "problem: %s\n", p)
		}
		return fmt.Errorf("%s: %d problems: the store is damaged; restore it from a backup (`collabbot backup` makes them)", file, len(rep.Problems))
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "ok: %d bytes, schema v%d, no problems (%s)\n", rep.Size, rep.Schema, file)
	if rep.Schema > store.SchemaVersion {
		fmt.Fprintf(stdout, "note: schema v%d is newer than this binary's v%d: use a newer collabbot with this file\n", rep.Schema, store.SchemaVersion)
	}
	return nil
}
