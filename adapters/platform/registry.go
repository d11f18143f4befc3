// Package platform is what every chat-platform adapter plugs into: the
// registry that lets cmd/ build adapters without naming them, the Secret
// type for credentials in config, and the pieces adapters share (a TTL
// cache and a redactor for logs and errors).
//
// A new platform is one folder under adapters/ whose init calls Register,
// plus one blank import in cmd/collabbot.
package platform

import (
	"log/slog"
	"net/http"
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"collabbot/bot/chat"
)

// Config is one platform's section of the config file, decoded from the
// YAML key named by Platform.Name into the value NewConfig returned.
type Config interface {
	// Enabled reports whether the operator turned the platform on.
	Enabled() bool
	// Validate returns every problem in the section, each message starting
	// with its key path under prefix (e.g. "lark.app_id: required").
	Validate(prefix string) []string
	// Warnings are problems that do not stop the bot, in the same form.
	Warnings(prefix string) []string
	// Admins are platform user ids with admin rights in every group.
	Admins() []string
	// Build makes the adapter; it does not connect (Adapter.Start does).
	Build(env Env) (chat.Adapter, error)
}

// Env is what the app lends an adapter.
type Env struct {
	Log     *slog.Logger
	Metrics prometheus.Registerer
	// Handle mounts h on the bot's HTTP listener (webhook modes). It is nil
	// when http.listen is not set.
	Handle func(pattern string, h http.Handler)
}

// Platform is a registered platform.
type Platform struct {
	// Name is the chat platform name (chat.PlatformLark, …) and the
	// config file key of its section.
	Name string
	// NewConfig returns a pointer to the section with its defaults set,
	// ready for the YAML decoder.
	NewConfig func() Config
}

var (
	regMu sync.Mutex
	reg   = map[string]Platform{}
)

// Register adds p; a second platform with the same name panics, since that
// is a programming error found at start-up.
func Register(p Platform) {
	regMu.Lock()
	defer regMu.Unlock()
	if p.Name == "" || p.NewConfig == nil {
		panic("platform: Register needs a Name and NewConfig")
	}
	if _, dup := reg[p.Name]; dup {
		panic("platform: " + p.Name + " registered twice")
	}
	reg[p.Name] = p
}

// All returns the registered platforms by name.
func All() []Platform {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]Platform, 0, len(reg))
	for _, p := range reg {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
