package lark

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
)

const maxWebhookBody = 1 << 20

// HTTPHandler serves event and card callbacks in webhook mode; mount it on
// the URL configured as the app's request URL (e.g. /lark/events). It
// answers url_verification, decrypts with EncryptKey, and rejects requests
// whose X-Lark-Signature does not match, whose timestamp is outside
// ReplayWindow or whose nonce was already seen. Before Start and after
// Close it answers 503, which makes the platform retry. In ws mode it
// answers 404 to everything.
func (a *Adapter) HTTPHandler() http.Handler {
	if a.cfg.Mode != ModeWebhook {
		return http.NotFoundHandler()
	}
	return http.HandlerFunc(a.serveWebhook)
}

type webhookEnvelope struct {
	Encrypt   string `json:"encrypt"`
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	Token     string `json:"token"`
	Header    *struct {
		EventType string `json:"event_type"`
		Token     string `json:"token"`
	} `json:"header"`
}

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := a.readBody(w, r)
	if err != nil {
		a.m.dropped.WithLabelValues("bad_request").Inc()
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		case errors.Is(err, os.ErrDeadlineExceeded):
			http.Error(w, "request body too slow", http.StatusRequestTimeout)
		default:
			http.Error(w, "bad request", http.StatusBadRequest)
		}
		return
	}
	plain, env, err := a.openWebhook(body)
	if err != nil {
		a.reject(w, "forged", err)
		return
	}
	if env.Type == string(larkevent.ReqTypeChallenge) {
		// Not signed by the platform; decrypting it (or the token) proves it.
		if a.cfg.VerificationToken != "" && !equal(env.Token, a.cfg.VerificationToken.Reveal()) {
			a.reject(w, "forged", errors.New("url_verification token mismatch"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"challenge": env.Challenge})
		return
	}
	if err := a.verifyWebhook(r, body, env); err != nil {
		a.reject(w, "forged", err)
		return
	}
	if err := a.checkReplay(r); err != nil {
		a.reject(w, "replay", err)
		return
	}
	if !a.running.Load() {
		a.m.dropped.WithLabelValues("not_running").Inc()
		http.Error(w, "not running", http.StatusServiceUnavailable)
		return
	}
	resp, err := a.disp.Do(r.Context(), plain)
	var nf *dispatcher.NotFoundEventHandlerErr
	switch {
	case errors.As(err, &nf):
		a.m.events.WithLabelValues("other").Inc()
		writeJSON(w, http.StatusOK, map[string]string{"msg": "ignored"})
	case err != nil:
		// Not accepted by the bot (or shutting down): let the platform
		// redeliver.
		http.Error(w, "busy", http.StatusServiceUnavailable)
	case resp != nil:
		writeJSON(w, http.StatusOK, resp)
	default:
		writeJSON(w, http.StatusOK, map[string]string{"msg": "success"})
	}
}

// readBody reads at most maxWebhookBody bytes, within WebhookReadTimeout,
// so that a client trickling bytes cannot hold the connection.
func (a *Adapter) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(a.cfg.WebhookReadTimeout)) == nil
	if !deadline {
		// A writer that cannot set deadlines: the server's own timeouts
		// are all there is.
		a.log.Debug("lark: webhook read deadline not supported")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		// Keep the (expired) deadline, so that the server does not wait
		// for the rest of the body either, and drop the connection.
		w.Header().Set("Connection", "close")
		return nil, err
	}
	if deadline {
		_ = rc.SetReadDeadline(time.Time{})
	}
	return body, nil
}

// openWebhook decrypts the body when an encrypt key is configured and
// parses the envelope.
func (a *Adapter) openWebhook(body []byte) ([]byte, webhookEnvelope, error) {
	var env webhookEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, env, errors.New("body is not JSON")
	}
	plain := body
	if a.cfg.EncryptKey != "" {
		if env.Encrypt == "" {
			return nil, env, errors.New("body is not encrypted")
		}
		dec, err := decrypt(env.Encrypt, a.cfg.EncryptKey.Reveal())
		if err != nil {
			return nil, env, errors.New("cannot decrypt body")
		}
		plain = dec
		env = webhookEnvelope{}
		if err := json.Unmarshal(plain, &env); err != nil {
			return nil, env, errors.New("decrypted body is not JSON")
		}
	} else if env.Encrypt != "" {
		return nil, env, errors.New("encrypted body but no encrypt_key configured")
	}
	return plain, env, nil
}

// decrypt wraps the SDK's decryption, which panics (slice bounds) when a
// wrong key yields garbage with a "}" before the first "{".
func decrypt(cipherText, key string) (plain []byte, err error) {
	defer func() {
		if recover() != nil {
			plain, err = nil, errors.New("decryption failed")
		}
	}()
	return larkevent.EventDecrypt(cipherText, key)
}

// verifyWebhook checks the signature (with an encrypt key) and the
// verification token (when configured).
func (a *Adapter) verifyWebhook(r *http.Request, body []byte, env webhookEnvelope) error {
	if a.cfg.EncryptKey != "" {
		sig := r.Header.Get(larkevent.EventSignature)
		want := larkevent.Signature(r.Header.Get(larkevent.EventRequestTimestamp),
			r.Header.Get(larkevent.EventRequestNonce), a.cfg.EncryptKey.Reveal(), string(body))
		if sig == "" || !equal(sig, want) {
			return errors.New("bad signature")
		}
	}
	if a.cfg.VerificationToken != "" {
		tok := env.Token
		if env.Header != nil {
			tok = env.Header.Token
		}
		if !equal(tok, a.cfg.VerificationToken.Reveal()) {
			return errors.New("bad verification token")
		}
	}
	return nil
}

// checkReplay rejects stale timestamps and repeated nonces. Redeliveries
// of the same event come with a fresh timestamp and nonce.
func (a *Adapter) checkReplay(r *http.Request) error {
	tsHeader := r.Header.Get(larkevent.EventRequestTimestamp)
	nonce := r.Header.Get(larkevent.EventRequestNonce)
	if tsHeader == "" && a.cfg.EncryptKey == "" {
		return nil // token-only setups may not be signed
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if age := time.Since(time.Unix(ts, 0)); age > a.cfg.ReplayWindow || age < -a.cfg.ReplayWindow {
		return errors.New("timestamp outside the replay window")
	}
	if nonce != "" && !a.nonces.Add(tsHeader+"|"+nonce, struct{}{}) {
		return errors.New("nonce already used")
	}
	return nil
}

func (a *Adapter) reject(w http.ResponseWriter, reason string, err error) {
	a.m.dropped.WithLabelValues(reason).Inc()
	a.log.Warn("lark: webhook request rejected", "reason", reason, "err", err.Error())
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
