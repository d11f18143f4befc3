package main

import (
	"reflect"
	"strings"
	"testing"

	"collabbot/bot/chat"
)

// delivery.send_limits overrides a platform's allowances field by field;
// mistakes are reported with their key path.
func TestDeliverySendLimits(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	cfg, err := ParseConfig([]byte("delivery:\n  send_limits:\n    lark: {per_second: 20, per_minute: 500}\n    dingtalk:\n      chat_per_second: 2\n      chat_burst: 4\n"), none)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]chat.Limits{"lark": {PerSecond: 20, PerMinute: 500}, "dingtalk": {ChatPerSecond: 2, ChatBurst: 4}}
	if got := cfg.Delivery.Limits(); !reflect.DeepEqual(got, want) {
		t.Errorf("limits: got %+v, want %+v", got, want)
	}
	if got := DefaultConfig().Delivery.Limits(); got != nil {
		t.Errorf("no section: got %+v, want none", got)
	}
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown field", "delivery:\n  send_limits:\n    lark: {per_secnd: 20}\n", []string{"delivery.send_limits.lark.per_secnd: unknown key", `did you mean "delivery.send_limits.lark.per_second"`}},
		{"unknown platform", "delivery:\n  send_limits:\n    slack: {per_second: 20}\n", []string{"delivery.send_limits.slack: unknown platform; one of dingtalk, lark"}},
		{"negative", "delivery:\n  send_limits:\n    lark: {per_second: -1, chat_burst: -2}\n", []string{"delivery.send_limits.lark.per_second: -1 must not be negative", "delivery.send_limits.lark.chat_burst: -2"}},
		{"not a number", "delivery:\n  send_limits:\n    lark: {per_minute: lots}\n", []string{"lots"}},
	} {
		_, err := ParseConfig([]byte(c.yaml), none)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s:\n\tgot  %v\n\twant it to contain %q", c.name, err, w)
			}
		}
	}
}
