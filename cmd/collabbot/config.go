package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"collabbot/adapters/platform"
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
	// People links one person's accounts on several platforms
	// ("lark:ou_…", "dingtalk:<staffId>"), so a personal digest lists
	// their tasks from every platform.
	People   [][]string     `yaml:"people"`
	Calendar CalendarConfig `yaml:"calendar"`
	Console  ConsoleConfig  `yaml:"console"`
	Log      LogConfig      `yaml:"log"`
	Delivery DeliveryConfig `yaml:"delivery"`
	// Platforms holds each registered chat platform's section (see
	// adapters/platform), decoded from the top-level key of its name.
	Platforms map[string]platform.Config `yaml:"-"`
}

type StoreConfig struct {
	Path string `yaml:"path"`
	// Backend is bbolt (default: the file at path, one process) or etcd
	// (replicas sharing a cluster, see replica.go).
	Backend string     `yaml:"backend"`
	Etcd    EtcdConfig `yaml:"etcd"`
}

type HTTPConfig struct {
	// Listen serves /healthz, /metrics, webhooks and /admin/backup.
	Listen string `yaml:"listen"`
	// AdminToken is the Bearer token every /admin/ request must carry;
	// without it the admin endpoints are off, whoever asks.
	AdminToken platform.Secret `yaml:"admin_token"`
	// PublicURL is where people reach the listener (the web board's links
	// are <public_url>/b/<token>): the reverse proxy's https address, with
	// any path prefix it serves under. Empty: http://<listen>.
	PublicURL string `yaml:"public_url"`

	// Limits of the listener, not in the file; zero picks the default in
	// startHTTP. Tests shorten them.
	readTimeout  time.Duration
	writeTimeout time.Duration
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

type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
	// File, when set, receives the log (appended) instead of stderr.
	File string `yaml:"file"`
}

// DefaultConfig is what an empty file means.
func DefaultConfig() Config {
	return Config{
		Timezone:  "Asia/Shanghai",
		Language:  "zh",
		Store:     StoreConfig{Path: "collabbot.db"},
		HTTP:      HTTPConfig{Listen: "127.0.0.1:9090"},
		Workday:   WorkdayConfig{Start: "09:00", End: "18:00"},
		Schedule:  ScheduleConfig{DailyNudge: "17:00", WeeklySummary: "Mon 10:00"},
		Rules:     RulesConfig{AckWindow: "24h", UrgentAck: "15m", ImportantAck: "48h", HelpReping: "24h"},
		Log:       LogConfig{Level: "info", Format: "text"},
		Platforms: defaultPlatforms(),
	}
}

// defaultPlatforms is every registered platform's section with its defaults.
func defaultPlatforms() map[string]platform.Config {
	m := map[string]platform.Config{}
	for _, p := range platform.All() {
		m[p.Name] = p.NewConfig()
	}
	return m
}

// EnabledPlatforms are the names of the enabled platforms, sorted.
func (c *Config) EnabledPlatforms() []string {
	var out []string
	for name, pc := range c.Platforms {
		if pc != nil && pc.Enabled() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// ConfigErrors lists every problem in a config file, each prefixed with its
// key path, so one run of check-config shows them all.
type ConfigErrors []string

func (e ConfigErrors) Error() string { return strings.Join(e, "\n") }

// envRef is ${NAME} (required) or ${NAME:-default} (optional: the default,
// possibly empty, when NAME is unset or empty).
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

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
// characters cannot change the YAML's structure). ${VAR} must be set, except
// inside the section of a platform that is not enabled; ${VAR:-default} is
// optional. The top-level key of each registered platform is decoded into
// that platform's own section.
func ParseConfig(data []byte, lookup func(string) (string, bool)) (Config, error) {
	cfg := DefaultConfig()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return cfg, ConfigErrors{fmt.Sprintf("config: %v", err)}
	}
	if len(root.Content) == 0 {
		return cfg, cfg.validate()
	}
	doc := root.Content[0]
	top := structKeys(reflect.TypeOf(cfg))
	for _, p := range platform.All() {
		if _, clash := top[p.Name]; clash {
			return cfg, ConfigErrors{fmt.Sprintf("config: platform %q has the name of a config key", p.Name)}
		}
		top[p.Name] = reflect.TypeOf(cfg.Platforms[p.Name])
	}
	var errs ConfigErrors
	checkMapping(doc, top, "", &errs)
	// Unset variables in a platform's section matter only when the
	// platform is enabled, which its decoded section tells.
	unset := map[string][]envProblem{}
	required := func(vs []envProblem) {
		for _, v := range vs {
			if v.bad != "" {
				errs = append(errs, v.bad)
				continue
			}
			errs = append(errs, fmt.Sprintf("%s: environment variable %s is not set (write ${%s:-} if it may be empty)", v.path, v.name, v.name))
		}
	}
	if doc.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			k := doc.Content[i].Value
			var missing []envProblem
			expandEnv(doc.Content[i+1], k, top[k], lookup, &missing)
			if _, ok := cfg.Platforms[k]; ok {
				for _, v := range missing {
					if v.bad != "" {
						errs = append(errs, v.bad)
					} else {
						unset[k] = append(unset[k], v)
					}
				}
			} else {
				required(missing)
			}
		}
	} else {
		var missing []envProblem
		expandEnv(doc, "", nil, lookup, &missing)
		required(missing)
	}
	if len(errs) > 0 {
		return cfg, errs
	}
	// Each platform's section goes to its own value; the rest to cfg.
	if doc.Kind == yaml.MappingNode {
		rest := *doc
		rest.Content = nil
		for i := 0; i+1 < len(doc.Content); i += 2 {
			name := doc.Content[i].Value
			if pc, ok := cfg.Platforms[name]; ok {
				err := decodeStrict(doc.Content[i+1], pc)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s: %v", name, err))
				}
				if err != nil || pc.Enabled() {
					for _, v := range unset[name] {
						errs = append(errs, fmt.Sprintf("%s: environment variable %s is not set (%s is enabled)", v.path, v.name, name))
					}
				}
				continue
			}
			rest.Content = append(rest.Content, doc.Content[i], doc.Content[i+1])
		}
		doc = &rest
	}
	if err := decodeStrict(doc, &cfg); err != nil {
		errs = append(errs, fmt.Sprintf("config: %v", err))
	}
	if len(errs) > 0 {
		return cfg, errs
	}
	return cfg, cfg.validate()
}

