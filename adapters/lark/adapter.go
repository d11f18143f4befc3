// Package lark is the Feishu/Lark adapter: it receives group messages and
// card clicks over the SDK's long connection (or HTTP callbacks in webhook
// mode), hands each message to the bot's chat.Intake before acknowledging
// it, and posts replies through the im/v1 API, one attempt per Send.
package lark

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
	"github.com/prometheus/client_golang/prometheus"

	"collabbot/adapters/platform"
	"collabbot/bot/chat"
)

var errClosed = errors.New("lark: adapter closed")

var (
	_ chat.Adapter      = (*Adapter)(nil)
	_ chat.AdminChecker = (*Adapter)(nil)
	_ chat.NameResolver = (*Adapter)(nil)
	_ chat.Router       = (*Adapter)(nil)
	_ chat.Limited      = (*Adapter)(nil)
	_ chat.TaskMirror   = (*Adapter)(nil)
)

// Adapter connects one Feishu/Lark app. Create it with New (or
// Config.Build).
type Adapter struct {
	cfg    Config
	log    *slog.Logger
	red    *platform.Redactor
	m      *metrics
	api    *lark.Client
	hc     *http.Client
	disp   *dispatcher.EventDispatcher
	admins map[string]bool

	// Set by Start before any event is handled.
	in      atomic.Pointer[intakeRef]
	botID   atomic.Pointer[string]
	running atomic.Bool
	wsUp    atomic.Bool // the long connection is up (ws mode)

	runCtx    context.Context // cancelled when Close gives up waiting
	cancelRun context.CancelFunc

	mu       sync.Mutex // guards started, closed, ws*, tasksClosed
	started  bool
	closed   bool
	ws       *larkws.Client
	wsDone   chan struct{}
	wsCancel context.CancelFunc

	tasksClosed bool
	tasks       sync.WaitGroup // late card answers

	closeOnce sync.Once
	closeErr  error

	nonces   *platform.TTLCache[struct{}]        // webhook nonces
	chats    *platform.TTLCache[map[string]bool] // chat owner/managers
	names    *platform.TTLCache[string]          // open_id → display name
	misses   *platform.TTLCache[struct{}]        // open_ids without a name
	uuidSalt atomic.Int64                        // for sends without a Key

	urgent urgentState // urgent.go
}

type intakeRef struct{ chat.Intake }

