package lark

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"
)

// Modes of event delivery.
const (
	ModeWS      = "ws"      // long connection (default): no public URL needed
	ModeWebhook = "webhook" // HTTP callbacks to HTTPHandler
)

// Base URLs of the two platforms.
const (
	FeishuBaseURL = "https://open.feishu.cn"
	LarkBaseURL   = "https://open.larksuite.com"
)

// WebhookPath is where Build mounts the callback handler in webhook mode.
const WebhookPath = "/lark/events"

func init() {
	platform.Register(platform.Platform{
		Name:      chat.PlatformLark,
		NewConfig: func() platform.Config { return NewConfig() },
	})
}

// Config is the "lark" section of the config file, and the adapter's
// configuration. Only AppID and AppSecret are required; the zero value of
// every tuning field picks the default noted beside it.
type Config struct {
	Enable    bool            `yaml:"enabled"`
	AppID     string          `yaml:"app_id"`
	AppSecret platform.Secret `yaml:"app_secret"`
	// BaseURL is the open platform: https://open.feishu.cn (default) or
	// https://open.larksuite.com for Lark international. Used by both the
	// API client and the long-connection client.
	BaseURL string `yaml:"base_url"`
	// Mode is "ws" (default) or "webhook".
	Mode string `yaml:"mode"`
	// EncryptKey and VerificationToken come from the app's "事件与回调"
	// security settings. Webhook mode needs at least one of them; with
	// EncryptKey set, requests must be encrypted and signed.
	EncryptKey        platform.Secret `yaml:"encrypt_key"`
	VerificationToken platform.Secret `yaml:"verification_token"`
	// AdminIDs are open_ids treated as admins in every chat.
	AdminIDs []string `yaml:"admins"`
	// Tasks mirrors every task into Feishu Tasks (task v2) and reports
	// completions made there (default false). Needs the task:task:write
	// and task:task:read scopes and the task.task.updated_v1 event.
	Tasks bool `yaml:"tasks"`
	// Urgent is the 加急 channel used to interrupt people in an emergency:
	// off (default), app, sms or phone. SMS and phone use the tenant's
	// paid quota. Needs im:message.urgent (or :sms / :phone).
	Urgent string `yaml:"urgent"`

	// Tuning, not in the file; tests set them.

	// HTTPTimeout bounds each API request (default 10s).
	HTTPTimeout time.Duration `yaml:"-"`
	// AcceptTimeout bounds Intake.Accept for one message, well inside the
	// platform's 3 s ack window (default 2.5s).
	AcceptTimeout time.Duration `yaml:"-"`
	// ActionTimeout is how long a card click may take before the adapter
	// answers "处理中" and posts the card update later (default 2.5s; the
	// platform's limit is 3s).
	ActionTimeout time.Duration `yaml:"-"`
	// AdminCacheTTL is how long chat owner/manager lists are kept (default 5m).
	AdminCacheTTL time.Duration `yaml:"-"`
	// ReplayWindow is the maximum age of a webhook request (default 5m).
	ReplayWindow time.Duration `yaml:"-"`
	// StartTimeout bounds Start's wait for the first connection (default 30s).
	StartTimeout time.Duration `yaml:"-"`
	// DrainTimeout bounds how long Close waits for running work (the long
	// connection's handlers, late card answers) before cancelling it
	// (default 10s).
	DrainTimeout time.Duration `yaml:"-"`
	// WebhookReadTimeout bounds reading one callback request's body
	// (default 5s).
	WebhookReadTimeout time.Duration `yaml:"-"`
	// UrgentCooldown is how long 加急 stays switched off after the
	// platform refused it (quota used up, group disallows it), so that
	// an emergency does not keep calling and logging (default 24h).
	UrgentCooldown time.Duration `yaml:"-"`
}

// Urgent channels (Config.Urgent).
const (
	UrgentOff   = "off"
	UrgentApp   = "app"
	UrgentSMS   = "sms"
	UrgentPhone = "phone"
)