// decodeStrict decodes n into out, refusing keys out does not have.
func decodeStrict(n *yaml.Node, out any) error {
	data, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil && err != io.EOF {
		return err
	}
	return nil
}

// structKeys maps the YAML keys of a struct type to their field types.
func structKeys(t reflect.Type) map[string]reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	keys := map[string]reflect.Type{}
	if t.Kind() != reflect.Struct {
		return keys
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch tag {
		case "-":
			continue
		case "":
			tag = strings.ToLower(f.Name) // the YAML package's default
		}
		keys[tag] = f.Type
	}
	return keys
}

// checkKeys reports unknown keys under n, a value of type t, with their
// full path and a suggestion.
func checkKeys(n *yaml.Node, t reflect.Type, path string, errs *ConfigErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Map && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), errs)
		}
		return
	}
	if t.Kind() != reflect.Struct {
		return
	}
	checkMapping(n, structKeys(t), path, errs)
}

// checkMapping is checkKeys for a mapping whose known keys are fields.
func checkMapping(n *yaml.Node, fields map[string]reflect.Type, path string, errs *ConfigErrors) {
	if n.Kind != yaml.MappingNode {
		return
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
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

// envProblem is a ${NAME} whose variable is not set, at a key path, or (bad
// set) a value that is not of the key's type. Errors name the key and the
// variable, never a value.
type envProblem struct{ path, name, bad string }

// expandEnv replaces ${VAR} and ${VAR:-default} in the scalar values under
// n, a value of type t (nil: unknown). Each required variable that is not
// set is added to missing; it expands to "".
func expandEnv(n *yaml.Node, path string, t reflect.Type, lookup func(string) (string, bool), missing *[]envProblem) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.MappingNode:
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = structKeys(t)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			var ft reflect.Type
			if fields != nil {
				ft = fields[n.Content[i].Value]
			} else if t != nil && t.Kind() == reflect.Map {
				ft = t.Elem()
			}
			expandEnv(n.Content[i+1], join(path, n.Content[i].Value), ft, lookup, missing)
		}
	case yaml.SequenceNode:
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i, c := range n.Content {
			expandEnv(c, fmt.Sprintf("%s[%d]", path, i), et, lookup, missing)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		var names []string
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRef.FindStringSubmatch(ref)
			name, optional, def := m[1], m[2] != "", m[3]
			names = append(names, "${"+name+"}")
			v, ok := lookup(name)
			switch {
			case optional && v == "":
				return def
			case !ok:
				*missing = append(*missing, envProblem{path: path, name: name})
			}
			return v
		})
		if t != nil && scalarKind(t.Kind()) {
			// A switch or a number: YAML reads the value as it would
			// have read it written in the file (empty is the zero value).
			// It is still one scalar: the structure cannot change.
			n.Tag, n.Style = "", 0
			if err := n.Decode(reflect.New(t).Interface()); err != nil && len(names) > 0 {
				// Said here, where the key is known: the decoder's
				// message would show the value and not the key.
				*missing = append(*missing, envProblem{path: path, bad: fmt.Sprintf("%s: the value of %s must be %s", path, strings.Join(names, ""), kindWord(t.Kind()))})
			}
			return
		}
		// The value is a string now, whatever it looks like.
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
}

func kindWord(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a whole number"
}

func scalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
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
	errs = append(errs, c.Store.problems()...)
	seenID := map[string]int{}
	for i, ids := range c.People {
		if len(ids) < 2 {
			add(fmt.Sprintf("people[%d]", i), "lists %d account(s): link two or more, e.g. [\"lark:ou_xxx\", \"dingtalk:manager123\"]", len(ids))
		}
		for j, id := range ids {
			p, u, ok := strings.Cut(id, ":")
			if !ok || u == "" || (p != "lark" && p != "dingtalk" && p != "console") {
				add(fmt.Sprintf("people[%d][%d]", i, j), "%q must be platform:id with platform lark, dingtalk or console", id)
				continue
			}
			if k, dup := seenID[id]; dup && k != i {
				add(fmt.Sprintf("people[%d][%d]", i, j), "%q is already linked in people[%d]", id, k)
			}
			seenID[id] = i
		}
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			add("http.listen", "%q is not host:port", c.HTTP.Listen)
		}
	}
	if c.HTTP.PublicURL != "" {
		if msg := checkPublicURL(c.HTTP.PublicURL); msg != "" {
			add("http.public_url", "%q %s, e.g. https://bot.example.com or https://intranet.example.com/collabbot", c.HTTP.PublicURL, msg)
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
	if c.Log.File != "" {
		// Checked without creating anything; the file is opened at start.
		if st, err := os.Stat(c.Log.File); err == nil && st.IsDir() {
			add("log.file", "%s is a directory; name a file in it", c.Log.File)
		} else if st, err := os.Stat(filepath.Dir(c.Log.File)); err != nil {
			add("log.file", "directory %s: %v", filepath.Dir(c.Log.File), errors.Unwrap(err))
		} else if !st.IsDir() {
			add("log.file", "%s is not a directory", filepath.Dir(c.Log.File))
		}
	}
	errs = append(errs, c.Delivery.validate()...)
	for _, name := range sortedKeys(c.Platforms) {
		errs = append(errs, c.Platforms[name].Validate(name)...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func minutes(c rules.Clock) int { return c.Hour*60 + c.Minute }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// BotAdmins are the admins of every group: the admins key as written, and
// each platform's admins as platform:id.
func (c *Config) BotAdmins() []string {
	admins := append([]string{}, c.Admins...)
	for _, name := range sortedKeys(c.Platforms) {
		for _, id := range c.Platforms[name].Admins() {
			admins = append(admins, name+":"+id)
		}
	}
	return admins
}

// Warnings are problems that do not stop the bot: the HTTP listener's, then
// each platform's. check-config prints them; run logs them.
func (c *Config) Warnings() []string {
	out := c.HTTP.warnings()
	for _, name := range sortedKeys(c.Platforms) {
		out = append(out, c.Platforms[name].Warnings(name)...)
	}
	return out
}

// minAdminToken is the shortest admin token that does not draw a warning.
const minAdminToken = 16

func (h HTTPConfig) warnings() []string {
	if h.Listen == "" {
		return nil
	}
	var out []string
	if tok := h.AdminToken.Reveal(); tok != "" && len(tok) < minAdminToken {
		out = append(out, fmt.Sprintf("http.admin_token: shorter than %d characters; use a long random value (e.g. openssl rand -hex 32)", minAdminToken))
	}
	if loopbackListen(h.Listen) {
		return out
	}
	if h.PublicURL == "" {
		out = append(out, fmt.Sprintf("http.public_url: not set, so the web board's links (/board) point to %s: set it to the address people open, e.g. https://bot.example.com", h.publicURL()))
	}
	if h.AdminToken == "" {
		out = append(out, fmt.Sprintf("http.listen: %q is reachable from other hosts and http.admin_token is empty: /admin/backup stays off (and `collabbot backup` cannot copy a running bot's store) until you set http.admin_token", h.Listen))
	}
	out = append(out, fmt.Sprintf("http.listen: %q is reachable from other hosts over plain HTTP: put a TLS-terminating reverse proxy in front (the admin token and webhooks cross the network), or listen on 127.0.0.1", h.Listen))
	return out
}

// loopbackListen reports whether a host:port only accepts local callers.
// An empty host, 0.0.0.0 and :: listen on every interface.
func loopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

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

// checkPublicURL says what is wrong with http.public_url, or "".
func checkPublicURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with http:// or https://"
	case u.Host == "":
		return "has no host"
	case u.User != nil:
		return "must not carry a user name or password"
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#"):
		return "must not have a query or fragment"
	}
	return ""
}

// publicURL is http.public_url without a trailing slash, or one made from
// http.listen (a wildcard host becomes localhost: set public_url for a
// link other machines can open). Empty when there is no listener.
func (h HTTPConfig) publicURL() string {
	if h.PublicURL != "" {
		return strings.TrimRight(h.PublicURL, "/")
	}
	if h.Listen == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(h.Listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
