package platform

import (
	"regexp"
	"strings"
	"sync"
)

// Redactor removes credentials from text that may reach a log line or an
// error: secrets it was given verbatim, and credential-shaped parts that
// match its patterns (tokens, tickets, session URLs). Safe for concurrent
// use; the zero value redacts nothing.
type Redactor struct {
	mu       sync.RWMutex
	secrets  []string
	keep     int // how many of the first secrets are never evicted
	patterns []*regexp.Regexp
}

// NewRedactor redacts the given secrets (shorter than 4 bytes are ignored:
// they would mangle ordinary text) and every match of patterns. A pattern's
// first group, when it has one, is kept: `(ticket=)\S+` → "ticket=***".
func NewRedactor(patterns []*regexp.Regexp, secrets ...string) *Redactor {
	r := &Redactor{patterns: patterns}
	for _, s := range secrets {
		r.Add(s)
	}
	r.keep = len(r.secrets)
	return r
}

// Add redacts s from now on (e.g. an access token just issued). Beyond the
// configured secrets, only the latest few are kept: old tokens expire.
func (r *Redactor) Add(s string) {
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
	if extra := len(r.secrets) - r.keep; extra > 8 {
		r.secrets = append(r.secrets[:r.keep], r.secrets[len(r.secrets)-8:]...)
	}
}

// Clean returns s with every credential replaced by "***".
func (r *Redactor) Clean(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	for _, x := range r.secrets {
		s = strings.ReplaceAll(s, x, "***")
	}
	patterns := r.patterns
	r.mu.RUnlock()
	for _, p := range patterns {
		if p.NumSubexp() > 0 {
			s = p.ReplaceAllString(s, "${1}***")
		} else {
			s = p.ReplaceAllString(s, "***")
		}
	}
	return s
}

// Err wraps err so that its text is cleaned; errors.Is and errors.As still
// see the original.
func (r *Redactor) Err(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.Clean(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
