package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

func logLevel(cfg LogConfig) slog.Level {
	switch cfg.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

func newHandler(cfg LogConfig, w io.Writer, lvl slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

func newLogger(cfg LogConfig, w io.Writer) *slog.Logger {
	return slog.New(newHandler(cfg, w, logLevel(cfg)))
}

// openLogFile returns where the log goes: log.file (appended, created
// 0600) when it is set, else stderr. close is safe to call in both cases.
func openLogFile(cfg LogConfig, stderr io.Writer) (w io.Writer, close func() error, err error) {
	if cfg.File == "" {
		return stderr, func() error { return nil }, nil
	}
	f, err := os.OpenFile(cfg.File, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log.file: %w", err)
	}
	return f, f.Close, nil
}

// consoleLog is the console's logger: the session owns the terminal, so
// the log goes to log.file when it is set, else to stderr at WARN and
// above only. Until the session starts, WARN and above are also kept as
// notes (and, on stderr, held back), so the welcome text comes first and
// the start-up warnings follow it inside the session.
func consoleLog(cfg LogConfig, stderr io.Writer) (*slog.Logger, *heldNotes, func() error, error) {
	w, closeLog, err := openLogFile(cfg, stderr)
	if err != nil {
		return nil, nil, nil, err
	}
	lvl := logLevel(cfg)
	if cfg.File == "" {
		lvl = max(lvl, slog.LevelWarn)
	}
	notes := &heldNotes{on: true}
	h := &heldHandler{inner: newHandler(cfg, w, lvl), hold: cfg.File == "", notes: notes}
	return slog.New(h), notes, closeLog, nil
}

// maxNotes bounds the start-up warnings kept for the session.
const maxNotes = 20

// heldNotes collects WARN-and-above records until Release.
type heldNotes struct {
	mu      sync.Mutex
	on      bool
	notes   []string
	dropped int
}

// Release stops collecting and returns the notes, each "warning: message
// key=value …".
func (n *heldNotes) Release() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.on = false
	out := n.notes
	if n.dropped > 0 {
		out = append(out, fmt.Sprintf("… and %d more warnings", n.dropped))
	}
	n.notes = nil
	return out
}

// add keeps a note while collecting; it reports whether it is collecting.
func (n *heldNotes) add(s string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.on {
		return false
	}
	if len(n.notes) < maxNotes {
		n.notes = append(n.notes, s)
	} else {
		n.dropped++
	}
	return true
}

func (n *heldNotes) collecting() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.on
}

// heldHandler passes records to inner, except that while notes are being
// collected WARN and above become notes and, with hold, are not written.
type heldHandler struct {
	inner  slog.Handler
	hold   bool
	notes  *heldNotes
	attrs  []slog.Attr // for the note text, keys with their groups
	prefix string      // the open groups, "g."
}

func (h *heldHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l) || l >= slog.LevelWarn && h.notes.collecting()
}

func (h *heldHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var sb strings.Builder
		sb.WriteString("warning: ")
		sb.WriteString(r.Message)
		for _, a := range h.attrs {
			fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value.Resolve())
		}
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&sb, " %s%s=%v", h.prefix, a.Key, a.Value.Resolve())
			return true
		})
		if h.notes.add(sb.String()) && h.hold {
			return nil
		}
	}
	if !h.inner.Enabled(ctx, r.Level) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h *heldHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.inner = h.inner.WithAttrs(as)
	c.attrs = append([]slog.Attr{}, h.attrs...)
	for _, a := range as {
		c.attrs = append(c.attrs, slog.Attr{Key: h.prefix + a.Key, Value: a.Value})
	}
	return &c
}

func (h *heldHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.inner = h.inner.WithGroup(name)
	c.prefix = h.prefix + name + "."
	return &c
}
