package rules

import (
	"testing"
	"time"
)

// Recognisable is the bot's gate before any store access: it must be true
// for everything Parse would act on, and false for plain chat.
func TestRecognisableAgreesWithParse(t *testing.T) {
	opt := Options{Now: time.Date(2026, 3, 5, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	cases := []struct {
		text string
		want bool
	}{
		{"【产品研发-需求确认-提供方案-明天】", true},
		{"@张三 【紧急】【系统故障-官网-排查-30分钟内】", true},
		{"/task 【A-B-C-明天】", true},
		{"[产品研发-需求确认-提供方案-明天]", true},
		{"［A-B-C-D］", true},
		{"【需协助】#3 需要设计稿", true},
		{"卡住了【需协助】", true},
		{"大家好，今天下午开会", false},
		{"@张三 你看下", false},
		{"", false},
		{"明天【A-B-C-D】", false},
	}
	for _, c := range cases {
		got := Recognisable(c.text)
		if got != c.want {
			t.Errorf("Recognisable(%q):\n\tgot  %v\n\twant %v", c.text, got, c.want)
		}
		r := Parse(c.text, opt)
		if acts := r.Kind != KindChat || r.Tags.Assist; acts && !got {
			t.Errorf("Recognisable(%q) = false but Parse found kind %v (assist %v)", c.text, r.Kind, r.Tags.Assist)
		}
	}
}
