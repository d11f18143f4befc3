package dingtalk

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// monthCalls is the gauge collabbot_dingtalk_openapi_calls_month{api}:
// OpenAPI calls made by this process in the current month of the org's
// quota (China time). It drops to zero when the month changes, at the
// next call or scrape, so its series stay one per API (the quota counts
// since the 1st; after a restart mid-month add the counter's history).
type monthCalls struct {
	desc *prometheus.Desc
	now  func() time.Time

	mu    sync.Mutex
	month string // "2006-01" in quotaZone
	n     map[string]float64
}

func newMonthCalls(now func() time.Time) *monthCalls {
	return &monthCalls{
		desc: prometheus.NewDesc("collabbot_dingtalk_openapi_calls_month",
			"DingTalk OpenAPI calls made by this process in the current month (China time), by API, for watching the org's monthly quota; resets when the month changes.",
			[]string{"api"}, nil),
		now: now,
		n:   map[string]float64{},
	}
}

// roll starts a new month when the quota's month has changed; mu is held.
func (m *monthCalls) roll() {
	cur := m.now().In(quotaZone).Format("2006-01")
	if cur == m.month {
		return
	}
	m.month = cur
	for api := range m.n {
		m.n[api] = 0
	}
}

func (m *monthCalls) inc(api string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll()
	m.n[api]++
}

// Describe implements prometheus.Collector.
func (m *monthCalls) Describe(ch chan<- *prometheus.Desc) { ch <- m.desc }

// Collect implements prometheus.Collector.
func (m *monthCalls) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.roll()
	for api, v := range m.n {
		ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, v, api)
	}
}
