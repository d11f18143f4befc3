// Package lark is the Feishu/Lark adapter: it receives group messages and
// card clicks over the SDK's long connection (or HTTP callbacks in webhook
// mode), hands them to a bot.Handler through a bounded worker pool, and posts
// replies through the im/v1 API with rate limiting, retries and idempotency.
package lark

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"collabbot/bot"

	"github.com/gorilla/websocket"
	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
	"github.com/prometheus/client_golang/prometheus"
)

var errClosed = errors.New("lark: adapter closed")

var (
	_ bot.Adapter      = (*Adapter)(nil)
	_ bot.AdminChecker = (*Adapter)(nil)
	_ bot.CardSender   = (*Adapter)(nil)
)

// Adapter connects one Feishu/Lark app. Create it with New.
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	red    *redactor
	m      *metrics
	api    *lark.Client
	hc     *http.Client
	disp   *dispatcher.EventDispatcher
	admins map[string]bool

	// Set by Start before any event can arrive; read-only afterwards.
	handler bot.Handler
	botID   string
	running atomic.Bool

	runCtx    context.Context // cancelled when Close gives up draining
	cancelRun context.CancelFunc

	mu       sync.Mutex // guards started, closed, ws
	started  bool
	closed   bool
	ws       *larkws.Client
	wsDone   chan struct{}
	wsCancel context.CancelFunc

	intake       sync.RWMutex // guards intakeClosed and sends on shards
	intakeClosed bool
	shards       []chan job
	workers      sync.WaitGroup // worker goroutines
	tasks        sync.WaitGroup // other goroutines (card answers, followups)

	closeOnce sync.Once
	closeErr  error

	seen     *seenSet     // message_id / event_id dedupe
	nonces   *seenSet     // webhook nonces
	limits   *sendLimits  // rate limiters
	chats    *adminCache  // chat owner/managers
	names    *nameCache   // open_id → display name
	uuidSalt atomic.Int64 // for sends without a Key
	inflight atomic.Int64 // queued or running messages
}

// job is one unit of work for a worker.
type job struct {
	msg bot.Message
}

// New builds an adapter; it does not connect. reg is the registry for the
// adapter's metrics (nil: not registered).
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Adapter, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("lark: metrics: %w", err)
	}
	red := newRedactor(cfg.AppSecret, cfg.EncryptKey, cfg.VerificationToken)
	a := &Adapter{
		cfg:    cfg,
		log:    log,
		red:    red,
		m:      m,
		admins: map[string]bool{},
		seen:   newSeenSet(10*time.Minute, 20000),
		nonces: newSeenSet(2*cfg.ReplayWindow, 100000),
		limits: newSendLimits(cfg),
		chats:  newAdminCache(cfg.AdminCacheTTL),
		names:  newNameCache(),
	}
	for _, id := range cfg.Admins {
		a.admins[id] = true
	}
	a.runCtx, a.cancelRun = context.WithCancel(context.Background())
	a.hc = &http.Client{
		Timeout: cfg.HTTPTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: cfg.HTTPTimeout,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
		},
	}
	sdkLog := sdkLogger{log: log, r: red}
	a.api = lark.NewClient(cfg.AppID, cfg.AppSecret,
		lark.WithOpenBaseUrl(cfg.BaseURL),
		lark.WithHttpClient(a.hc),
		lark.WithReqTimeout(cfg.HTTPTimeout),
		lark.WithLogger(sdkLog),
		lark.WithLogLevel(larkcore.LogLevelInfo),
		lark.WithTokenCache(sharedTokenCache),
	)
	a.disp = dispatcher.NewEventDispatcher(cfg.VerificationToken, cfg.EncryptKey)
	a.disp.InitConfig(larkevent.WithLogger(sdkLog))
	a.disp.OnP2MessageReceiveV1(a.onMessage).OnP2CardActionTrigger(a.onCardAction)
	// Events an app commonly has subscribed besides ours: acknowledge them,
	// since an unregistered type makes the SDK answer 500 and the platform
	// redeliver it for hours.
	for _, t := range ignoredEvents {
		a.disp.OnCustomizedEvent(t, a.onIgnored)
	}
	return a, nil
}

