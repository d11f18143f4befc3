package main

import (
	"fmt"
	"strings"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"
)

// DeliveryConfig tunes the send stage.
type DeliveryConfig struct {
	// SendLimits override, per platform and field by field, the send
	// allowances the adapter reports (the platform's documented ones),
	// for tenants whose quotas differ. Replies and scheduled messages
	// share them; a field left out keeps the documented value.
	SendLimits map[string]SendLimitsConfig `yaml:"send_limits"`
}

// SendLimitsConfig is one platform's send allowances.
type SendLimitsConfig struct {
	// PerSecond and PerMinute bound the app's sends in any one second and
	// any sixty seconds (Lark: 50 and 1000; DingTalk: 20 and none).
	PerSecond float64 `yaml:"per_second"`
	PerMinute int     `yaml:"per_minute"`
	// ChatPerSecond and ChatBurst bound the sends to one chat (Lark: 5
	// and 5, shared by every bot in the chat).
	ChatPerSecond float64 `yaml:"chat_per_second"`
	ChatBurst     int     `yaml:"chat_burst"`
}

// Limits are the overrides as the send stage takes them.
func (d DeliveryConfig) Limits() map[string]chat.Limits {
	if len(d.SendLimits) == 0 {
		return nil
	}
	out := map[string]chat.Limits{}
	for name, l := range d.SendLimits {
		out[name] = chat.Limits{PerSecond: l.PerSecond, PerMinute: l.PerMinute, ChatPerSecond: l.ChatPerSecond, ChatBurst: l.ChatBurst}
	}
	return out
}

func (d DeliveryConfig) validate() []string {
	var names []string
	known := map[string]bool{}
	for _, p := range platform.All() {
		names = append(names, p.Name)
		known[p.Name] = true
	}
	var errs []string
	for _, name := range sortedKeys(d.SendLimits) {
		path := "delivery.send_limits." + name
		if !known[name] {
			errs = append(errs, fmt.Sprintf("%s: unknown platform; one of %s", path, strings.Join(names, ", ")))
			continue
		}
		l := d.SendLimits[name]
		for _, f := range []struct {
			key string
			v   float64
		}{
			{"per_second", l.PerSecond}, {"per_minute", float64(l.PerMinute)},
			{"chat_per_second", l.ChatPerSecond}, {"chat_burst", float64(l.ChatBurst)},
		} {
			if f.v < 0 {
				errs = append(errs, fmt.Sprintf("%s.%s: %v must not be negative (leave it out for the documented value)", path, f.key, f.v))
			}
		}
	}
	return errs
}
