package dingtalk

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	sdklogger "github.com/open-dingtalk/dingtalk-stream-sdk-go/logger"
)

// redactor removes credentials from anything that may reach a log line or an
// error string: the client secret, access tokens we were issued, and the
// credential-shaped parts of URLs and JSON bodies (stream tickets, webhook
// sessions).
type redactor struct {
	mu      sync.RWMutex
	secrets []string
}

var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(ticket=)[^&\s"'\]]+`),
	regexp.MustCompile(`(?i)(session=)[^&\s"'\]]+`),
	regexp.MustCompile(`(?i)(sessionId=\[)[^\]]*`),
	regexp.MustCompile(`(?i)("(?:clientSecret|appSecret|accessToken|ticket|sessionWebhook)"\s*:\s*")[^"]*`),
	regexp.MustCompile(`(?i)(x-acs-dingtalk-access-token:\s*)\S+`),
}

func (r *redactor) add(s string) {
	if len(s) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.secrets {
		if x == s {
			return
		}
	}
	r.secrets = append(r.secrets, s)
	// Keep the client secret (first) and the latest few tokens.
	if len(r.secrets) > 8 {
		r.secrets = append(r.secrets[:1], r.secrets[len(r.secrets)-7:]...)
	}
}

func (r *redactor) clean(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, x := range r.secrets {
			s = strings.ReplaceAll(s, x, "***")
		}
		r.mu.RUnlock()
	}
	for _, p := range credentialPatterns {
		s = p.ReplaceAllString(s, "${1}***")
	}
	return s
}

// cleanErr is an error whose text went through the redactor; it keeps the
// original for errors.Is/As.
type cleanErr struct {
	msg string
	err error
}

func (e *cleanErr) Error() string { return e.msg }
func (e *cleanErr) Unwrap() error { return e.err }

func (r *redactor) err(err error) error {
	if err == nil {
		return nil
	}
	return &cleanErr{msg: r.clean(err.Error()), err: err}
}

// The SDK logs through one process-wide logger; it dumps request bodies
// (with the client secret) at debug level and the stream ticket at info.
// We install a forwarder once, before any SDK goroutine runs, and point it
// at the running adapter's slog logger and redactor.
type sdkSink struct {
	log *slog.Logger
	red *redactor
}

var currentSDKSink atomic.Pointer[sdkSink]

type sdkLog struct{}

func init() { sdklogger.SetLogger(sdkLog{}) }

func (sdkLog) out(level slog.Level, format string, args []any) {
	s := currentSDKSink.Load()
	if s == nil {
		return
	}
	s.log.Log(context.Background(), level, "dingtalk sdk: "+s.red.clean(fmt.Sprintf(format, args...)))
}

// Debugf is dropped: the SDK's debug lines are wire dumps carrying secrets.
func (sdkLog) Debugf(string, ...any)                 {}
func (l sdkLog) Infof(format string, args ...any)    { l.out(slog.LevelDebug, format, args) }
func (l sdkLog) Warningf(format string, args ...any) { l.out(slog.LevelWarn, format, args) }
func (l sdkLog) Errorf(format string, args ...any)   { l.out(slog.LevelWarn, format, args) }
func (l sdkLog) Fatalf(format string, args ...any)   { l.out(slog.LevelError, format, args) }