// NewConfig returns the section with its defaults, ready for the decoder.
func NewConfig() *Config {
	return &Config{BaseURL: FeishuBaseURL, Mode: ModeWS}
}

var _ platform.Config = (*Config)(nil)

// Enabled reports lark.enabled.
func (c *Config) Enabled() bool { return c.Enable }

// Admins are the configured admin open_ids.
func (c *Config) Admins() []string { return c.AdminIDs }

// Validate returns the section's problems when it is enabled, each one
// prefixed with its key path.
func (c *Config) Validate(prefix string) []string {
	if !c.Enable {
		return nil
	}
	return c.problems(prefix)
}

// Warnings has nothing to say about the lark section.
func (c *Config) Warnings(string) []string { return nil }

// Build makes the adapter; in webhook mode it mounts the callback handler
// on the app's listener at WebhookPath.
func (c *Config) Build(env platform.Env) (chat.Adapter, error) {
	cfg := c.withDefaults()
	if cfg.Mode == ModeWebhook && env.Handle == nil {
		return nil, errors.New("lark: webhook mode needs the HTTP listener (set http.listen)")
	}
	a, err := New(cfg, env.Log, env.Metrics)
	if err != nil {
		return nil, err
	}
	if cfg.Mode == ModeWebhook {
		env.Handle(WebhookPath, a.HTTPHandler())
	}
	return a, nil
}

// problems checks the section as if it were enabled.
func (c *Config) problems(prefix string) []string {
	cfg := c.withDefaults()
	var out []string
	add := func(key, format string, args ...any) {
		out = append(out, prefix+"."+key+": "+fmt.Sprintf(format, args...))
	}
	if cfg.AppID == "" {
		add("app_id", "required when %s.enabled is true", prefix)
	}
	if cfg.AppSecret == "" {
		add("app_secret", "required when %s.enabled is true (use ${LARK_APP_SECRET})", prefix)
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("base_url", "must be an http(s) URL, got %q", c.BaseURL)
	}
	switch cfg.Mode {
	case ModeWS:
	case ModeWebhook:
		if cfg.EncryptKey == "" && cfg.VerificationToken == "" {
			add("mode", "webhook mode needs %s.encrypt_key (recommended) or %s.verification_token", prefix, prefix)
		}
	default:
		add("mode", "must be ws or webhook, got %q", c.Mode)
	}
	switch cfg.Urgent {
	case UrgentOff, UrgentApp, UrgentSMS, UrgentPhone:
	default:
		add("urgent", "must be off, app, sms or phone, got %q", c.Urgent)
	}
	return out
}

// withDefaults fills in every unset field; it does not validate.
func (c Config) withDefaults() Config {
	c.AppID = strings.TrimSpace(c.AppID)
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	if c.BaseURL == "" {
		c.BaseURL = FeishuBaseURL
	}
	c.Mode = strings.TrimSpace(c.Mode)
	if c.Mode == "" {
		c.Mode = ModeWS
	}
	setDefault(&c.HTTPTimeout, 10*time.Second)
	setDefault(&c.AcceptTimeout, 2500*time.Millisecond)
	setDefault(&c.ActionTimeout, 2500*time.Millisecond)
	setDefault(&c.AdminCacheTTL, 5*time.Minute)
	setDefault(&c.ReplayWindow, 5*time.Minute)
	setDefault(&c.StartTimeout, 30*time.Second)
	setDefault(&c.DrainTimeout, 10*time.Second)
	setDefault(&c.WebhookReadTimeout, 5*time.Second)
	setDefault(&c.UrgentCooldown, 24*time.Hour)
	c.Urgent = strings.ToLower(strings.TrimSpace(c.Urgent))
	if c.Urgent == "" {
		c.Urgent = UrgentOff
	}
	return c
}

func setDefault(v *time.Duration, def time.Duration) {
	if *v <= 0 {
		*v = def
	}
}