// New builds an adapter; it does not connect. reg is the registry for the
// adapter's metrics (nil: not registered). cfg.Enable is not looked at.
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Adapter, error) {
	if ps := cfg.problems(chat.PlatformLark); len(ps) > 0 {
		return nil, errors.New(ps[0])
	}
	cfg = cfg.withDefaults()
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
		nonces: platform.NewTTLCache[struct{}](2*cfg.ReplayWindow, 100000),
		chats:  platform.NewTTLCache[map[string]bool](cfg.AdminCacheTTL, 10000),
		names:  platform.NewTTLCache[string](24*time.Hour, 50000),
		misses: platform.NewTTLCache[struct{}](10*time.Minute, 10000),
		urgent: urgentState{done: platform.NewTTLCache[struct{}](2*time.Hour, 10000)},
	}
	for _, id := range cfg.AdminIDs {
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
	a.api = lark.NewClient(cfg.AppID, cfg.AppSecret.Reveal(),
		lark.WithOpenBaseUrl(cfg.BaseURL),
		lark.WithHttpClient(a.hc),
		lark.WithReqTimeout(cfg.HTTPTimeout),
		lark.WithLogger(sdkLog),
		lark.WithLogLevel(larkcore.LogLevelInfo),
		lark.WithTokenCache(sharedTokenCache),
	)
	a.disp = dispatcher.NewEventDispatcher(cfg.VerificationToken.Reveal(), cfg.EncryptKey.Reveal())
	a.disp.InitConfig(larkevent.WithLogger(sdkLog))
	a.disp.OnP2MessageReceiveV1(a.onMessage).OnP2CardActionTrigger(a.onCardAction).
		OnP2TaskUpdatedV1(a.onTaskUpdated)
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

// Platform returns chat.PlatformLark.
func (a *Adapter) Platform() string { return chat.PlatformLark }

// intake is the bot's Intake, nil before Start.
func (a *Adapter) intake() chat.Intake {
	if r := a.in.Load(); r != nil {
		return r.Intake
	}
	return nil
}

func (a *Adapter) botOpenID() string {
	if p := a.botID.Load(); p != nil {
		return *p
	}
	return ""
}

// Start fetches the bot's identity and, in ws mode, opens the long
// connection; it returns once the first connection is up. ctx bounds only
// the start itself: the adapter then runs until Close.
func (a *Adapter) Start(ctx context.Context, in chat.Intake) error {
	a.mu.Lock()
	switch {
	case a.closed:
		a.mu.Unlock()
		return errClosed
	case a.started:
		a.mu.Unlock()
		return errors.New("lark: already started")
	case in == nil:
		a.mu.Unlock()
		return errors.New("lark: nil intake")
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
	a.in.Store(&intakeRef{in})
	a.botID.Store(&info.OpenID)
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
	cli := larkws.NewClient(a.cfg.AppID, a.cfg.AppSecret.Reveal(),
		larkws.WithEventHandler(a.disp),
		larkws.WithDomain(a.cfg.BaseURL),
		larkws.WithHttpClient(a.hc),
		larkws.WithWebSocketDialer(&dialer),
		larkws.WithLogger(sdkLogger{log: a.log, r: a.red}),
		larkws.WithLogLevel(larkcore.LogLevelInfo),
		larkws.WithOnReady(func() {
			a.wsUp.Store(true)
			readyOnce.Do(func() { close(ready) })
		}),
		larkws.WithOnReconnecting(func() {
			a.wsUp.Store(false)
			a.log.Warn("lark long connection lost, reconnecting")
		}),
		larkws.WithOnReconnected(func() {
			a.wsUp.Store(true)
			a.m.reconnects.Inc()
			a.log.Info("lark long connection re-established")
		}),
		larkws.WithOnError(func(err error) {
			a.log.Warn("lark long connection error", "err", a.red.Clean(err.Error()))
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
		defer a.wsUp.Store(false)
		runErr = cli.Start(wsCtx)
		if runErr != nil && wsCtx.Err() == nil {
			a.log.Error("lark long connection stopped", "err", a.red.Clean(runErr.Error()))
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
		return fmt.Errorf("lark: long connection: %w", a.red.Err(runErr))
	case <-ctx.Done():
		return fmt.Errorf("lark: long connection not up: %w", ctx.Err())
	case <-timer.C:
		return fmt.Errorf("lark: long connection not up after %s", a.cfg.StartTimeout)
	}
}

// Close stops the long connection (its handlers finish their Accept
// first), lets late card answers finish (cancelling them after
// DrainTimeout) and waits for every goroutine. It is safe before Start,
// after a failed Start and more than once.
func (a *Adapter) Close() error {
	a.closeOnce.Do(func() {
		a.running.Store(false)
		a.wsUp.Store(false)
		a.mu.Lock()
		a.started = true // a later Start fails
		a.closed = true
		a.tasksClosed = true
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
		drained := make(chan struct{})
		go func() {
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

// Connected implements chat.Health: in ws mode the long connection is up
// (false while the SDK reconnects); in webhook mode the adapter is started
// and not closed.
func (a *Adapter) Connected() bool {
	if !a.running.Load() {
		return false
	}
	return a.cfg.Mode == ModeWebhook || a.wsUp.Load()
}

// goTask runs f in a tracked goroutine unless the adapter is closing.
func (a *Adapter) goTask(f func()) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tasksClosed {
		return false
	}
	a.tasks.Add(1)
	go func() {
		defer a.tasks.Done()
		f()
	}()
	return true
}

// onIgnored acknowledges subscribed events the bot has no use for.
func (a *Adapter) onIgnored(context.Context, *larkevent.EventReq) error {
	a.m.events.WithLabelValues("other").Inc()
	return nil
}
