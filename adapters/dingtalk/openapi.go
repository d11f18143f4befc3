package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"

	"github.com/prometheus/client_golang/prometheus"
)

// OpenAPI paths, also the "api" label of the call counter.
const (
	apiToken       = "/v1.0/oauth2/accessToken"
	apiGroupSend   = "/v1.0/robot/groupMessages/send"
	apiOtoSend     = "/v1.0/robot/oToMessages/batchSend"
	apiCardDeliver = "/v1.0/card/instances/createAndDeliver"
	apiCardUpdate  = "/v1.0/card/instances" // PUT
)

// quotaZone is the timezone of the org's monthly quota (China Standard Time);
// fixed so that no tzdata is needed.
var quotaZone = time.FixedZone("CST", 8*3600)

// apiClient makes single OpenAPI and session webhook calls: no retries, no
// pacing (the bot's send stage owns both). It caches the access token and
// counts calls for the monthly quota.
type apiClient struct {
	cfg   Config
	http  *http.Client
	red   *platform.Redactor
	log   *slog.Logger
	calls *prometheus.CounterVec
	month *monthCalls

	tokMu    sync.Mutex
	token    string
	tokenExp time.Time
}

func newAPIClient(cfg Config, red *platform.Redactor, log *slog.Logger, reg prometheus.Registerer) *apiClient {
	calls := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "collabbot_dingtalk_openapi_calls_total",
		Help: "DingTalk OpenAPI calls made since the process started, by API.",
	}, []string{"api"})
	calls = registerOrReuse(reg, calls, log)
	month := registerOrReuse(reg, newMonthCalls(time.Now), log)
	return &apiClient{
		cfg:   cfg,
		http:  &http.Client{Timeout: cfg.HTTPTimeout},
		red:   red,
		log:   log,
		calls: calls,
		month: month,
	}
}

// registerOrReuse registers c, or returns the collector already registered
// under its name (a second adapter in the same process).
func registerOrReuse[C prometheus.Collector](reg prometheus.Registerer, c C, log *slog.Logger) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		log.Warn("dingtalk: metric registration failed", "err", err)
	}
	return c
}

func (c *apiClient) count(api string) {
	c.calls.WithLabelValues(api).Inc()
	c.month.inc(api)
}

// apiError is an OpenAPI error answer (or a session webhook's errcode).
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("http %d %s: %s", e.Status, e.Code, e.Message)
}

// apiCode returns the DingTalk error code inside err, if any.
func apiCode(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func (c *apiClient) fail(reason chat.Reason, retry bool, err error) *chat.SendError {
	return &chat.SendError{Reason: reason, Retry: retry, Err: c.red.Err(err)}
}

// do sends one JSON request and returns the status, headers and body. A
// transport failure is a retryable transient SendError whose text never
// carries the URL (which may hold a webhook session).
func (c *apiClient) do(ctx context.Context, method, rawURL string, header http.Header, body any) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil { // GET and DELETE carry none
		buf, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, c.fail(chat.ReasonInvalid, false, err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return 0, nil, nil, c.fail(chat.ReasonInvalid, false, errors.New("bad request url"))
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL
		}
		// Refused, reset, timed out, or our context ended: whether the
		// platform acted is for the send stage to weigh (Route says how).
		return 0, nil, nil, c.fail(chat.ReasonTransient, true, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, resp.Header, nil, c.fail(chat.ReasonTransient, true, errors.New("reading response: "+err.Error()))
	}
	return resp.StatusCode, resp.Header, data, nil
}

// classifyAPI turns a non-200 OpenAPI answer into a SendError wrapping an
// *apiError.
func (c *apiClient) classifyAPI(status int, header http.Header, data []byte) *chat.SendError {
	var b struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(data, &b)
	ae := &apiError{Status: status, Code: b.Code, Message: truncate(c.red.Clean(b.Message), 200)}
	se := &chat.SendError{Err: ae}
	code := strings.ToLower(b.Code)
	switch {
	case strings.Contains(code, "apicountlimitfororg") || strings.Contains(code, "quota"):
		se.Reason = chat.ReasonQuota
	case strings.Contains(code, "qpslimit") || strings.Contains(code, "throttl") || strings.Contains(code, "flowcontrol") || status == http.StatusTooManyRequests:
		// QpsLimitForAppkeyAndApi and QpsLimitForApi: refused at the
		// gateway, retryable despite the "Forbidden".
		se.Reason, se.Retry = chat.ReasonThrottled, true
		se.RetryAfter = retryAfter(header)
	case strings.Contains(code, "permissiondenied"):
		// A scope the app lacks: retrying does not help.
		se.Reason = chat.ReasonAuth
	case tokenRejected(status, code):
		se.Reason, se.Retry = chat.ReasonAuth, true
	case strings.Contains(code, "system.busy") || status >= 500:
		se.Reason, se.Retry = chat.ReasonTransient, true
		se.RetryAfter = retryAfter(header)
	case status == http.StatusForbidden:
		se.Reason = chat.ReasonAuth
	case status == http.StatusNotFound || strings.Contains(code, "notfound") || strings.Contains(code, "not.exist"):
		se.Reason = chat.ReasonGone
	default:
		se.Reason = chat.ReasonInvalid
	}
	return se
}

// tokenRejected says whether an answer means the access token is invalid.
func tokenRejected(status int, code string) bool {
	return status == http.StatusUnauthorized || strings.Contains(code, "invalidauthentication") ||
		strings.Contains(code, "accesstoken") || strings.Contains(code, "invalidtoken")
}

func retryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// call makes one OpenAPI call; out, if set, receives the answer's JSON. When
// DingTalk rejects a cached token, the token is dropped and the call made
// once more with a fresh one (the rejected request did nothing).
func (c *apiClient) call(ctx context.Context, method, api string, body, out any) error {
	return c.callPath(ctx, method, api, api, body, out)
}

// callPath is call for a path that carries ids (…/users/{unionId}/…):
// api, the path's template, is what the call counter is labelled with.
func (c *apiClient) callPath(ctx context.Context, method, api, path string, body, out any) error {
	for attempt := 0; ; attempt++ {
		tok, fresh, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		c.count(api)
		status, header, data, err := c.do(ctx, method, c.cfg.BaseURL+path, http.Header{"X-Acs-Dingtalk-Access-Token": {tok}}, body)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			se := c.classifyAPI(status, header, data)
			if se.Reason == chat.ReasonAuth && se.Retry {
				c.dropToken(tok)
				if !fresh && attempt == 0 {
					continue
				}
			}
			return se
		}
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return c.fail(chat.ReasonOther, false, fmt.Errorf("decoding %s answer: %w", api, err))
			}
		}
		return nil
	}
}

