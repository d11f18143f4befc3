package lark

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"collabbot/adapters/platform"
)

// tokenShape matches bearer credentials and anything shaped like a
// tenant/app/user access token (t-…, a-…, u-…).
var tokenShape = regexp.MustCompile(`(?i)(bearer\s+)\S+|\b[tau]-[A-Za-z0-9_\-]{8,}`)

// newRedactor removes the configured secrets verbatim and every
// token-shaped string from anything that reaches a log line or an error.
func newRedactor(secrets ...platform.Secret) *platform.Redactor {
	plain := make([]string, 0, len(secrets))
	for _, s := range secrets {
		plain = append(plain, s.Reveal())
	}
	return platform.NewRedactor([]*regexp.Regexp{tokenShape}, plain...)
}

// sdkLogger routes the SDK's logging into slog, cleaned. The SDK logs at
// Info for routine connection events; those go to Debug here except for
// warnings and errors.
type sdkLogger struct {
	log *slog.Logger
	r   *platform.Redactor
}

func (l sdkLogger) emit(ctx context.Context, level slog.Level, args []any) {
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, l.r.Clean(strings.TrimSpace(fmt.Sprint(args...))), "source", "lark-sdk")
}

func (l sdkLogger) Debug(ctx context.Context, args ...any) { l.emit(ctx, slog.LevelDebug, args) }
func (l sdkLogger) Info(ctx context.Context, args ...any)  { l.emit(ctx, slog.LevelDebug, args) }
func (l sdkLogger) Warn(ctx context.Context, args ...any)  { l.emit(ctx, slog.LevelWarn, args) }
func (l sdkLogger) Error(ctx context.Context, args ...any) { l.emit(ctx, slog.LevelError, args) }

var _ larkcore.Logger = sdkLogger{}
