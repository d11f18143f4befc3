package rules

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkParseEnglish is BenchmarkParse for an English task: the
// deadline parser also tries its English readings.
func BenchmarkParseEnglish(b *testing.B) {
	opt := Options{Now: time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai)}
	msg := "@Alice 【Website-Checkout bug-Fix the payment timeout on iOS-by Friday 5pm】"
	b.ReportAllocs()
	for b.Loop() {
		if r := Parse(msg, opt); r.Task == nil {
			b.Fatal(r.Errors)
		}
	}
}

// BenchmarkParseMalformed keeps the error paths in proportion: a deadline
// that is none (every suffix is tried), a wrong separator (the body is
// split twice) and a message of dashes near the length bound.
func BenchmarkParseMalformed(b *testing.B) {
	opt := Options{Now: time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai)}
	for _, c := range []struct{ name, msg string }{
		{"bad-deadline", "@张三 【产品研发-需求确认-需前端提供A-B-C三套方案-下个版本上线以后】"},
		{"wrong-separator", "@张三 【产品研发/需求确认/需前端提供技术评估方案/尽快】"},
		{"english-vague", "@Alice 【Website-Checkout bug-Fix the payment timeout on iOS-ASAP please】"},
		{"dashes", "【" + strings.Repeat("需求-", 600) + "】"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := Parse(c.msg, opt); len(r.Errors) == 0 {
					b.Fatal("no errors")
				}
			}
		})
	}
}
