// Package dingtalk connects collabbot to DingTalk: robot messages and card
// clicks arrive over the Stream mode websocket (dingtalk-stream-sdk-go),
// replies leave through the message's sessionWebhook or the OpenAPI.
package dingtalk

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"
)

func init() {
	platform.Register(platform.Platform{
		Name:      chat.PlatformDingTalk,
		NewConfig: func() platform.Config { return NewConfig() },
	})
}

// Config is the "dingtalk" section of the config file. Only client_id and
// client_secret are required; the fields tagged yaml:"-" are tuning knobs
// for tests, with the defaults in brackets.
type Config struct {
	Enable       bool            `yaml:"enabled"`
	ClientID     string          `yaml:"client_id"`     // the internal app's AppKey / Client ID
	ClientSecret platform.Secret `yaml:"client_secret"` // the app's AppSecret / Client Secret
	// RobotCode is the robot's code; it defaults to ClientID, which is what
	// DingTalk assigns to the robot of an internal app.
	RobotCode string `yaml:"robot_code"`
	// BaseURL is the OpenAPI host, used for the stream registration and every
	// OpenAPI call [https://api.dingtalk.com].
	BaseURL string `yaml:"base_url"`
	// CardTemplateID is the interactive card template (see the README's
	// DingTalk section). Proactive messages go as cards when it is set: the
	// only route that can @-mention and that has an idempotency key.
	CardTemplateID string `yaml:"card_template_id"`
	// AdminIDs are staff ids that count as group admins everywhere.
	AdminIDs []string `yaml:"admins"`
	// Todo mirrors each task into DingTalk 待办 (scopes Todo.Todo.Write,
	// Todo.Todo.Read, qyapi_get_member; events todo_task_update and
	// todo_task_delete over Stream) [false].
	Todo bool `yaml:"todo"`
	// TodoDetailURL is the 待办's detailUrl when the bot has no board link
	// for the task: DingTalk requires one since 2024-02-01.
	TodoDetailURL string `yaml:"todo_detail_url"`
	// Ding interrupts people through DING for the top rung of an
	// emergency: off, app, sms or phone [off]. Needs Premium.Ding.Write and
	// a 专业版/专属版 org; sms and phone need a bought package.
	Ding string `yaml:"ding"`
	// OAPIURL is the old OpenAPI host, used to map staff ids to union ids
	// for 待办 [https://oapi.dingtalk.com].
	OAPIURL string `yaml:"oapi_url"`

	GroupRate     float64       `yaml:"-"` // sends per second per chat, kept by the send stage [1]
	GroupBurst    int           `yaml:"-"` // burst per chat [3]
	HTTPTimeout   time.Duration `yaml:"-"` // one OpenAPI or webhook request [10s]
	ReconnectMin  time.Duration `yaml:"-"` // first stream restart pause [1s]
	ReconnectMax  time.Duration `yaml:"-"` // longest stream restart pause [60s]
	CheckInterval time.Duration `yaml:"-"` // how often the supervisor checks the stream [1s]
	// AcceptTimeout bounds the bot's commit of an incoming message, which
	// happens before the frame is acknowledged [2s].
	AcceptTimeout time.Duration `yaml:"-"`
	// ActionAnswer is how long a card click waits for the bot before the ack
	// goes out without a card update (DingTalk allows 2 s); a later result
	// is posted as a card update [1500ms].
	ActionAnswer time.Duration `yaml:"-"`
	// ActionTimeout bounds the bot's handling of a card click [10s].
	ActionTimeout time.Duration `yaml:"-"`
	CloseGrace    time.Duration `yaml:"-"` // how long Close lets work in flight finish [10s]
	WebhookMargin time.Duration `yaml:"-"` // a sessionWebhook this close to expiry counts as expired [1m]
	TokenMargin   time.Duration `yaml:"-"` // refresh the access token this long before expiry [5m]
	// CardPause is how long the card route is skipped after DingTalk said
	// the template or the permission is missing [10m].
	CardPause time.Duration `yaml:"-"`
	// DingCooldown is how long DING stays switched off after DingTalk
	// refused it for quota, edition or permission [24h].
	DingCooldown time.Duration `yaml:"-"`
	// EventTimeout bounds the handling of one 待办 event: reading the
	// todo and the bot's commit, before the frame is acknowledged [10s].
	EventTimeout time.Duration `yaml:"-"`
}

// DING channels (Config.Ding).
const (
	DingOff   = "off"
	DingApp   = "app"
	DingSMS   = "sms"
	DingPhone = "phone"
)

const (
	defaultBaseURL = "https://api.dingtalk.com"
	defaultOAPIURL = "https://oapi.dingtalk.com"
)

