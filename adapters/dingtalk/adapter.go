package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"

	"github.com/cenkalti/backoff/v5"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/card"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/client"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/event"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"
	"github.com/prometheus/client_golang/prometheus"
)

// Adapter connects one DingTalk app (robot) to the bot.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	red    *platform.Redactor
	api    *apiClient
	admins map[string]bool

	dropped prometheus.Counter

	// Caches fed by incoming messages and sends.
	hooks       *platform.TTLCache[hook]     // chat → latest valid sessionWebhook
	dead        *platform.TTLCache[struct{}] // sessionWebhook URLs DingTalk said are gone
	directs     *platform.TTLCache[string]   // 1:1 chat → the user's staff id
	nicks       *platform.TTLCache[string]   // staff id → nick
	isAdmin     *platform.TTLCache[bool]     // chat/staff id → isAdmin as last reported
	cards       *platform.TTLCache[string]   // outTrackId → chat
	undelivered *platform.TTLCache[struct{}] // outTrackIds refused or not delivered: resends skip cards
	unionIDs    *platform.TTLCache[string]   // staff id → union id (待办 wants union ids)
	staffIDs    *platform.TTLCache[string]   // union id → staff id (待办 events name union ids)
	todoOwners  *platform.TTLCache[string]   // 待办 task id → its creator's union id (the Ref's first part)
	// bizTag is the 待办 bizTag DingTalk gave this app's todos, as the
	// last create answered; "" until then.
	bizTag atomic.Pointer[string]
	// dingPausedUntil (unix ns) skips DING after DingTalk refused it for
	// quota, edition or permission.
	dingPausedUntil atomic.Int64
	interrupts      *prometheus.CounterVec // DING outcomes by result
	// cardPausedUntil (unix ns) skips the card route after DingTalk said
	// the template, a permission or the quota is missing.
	cardPausedUntil atomic.Int64
	// up: the stream was connected at the supervisor's last look (every
	// CheckInterval).
	up atomic.Bool

	mu      sync.Mutex // guards the fields below and inflight.Add
	started bool
	closed  bool
	in      chat.Intake
	stream  *client.StreamClient

	inflight  sync.WaitGroup // Send calls and SDK callbacks under way
	superDone chan struct{}

	rootCtx    context.Context // cancelled first by Close: stops the supervisor
	rootCancel context.CancelFunc
	workCtx    context.Context // cancelled last by Close: aborts commits and sends
	workCancel context.CancelFunc
	closeOnce  sync.Once
}

type hook struct {
	url string
	exp time.Time
}

var (
	_ chat.Adapter      = (*Adapter)(nil)
	_ chat.Sender       = (*Adapter)(nil)
	_ chat.Router       = (*Adapter)(nil)
	_ chat.Limited      = (*Adapter)(nil)
	_ chat.AdminChecker = (*Adapter)(nil)
	_ chat.NameResolver = (*Adapter)(nil)
	_ chat.TaskMirror   = (*Adapter)(nil)

	_ platform.Config = (*Config)(nil)
)

var errClosed = errors.New("dingtalk adapter closed")

// New checks cfg and builds an adapter; nothing connects before Start. reg
// may be nil (no metrics registered).
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Adapter, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	red := newRedactor(cfg.ClientSecret)
	a := &Adapter{
		cfg:         cfg,
		log:         log,
		red:         red,
		api:         newAPIClient(cfg, red, log, reg),
		admins:      map[string]bool{},
		hooks:       platform.NewTTLCache[hook](3*time.Hour, 10000),
		dead:        platform.NewTTLCache[struct{}](3*time.Hour, 10000),
		directs:     platform.NewTTLCache[string](30*24*time.Hour, 10000),
		nicks:       platform.NewTTLCache[string](7*24*time.Hour, 50000),
		isAdmin:     platform.NewTTLCache[bool](7*24*time.Hour, 50000),
		cards:       platform.NewTTLCache[string](30*24*time.Hour, 50000),
		undelivered: platform.NewTTLCache[struct{}](7*24*time.Hour, 10000),
		unionIDs:    platform.NewTTLCache[string](30*24*time.Hour, 50000),
		staffIDs:    platform.NewTTLCache[string](30*24*time.Hour, 50000),
		todoOwners:  platform.NewTTLCache[string](90*24*time.Hour, 100000),
	}
	a.dropped = registerOrReuse(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "collabbot_dingtalk_dropped_messages_total",
		Help: "Incoming DingTalk messages answered with an error instead of an ack: the bot could not commit them in time, or the adapter was closing.",
	}), log)
	a.interrupts = registerOrReuse(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "collabbot_dingtalk_interrupts_total",
		Help: "DING interrupts after emergency messages, by result: ok, quota (quota or rate refused), refused (edition, permission or another error), skipped (off or cooling down after a refusal).",
	}, []string{"result"}), log)
	for _, id := range cfg.AdminIDs {
		a.admins[id] = true
	}
	a.rootCtx, a.rootCancel = context.WithCancel(context.Background())
	a.workCtx, a.workCancel = context.WithCancel(context.Background())
	return a, nil
}

// Platform implements chat.Adapter.
func (a *Adapter) Platform() string { return chat.PlatformDingTalk }

// IsGroupAdmin implements chat.AdminChecker from what DingTalk last said in
// the user's messages in that chat (isAdmin); unknown users are not admins.
func (a *Adapter) IsGroupAdmin(_ context.Context, chatID, userID string) (bool, error) {
	if a.admins[userID] {
		return true, nil
	}
	v, _ := a.isAdmin.Get(chatID + "/" + userID)
	return v, nil
}

