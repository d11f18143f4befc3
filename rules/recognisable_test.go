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
		// Tags and mentions in any order, and a few polite words.
		{"【紧急】@赵六 【线上故障-支付失败-排查支付回调超时-今天17:00前】", true},
		{"【需协助】 @张三 【数据-清洗-清洗三月数据-明天】", true},
		{"麻烦 @张三 【A-B-C-明天】", true},
		{"@张三 请处理 【A-B-C-明天】", true},
		{"请 @李四 【A-B-C-明天】", true},
		{"辛苦 【A-B-C-明天】", true},
		{"Please @Zhang 【A-B-C-tomorrow】", true},
		{"麻烦 【A/B/C/明天】", true},
		{"今天会上讨论了【产品研发-需求确认-需前端提供技术评估方案-9月15日前】这个事情，大家怎么看", false},
		{"麻烦 【通知】", false},
		{"请 [A-B-C-D]", false},
		{"@张三 你好", false},
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
