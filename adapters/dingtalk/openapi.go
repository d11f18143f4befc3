package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"collabbot/bot"
)

// OpenAPI paths, also the "api" label of the call counter.
const (
	apiToken       = "/v1.0/oauth2/accessToken"
	apiGroupSend   = "/v1.0/robot/groupMessages/send"
	apiOtoSend     = "/v1.0/robot/oToMessages/batchSend"
	apiCardDeliver = "/v1.0/card/instances/createAndDeliver"
	apiWebhook     = "sessionWebhook" // label only: not an OpenAPI call
)

// quotaZone is the timezone of the org's monthly quota (China Standard Time);
// fixed so that no tzdata is needed.
var quotaZone = time.FixedZone("CST", 8*3600)

// attemptErr classifies one failed request.
type attemptErr struct {
	reason bot.Reason
	// safe: the request certainly did not take effect (throttled, refused,
	// rejected before processing), so sending it again cannot duplicate.
	safe bool
	err  error
}

func (e *attemptErr) Error() string { return e.err.Error() }
func (e *attemptErr) Unwrap() error { return e.err }

// apiClient calls the DingTalk OpenAPI and session webhooks with pacing,
// retries, call counting and a cached access token.
type apiClient struct {
	cfg   Config
	http  *http.Client
	red   *redactor
	log   *slog.Logger
	calls *prometheus.CounterVec

	limMu sync.Mutex
	lims  map[string]*rate.Limiter

	tokMu    sync.Mutex
	token    string
	tokenExp time.Time
}

func newAPIClient(cfg Config, red *redactor, log *slog.Logger, reg prometheus.Registerer) *apiClient {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "collabbot_dingtalk_openapi_calls_total",
		Help: "DingTalk OpenAPI calls made, by API and month (China time), for watching the org's monthly quota.",
	}, []string{"api", "month"})
	if reg != nil {
		if err := reg.Register(calls); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					calls = existing
				}
			} else {
				log.Warn("dingtalk: metric registration failed", "err", err)
			}
		}
	}
	return &apiClient{
		cfg:   cfg,
		http:  &http.Client{Timeout: cfg.HTTPTimeout},
		red:   red,
		log:   log,
		calls: calls,
		lims:  map[string]*rate.Limiter{},
	}
}

func (c *apiClient) count(api string) {
	c.calls.WithLabelValues(api, time.Now().In(quotaZone).Format("2006-01")).Inc()
}

func (c *apiClient) limiter(api string) *rate.Limiter {
	c.limMu.Lock()
	defer c.limMu.Unlock()
	l, ok := c.lims[api]
	if !ok {
		l = rate.NewLimiter(rate.Limit(c.cfg.APIRate), max(1, int(c.cfg.APIRate)))
		c.lims[api] = l
	}
	return l
}

// retry runs attempt until it succeeds, fails for good, or the attempts or
// ctx run out. Only failures marked safe are retried, plus any failure when
// the call is idempotent and the reason is transient or throttled. The final
// failure is a *bot.SendError whose Retry says whether the caller may send
// again without risking a duplicate.
func (c *apiClient) retry(ctx context.Context, idempotent bool, attempt func(context.Context) error) error {
	var last *attemptErr
	op := func() (struct{}, error) {
		err := attempt(ctx)
		if err == nil {
			return struct{}{}, nil
		}
		ae := asAttempt(err)
		last = ae
		retryable := ae.safe && (ae.reason == bot.ReasonThrottled || ae.reason == bot.ReasonTransient || ae.reason == bot.ReasonAuth)
		if idempotent && (ae.reason == bot.ReasonTransient || ae.reason == bot.ReasonThrottled) {
			retryable = true
		}
		if !retryable {
			return struct{}{}, backoff.Permanent(ae)
		}
		return struct{}{}, ae
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = c.cfg.RetryBase
	bo.MaxInterval = 20 * c.cfg.RetryBase
	_, err := backoff.Retry(ctx, op, backoff.WithBackOff(bo), backoff.WithMaxTries(uint(c.cfg.MaxAttempts)), backoff.WithMaxElapsedTime(0))
	if err == nil {
		return nil
	}
	if last == nil {
		return &bot.SendError{Reason: bot.ReasonTransient, Retry: true, Err: c.red.err(err)}
	}
	se := &bot.SendError{Reason: last.reason, Err: c.red.err(last.err)}
	switch last.reason {
	case bot.ReasonThrottled, bot.ReasonTransient:
		se.Retry = last.safe || idempotent
	}
	if ctx.Err() != nil && se.Retry {
		se.Err = c.red.err(fmt.Errorf("%w (last: %v)", ctx.Err(), last.err))
	}
	return se
}

func asAttempt(err error) *attemptErr {
	var ae *attemptErr
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &attemptErr{reason: bot.ReasonTransient, safe: true, err: err}
	}
	return &attemptErr{reason: bot.ReasonOther, err: err}
}

