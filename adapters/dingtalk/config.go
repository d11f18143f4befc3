// Package dingtalk connects collabbot to DingTalk: robot messages and card
// clicks arrive over the Stream mode websocket (dingtalk-stream-sdk-go),
// replies leave through the message's sessionWebhook or the OpenAPI.
package dingtalk

import (
	"errors"
	"strings"
	"time"
)

// Config configures the adapter. Only ClientID and ClientSecret are required.
type Config struct {
	ClientID     string // the internal app's AppKey / Client ID
	ClientSecret string // the app's AppSecret / Client Secret; never logged
	// RobotCode is the robot's code; it defaults to ClientID, which is what
	// DingTalk assigns to the robot of an internal app.
	RobotCode string
	// BaseURL is the OpenAPI host, used for the stream registration and every
	// OpenAPI call. Default https://api.dingtalk.com.
	BaseURL string
	// CardTemplateID is the interactive card template (see
	// the README's DingTalk section). Without it, proactive @-mentions fall back to a
	// cached sessionWebhook and then to plain names, and cards lose buttons.
	CardTemplateID string
	// Admins are staff ids that count as group admins everywhere.
	Admins []string

	// Optional tuning; zero values take the defaults in brackets.
	Workers         int           // message workers [8]
	QueueSize       int           // queued incoming messages per worker [256]
	GroupRate       float64       // sends per second per chat [1]
	GroupBurst      int           // burst per chat [3]
	APIRate         float64       // OpenAPI calls per second per API [15]
	HTTPTimeout     time.Duration // one OpenAPI or webhook request [10s]
	MaxAttempts     int           // tries per OpenAPI/webhook call [4]
	RetryBase       time.Duration // first retry pause [500ms]
	ReconnectMin    time.Duration // first stream restart pause [1s]
	ReconnectMax    time.Duration // longest stream restart pause [60s]
	CheckInterval   time.Duration // how often the supervisor checks the stream [1s]
	ActionTimeout   time.Duration // budget for HandleAction inside the ack [2500ms]
	CloseGrace      time.Duration // how long Close lets queued work finish [10s]
	WebhookMargin   time.Duration // a sessionWebhook this close to expiry counts as expired [1m]
	TokenMargin     time.Duration // refresh the access token this long before expiry [5m]
	DedupeRetention time.Duration // how long a msgId is remembered [30m]
}

const defaultBaseURL = "https://api.dingtalk.com"

func (c Config) withDefaults() (Config, error) {
	if c.ClientID == "" || c.ClientSecret == "" {
		return c, errors.New("dingtalk: client_id and client_secret are required")
	}
	if c.RobotCode == "" {
		c.RobotCode = c.ClientID
	}
	if c.BaseURL == "" {
		c.BaseURL = defaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	setInt(&c.Workers, 8)
	setInt(&c.QueueSize, 256)
	setInt(&c.GroupBurst, 3)
	setInt(&c.MaxAttempts, 4)
	if c.GroupRate <= 0 {
		c.GroupRate = 1
	}
	if c.APIRate <= 0 {
		c.APIRate = 15
	}
	setDur(&c.HTTPTimeout, 10*time.Second)
	setDur(&c.RetryBase, 500*time.Millisecond)
	setDur(&c.ReconnectMin, time.Second)
	setDur(&c.ReconnectMax, time.Minute)
	setDur(&c.CheckInterval, time.Second)
	setDur(&c.ActionTimeout, 2500*time.Millisecond)
	setDur(&c.CloseGrace, 10*time.Second)
	setDur(&c.WebhookMargin, time.Minute)
	setDur(&c.TokenMargin, 5*time.Minute)
	setDur(&c.DedupeRetention, 30*time.Minute)
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
