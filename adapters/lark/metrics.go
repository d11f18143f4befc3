package lark

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	events     *prometheus.CounterVec // type: message, card_action, other
	dropped    *prometheus.CounterVec // reason: duplicate, unsupported, queue_full, forged, replay
	sends      *prometheus.CounterVec // result: ok, error; reason
	retries    *prometheus.CounterVec // reason
	reconnects prometheus.Counter
}

func counterVec(name, help, label string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events:  counterVec("collabbot_lark_events_received_total", "Events received from Feishu/Lark, by type.", "type"),
		dropped: counterVec("collabbot_lark_events_dropped_total", "Events not handed to the bot, by reason.", "reason"),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "collabbot_lark_sends_total",
			Help: "Message sends and card updates, by result and failure reason.",
		}, []string{"result", "reason"}),
		retries: counterVec("collabbot_lark_send_retries_total", "Send attempts retried, by reason.", "reason"),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "collabbot_lark_reconnects_total",
			Help: "Long-connection reconnections.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.events, m.dropped, m.sends, m.retries, m.reconnects} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