// UserName implements chat.NameResolver from the nicks of earlier messages;
// "" when the user never wrote to the robot.
func (a *Adapter) UserName(_ context.Context, userID string) string {
	n, _ := a.nicks.Get(userID)
	return n
}

type frameIDKey struct{}

// Start registers the robot and card callbacks (and the 待办 events when
// todo is on), opens the stream and starts the stream supervisor. It
// returns once the first connection is up, or with the error that
// prevented it.
func (a *Adapter) Start(ctx context.Context, in chat.Intake) error {
	if in == nil {
		return errors.New("dingtalk: nil intake")
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return errClosed
	}
	if a.started {
		a.mu.Unlock()
		return errors.New("dingtalk: already started")
	}
	a.started = true
	a.in = in
	currentSDKSink.Store(&sdkSink{log: a.log, red: a.red})

	cli := client.NewStreamClient(
		client.WithAppCredential(client.NewAppCredentialConfig(a.cfg.ClientID, a.cfg.ClientSecret.Reveal())),
		client.WithOpenApiHost(a.cfg.BaseURL),
		// We supervise the connection ourselves (see supervise), so that
		// Close can stop reconnecting for certain.
		client.WithAutoReconnect(false),
	)
	botFrames := chatbot.NewDefaultChatBotFrameHandler(a.onBotMessage)
	cardFrames := card.NewDefaultPluginFrameHandler(a.onCardCallback)
	cli.RegisterCallbackRouter(payload.BotMessageCallbackTopic, withFrameID(botFrames.OnEventReceived))
	cli.RegisterCallbackRouter(payload.CardInstanceCallbackTopic, withFrameID(cardFrames.OnEventReceived))
	if a.cfg.Todo {
		// 待办 events come as EVENT frames; the SDK routes them all to "*".
		cli.RegisterAllEventRouter(withFrameID(event.NewDefaultEventFrameHandler(a.onEvent).OnEventReceived))
	}
	a.stream = cli
	a.superDone = make(chan struct{})
	a.mu.Unlock()

	err := a.connect(ctx)
	if err != nil {
		close(a.superDone)
		return fmt.Errorf("dingtalk: stream connect: %w", a.red.Err(err))
	}
	a.up.Store(true)
	go a.supervise()
	a.log.Info("dingtalk stream connected")
	return nil
}

// withFrameID passes the stream frame's messageId to our callbacks.
func withFrameID(next func(context.Context, *payload.DataFrame) (*payload.DataFrameResponse, error)) func(context.Context, *payload.DataFrame) (*payload.DataFrameResponse, error) {
	return func(ctx context.Context, df *payload.DataFrame) (*payload.DataFrameResponse, error) {
		return next(context.WithValue(ctx, frameIDKey{}, df.GetMessageId()), df)
	}
}

// connect (re)opens the stream if it is down; it is a no-op while the
// connection is up. Panics in the SDK are turned into errors.
func (a *Adapter) connect(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("stream client panic: %v", p)
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(a.rootCtx, cancel)
	defer stop()
	if a.rootCtx.Err() != nil {
		return errClosed
	}
	return a.stream.Start(ctx)
}

// supervise keeps the stream up until Close: the SDK's own reconnect is off,
// and StreamClient.Start is a no-op while connected, so calling it
// periodically restarts a dropped connection; failures back off.
func (a *Adapter) supervise() {
	defer close(a.superDone)
	defer a.up.Store(false)
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = a.cfg.ReconnectMin
	bo.MaxInterval = a.cfg.ReconnectMax
	wait := a.cfg.CheckInterval
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-a.rootCtx.Done():
			return
		case <-t.C:
		}
		if err := a.connect(a.rootCtx); err != nil {
			a.up.Store(false)
			if a.rootCtx.Err() != nil {
				return
			}
			wait = bo.NextBackOff()
			a.log.Warn("dingtalk stream reconnect failed", "err", a.red.Clean(err.Error()), "retry_in", wait)
		} else {
			a.up.Store(a.rootCtx.Err() == nil)
			bo.Reset()
			wait = a.cfg.CheckInterval
		}
		t.Reset(wait)
	}
}

// Connected implements chat.Health: the stream is up as of the
// supervisor's last check (at most CheckInterval ago), and the adapter is
// not closed.
func (a *Adapter) Connected() bool { return a.up.Load() }

// acquire registers a unit of in-flight work; false once closing.
func (a *Adapter) acquire() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.inflight.Add(1)
	return true
}

func (a *Adapter) release() { a.inflight.Done() }

// Close stops the stream and the supervisor, lets commits, clicks and sends
// in flight finish (up to CloseGrace), then aborts what is left. Safe after
// a failed or partial Start and more than once.
func (a *Adapter) Close() error {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		a.closed = true
		a.up.Store(false)
		started := a.started
		stream := a.stream
		a.mu.Unlock()

		a.rootCancel()
		if started {
			<-a.superDone
		}
		if stream != nil {
			stream.Close()
		}

		done := make(chan struct{})
		go func() {
			a.inflight.Wait()
			close(done)
		}()
		t := time.NewTimer(a.cfg.CloseGrace)
		select {
		case <-done:
		case <-t.C:
			a.log.Warn("dingtalk: close grace elapsed, aborting work in flight")
			a.workCancel()
			<-done
		}
		t.Stop()
		a.workCancel()
		if s := currentSDKSink.Load(); s != nil && s.red == a.red {
			currentSDKSink.CompareAndSwap(s, nil)
		}
	})
	return nil
}