// post sends one JSON request and returns the status and body. Transport
// failures come back as *attemptErr; the URL (which may hold a webhook
// session) never reaches the error text.
func (c *apiClient) post(ctx context.Context, rawURL string, header http.Header, body any) (int, []byte, error) {
	buf, err := json.Marshal(body)
	if err != nil {
		return 0, nil, &attemptErr{reason: bot.ReasonInvalid, err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(buf))
	if err != nil {
		return 0, nil, &attemptErr{reason: bot.ReasonInvalid, err: errors.New("bad request url")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, transportErr(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		// The server answered, so the request may have taken effect.
		return resp.StatusCode, nil, &attemptErr{reason: bot.ReasonTransient, err: errors.New("reading response: " + err.Error())}
	}
	return resp.StatusCode, data, nil
}

func transportErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop the URL
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The request may have been written before the deadline hit.
		return &attemptErr{reason: bot.ReasonTransient, err: err}
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		// Never connected: nothing was sent.
		return &attemptErr{reason: bot.ReasonTransient, safe: true, err: err}
	}
	return &attemptErr{reason: bot.ReasonTransient, err: err}
}

// apiErrorBody is the OpenAPI's error shape.
type apiErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestid"`
}

// classifyAPI turns a non-200 OpenAPI answer into an attemptErr.
func classifyAPI(status int, data []byte) *attemptErr {
	var b apiErrorBody
	_ = json.Unmarshal(data, &b)
	err := fmt.Errorf("http %d %s: %s", status, b.Code, truncate(b.Message, 200))
	code := strings.ToLower(b.Code)
	switch {
	case strings.Contains(code, "apicountlimitfororg") || strings.Contains(code, "quota"):
		return &attemptErr{reason: bot.ReasonQuota, err: err}
	case strings.Contains(code, "qpslimit") || strings.Contains(code, "throttl") || status == http.StatusTooManyRequests:
		// Rejected at the gateway: nothing happened.
		return &attemptErr{reason: bot.ReasonThrottled, safe: true, err: err}
	case status == http.StatusUnauthorized || strings.Contains(code, "invalidauthentication") || strings.Contains(code, "accesstoken"):
		return &attemptErr{reason: bot.ReasonAuth, safe: true, err: err}
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		// The gateway could not reach the service.
		return &attemptErr{reason: bot.ReasonTransient, safe: status != http.StatusGatewayTimeout, err: err}
	case status >= 500:
		return &attemptErr{reason: bot.ReasonTransient, err: err}
	case status == http.StatusForbidden:
		return &attemptErr{reason: bot.ReasonAuth, err: err}
	case status == http.StatusNotFound || strings.Contains(code, "notfound") || strings.Contains(code, "not.exist"):
		return &attemptErr{reason: bot.ReasonGone, err: err}
	default:
		return &attemptErr{reason: bot.ReasonInvalid, err: err}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// call makes one OpenAPI call with retries; out, if set, receives the
// answer's JSON.
func (c *apiClient) call(ctx context.Context, api string, idempotent bool, body, out any) error {
	return c.retry(ctx, idempotent, func(ctx context.Context) error {
		if err := c.limiter(api).Wait(ctx); err != nil {
			return &attemptErr{reason: bot.ReasonTransient, safe: true, err: err}
		}
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		c.count(api)
		status, data, err := c.post(ctx, c.cfg.BaseURL+api, http.Header{"X-Acs-Dingtalk-Access-Token": {tok}}, body)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			ae := classifyAPI(status, data)
			if ae.reason == bot.ReasonAuth && ae.safe {
				c.dropToken(tok)
			}
			return ae
		}
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return &attemptErr{reason: bot.ReasonOther, err: fmt.Errorf("decoding %s answer: %w", api, err)}
			}
		}
		return nil
	})
}

