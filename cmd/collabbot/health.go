package main

import (
	"net/http"
	"strings"

	"collabbot/bot/chat"
)

// serveHealth answers /healthz for a load balancer: one line per adapter,
// "<platform> connected" or "<platform> disconnected" (adapters that
// cannot tell, chat.Health not implemented, say "running"), 200 when all
// are up and 503 when any is not. It is cheap (no store access) and
// unauthenticated: it reveals nothing but the platform names. An adapter
// not started yet is disconnected; with no adapter it answers "ok".
func (a *app) serveHealth(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	up := true
	for _, ad := range a.adapters {
		state := "running"
		if h, ok := ad.(chat.Health); ok {
			state = "connected"
			if !h.Connected() {
				state, up = "disconnected", false
			}
		}
		b.WriteString(ad.Platform() + " " + state + "\n")
	}
	if len(a.adapters) == 0 {
		b.WriteString("ok\n")
	}
	if a.replica != nil {
		// Both roles are healthy: a follower accepts events.
		b.WriteString("replica " + a.replica.role() + "\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !up {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write([]byte(b.String()))
}
