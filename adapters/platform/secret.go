package platform

import "log/slog"

// Secret is a credential from the config file. Every way of printing it
// (fmt verbs, slog, JSON) shows "<secret>"; Reveal is the one way to the
// value, used only where the platform needs it.
type Secret string

const masked = "<secret>"

// Reveal returns the credential itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return maskUnlessEmpty(s) }
func (s Secret) GoString() string { return `"` + maskUnlessEmpty(s) + `"` }

// LogValue keeps the value out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(maskUnlessEmpty(s)) }

// MarshalJSON keeps the value out of anything encoded for display.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + maskUnlessEmpty(s) + `"`), nil }

// MarshalYAML keeps the value out of a config printed back as YAML.
func (s Secret) MarshalYAML() (any, error) { return maskUnlessEmpty(s), nil }

// MarshalText covers every other encoder that honours TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(maskUnlessEmpty(s)), nil }

// An empty secret prints as empty, so "not set" stays visible.
func maskUnlessEmpty(s Secret) string {
	if s == "" {
		return ""
	}
	return masked
}