// accessToken returns a cached token, fetching a new one when it is missing
// or close to expiry. Fetch failures are safe to retry: nothing was sent.
func (c *apiClient) accessToken(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token != "" && time.Until(c.tokenExp) > c.cfg.TokenMargin {
		return c.token, nil
	}
	c.count(apiToken)
	status, data, err := c.post(ctx, c.cfg.BaseURL+apiToken, nil, map[string]string{
		"appKey": c.cfg.ClientID, "appSecret": c.cfg.ClientSecret,
	})
	if err != nil {
		ae := asAttempt(err)
		ae.safe = true // a token fetch has no side effect
		return "", ae
	}
	if status != http.StatusOK {
		ae := classifyAPI(status, data)
		if ae.reason != bot.ReasonThrottled && ae.reason != bot.ReasonTransient {
			ae.reason = bot.ReasonAuth
			ae.safe = false
		} else {
			ae.safe = true
		}
		ae.err = fmt.Errorf("access token: %w", ae.err)
		return "", ae
	}
	var tr struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	if err := json.Unmarshal(data, &tr); err != nil || tr.AccessToken == "" {
		return "", &attemptErr{reason: bot.ReasonAuth, err: errors.New("access token: malformed answer")}
	}
	c.red.add(tr.AccessToken)
	if tr.ExpireIn <= 0 {
		tr.ExpireIn = 7200
	}
	c.token = tr.AccessToken
	c.tokenExp = time.Now().Add(time.Duration(tr.ExpireIn) * time.Second)
	return c.token, nil
}

func (c *apiClient) dropToken(tok string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// webhookAnswer is a session webhook's answer, always HTTP 200.
type webhookAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Session webhook error codes we act on.
const (
	errcodeSessionGone = 300001 // "session 不存在": expired or unknown
	errcodeTooFast     = 130101 // more than 20 messages a minute
)

// postWebhook posts to a session webhook (no token, not an OpenAPI call).
func (c *apiClient) postWebhook(ctx context.Context, hook string, body any) error {
	return c.retry(ctx, false, func(ctx context.Context) error {
		status, data, err := c.post(ctx, hook, nil, body)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return classifyAPI(status, data)
		}
		var a webhookAnswer
		if err := json.Unmarshal(data, &a); err != nil {
			return &attemptErr{reason: bot.ReasonOther, err: errors.New("webhook: malformed answer")}
		}
		e := fmt.Errorf("webhook errcode %d: %s", a.ErrCode, truncate(a.ErrMsg, 200))
		switch a.ErrCode {
		case 0:
			return nil
		case errcodeSessionGone, 300005:
			return &attemptErr{reason: bot.ReasonGone, err: e}
		case errcodeTooFast, 130102:
			return &attemptErr{reason: bot.ReasonThrottled, safe: true, err: e}
		default:
			return &attemptErr{reason: bot.ReasonInvalid, err: e}
		}
	})
}
