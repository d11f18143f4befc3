package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"collabbot/bot"
	"collabbot/rules"
)

// Config is the YAML file. Key names are fixed: operators' files and
// tooling depend on them.
type Config struct {
	Timezone string         `yaml:"timezone"`
	Language string         `yaml:"language"`
	Store    StoreConfig    `yaml:"store"`
	HTTP     HTTPConfig     `yaml:"http"`
	Workday  WorkdayConfig  `yaml:"workday"`
	Schedule ScheduleConfig `yaml:"schedule"`
	Rules    RulesConfig    `yaml:"rules"`
	Admins   []string       `yaml:"admins"`
	Calendar CalendarConfig `yaml:"calendar"`
	Console  ConsoleConfig  `yaml:"console"`
	Lark     LarkConfig     `yaml:"lark"`
	DingTalk DingTalkConfig `yaml:"dingtalk"`
	Log      LogConfig      `yaml:"log"`
}

type StoreConfig struct {
	Path string `yaml:"path"`
}

type HTTPConfig struct {
	// Listen serves /healthz, /metrics, webhooks and /admin/backup.
	Listen string `yaml:"listen"`
	// AdminToken guards /admin/backup; without it the endpoint only
	// answers on a loopback listener.
	AdminToken string `yaml:"admin_token"`
}

type WorkdayConfig struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

type ScheduleConfig struct {
	DailyNudge    string `yaml:"daily_nudge"`
	WeeklySummary string `yaml:"weekly_summary"`
}

// RulesConfig are the global defaults of the per-group /config settings.
type RulesConfig struct {
	RequireAcceptance *bool  `yaml:"require_acceptance"`
	AckWindow         string `yaml:"ack_window"`
	UrgentAck         string `yaml:"urgent_ack"`
	ImportantAck      string `yaml:"important_ack"`
	HelpReping        string `yaml:"help_reping"`
	WarnWorkdays      *int   `yaml:"warn_workdays"`
	NudgeEnabled      *bool  `yaml:"nudge_enabled"`
}

type CalendarConfig struct {
	Overrides string `yaml:"overrides"`
}

type ConsoleConfig struct {
	User   string   `yaml:"user"`
	Admins []string `yaml:"admins"`
}

type LarkConfig struct {
	Enabled           bool     `yaml:"enabled"`
	AppID             string   `yaml:"app_id"`
	AppSecret         string   `yaml:"app_secret"`
	BaseURL           string   `yaml:"base_url"`
	Mode              string   `yaml:"mode"`
	EncryptKey        string   `yaml:"encrypt_key"`
	VerificationToken string   `yaml:"verification_token"`
	Admins            []string `yaml:"admins"`
}

type DingTalkConfig struct {
	Enabled        bool     `yaml:"enabled"`
	ClientID       string   `yaml:"client_id"`
	ClientSecret   string   `yaml:"client_secret"`
	RobotCode      string   `yaml:"robot_code"`
	BaseURL        string   `yaml:"base_url"`
	CardTemplateID string   `yaml:"card_template_id"`
	Admins         []string `yaml:"admins"`
}

type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// DefaultConfig is what an empty file means.
func DefaultConfig() Config {
	return Config{
		Timezone: "Asia/Shanghai",
		Language: "zh",
		Store:    StoreConfig{Path: "collabbot.db"},
		HTTP:     HTTPConfig{Listen: "127.0.0.1:9090"},
		Workday:  WorkdayConfig{Start: "09:00", End: "18:00"},
		Schedule: ScheduleConfig{DailyNudge: "17:00", WeeklySummary: "Mon 10:00"},
		Rules:    RulesConfig{AckWindow: "24h", UrgentAck: "15m", ImportantAck: "48h", HelpReping: "24h"},
		Lark:     LarkConfig{BaseURL: "https://open.feishu.cn", Mode: "ws"},
		DingTalk: DingTalkConfig{BaseURL: "https://api.dingtalk.com"},
		Log:      LogConfig{Level: "info", Format: "text"},
	}
}

// ConfigErrors lists every problem in a config file, each prefixed with its
// key path, so one run of check-config shows them all.
type ConfigErrors []string

func (e ConfigErrors) Error() string { return strings.Join(e, "\n") }

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// LoadConfig reads, expands and validates a config file.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(data, os.LookupEnv)
}

