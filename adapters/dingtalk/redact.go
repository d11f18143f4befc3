package dingtalk

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync/atomic"

	"collabbot/adapters/platform"

	sdklogger "github.com/open-dingtalk/dingtalk-stream-sdk-go/logger"
)

// credentialPatterns are the credential-shaped parts of URLs, SDK log lines
// and JSON bodies (stream tickets, webhook sessions, tokens); the first
// group is kept.
var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(ticket=)[^&\s"'\]]+`),
	regexp.MustCompile(`(?i)(session=)[^&\s"'\]]+`),
	regexp.MustCompile(`(?i)(sessionId=\[)[^\]]*`),
	regexp.MustCompile(`(?i)("(?:clientSecret|appSecret|accessToken|ticket|sessionWebhook)"\s*:\s*")[^"]*`),
	regexp.MustCompile(`(?i)(x-acs-dingtalk-access-token:\s*)\S+`),
}

// newRedactor removes the client secret, access tokens added later, and
// everything matching credentialPatterns.
func newRedactor(secret platform.Secret) *platform.Redactor {
	return platform.NewRedactor(credentialPatterns, secret.Reveal())
}

// The SDK logs through one process-wide logger; it dumps request bodies
// (with the client secret) at debug level and the stream ticket at info.
// We install a forwarder once, before any SDK goroutine runs, and point it
// at the running adapter's slog logger and redactor.
type sdkSink struct {
	log *slog.Logger
	red *platform.Redactor
}

var currentSDKSink atomic.Pointer[sdkSink]

type sdkLog struct{}

func init() { sdklogger.SetLogger(sdkLog{}) }

func (sdkLog) out(level slog.Level, format string, args []any) {
	s := currentSDKSink.Load()
	if s == nil {
		return
	}
	s.log.Log(context.Background(), level, "dingtalk sdk: "+s.red.Clean(fmt.Sprintf(format, args...)))
}

// Debugf is dropped: the SDK's debug lines are wire dumps carrying secrets.
func (sdkLog) Debugf(string, ...any)                 {}
func (l sdkLog) Infof(format string, args ...any)    { l.out(slog.LevelDebug, format, args) }
func (l sdkLog) Warningf(format string, args ...any) { l.out(slog.LevelWarn, format, args) }
func (l sdkLog) Errorf(format string, args ...any)   { l.out(slog.LevelWarn, format, args) }
func (l sdkLog) Fatalf(format string, args ...any)   { l.out(slog.LevelError, format, args) }
