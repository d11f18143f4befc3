// Command collabbot is a chat bot for Feishu/Lark and DingTalk project
// groups that turns 【主题-事项-需求-截止时间】 requests into tracked tasks.
//
//	collabbot console [-config FILE]      a local simulated group
//	collabbot run -config FILE            serve the enabled platforms
//	collabbot check-config -config FILE   validate a config file
//	collabbot parse [-now T] [-tz ZONE]   parse messages from stdin as JSON lines
//	collabbot backup [-config FILE] OUT   consistent hot copy of the store
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
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
  collabbot backup [-config FILE] OUT       write a consistent copy of the store to OUT
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
	var enabled []string
	if cfg.Lark.Enabled {
		enabled = append(enabled, "lark")
	}
	if cfg.DingTalk.Enabled {
		enabled = append(enabled, "dingtalk")
	}
	if len(enabled) == 0 {
		enabled = append(enabled, "none (console only)")
	}
	fmt.Fprintf(stdout, "%s: OK (platforms: %s)\n", *path, strings.Join(enabled, ", "))
	for _, w := range calendarWarnings(cal, nowIn(cfg.Timezone)) {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	return nil
}

func newLogger(cfg LogConfig, w io.Writer) *slog.Logger {
	var lvl slog.Level
	switch cfg.Level {
	case "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