// ParseConfig parses YAML: unknown keys are errors; ${VAR} in a value is
// replaced by the environment variable (after parsing, so a secret's
// characters cannot change the YAML's structure).
func ParseConfig(data []byte, lookup func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return cfg, ConfigErrors{fmt.Sprintf("config: %v", err)}
	}
	if len(root.Content) == 0 {
		return cfg, cfg.validate()
	}
	var errs ConfigErrors
	checkKeys(root.Content[0], reflect.TypeOf(cfg), "", &errs)
	expandEnv(root.Content[0], "", lookup, &errs)
	if len(errs) > 0 {
		return cfg, errs
	}
	expanded, err := yaml.Marshal(&root)
	if err != nil {
		return cfg, ConfigErrors{fmt.Sprintf("config: %v", err)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, ConfigErrors{fmt.Sprintf("config: %v", err)}
	}
	return cfg, cfg.validate()
}

// checkKeys reports unknown keys with their full path and a suggestion.
func checkKeys(n *yaml.Node, t reflect.Type, path string, errs *ConfigErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			fields[tag] = t.Field(i).Type
			names = append(names, tag)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		p := join(path, k)
		ft, ok := fields[k]
		if !ok {
			msg := fmt.Sprintf("%s: unknown key (line %d)", p, n.Content[i].Line)
			if s := closest(k, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", join(path, s))
			}
			*errs = append(*errs, msg)
			continue
		}
		checkKeys(n.Content[i+1], ft, p, errs)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// closest returns the known key nearest to k by edit distance, if close.
func closest(k string, names []string) string {
	best, bestD := "", 3
	sort.Strings(names)
	for _, n := range names {
		if d := editDistance(k, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

// expandEnv replaces ${VAR} in scalar values. A missing variable is an
// error naming the key and the variable, never a value.
func expandEnv(n *yaml.Node, path string, lookup func(string) (string, bool), errs *ConfigErrors) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandEnv(n.Content[i+1], join(path, n.Content[i].Value), lookup, errs)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			expandEnv(c, fmt.Sprintf("%s[%d]", path, i), lookup, errs)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := lookup(name)
			if !ok {
				*errs = append(*errs, fmt.Sprintf("%s: environment variable %s is not set", path, name))
			}
			return v
		})
		// The value is a string now, whatever it looks like.
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
}

func (c *Config) validate() error {
	var errs ConfigErrors
	add := func(path, format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		add("timezone", "%q is not a time zone name like Asia/Shanghai", c.Timezone)
	}
	if c.Language != "zh" && c.Language != "en" {
		add("language", "%q must be zh or en", c.Language)
	}
	if c.Store.Path == "" {
		add("store.path", "must be set")
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			add("http.listen", "%q is not host:port", c.HTTP.Listen)
		}
	}
	start, err1 := bot.ParseClock(c.Workday.Start)
	if err1 != nil {
		add("workday.start", "%q is not HH:MM", c.Workday.Start)
	}
	end, err2 := bot.ParseClock(c.Workday.End)
	if err2 != nil {
		add("workday.end", "%q is not HH:MM", c.Workday.End)
	}
	if err1 == nil && err2 == nil && minutes(end) <= minutes(start) {
		add("workday.end", "%s must be after workday.start %s", c.Workday.End, c.Workday.Start)
	}
	if _, err := bot.ParseClock(c.Schedule.DailyNudge); err != nil {
		add("schedule.daily_nudge", "%q is not HH:MM", c.Schedule.DailyNudge)
	}
	if _, _, err := bot.ParseWeekly(c.Schedule.WeeklySummary); err != nil {
		add("schedule.weekly_summary", "%q is not like \"Mon 10:00\"", c.Schedule.WeeklySummary)
	}
	for _, d := range []struct{ path, v string }{
		{"rules.ack_window", c.Rules.AckWindow}, {"rules.urgent_ack", c.Rules.UrgentAck},
		{"rules.important_ack", c.Rules.ImportantAck}, {"rules.help_reping", c.Rules.HelpReping},
	} {
		if v, err := time.ParseDuration(d.v); err != nil || v <= 0 {
			add(d.path, "%q is not a positive duration like 24h or 15m", d.v)
		}
	}
	if c.Rules.WarnWorkdays != nil && (*c.Rules.WarnWorkdays < 0 || *c.Rules.WarnWorkdays > 30) {
		add("rules.warn_workdays", "%d must be between 0 and 30", *c.Rules.WarnWorkdays)
	}
	if c.Calendar.Overrides != "" {
		if data, err := os.ReadFile(c.Calendar.Overrides); err != nil {
			add("calendar.overrides", "%v", err)
		} else if _, err := rules.ParseOverrides(data); err != nil {
			add("calendar.overrides", "%s: %v", c.Calendar.Overrides, err)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "%q must be debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format", "%q must be text or json", c.Log.Format)
	}
	if c.Lark.Enabled {
		if c.Lark.AppID == "" {
			add("lark.app_id", "must be set when lark.enabled is true")
		}
		if c.Lark.AppSecret == "" {
			add("lark.app_secret", "must be set when lark.enabled is true (use ${LARK_APP_SECRET})")
		}
		if !strings.HasPrefix(c.Lark.BaseURL, "http://") && !strings.HasPrefix(c.Lark.BaseURL, "https://") {
			add("lark.base_url", "%q must be an http(s) URL", c.Lark.BaseURL)
		}
		if c.Lark.Mode != "ws" && c.Lark.Mode != "webhook" {
			add("lark.mode", "%q must be ws or webhook", c.Lark.Mode)
		}
		if c.Lark.Mode == "webhook" && c.HTTP.Listen == "" {
			add("lark.mode", "webhook mode needs http.listen")
		}
	}
	if c.DingTalk.Enabled {
		if c.DingTalk.ClientID == "" {
			add("dingtalk.client_id", "must be set when dingtalk.enabled is true")
		}
		if c.DingTalk.ClientSecret == "" {
			add("dingtalk.client_secret", "must be set when dingtalk.enabled is true (use ${DINGTALK_CLIENT_SECRET})")
		}
		if !strings.HasPrefix(c.DingTalk.BaseURL, "http://") && !strings.HasPrefix(c.DingTalk.BaseURL, "https://") {
			add("dingtalk.base_url", "%q must be an http(s) URL", c.DingTalk.BaseURL)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func minutes(c rules.Clock) int { return c.Hour*60 + c.Minute }

// Defaults turns the file into the bot's global defaults.
func (c *Config) Defaults() (bot.Defaults, error) {
	d := bot.DefaultDefaults()
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return d, err
	}
	d.Location, d.Lang = loc, c.Language
	d.WorkdayStart, _ = bot.ParseClock(c.Workday.Start)
	d.WorkdayEnd, _ = bot.ParseClock(c.Workday.End)
	d.DailyNudge, _ = bot.ParseClock(c.Schedule.DailyNudge)
	d.WeeklyDay, d.WeeklyAt, _ = bot.ParseWeekly(c.Schedule.WeeklySummary)
	d.AckWindow, _ = time.ParseDuration(c.Rules.AckWindow)
	d.UrgentAck, _ = time.ParseDuration(c.Rules.UrgentAck)
	d.ImportantAck, _ = time.ParseDuration(c.Rules.ImportantAck)
	d.HelpReping, _ = time.ParseDuration(c.Rules.HelpReping)
	if c.Rules.RequireAcceptance != nil {
		d.RequireAcceptance = *c.Rules.RequireAcceptance
	}
	if c.Rules.WarnWorkdays != nil {
		d.WarnWorkdays = *c.Rules.WarnWorkdays
	}
	if c.Rules.NudgeEnabled != nil {
		d.NudgeEnabled = *c.Rules.NudgeEnabled
	}
	return d, nil
}

// WorkCalendar builds the working calendar with the override file.
func (c *Config) WorkCalendar() (rules.Calendar, error) {
	if c.Calendar.Overrides == "" {
		return rules.NewCalendar(nil), nil
	}
	data, err := os.ReadFile(c.Calendar.Overrides)
	if err != nil {
		return nil, err
	}
	ov, err := rules.ParseOverrides(data)
	if err != nil {
		return nil, fmt.Errorf("calendar.overrides: %w", err)
	}
	return rules.NewCalendar(ov), nil
}