var ignoredEvents = []string{
	"im.message.message_read_v1",
	"im.message.recalled_v1",
	"im.message.reaction.created_v1",
	"im.message.reaction.deleted_v1",
	"im.chat.member.bot.added_v1",
	"im.chat.member.bot.deleted_v1",
	"im.chat.member.user.added_v1",
	"im.chat.member.user.deleted_v1",
	"im.chat.member.user.withdrawn_v1",
	"im.chat.updated_v1",
	"im.chat.disbanded_v1",
	"im.chat.access_event.bot_p2p_chat_entered_v1",
	"application.bot.menu_v6",
}

// Platform returns bot.PlatformLark.
func (a *Adapter) Platform() string { return bot.PlatformLark }

// SendsCards reports that Reply.Card is rendered as an interactive card.
func (a *Adapter) SendsCards() bool { return true }

// Start fetches the bot's identity, starts the workers and, in ws mode,
// opens the long connection; it returns once the first connection is up.
// ctx bounds only the start itself: the adapter then runs until Close.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	if h == nil {
		return errors.New("lark: nil handler")
	}
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return errors.New("lark: already started")
	}
	a.started = true
	a.mu.Unlock()

	info, err := a.fetchBotInfo(ctx)
	if err != nil {
		return err
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return errClosed
	}
	a.handler = h
	a.botID = info.OpenID
	a.startWorkers()
	a.running.Store(true)
	a.mu.Unlock()
	a.log.Info("lark adapter started", "mode", a.cfg.Mode, "bot", info.AppName, "bot_open_id", info.OpenID)
	if a.cfg.Mode == ModeWebhook {
		return nil
	}
	return a.startWS(ctx)
}

func (a *Adapter) startWS(ctx context.Context) error {
	ready := make(chan struct{})
	var readyOnce sync.Once
	dialer := *websocket.DefaultDialer
	dialer.HandshakeTimeout = a.cfg.HTTPTimeout
	cli := larkws.NewClient(a.cfg.AppID, a.cfg.AppSecret,
		larkws.WithEventHandler(a.disp),
		larkws.WithDomain(a.cfg.BaseURL),
		larkws.WithHttpClient(a.hc),
		larkws.WithWebSocketDialer(&dialer),
		larkws.WithLogger(sdkLogger{log: a.log, r: a.red}),
		larkws.WithLogLevel(larkcore.LogLevelInfo),
		larkws.WithOnReady(func() { readyOnce.Do(func() { close(ready) }) }),
		larkws.WithOnReconnecting(func() { a.log.Warn("lark long connection lost, reconnecting") }),
		larkws.WithOnReconnected(func() {
			a.m.reconnects.Inc()
			a.log.Info("lark long connection re-established")
		}),
		larkws.WithOnError(func(err error) {
			a.log.Warn("lark long connection error", "err", a.red.clean(err.Error()))
		}),
	)
	done := make(chan struct{})
	var runErr error
	wsCtx, wsCancel := context.WithCancel(context.Background())
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		wsCancel()
		return errClosed
	}
	a.ws, a.wsDone, a.wsCancel = cli, done, wsCancel
	a.mu.Unlock()
	go func() {
		defer close(done)
		runErr = cli.Start(wsCtx)
		if runErr != nil && wsCtx.Err() == nil {
			a.log.Error("lark long connection stopped", "err", a.red.clean(runErr.Error()))
		}
	}()
	timer := time.NewTimer(a.cfg.StartTimeout)
	defer timer.Stop()
	select {
	case <-ready:
		return nil
	case <-done:
		if runErr == nil {
			runErr = errors.New("stopped")
		}
		return fmt.Errorf("lark: long connection: %w", a.red.err(runErr))
	case <-ctx.Done():
		return fmt.Errorf("lark: long connection not up: %w", ctx.Err())
	case <-timer.C:
		return fmt.Errorf("lark: long connection not up after %s", a.cfg.StartTimeout)
	}
}

func (a *Adapter) startWorkers() {
	a.intake.Lock()
	defer a.intake.Unlock()
	a.shards = make([]chan job, a.cfg.Workers)
	for i := range a.shards {
		ch := make(chan job, a.cfg.QueueSize)
		a.shards[i] = ch
		a.workers.Add(1)
		go func() {
			defer a.workers.Done()
			for j := range ch {
				a.process(j)
			}
		}()
	}
}

