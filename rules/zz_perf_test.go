package rules

import (
	"strings"
	"testing"
	"time"
)

func TestZZPerf(t *testing.T) {
	opt := Options{Now: time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai)}
	for _, msg := range []string{
		"【" + strings.Repeat("-", 100000) + "】",
		"【" + strings.Repeat("a-明天", 30000) + "】",
		"【" + strings.Repeat("-9", 50000) + "】",
		"[" + strings.Repeat("-", 100000) + "]",
		strings.Repeat("【紧急】", 30000),
		strings.Repeat("@a ", 30000),
		"【" + strings.Repeat("【", 30000),
	} {
		start := time.Now()
		Parse(msg, opt)
		t.Logf("%d bytes: %v", len(msg), time.Since(start))
	}
	for _, s := range []string{strings.Repeat("明天 ", 30000), strings.Repeat("9", 100000)} {
		start := time.Now()
		DeadlinePrefix(s, opt)
		t.Logf("prefix %d bytes: %v", len(s), time.Since(start))
	}
}
