package lark

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
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

// Config configures the adapter. Only AppID and AppSecret are required; the
// zero value of every other field picks the default noted beside it.
type Config struct {
	AppID     string
	AppSecret string
	// BaseURL is the open platform: https://open.feishu.cn (default) or
	// https://open.larksuite.com for Lark international. Used by both the
	// API client and the long-connection client.
	BaseURL string
	// Mode is "ws" (default) or "webhook".
	Mode string
	// VerificationToken and EncryptKey come from the app's "事件与回调"
	// security settings. Webhook mode needs at least one of them; with
	// EncryptKey set, requests must be encrypted and signed.
	VerificationToken string
	EncryptKey        string
	// Admins are open_ids treated as admins in every chat.
	Admins []string

	// Workers is the number of goroutines running bot.Handler (default 8).
	// Messages of one chat always go to the same worker, in order.
	Workers int
	// QueueSize bounds the events waiting per worker (default 64).
	QueueSize int
	// ChatRate is the send rate per chat, messages/s (default 4; the
	// platform allows 5 shared by all bots in the chat).
	ChatRate float64
	// AppRate and AppPerMinute bound sends per app (defaults 45/s and
	// 950/min, under the platform's 50/s and 1000/min).
	AppRate      float64
	AppPerMinute int
	// HTTPTimeout bounds each API request (default 10s).
	HTTPTimeout time.Duration
	// SendAttempts is the number of tries per Send (default 4).
	SendAttempts int
	// AdminCacheTTL is how long chat owner/manager lists are kept (default 5m).
	AdminCacheTTL time.Duration
	// ActionTimeout is how long a card click may take before the adapter
	// answers "处理中" and posts the result later (default 2.5s; the
	// platform's limit is 3s).
	ActionTimeout time.Duration
	// ReplayWindow is the maximum age of a webhook request (default 5m).
	ReplayWindow time.Duration
	// StartTimeout bounds Start's wait for the first connection (default 30s).
	StartTimeout time.Duration
	// DrainTimeout bounds how long Close waits for queued and running work
	// before cancelling it (default 10s).
	DrainTimeout time.Duration

	// retryBase is the first retry delay (default 500ms); tests shorten it.
	retryBase time.Duration
}

func (c Config) withDefaults() (Config, error) {
	c.AppID = strings.TrimSpace(c.AppID)
	if c.AppID == "" || c.AppSecret == "" {
		return c, errors.New("lark: app_id and app_secret are required")
	}
	if c.BaseURL == "" {
		c.BaseURL = FeishuBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("lark: base_url %q is not an http(s) URL", c.BaseURL)
	}
	switch c.Mode {
	case "":
		c.Mode = ModeWS
	case ModeWS, ModeWebhook:
	default:
		return c, fmt.Errorf("lark: mode %q: want %q or %q", c.Mode, ModeWS, ModeWebhook)
	}
	if c.Mode == ModeWebhook && c.EncryptKey == "" && c.VerificationToken == "" {
		return c, errors.New("lark: webhook mode needs encrypt_key (recommended) or verification_token")
	}
	setDefault(&c.Workers, 8)
	setDefault(&c.QueueSize, 64)
	setDefault(&c.ChatRate, 4)
	setDefault(&c.AppRate, 45)
	setDefault(&c.AppPerMinute, 950)
	setDefault(&c.HTTPTimeout, 10*time.Second)
	setDefault(&c.SendAttempts, 4)
	setDefault(&c.AdminCacheTTL, 5*time.Minute)
	setDefault(&c.ActionTimeout, 2500*time.Millisecond)
	setDefault(&c.ReplayWindow, 5*time.Minute)
	setDefault(&c.StartTimeout, 30*time.Second)
	setDefault(&c.DrainTimeout, 10*time.Second)
	setDefault(&c.retryBase, 500*time.Millisecond)
	return c, nil
}

func setDefault[T int | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}
