package lark

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	events     *prometheus.CounterVec // type: message, card_action, task, other
	dropped    *prometheus.CounterVec // reason: unsupported, not_accepted, forged, replay, not_running
	sends      *prometheus.CounterVec // result: ok, error; reason: a chat.Reason for errors
	reconnects prometheus.Counter
	mirrors    *prometheus.CounterVec // op: create, update, delete; result: ok, error; reason
	interrupts *prometheus.CounterVec // result: ok, quota, refused, skipped
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events:  counterVec("collabbot_lark_events_received_total", "Events received from Feishu/Lark, by type.", "type"),
		dropped: counterVec("collabbot_lark_events_dropped_total", "Events not handed to the bot (or not accepted by it), by reason.", "reason"),
		sends: counterVec("collabbot_lark_sends_total",
			"Send attempts (message creates, replies and card updates), by result and failure reason.", "result", "reason"),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "collabbot_lark_reconnects_total",
			Help: "Long-connection reconnections.",
		}),
		mirrors: counterVec("collabbot_lark_task_mirrors_total",
			"Feishu Tasks mirror attempts, by operation, result and failure reason.", "op", "result", "reason"),
		interrupts: counterVec("collabbot_lark_interrupts_total",
			"加急 (urgent) interrupts after a post, by result: ok, quota, refused, skipped (switched off after a refusal).", "result"),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.events, m.dropped, m.sends, m.reconnects, m.mirrors, m.interrupts} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
