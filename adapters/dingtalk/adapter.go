package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/card"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/client"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/payload"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"collabbot/bot"
)

// Adapter connects one DingTalk app (robot) to the bot.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	red    *redactor
	api    *apiClient
	admins map[string]bool

	dropped prometheus.Counter

	// Caches fed by incoming messages.
	seen    *ttlCache[struct{}] // msgId → seen
	hooks   *ttlCache[hook]     // chat → latest valid sessionWebhook
	directs *ttlCache[string]   // 1:1 chat → the user's staff id
	nicks   *ttlCache[string]   // staff id → nick
	isAdmin *ttlCache[bool]     // chat/staff id → isAdmin as last reported
	cards   *ttlCache[string]   // outTrackId → chat
	pace    *ttlCache[*rate.Limiter]
	paceMu  sync.Mutex

	mu      sync.Mutex // guards the fields below and inflight.Add
	started bool
	closed  bool
	handler bot.Handler
	stream  *client.StreamClient
	queues  []chan job

	inflight  sync.WaitGroup // Send calls and SDK callbacks under way
	workers   sync.WaitGroup
	superDone chan struct{}

	rootCtx    context.Context // cancelled first by Close: stops the supervisor
	rootCancel context.CancelFunc
	workCtx    context.Context // cancelled last by Close: aborts sends
	workCancel context.CancelFunc
	closeOnce  sync.Once
}

type hook struct {
	url string
	exp time.Time
}

type job struct {
	chat string
	run  func(ctx context.Context)
}

var (
	_ bot.Adapter    = (*Adapter)(nil)
	_ bot.CardSender = (*Adapter)(nil)
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
	red := &redactor{}
	red.add(cfg.ClientSecret)
	a := &Adapter{
		cfg:     cfg,
		log:     log,
		red:     red,
		api:     newAPIClient(cfg, red, log, reg),
		admins:  map[string]bool{},
		seen:    newTTLCache[struct{}](cfg.DedupeRetention, 100000),
		hooks:   newTTLCache[hook](3*time.Hour, 10000),
		directs: newTTLCache[string](30*24*time.Hour, 10000),
		nicks:   newTTLCache[string](7*24*time.Hour, 50000),
		isAdmin: newTTLCache[bool](7*24*time.Hour, 50000),
		cards:   newTTLCache[string](30*24*time.Hour, 50000),
		pace:    newTTLCache[*rate.Limiter](time.Hour, 10000),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "collabbot_dingtalk_dropped_messages_total",
			Help: "Incoming DingTalk messages dropped because the work queue was full or the adapter closing.",
		}),
	}
	if reg != nil {
		_ = reg.Register(a.dropped)
	}
	for _, id := range cfg.Admins {
		a.admins[id] = true
	}
	a.rootCtx, a.rootCancel = context.WithCancel(context.Background())
	a.workCtx, a.workCancel = context.WithCancel(context.Background())
	return a, nil
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return bot.PlatformDingTalk }

// SendsCards implements bot.CardSender.
func (a *Adapter) SendsCards() bool { return true }

type frameIDKey struct{}

// Start registers the robot and card callbacks, opens the stream and starts
// the workers and the stream supervisor. It returns once the first
// connection is up, or with the error that prevented it.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	if h == nil {
		return errors.New("dingtalk: nil handler")
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
	a.handler = h
	currentSDKSink.Store(&sdkSink{log: a.log, red: a.red})

	cli := client.NewStreamClient(
		client.WithAppCredential(client.NewAppCredentialConfig(a.cfg.ClientID, a.cfg.ClientSecret)),
		client.WithOpenApiHost(a.cfg.BaseURL),
		// We supervise the connection ourselves (see supervise), so that
		// Close can stop reconnecting for certain.
		client.WithAutoReconnect(false),
	)
	botFrames := chatbot.NewDefaultChatBotFrameHandler(a.onBotMessage)
	cardFrames := card.NewDefaultPluginFrameHandler(a.onCardCallback)
	cli.RegisterCallbackRouter(payload.BotMessageCallbackTopic, withFrameID(botFrames.OnEventReceived))
	cli.RegisterCallbackRouter(payload.CardInstanceCallbackTopic, withFrameID(cardFrames.OnEventReceived))
	a.stream = cli

	a.queues = make([]chan job, a.cfg.Workers)
	for i := range a.queues {
		q := make(chan job, a.cfg.QueueSize)
		a.queues[i] = q
		a.workers.Add(1)
		go a.work(q)
	}
	a.superDone = make(chan struct{})
	a.mu.Unlock()

	err := a.connect(ctx)
	if err != nil {
		close(a.superDone)
		return fmt.Errorf("dingtalk: stream connect: %w", a.red.err(err))
	}
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
			if a.rootCtx.Err() != nil {
				return
			}
			wait = bo.NextBackOff()
			a.log.Warn("dingtalk stream reconnect failed", "err", a.red.clean(err.Error()), "retry_in", wait)
		} else {
			bo.Reset()
			wait = a.cfg.CheckInterval
		}
		t.Reset(wait)
	}
}

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

// enqueue hands a job to the worker owning its chat, so that one chat's
// messages are handled in order. It gives up when the queue stays full.
func (a *Adapter) enqueue(j job) bool {
	a.mu.Lock()
	queues := a.queues
	closed := a.closed
	a.mu.Unlock()
	if closed || len(queues) == 0 {
		a.dropped.Inc()
		return false
	}
	hs := fnv.New32a()
	_, _ = hs.Write([]byte(j.chat))
	q := queues[hs.Sum32()%uint32(len(queues))]
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case q <- j:
		return true
	case <-t.C:
	case <-a.rootCtx.Done():
	}
	a.dropped.Inc()
	a.log.Error("dingtalk: work queue full, message dropped", "chat", j.chat)
	return false
}

func (a *Adapter) work(q chan job) {
	defer a.workers.Done()
	for j := range q {
		a.runJob(j)
	}
}

func (a *Adapter) runJob(j job) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("dingtalk: handler panic", "panic", fmt.Sprint(p), "chat", j.chat)
		}
	}()
	j.run(a.workCtx)
}

// Close stops the stream and the supervisor, lets queued and in-flight work
// finish (up to CloseGrace), then aborts what is left. Safe after a failed
// or partial Start and more than once.
func (a *Adapter) Close() error {
	a.closeOnce.Do(func() {
		// Callbacks enqueue while holding inflight, so wait for them before
		// closing the queues.
		a.mu.Lock()
		a.closed = true
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
			a.mu.Lock()
			for _, q := range a.queues {
				close(q)
			}
			a.mu.Unlock()
			a.workers.Wait()
			close(done)
		}()
		t := time.NewTimer(a.cfg.CloseGrace)
		select {
		case <-done:
		case <-t.C:
			a.log.Warn("dingtalk: close grace elapsed, aborting pending sends")
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