// Close stops the long connection, lets queued and running work finish
// (cancelling it after DrainTimeout) and waits for every goroutine. It is
// safe before Start, after a failed Start and more than once.
func (a *Adapter) Close() error {
	a.closeOnce.Do(func() {
		a.running.Store(false)
		a.mu.Lock()
		a.started = true // a later Start fails
		a.closed = true
		cli, wsDone, wsCancel := a.ws, a.wsDone, a.wsCancel
		a.ws = nil // an SDK client cannot be restarted
		a.mu.Unlock()
		if cli != nil {
			// Cancelling the run stops the client; Start returns once the
			// SDK's own handler goroutines are done.
			wsCancel()
			select {
			case <-wsDone:
			case <-time.After(a.cfg.DrainTimeout):
				a.closeErr = errors.New("lark: long connection did not stop")
			}
		}
		a.intake.Lock()
		a.intakeClosed = true
		for _, ch := range a.shards {
			close(ch)
		}
		a.intake.Unlock()

		drained := make(chan struct{})
		go func() {
			a.workers.Wait()
			a.tasks.Wait()
			close(drained)
		}()
		select {
		case <-drained:
		case <-time.After(a.cfg.DrainTimeout):
			a.log.Warn("lark adapter: work still running at shutdown, cancelling")
			a.cancelRun()
			<-drained
		}
		a.cancelRun()
		a.hc.CloseIdleConnections()
	})
	return a.closeErr
}

// enqueue hands a message to its chat's worker. It waits briefly when the
// queue is full and then fails, so that the platform redelivers later.
func (a *Adapter) enqueue(j job) error {
	a.intake.RLock()
	defer a.intake.RUnlock()
	if a.intakeClosed || len(a.shards) == 0 {
		return errors.New("lark: adapter is shutting down")
	}
	h := fnv.New32a()
	h.Write([]byte(j.msg.ChatID))
	ch := a.shards[h.Sum32()%uint32(len(a.shards))]
	a.inflight.Add(1)
	select {
	case ch <- j:
		return nil
	default:
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case ch <- j:
		return nil
	case <-t.C:
		a.inflight.Add(-1)
		return errors.New("lark: event queue full")
	}
}

// goTask runs f in a tracked goroutine unless the adapter is closing.
func (a *Adapter) goTask(f func()) bool {
	a.intake.RLock()
	defer a.intake.RUnlock()
	if a.intakeClosed {
		return false
	}
	a.tasks.Add(1)
	go func() {
		defer a.tasks.Done()
		f()
	}()
	return true
}

// process runs the handler for one message and posts its replies in order.
func (a *Adapter) process(j job) {
	defer a.inflight.Add(-1)
	ctx, cancel := context.WithTimeout(a.runCtx, time.Minute)
	defer cancel()
	m := j.msg
	if !m.Direct {
		admin, err := a.IsGroupAdmin(ctx, m.ChatID, m.Sender.ID)
		if err != nil {
			a.log.Warn("lark: admin lookup failed", "chat", m.ChatID, "err", err)
		}
		m.SenderIsAdmin = m.SenderIsAdmin || admin
	}
	if m.Sender.Name == "" {
		m.Sender.Name = a.userName(ctx, m.Sender.ID)
	}
	replies := a.callHandler(ctx, m)
	for _, r := range replies {
		if r.ChatID == "" {
			r.ChatID = m.ChatID
		}
		if err := a.Send(ctx, r); err != nil {
			a.log.Warn("lark: reply failed", "chat", r.ChatID, "message", m.MessageID, "err", err)
		}
	}
}

func (a *Adapter) callHandler(ctx context.Context, m bot.Message) (out []bot.Reply) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("lark: handler panicked", "message", m.MessageID, "panic", fmt.Sprint(p))
			out = nil
		}
	}()
	return a.handler.HandleMessage(ctx, m)
}

// onIgnored acknowledges subscribed events the bot has no use for.
func (a *Adapter) onIgnored(context.Context, *larkevent.EventReq) error {
	a.m.events.WithLabelValues("other").Inc()
	return nil
}
