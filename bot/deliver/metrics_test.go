package deliver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"collabbot/bot/chat"
	"collabbot/bot/deliver"
	"collabbot/store"
)

// families gathers reg by metric name.
func families(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value finds the series of name whose labels are exactly labels
// ("k=v,k=v"); -1 when absent. Histograms give their sample count.
func value(t *testing.T, reg *prometheus.Registry, name, labels string) float64 {
	t.Helper()
	mf := families(t, reg)[name]
	for _, m := range mf.GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(ls, ",") != labels {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func addKind(t *testing.T, db *store.DB, g store.GroupKey, kind, key string, decided time.Time) {
	t.Helper()
	msg, _ := json.Marshal(chat.Reply{Platform: g.Platform, ChatID: g.ChatID, Text: key, Key: key})
	err := db.Update(func(tx *store.Tx) error {
		_, err := tx.AddOutbox(&store.OutboxEntry{Key: key, Group: g, Kind: kind, State: store.OutboxPending,
			DecidedAt: decided, Message: msg})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Known kinds label themselves, others are "other"; failure reasons an
// adapter made up are "other"; every Send is timed by platform.
func TestMetricsLabels(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "m.db"))
	reg := prometheus.NewRegistry()
	snd := &sender{idempotent: true, fail: func(n int, r chat.Reply) (bool, error) {
		if r.Key == "bad" {
			return false, &chat.SendError{Reason: "made-up reason", Err: fmt.Errorf("no")}
		}
		return false, nil
	}}
	st := newStage(t, db, snd, deliver.Options{Registerer: reg, Kinds: []string{"reply", "nudge"}})
	now := time.Now()
	addKind(t, db, g1, "reply", "r1", now)
	addKind(t, db, g1, "nudge", "n1", now)
	addKind(t, db, g1, "brand-new-kind", "x1", now)
	addKind(t, db, g1, "reply", "bad", now)
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, labels string
		want         float64
	}{
		{"collabbot_outbox_sent_total", "kind=reply,route=test", 1},
		{"collabbot_outbox_sent_total", "kind=nudge,route=test", 1},
		{"collabbot_outbox_sent_total", "kind=other,route=test", 1},
		{"collabbot_outbox_failed_total", "kind=reply,reason=other", 1},
		{"collabbot_send_duration_seconds", "platform=test", 4},
		{"collabbot_outbox_pending", "", 0},
		{"collabbot_outbox_oldest_pending_age_seconds", "", 0},
	} {
		if got := value(t, reg, c.name, c.labels); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// The oldest-entry gauge is the age of the first queued entry of the
// group that has waited longest; it drops to 0 once everything is sent.
func TestOldestPendingAge(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "a.db"))
	reg := prometheus.NewRegistry()
	now := time.Date(2026, 10, 9, 12, 0, 0, 0, time.UTC)
	st, err := deliver.New(db, deliver.Options{Registerer: reg, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g2 := store.GroupKey{Platform: "test", ChatID: "g2"}
	addKind(t, db, g1, "reply", "a", now.Add(-30*time.Second))
	addKind(t, db, g1, "reply", "b", now.Add(-10*time.Second))
	addKind(t, db, g2, "reply", "c", now.Add(-90*time.Second))
	// No sender yet: Flush sends nothing and updates the gauges.
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := value(t, reg, "collabbot_outbox_pending", ""); got != 3 {
		t.Errorf("pending = %v, want 3", got)
	}
	if got := value(t, reg, "collabbot_outbox_oldest_pending_age_seconds", ""); got != 90 {
		t.Errorf("oldest age = %v, want 90", got)
	}
	st.AddSender("test", &sender{idempotent: true})
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := value(t, reg, "collabbot_outbox_oldest_pending_age_seconds", ""); got != 0 {
		t.Errorf("oldest age after sending = %v, want 0", got)
	}
}

// Without a list of kinds the stage still keeps the label set bounded:
// 200 distinct kinds, chats and keys make at most a few dozen series.
func TestMetricsBoundedWithoutKinds(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "b.db"))
	reg := prometheus.NewRegistry()
	st := newStage(t, db, &sender{idempotent: true}, deliver.Options{Registerer: reg})
	now := time.Now()
	for i := range 200 {
		g := store.GroupKey{Platform: "test", ChatID: fmt.Sprintf("chat%d", i)}
		addKind(t, db, g, fmt.Sprintf("kind%d", i), fmt.Sprintf("key%d", i), now)
	}
	if err := st.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mf := families(t, reg)["collabbot_outbox_sent_total"]
	if n := len(mf.GetMetric()); n > 65 {
		t.Errorf("%d sent series for 200 kinds, want at most 65", n)
	}
	if got := value(t, reg, "collabbot_outbox_sent_total", "kind=other,route=test"); got != 200-64 {
		t.Errorf("other = %v, want %d", got, 200-64)
	}
}
