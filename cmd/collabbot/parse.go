package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"collabbot/rules"
)

// parseResult is one line of `collabbot parse` output.
type parseResult struct {
	OK       bool   `json:"ok"`
	Topic    string `json:"topic,omitempty"`
	Item     string `json:"item,omitempty"`
	Request  string `json:"request,omitempty"`
	Deadline string `json:"deadline,omitempty"`
	Due      string `json:"due,omitempty"`
	Urgency  string `json:"urgency,omitempty"`
	Assist   *bool  `json:"assist,omitempty"`
	Error    string `json:"error,omitempty"`
	Example  string `json:"example,omitempty"`
}

func cmdParse(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	nowFlag := fs.String("now", "", "send time, RFC 3339 (default: now)")
	tz := fs.String("tz", "Asia/Shanghai", "the group's time zone")
	lang := fs.String("lang", "zh", "language of error messages: zh or en")
	eod := fs.String("end-of-day", "18:00", "end of the working day")
	calFile := fs.String("calendar", "", "holiday override file (same format as calendar.overrides)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("-tz %q: %v", *tz, err)
	}
	now := time.Now().In(loc)
	if *nowFlag != "" {
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return fmt.Errorf("-now %q: want RFC 3339 like 2026-03-05T10:00:00+08:00", *nowFlag)
		}
	}
	end, err := parseClockFlag(*eod)
	if err != nil {
		return fmt.Errorf("-end-of-day: %v", err)
	}
	var ov []rules.Override
	if *calFile != "" {
		data, err := os.ReadFile(*calFile)
		if err != nil {
			return err
		}
		if ov, err = rules.ParseOverrides(data); err != nil {
			return fmt.Errorf("-calendar %s: %v", *calFile, err)
		}
	}
	opt := rules.Options{Now: now, Loc: loc, EndOfDay: end, Calendar: rules.NewCalendar(ov)}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := enc.Encode(parseLine(line, opt, *lang)); err != nil {
			return err
		}
	}
	return sc.Err()
}

func parseLine(line string, opt rules.Options, lang string) parseResult {
	res := rules.Parse(line, opt)
	switch {
	case res.Kind == rules.KindTask && len(res.Errors) == 0 && res.Task != nil:
		t := res.Task
		urg := string(t.Urgency)
		if urg == "" {
			urg = string(rules.Routine)
		}
		assist := res.Tags.Assist
		return parseResult{OK: true, Topic: t.Topic, Item: t.Item, Request: t.Request, Deadline: t.Deadline,
			Due: t.Due.In(opt.Loc).Format(time.RFC3339), Urgency: urg, Assist: &assist}
	case len(res.Errors) > 0:
		return parseResult{Error: strings.Join(res.Errors.Messages(lang), "; "), Example: rules.Example(res, lang)}
	case res.Kind == rules.KindTagged:
		if lang == "en" {
			return parseResult{Error: "tags only, no 【topic-item-request-deadline】 task"}
		}
		return parseResult{Error: "只有标签，没有【主题-事项-需求-截止时间】任务"}
	}
	if lang == "en" {
		return parseResult{Error: "not a task request: a task starts with 【 and reads 【topic-item-request-deadline】"}
	}
	return parseResult{Error: "不是任务消息：任务以【开头，格式为【主题-事项-需求-截止时间】"}
}

func parseClockFlag(s string) (rules.Clock, error) {
	var c rules.Clock
	if _, err := fmt.Sscanf(s, "%d:%d", &c.Hour, &c.Minute); err != nil || c.Hour > 23 || c.Minute > 59 || c.Hour < 0 || c.Minute < 0 {
		return c, fmt.Errorf("%q is not HH:MM", s)
	}
	return c, nil
}
