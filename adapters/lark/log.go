package lark

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
)

// redactor removes secrets from anything that reaches a log line or an
// error string: the configured secrets verbatim, bearer credentials and
// anything shaped like a tenant/app/user access token.
type redactor struct {
	secrets []string
}

var tokenShape = regexp.MustCompile(`(?i)(bearer\s+)\S+|\b[tau]-[A-Za-z0-9_\-]{8,}`)

func newRedactor(secrets ...string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

func (r *redactor) clean(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return tokenShape.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(strings.ToLower(m), "bearer") {
			return "Bearer [redacted]"
		}
		return "[redacted]"
	})
}

// redactedError wraps an error so that its text is cleaned; errors.Is/As
// still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (r *redactor) err(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.clean(err.Error()), err: err}
}

// sdkLogger routes the SDK's logging into slog, cleaned. The SDK logs at
// Info for routine connection events; those go to Debug here except for
// warnings and errors.
type sdkLogger struct {
	log *slog.Logger
	r   *redactor
}

func (l sdkLogger) emit(ctx context.Context, level slog.Level, args []any) {
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, l.r.clean(strings.TrimSpace(fmt.Sprint(args...))), "source", "lark-sdk")
}

func (l sdkLogger) Debug(ctx context.Context, args ...any) { l.emit(ctx, slog.LevelDebug, args) }
func (l sdkLogger) Info(ctx context.Context, args ...any)  { l.emit(ctx, slog.LevelDebug, args) }
func (l sdkLogger) Warn(ctx context.Context, args ...any)  { l.emit(ctx, slog.LevelWarn, args) }
func (l sdkLogger) Error(ctx context.Context, args ...any) { l.emit(ctx, slog.LevelError, args) }

var _ larkcore.Logger = sdkLogger{}