// NewConfig returns a section with its defaults, ready for the decoder.
func NewConfig() *Config {
	return &Config{BaseURL: defaultBaseURL, OAPIURL: defaultOAPIURL, Ding: DingOff}
}

// Enabled implements platform.Config.
func (c *Config) Enabled() bool { return c.Enable }

// Admins implements platform.Config.
func (c *Config) Admins() []string { return c.AdminIDs }

func key(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// Validate implements platform.Config: problems only matter when the
// platform is enabled.
func (c *Config) Validate(prefix string) []string {
	if !c.Enable {
		return nil
	}
	var out []string
	enabled := key(prefix, "enabled")
	if strings.TrimSpace(c.ClientID) == "" {
		out = append(out, key(prefix, "client_id")+": required when "+enabled+" is true")
	}
	if c.ClientSecret == "" {
		out = append(out, key(prefix, "client_secret")+": required when "+enabled+" is true (use ${DINGTALK_CLIENT_SECRET})")
	}
	if c.BaseURL != "" && !httpURL(c.BaseURL) {
		out = append(out, key(prefix, "base_url")+": "+quote(c.BaseURL)+" must be an http(s) URL")
	}
	if c.OAPIURL != "" && !httpURL(c.OAPIURL) {
		out = append(out, key(prefix, "oapi_url")+": "+quote(c.OAPIURL)+" must be an http(s) URL")
	}
	if c.TodoDetailURL != "" && !httpURL(c.TodoDetailURL) {
		out = append(out, key(prefix, "todo_detail_url")+": "+quote(c.TodoDetailURL)+" must be an http(s) URL")
	} else if len(c.TodoDetailURL) > detailURLMax {
		out = append(out, key(prefix, "todo_detail_url")+": longer than DingTalk's 1024 bytes")
	}
	switch strings.ToLower(strings.TrimSpace(c.Ding)) {
	case "", DingOff, DingApp, DingSMS, DingPhone:
	default:
		out = append(out, key(prefix, "ding")+": must be off, app, sms or phone, got "+quote(c.Ding))
	}
	return out
}

// Warnings implements platform.Config.
func (c *Config) Warnings(prefix string) []string {
	if !c.Enable {
		return nil
	}
	var out []string
	if strings.TrimSpace(c.CardTemplateID) == "" {
		out = append(out, key(prefix, "card_template_id")+": empty: proactive messages cannot @-mention anyone and use robot/groupMessages/send, which has no idempotency key (scheduled messages are then at-most-once)")
	}
	if c.Todo && strings.TrimSpace(c.TodoDetailURL) == "" {
		out = append(out, key(prefix, "todo_detail_url")+": empty: a task without a board link cannot be mirrored to 待办 (DingTalk requires a detailUrl)")
	}
	return out
}

// Build implements platform.Config.
func (c *Config) Build(env platform.Env) (chat.Adapter, error) {
	return New(*c, env.Log, env.Metrics)
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func quote(s string) string { return `"` + s + `"` }

// withDefaults checks c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	c.Enable = true
	if c.BaseURL == "" {
		c.BaseURL = defaultBaseURL
	}
	if errs := c.Validate("dingtalk"); len(errs) > 0 {
		return c, errors.New(strings.Join(errs, "; "))
	}
	if c.RobotCode == "" {
		c.RobotCode = c.ClientID
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.OAPIURL == "" {
		c.OAPIURL = defaultOAPIURL
	}
	c.OAPIURL = strings.TrimRight(c.OAPIURL, "/")
	c.Ding = strings.ToLower(strings.TrimSpace(c.Ding))
	if c.Ding == "" {
		c.Ding = DingOff
	}
	if c.GroupRate <= 0 {
		c.GroupRate = 1
	}
	setInt(&c.GroupBurst, 3)
	setDur(&c.HTTPTimeout, 10*time.Second)
	setDur(&c.ReconnectMin, time.Second)
	setDur(&c.ReconnectMax, time.Minute)
	setDur(&c.CheckInterval, time.Second)
	setDur(&c.AcceptTimeout, 2*time.Second)
	setDur(&c.ActionAnswer, 1500*time.Millisecond)
	setDur(&c.ActionTimeout, 10*time.Second)
	setDur(&c.CloseGrace, 10*time.Second)
	setDur(&c.WebhookMargin, time.Minute)
	setDur(&c.TokenMargin, 5*time.Minute)
	setDur(&c.CardPause, 10*time.Minute)
	setDur(&c.DingCooldown, 24*time.Hour)
	setDur(&c.EventTimeout, 10*time.Second)
	return c, nil
}

func setInt(p *int, def int) {
	if *p <= 0 {
		*p = def
	}
}

func setDur(p *time.Duration, def time.Duration) {
	if *p <= 0 {
		*p = def
	}
}
