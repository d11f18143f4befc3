package dingtalk

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// monthGauge reads collabbot_dingtalk_openapi_calls_month{api}; -1 when
// the series is missing.
func monthGauge(t *testing.T, g prometheus.Gatherer, api string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "collabbot_dingtalk_openapi_calls_month" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == api {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// The monthly gauge follows the quota's month in China time: it drops to
// zero at 00:00 CST on the 1st (16:00 UTC the day before), at a scrape
// even without a call, and keeps one series per API.
func TestMonthCallsResetAtChinaMonthBoundary(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 31, 15, 59, 0, 0, time.UTC) // 23:59 CST
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	m := newMonthCalls(clock)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	for range 3 {
		m.inc(apiGroupSend)
	}
	m.inc(apiToken)
	if got := monthGauge(t, reg, apiGroupSend); got != 3 {
		t.Fatalf("January: %v, want 3", got)
	}
	set(time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC)) // 2026-02-01 00:00 CST
	if got := monthGauge(t, reg, apiGroupSend); got != 0 {
		t.Errorf("after the month changed, with no call: %v, want 0", got)
	}
	m.inc(apiGroupSend)
	if got, tok := monthGauge(t, reg, apiGroupSend), monthGauge(t, reg, apiToken); got != 1 || tok != 0 {
		t.Errorf("February: send %v token %v, want 1 and 0", got, tok)
	}
	// A year of months adds no series.
	for i := range 12 {
		set(time.Date(2026, time.Month(3+i), 2, 0, 0, 0, 0, time.UTC))
		m.inc(apiGroupSend)
	}
	if n := seriesCount(t, reg, "collabbot_dingtalk_openapi_calls_month"); n != 2 {
		t.Errorf("series = %d, want 2 (one per API)", n)
	}
	if got := monthGauge(t, reg, apiGroupSend); got != 1 {
		t.Errorf("last month: %v, want 1", got)
	}
}

// Two adapters in one process share the counter and the gauge.
func TestMonthCallsSharedBetweenAdapters(t *testing.T) {
	reg := prometheus.NewRegistry()
	c1 := newAPIClient(Config{}, newRedactor(""), slog.New(slog.DiscardHandler), reg)
	c2 := newAPIClient(Config{}, newRedactor(""), slog.New(slog.DiscardHandler), reg)
	c1.count(apiGroupSend)
	c2.count(apiGroupSend)
	if c1.month != c2.month {
		t.Fatal("second adapter registered its own monthly gauge")
	}
	if got := monthGauge(t, reg, apiGroupSend); got != 2 {
		t.Errorf("gauge = %v, want 2", got)
	}
}
