package rules

import (
	"testing"
	"time"
)

func BenchmarkParse(b *testing.B) {
	opt := Options{Now: time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai)}
	msg := "@张三 【紧急】【产品研发-需求确认-需前端提供A-B两套技术评估方案-9月15日 下午5点前】"
	b.ReportAllocs()
	for b.Loop() {
		if r := Parse(msg, opt); r.Task == nil {
			b.Fatal(r.Errors)
		}
	}
}

func BenchmarkParseDeadline(b *testing.B) {
	opt := Options{Now: time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai)}
	for _, in := range []string{"9月15日 下午5点前", "3个工作日内", "下下周三"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseDeadline(in, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseChat(b *testing.B) {
	opt := Options{Now: time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai)}
	b.ReportAllocs()
	for b.Loop() {
		Parse("好的，收到，我下午看一下", opt)
	}
}