// accessToken returns the cached token, or fetches a new one when it is
// missing or close to expiry (fresh is then true).
func (c *apiClient) accessToken(ctx context.Context) (tok string, fresh bool, err error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token != "" && time.Until(c.tokenExp) > c.cfg.TokenMargin {
		return c.token, false, nil
	}
	c.count(apiToken)
	status, header, data, err := c.do(ctx, http.MethodPost, c.cfg.BaseURL+apiToken, nil, map[string]string{
		"appKey": c.cfg.ClientID, "appSecret": c.cfg.ClientSecret.Reveal(),
	})
	if err != nil {
		return "", false, err
	}
	if status != http.StatusOK {
		se := c.classifyAPI(status, header, data)
		if se.Reason != chat.ReasonThrottled && se.Reason != chat.ReasonTransient {
			// The credentials were refused: not going to change by itself.
			se.Reason, se.Retry = chat.ReasonAuth, false
		}
		se.Err = c.red.Err(fmt.Errorf("access token: %w", se.Err))
		return "", false, se
	}
	var tr struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	if err := json.Unmarshal(data, &tr); err != nil || tr.AccessToken == "" {
		return "", false, c.fail(chat.ReasonAuth, true, errors.New("access token: malformed answer"))
	}
	c.red.Add(tr.AccessToken)
	if tr.ExpireIn <= 0 {
		tr.ExpireIn = 7200
	}
	c.token = tr.AccessToken
	c.tokenExp = time.Now().Add(time.Duration(tr.ExpireIn) * time.Second)
	return c.token, true, nil
}

func (c *apiClient) dropToken(tok string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token == tok {
		c.token = ""
	}
}

// Session webhook error codes we act on.
const (
	errcodeSessionGone = 300001 // "session 不存在": expired or unknown
	errcodeTooFast     = 130101 // more than 20 messages a minute
)

// postWebhook posts once to a session webhook (no token, not an OpenAPI
// call). Errors come as HTTP 200 with errcode != 0.
func (c *apiClient) postWebhook(ctx context.Context, hook string, body any) error {
	status, header, data, err := c.do(ctx, http.MethodPost, hook, nil, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return c.classifyAPI(status, header, data)
	}
	var a struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return c.fail(chat.ReasonOther, false, errors.New("webhook: malformed answer"))
	}
	if a.ErrCode == 0 {
		return nil
	}
	e := &apiError{Status: status, Code: strconv.Itoa(a.ErrCode), Message: truncate(c.red.Clean(a.ErrMsg), 200)}
	switch a.ErrCode {
	case errcodeSessionGone, 300005:
		return &chat.SendError{Reason: chat.ReasonGone, Err: e}
	case errcodeTooFast, 130102, 410100:
		return &chat.SendError{Reason: chat.ReasonThrottled, Retry: true, Err: e}
	default:
		return &chat.SendError{Reason: chat.ReasonInvalid, Err: e}
	}
}
