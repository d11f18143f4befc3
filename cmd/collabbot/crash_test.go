package main

// Crash tests: the built collabbot binary runs as a subprocess (`collabbot
// run -config FILE`) against fake Lark and fake DingTalk in this process,
// and is killed (SIGKILL or SIGTERM) and restarted while task messages
// arrive. They check the delivery promises of shared/spec/rules.md:
// an event is acked only once committed, every reply is recorded before it
// is sent and resent after a crash, and a redelivered event changes nothing.
//
// Knobs: COLLABBOT_LONG_TESTS=1 runs far more messages and kills;
// COLLABBOT_CRASH_SEED=n replays the random kill moments of a logged run.

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"collabbot/adapters/dingtalk/dingfake"
	"collabbot/adapters/lark/larkfake"
	"collabbot/store"
)

// crashParams are the sizes of a run; long runs are opt-in.
type crashParams struct {
	larkMsgs, larkChats int
	dingMsgs, dingChats int
	minKills, maxKills  int
	pushSpan            time.Duration
	settle              time.Duration // longest wait for the bot to catch up
}

func crashSizes() crashParams {
	if os.Getenv("COLLABBOT_LONG_TESTS") == "1" {
		return crashParams{larkMsgs: 2000, larkChats: 40, dingMsgs: 600, dingChats: 30,
			minKills: 8, maxKills: 12, pushSpan: 30 * time.Second, settle: 5 * time.Minute}
	}
	return crashParams{larkMsgs: 300, larkChats: 20, dingMsgs: 100, dingChats: 10,
		minKills: 3, maxKills: 5, pushSpan: 5 * time.Second, settle: 90 * time.Second}
}

func crashRand(t *testing.T) *rand.Rand {
	seed := time.Now().UnixNano()
	if s := os.Getenv("COLLABBOT_CRASH_SEED"); s != "" {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			seed = v
		}
	}
	t.Logf("seed %d (COLLABBOT_CRASH_SEED to replay)", seed)
	return rand.New(rand.NewSource(seed))
}

// buildCollabbot builds the binary into dir.
func buildCollabbot(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "collabbot")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// botProc is one collabbot subprocess slot: started, killed, restarted.
type botProc struct {
	t       *testing.T
	bin     string
	cfg     string
	logPath string
	log     *os.File

	mu         sync.Mutex
	cmd        *exec.Cmd
	exited     chan struct{}
	expecting  bool // we asked it to stop
	killed     bool // this instance was sent SIGKILL already
	starts     int
	kills      int
	terms      int
	unexpected []string // exits nobody asked for
}

func newBotProc(t *testing.T, bin, cfg, dir string) *botProc {
	logPath := filepath.Join(dir, "collabbot.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	b := &botProc{t: t, bin: bin, cfg: cfg, logPath: logPath, log: f}
	t.Cleanup(func() {
		b.kill()
		f.Close()
	})
	return b
}

// start runs a new instance; the previous one must have exited.
func (b *botProc) start() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.starts++
	fmt.Fprintf(b.log, "\n===== crash test: start %d at %s =====\n", b.starts, time.Now().Format("15:04:05.000"))
	cmd := exec.Command(b.bin, "run", "-config", b.cfg)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Start(); err != nil {
		b.t.Fatalf("start collabbot: %v", err)
	}
	ch := make(chan struct{})
	b.cmd, b.exited, b.expecting, b.killed = cmd, ch, false, false
	n := b.starts
	go func() {
		err := cmd.Wait()
		b.mu.Lock()
		if !b.expecting || b.cmd != cmd {
			b.unexpected = append(b.unexpected, fmt.Sprintf("instance %d exited by itself: %v", n, err))
		}
		b.mu.Unlock()
		fmt.Fprintf(b.log, "===== crash test: instance %d exited at %s: %v =====\n", n, time.Now().Format("15:04:05.000"), err)
		close(ch)
	}()
}

func (b *botProc) running() bool {
	b.mu.Lock()
	ch := b.exited
	b.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// killNow sends SIGKILL and returns at once; safe from any goroutine. It
// reports whether a live instance was killed.
func (b *botProc) killNow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return false
	}
	select {
	case <-b.exited:
		return false
	default:
	}
	if b.killed {
		// Two chosen acks can reach the same instance before its exit
		// is seen: it is one kill, and the caller must not wait on the
		// next instance for it.
		return false
	}
	b.expecting = true
	if b.cmd.Process.Kill() != nil {
		return false
	}
	b.killed = true
	b.kills++
	return true
}

func (b *botProc) wait(d time.Duration) bool {
	b.mu.Lock()
	ch := b.exited
	b.mu.Unlock()
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

// kill is kill -9 and waits for the exit.
func (b *botProc) kill() {
	b.killNow()
	b.wait(10 * time.Second)
}

// term asks for a graceful stop and waits; after timeout it kills and
// returns an error.
func (b *botProc) term(timeout time.Duration) error {
	b.mu.Lock()
	if b.cmd == nil {
		b.mu.Unlock()
		return nil
	}
	select {
	case <-b.exited:
		b.mu.Unlock()
		return nil
	default:
	}
	b.expecting = true
	b.terms++
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	b.mu.Unlock()
	if b.wait(timeout) {
		return nil
	}
	b.kill()
	return fmt.Errorf("collabbot did not exit within %v of SIGTERM", timeout)
}

// ensureRunning restarts an instance that exited by itself (noted as an
// unexpected exit) so the run can go on.
func (b *botProc) ensureRunning() {
	if !b.running() {
		b.start()
	}
}

// counts returns how often the bot was started, killed and sent SIGTERM.
func (b *botProc) counts() (starts, kills, terms int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.starts, b.kills, b.terms
}

func (b *botProc) unexpectedExits() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.unexpected...)
}

// logExcerpt returns the log lines that look like trouble, and the tail.
func (b *botProc) logExcerpt(tail int) string {
	f, err := os.Open(b.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines, bad []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		lines = append(lines, l)
		if strings.Contains(l, "panic") || strings.Contains(l, "fatal error") || strings.Contains(l, "level=ERROR") {
			bad = append(bad, l)
		}
	}
	if len(bad) > 30 {
		bad = append(bad[:30], fmt.Sprintf("… %d more", len(bad)-30))
	}
	if len(lines) > tail {
		lines = lines[len(lines)-tail:]
	}
	return fmt.Sprintf("log %s\n-- errors/panics (%d) --\n%s\n-- last %d lines --\n%s",
		b.logPath, len(bad), strings.Join(bad, "\n"), len(lines), strings.Join(lines, "\n"))
}

// panics counts panics and fatal errors in the log.
func (b *botProc) panics() int {
	data, _ := os.ReadFile(b.logPath)
	return strings.Count(string(data), "panic:") + strings.Count(string(data), "fatal error:")
}

// crashEnv is one scenario's fakes, config and bot.
type crashEnv struct {
	t   *testing.T
	dir string
	lk  *larkfake.Server
	dt  *dingfake.Server
	bot *botProc
	db  string
}

func newCrashEnv(t *testing.T, bin, cardTemplate string, dingRedeliver bool) *crashEnv {
	dir := t.TempDir()
	lk := larkfake.New(larkfake.Options{
		AppID:        fmt.Sprintf("cli_crash_%d", time.Now().UnixNano()),
		PingInterval: 1,
		// Lark's ack window is 3 s (its first redelivery comes at 15 s);
		// a socket lost before the ack redelivers on the next one at once.
		RedeliverAfter:  3 * time.Second,
		MaxRedeliveries: 200,
	})
	t.Cleanup(lk.Close)
	dt := dingfake.New("ding_crash", "ding-crash-secret")
	if dingRedeliver {
		dt.RedeliverAfter = 3 * time.Second
		dt.MaxRedeliveries = 200
	}
	t.Cleanup(dt.Close)
	db := filepath.Join(dir, "crash.db")
	yml := fmt.Sprintf(`store:
  path: %s
http:
  listen: 127.0.0.1:0
lark:
  enabled: true
  app_id: %s
  app_secret: %s
  base_url: %s
  mode: ws
dingtalk:
  enabled: true
  client_id: ding_crash
  client_secret: ding-crash-secret
  base_url: %s
  card_template_id: %q
log:
  level: info
`, db, lk.AppID(), lk.AppSecret(), lk.URL, dt.URL, cardTemplate)
	cfg := filepath.Join(dir, "crash.yaml")
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &crashEnv{t: t, dir: dir, lk: lk, dt: dt, bot: newBotProc(t, bin, cfg, dir), db: db}
	t.Cleanup(func() { // before the bot's cleanup closes the log
		if t.Failed() {
			t.Log(e.bot.logExcerpt(60))
		}
	})
	return e
}

// marker tags message i's task: the topic carries it, so every reply that
// names the task carries it too.
func marker(i int) string { return fmt.Sprintf("Q%04dZ", i) }

func larkTaskMessage(lk *larkfake.Server, i, chats int) larkfake.Message {
	return larkfake.Message{
		MessageID: fmt.Sprintf("om_crash_%04d", i),
		EventID:   fmt.Sprintf("ev_crash_%04d", i),
		ChatID:    fmt.Sprintf("oc_crash_%02d", i%chats),
		Sender:    "ou_lisi",
		Text:      fmt.Sprintf("@_user_1 @_user_2 【项目%s-需求确认-需前端提供技术评估方案-2099-09-15前】", marker(i)),
		Mentions:  []larkfake.Mention{{OpenID: lk.BotOpenID(), Name: "collabbot"}, {OpenID: "ou_zhangsan", Name: "张三"}},
	}
}

func dingTaskMessage(i, chats int) dingfake.BotMessage {
	return dingfake.BotMessage{
		MsgID:          fmt.Sprintf("msg_crash_%04d", i),
		ConversationID: fmt.Sprintf("cid_crash_%02d", i%chats),
		SenderStaffID:  "lisi", SenderNick: "李四",
		Text:    fmt.Sprintf(" @张三 【项目%s-接口调试-完成接口调试-2099-01-10】", marker(i)),
		AtUsers: []dingfake.AtUser{{DingtalkID: "$:zs", StaffID: "zhangsan"}},
	}
}

// pusher calls push(i) for i in [0,n) spread over span in bursts of 15,
// in the background. done closes when all are pushed; bursts ticks as each
// burst goes out, so that a kill can aim at events in flight.
type pusher struct {
	done   chan struct{}
	bursts chan struct{}
}

func pushSpread(n int, span time.Duration, push func(i int)) *pusher {
	const burst = 15
	p := &pusher{done: make(chan struct{}), bursts: make(chan struct{}, 1)}
	go func() {
		defer close(p.done)
		start := time.Now()
		for i := 0; i < n; i++ {
			if i%burst == 0 {
				if d := time.Until(start.Add(span * time.Duration(i) / time.Duration(n))); d > 0 {
					time.Sleep(d)
				}
			}
			push(i)
			if i%burst == burst-1 || i == n-1 {
				select {
				case p.bursts <- struct{}{}:
				default:
				}
			}
		}
	}()
	return p
}

// chaos stops the bot kills times at random moments and restarts it;
// every other stop, on average, comes 0-30 ms after a burst of pushes.
func (e *crashEnv) chaos(r *rand.Rand, kills int, graceful bool, p *pusher) {
	e.t.Helper()
	for k := 0; k < kills; k++ {
		time.Sleep(time.Duration(200+r.Intn(1300)) * time.Millisecond)
		if r.Intn(2) == 0 {
			select {
			case <-p.bursts: // drop a stale tick, aim at the next burst
			default:
			}
			select {
			case <-p.bursts:
				time.Sleep(time.Duration(r.Intn(30)) * time.Millisecond)
			case <-p.done:
			case <-time.After(time.Second):
			}
		}
		if graceful {
			if err := e.bot.term(20 * time.Second); err != nil {
				e.t.Errorf("stop %d: %v", k+1, err)
			}
		} else {
			e.bot.kill()
		}
		time.Sleep(time.Duration(r.Intn(300)) * time.Millisecond)
		e.bot.start()
	}
}

// settle waits until done() holds and activity() has not changed for
// quiet, restarting an instance that died by itself. False on timeout.
func (e *crashEnv) settle(timeout, quiet time.Duration, done func() bool, activity func() int) bool {
	deadline := time.Now().Add(timeout)
	last, since := activity(), time.Now()
	for time.Now().Before(deadline) {
		e.bot.ensureRunning()
		time.Sleep(100 * time.Millisecond)
		if a := activity(); a != last {
			last, since = a, time.Now()
			continue
		}
		if time.Since(since) >= quiet && done() {
			return true
		}
	}
	return false
}

// storeFacts reads the stopped bot's store.
type storeFacts struct {
	tasksByMsg map[string]int
	tasks      int
	inbox      int
	pending    int
	outbox     map[store.OutboxState]int
	failed     []string
}

func (e *crashEnv) readStore() storeFacts {
	e.t.Helper()
	db, err := store.Open(e.db, &store.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		e.t.Fatalf("open the store after the run: %v", err)
	}
	defer db.Close()
	f := storeFacts{tasksByMsg: map[string]int{}, outbox: map[store.OutboxState]int{}}
	err = db.View(func(tx *store.Tx) error {
		f.inbox = tx.InboxLen()
		f.pending = tx.PendingOutboxCount()
		if err := tx.OutboxEntries(func(o *store.OutboxEntry) error {
			f.outbox[o.State]++
			if o.State == store.OutboxFailed && len(f.failed) < 10 {
				f.failed = append(f.failed, fmt.Sprintf("%s %s %s: %s", o.Group.ChatID, o.Kind, o.Reason, o.Error))
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Groups(func(g *store.Group) error {
			return tx.Tasks(g.Key, func(tk *store.Task) error {
				f.tasks++
				f.tasksByMsg[tk.MessageID]++
				return nil
			})
		})
	})
	if err != nil {
		e.t.Fatalf("read the store: %v", err)
	}
	if err := db.Check(); err != nil {
		e.t.Errorf("store check: %v", err)
	}
	return f
}

// checkStore wants exactly one task per message id and nothing left over;
// ids in mayLack (never acked: the platform lost them) may have none.
func (e *crashEnv) checkStore(ids []string, mayLack map[string]bool) storeFacts {
	e.t.Helper()
	f := e.readStore()
	var missing, dup []string
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
		switch n := f.tasksByMsg[id]; {
		case n == 0 && !mayLack[id]:
			missing = append(missing, id)
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s×%d", id, n))
		}
	}
	var extra []string
	for id, n := range f.tasksByMsg {
		if !want[id] {
			extra = append(extra, fmt.Sprintf("%q×%d", id, n))
		}
	}
	if len(missing) > 0 {
		e.t.Errorf("store: %d of %d messages have no task: %s", len(missing), len(ids), head(missing, 20))
	}
	if len(dup) > 0 {
		e.t.Errorf("store: %d messages have more than one task: %s", len(dup), head(dup, 20))
	}
	if len(extra) > 0 {
		e.t.Errorf("store: tasks for message ids never pushed: %s", head(extra, 20))
	}
	if f.inbox != 0 || f.pending != 0 {
		e.t.Errorf("store after settling: %d inbox entries, %d pending outbox entries, want 0", f.inbox, f.pending)
	}
	return f
}

func head(xs []string, n int) string {
	sort.Strings(xs)
	if len(xs) > n {
		return strings.Join(xs[:n], ", ") + fmt.Sprintf(", … (%d in all)", len(xs))
	}
	return strings.Join(xs, ", ")
}

// finish stops the bot gracefully and fails on crashes of its own.
func (e *crashEnv) finish() {
	e.t.Helper()
	if err := e.bot.term(20 * time.Second); err != nil {
		e.t.Errorf("final stop: %v", err)
	}
	if u := e.bot.unexpectedExits(); len(u) > 0 {
		e.t.Errorf("collabbot exited on its own: %s", strings.Join(u, "; "))
	}
	if n := e.bot.panics(); n > 0 {
		e.t.Errorf("collabbot panicked %d times", n)
	}
}

// larkResult is what fake Lark saw, per message.
type larkResult struct {
	replies    map[string][]larkfake.Sent // by ReplyTo
	others     int                        // posts that are not replies to a pushed message
	duplicates []string
	missing    []string
	wrong      []string
}

func larkReplies(lk *larkfake.Server, ids map[string]int) larkResult {
	res := larkResult{replies: map[string][]larkfake.Sent{}}
	for _, s := range lk.Sent() {
		if _, ok := ids[s.ReplyTo]; ok && s.Kind == "reply" {
			res.replies[s.ReplyTo] = append(res.replies[s.ReplyTo], s)
		} else {
			res.others++
		}
	}
	for id, i := range ids {
		rs := res.replies[id]
		switch {
		case len(rs) == 0:
			res.missing = append(res.missing, id)
		case len(rs) > 1:
			var us []string
			for _, r := range rs {
				us = append(us, r.UUID)
			}
			res.duplicates = append(res.duplicates, fmt.Sprintf("%s (uuids %s)", id, strings.Join(us, " ")))
		}
		if len(rs) > 0 && (!strings.Contains(rs[0].Decoded(), marker(i)) || !strings.Contains(rs[0].Decoded(), "ou_zhangsan")) {
			res.wrong = append(res.wrong, fmt.Sprintf("%s: %.120s", id, rs[0].Decoded()))
		}
	}
	return res
}

func (e *crashEnv) larkSettled(ids map[string]int) func() bool {
	return func() bool {
		if len(e.lk.Unacked()) > 0 {
			return false
		}
		r := larkReplies(e.lk, ids)
		return len(r.missing) == 0
	}
}

func (e *crashEnv) larkActivity() int {
	n := e.lk.SendAttempts() + e.lk.Redeliveries()
	for _, ev := range e.lk.Events() {
		n += ev.Acks + ev.Nacks
	}
	return n
}

// checkLark reports the Lark figures and fails on lost or doubled work.
func (e *crashEnv) checkLark(name string, ids map[string]int, start time.Time, settled bool) {
	e.t.Helper()
	elapsed := time.Since(start)
	unacked := e.lk.Unacked()
	r := larkReplies(e.lk, ids)
	var drops, timeouts, nacks, deliveries, acks int
	for _, ev := range e.lk.Events() {
		drops += ev.Drops
		timeouts += ev.Timeouts
		nacks += ev.Nacks
		deliveries += ev.Deliveries
		acks += ev.Acks
	}
	e.finish()
	f := e.checkStore(crashIDs(ids), nil)
	starts, kills, terms := e.bot.counts()
	e.t.Logf("%s: messages %d, starts %d, kills %d, SIGTERMs %d, deliveries %d, redeliveries %d (socket lost %d, ack timeouts %d, non-200 acks %d), "+
		"200-acks %d, acked %d/%d, reply posts %d, send requests %d, resends absorbed by uuid %d, duplicate replies %d, missing replies %d, "+
		"other posts %d, tasks in store %d, outbox %v, elapsed %.1fs (settled %v)",
		name, len(ids), starts, kills, terms, deliveries, e.lk.Redeliveries(), drops, timeouts, nacks,
		acks, len(ids)-len(unacked), len(ids), len(e.lk.Sent())-r.others, e.lk.SendAttempts(), e.lk.Deduped(),
		len(r.duplicates), len(r.missing), r.others, f.tasks, f.outbox, elapsed.Seconds(), settled)
	if !settled {
		e.t.Errorf("the bot did not settle within the time allowed")
	}
	if len(unacked) > 0 {
		var s []string
		for _, u := range unacked {
			s = append(s, fmt.Sprintf("%s(deliveries %d, codes %v, gave up %v)", u.MessageID, u.Deliveries, u.LastCodes, u.GaveUp))
		}
		e.t.Errorf("%d events never acked with 200: %s", len(unacked), head(s, 10))
	}
	if len(r.missing) > 0 {
		e.t.Errorf("%d messages got no reply: %s", len(r.missing), head(r.missing, 20))
	}
	if len(r.duplicates) > 0 {
		e.t.Errorf("%d messages got more than one reply: %s", len(r.duplicates), head(r.duplicates, 10))
	}
	if len(r.wrong) > 0 {
		e.t.Errorf("replies that do not name their task or @ its owner: %s", head(r.wrong, 5))
	}
	if len(f.failed) > 0 {
		e.t.Errorf("failed outbox entries: %s", strings.Join(f.failed, "; "))
	}
}

func crashIDs(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// larkChaos is scenarios 1 and 2: messages pushed while the bot is
// stopped and restarted at random moments.
func larkChaos(t *testing.T, bin string, graceful bool) {
	p := crashSizes()
	r := crashRand(t)
	e := newCrashEnv(t, bin, "", false)
	ids := map[string]int{}
	for i := 0; i < p.larkMsgs; i++ {
		ids[fmt.Sprintf("om_crash_%04d", i)] = i
	}
	kills := p.minKills + r.Intn(p.maxKills-p.minKills+1)
	start := time.Now()
	e.bot.start()
	pushed := pushSpread(p.larkMsgs, p.pushSpan, func(i int) { e.lk.PushAsync(larkTaskMessage(e.lk, i, p.larkChats)) })
	e.chaos(r, kills, graceful, pushed)
	<-pushed.done
	settled := e.settle(p.settle, 2*time.Second, e.larkSettled(ids), e.larkActivity)
	name := "lark kill -9"
	if graceful {
		name = "lark SIGTERM"
	}
	e.checkLark(name, ids, start, settled)
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash tests build and run the binary")
	}
	bin := buildCollabbot(t, t.TempDir())

	// 1. kill -9 at random moments while 300 task messages arrive.
	t.Run("LarkKill9", func(t *testing.T) { larkChaos(t, bin, false) })

	// 2. The same with graceful stops.
	t.Run("LarkSIGTERM", func(t *testing.T) { larkChaos(t, bin, true) })

	// 3. kill -9 the instant the ack of a chosen message reaches Lark: the
	// ack says "committed", so the task must exist after the restart.
	t.Run("LarkKillAtAck", func(t *testing.T) {
		const n, chats = 30, 5
		e := newCrashEnv(t, bin, "", false)
		chosen := map[string]bool{"om_crash_0004": true, "om_crash_0014": true, "om_crash_0024": true}
		var mu sync.Mutex
		killedAt := map[string]bool{}
		killed := make(chan string, 8)
		e.lk.SetOnAck(func(id string) {
			mu.Lock()
			defer mu.Unlock()
			if chosen[id] && !killedAt[id] {
				killedAt[id] = true
				if e.bot.killNow() {
					killed <- id
				}
			}
		})
		ids := map[string]int{}
		start := time.Now()
		e.bot.start()
		for i := 0; i < n; i++ {
			m := larkTaskMessage(e.lk, i, chats)
			ids[m.MessageID] = i
			e.lk.PushAsync(m)
			time.Sleep(20 * time.Millisecond)
		}
		var atAck []string
	wait:
		for len(atAck) < len(chosen) {
			select {
			case id := <-killed:
				atAck = append(atAck, id)
				if !e.bot.wait(10 * time.Second) {
					t.Fatal("the killed bot did not exit")
				}
				e.bot.start()
			case <-time.After(15 * time.Second):
				break wait
			}
		}
		t.Logf("killed at the ack of %v (the other chosen ones were acked by an instance already dead or not at all)", atAck)
		if len(atAck) == 0 {
			t.Errorf("no chosen message was acked")
		}
		settled := e.settle(60*time.Second, 2*time.Second, e.larkSettled(ids), e.larkActivity)
		for id := range chosen {
			if n := e.lk.Deliveries(id); n != 1 {
				t.Logf("%s delivered %d times", id, n)
			}
		}
		e.checkLark("lark kill at ack", ids, start, settled)
	})

	// 3b. kill -9 while a reply is in flight: once after Lark posted it
	// (the answer never arrives: the resend must reuse the uuid) and once
	// before Lark processed it (the resend must post it).
	t.Run("LarkKillMidSend", func(t *testing.T) {
		const n, chats = 12, 3
		e := newCrashEnv(t, bin, "", false)
		hung := make(chan larkfake.Fault, 4)
		e.lk.SetOnHang(func(f larkfake.Fault) {
			if e.bot.killNow() {
				hung <- f
			}
		})
		ids := map[string]int{}
		start := time.Now()
		e.lk.InjectSendFaults(larkfake.FaultHang)
		e.bot.start()
		for i := 0; i < n; i++ {
			m := larkTaskMessage(e.lk, i, chats)
			ids[m.MessageID] = i
			e.lk.PushAsync(m)
		}
		for round, next := range []larkfake.Fault{larkfake.FaultHangBefore, 0} {
			select {
			case f := <-hung:
				t.Logf("round %d: killed while a send hung (fault %d)", round+1, f)
			case <-time.After(20 * time.Second):
				t.Fatalf("round %d: no send hung", round+1)
			}
			e.bot.wait(10 * time.Second)
			if next != 0 {
				e.lk.InjectSendFaults(next)
			}
			e.bot.start()
		}
		settled := e.settle(60*time.Second, 2*time.Second, e.larkSettled(ids), e.larkActivity)
		if e.lk.Deduped() == 0 {
			t.Errorf("the reply posted before the crash was not resent with its uuid (no deduped send)")
		}
		e.checkLark("lark kill mid-send", ids, start, settled)
	})

	// 4. DingTalk: task messages through the stream while the bot is
	// killed. The fake redelivers what was not acked (an idealised
	// DingTalk: the real one does not), so every message must end as
	// exactly one task.
	t.Run("DingTalkCards", func(t *testing.T) { dingChaos(t, bin, "tpl_crash", true) })
	t.Run("DingTalkWebhook", func(t *testing.T) { dingChaos(t, bin, "", true) })
	// As DingTalk is: no redelivery. What was never acked may be lost
	// (reported); nothing acked may be.
	t.Run("DingTalkCardsNoRedelivery", func(t *testing.T) { dingChaos(t, bin, "tpl_crash", false) })
}

// dingChaos is scenario 4. With redeliver the fake redelivers what was not
// acked, so every message must end as one task; without (DingTalk as it
// is), a message whose ack was lost may be lost, but an acked one may not,
// and a task always gets its reply.
func dingChaos(t *testing.T, bin, template string, redeliver bool) {
	p := crashSizes()
	r := crashRand(t)
	e := newCrashEnv(t, bin, template, redeliver)
	ids := map[string]int{}
	for i := 0; i < p.dingMsgs; i++ {
		ids[fmt.Sprintf("msg_crash_%04d", i)] = i
	}
	// One chosen send hangs after it went out, and the bot is killed then.
	// The reply's route depends on what the instance knows (cards; else the
	// message's sessionWebhook, else groupMessages/send), so the fault waits
	// on each and fires once.
	const hangMsg = 3
	var fired atomic.Bool
	chosen := func(b []byte) bool {
		return strings.Contains(string(b), marker(hangMsg)) && fired.CompareAndSwap(false, true)
	}
	for _, api := range []string{dingfake.PathCardDeliver, dingfake.PathWebhook, dingfake.PathGroupSend} {
		e.dt.FailWhen(api, chosen, dingfake.Fault{HangAfter: true})
	}
	hung := make(chan string, 1)
	e.dt.SetOnHang(func(api string) {
		if !e.bot.killNow() {
			api += " (the instance was already gone)"
		}
		select {
		case hung <- api:
		default:
		}
	})
	kills := p.minKills + r.Intn(p.maxKills-p.minKills+1)
	start := time.Now()
	e.bot.start()
	pushed := pushSpread(p.dingMsgs, p.pushSpan, func(i int) { e.dt.PushBotMessageAsync(dingTaskMessage(i, p.dingChats)) })
	e.chaos(r, kills, false, pushed)
	<-pushed.done
	select {
	case api := <-hung:
		t.Logf("killed while the reply to %s hung after delivery on %s", marker(hangMsg), api)
	case <-time.After(20 * time.Second):
		t.Errorf("the chosen send never hung")
	}
	e.bot.ensureRunning()

	type tally struct{ replies, other, noAt int }
	count := func() (map[string]*tally, int) {
		by := map[string]*tally{}
		for id := range ids {
			by[id] = &tally{}
		}
		stray := 0
		for _, s := range e.dt.Sent() {
			hit := false
			for id, i := range ids {
				if !strings.Contains(s.Raw, marker(i)) {
					continue
				}
				hit = true
				// The task reply: a card or markdown titled with the task,
				// or a text starting "✅ 已创建任务 #n".
				isReply := strings.Contains(s.Title, marker(i)) || strings.Contains(s.Text, "已创建任务")
				if isReply {
					by[id].replies++
					if !slicesContains(s.AtUserIDs, "zhangsan") {
						by[id].noAt++ // groupMessages/send cannot @
					}
				} else {
					by[id].other++
				}
			}
			if !hit {
				stray++
			}
		}
		return by, stray
	}
	lostByPlatform := func() map[string]bool {
		lost := map[string]bool{}
		for _, u := range e.dt.Unacked() {
			if u.GaveUp {
				lost[u.MsgID] = true
			}
		}
		return lost
	}
	done := func() bool {
		for _, u := range e.dt.Unacked() {
			if !u.GaveUp {
				return false
			}
		}
		lost := lostByPlatform()
		by, _ := count()
		for id, c := range by {
			if c.replies == 0 && !lost[id] {
				return false
			}
		}
		return true
	}
	activity := func() int {
		n := len(e.dt.Sent()) + e.dt.Redeliveries() + e.dt.Calls(dingfake.PathCardDeliver) + e.dt.Calls(dingfake.PathGroupSend) + e.dt.Calls(dingfake.PathWebhook)
		for _, ev := range e.dt.Events() {
			n += ev.Acks + ev.Nacks
		}
		return n
	}
	settled := e.settle(p.settle, 2*time.Second, done, activity)
	elapsed := time.Since(start)
	unacked := e.dt.Unacked()
	lost := lostByPlatform()
	by, stray := count()
	e.finish()
	f := e.checkStore(crashIDs(ids), lost)
	var missing, dups, noAt []string
	replies, lostNoTask := 0, 0
	for id, c := range by {
		replies += c.replies
		if c.noAt > 0 {
			noAt = append(noAt, id)
		}
		if lost[id] && f.tasksByMsg[id] == 0 {
			lostNoTask++
		}
		// A task always owes its reply, acked or not.
		if c.replies == 0 && (!lost[id] || f.tasksByMsg[id] > 0) {
			missing = append(missing, id)
		}
		if c.replies > 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", id, c.replies))
		}
	}
	var drops, timeouts, nacks, acks int
	for _, ev := range e.dt.Events() {
		drops += ev.Drops
		timeouts += ev.Timeouts
		nacks += ev.Nacks
		acks += ev.Acks
	}
	reuse := 0
	for _, n := range e.dt.CardCreates() {
		if n > 1 {
			reuse += n - 1
		}
	}
	starts, kills, _ := e.bot.counts()
	name := "dingtalk cards"
	if template == "" {
		name = "dingtalk webhook"
	}
	if !redeliver {
		name += " (no redelivery)"
	}
	t.Logf("%s: messages %d, starts %d, kills %d, redeliveries %d (socket lost %d, ack timeouts %d, non-200 acks %d), 200-acks %d, acked %d/%d "+
		"(never acked: %d, of which without a task %d), "+
		"task replies %d (cards %d, webhook %d, group %d; without the owner's @ %d), duplicate replies %d, missing %d, repeated createAndDeliver (cardAlreadyExist) %d, "+
		"stray sends %d, tasks in store %d, outbox %v, elapsed %.1fs (settled %v)",
		name, len(ids), starts, kills, e.dt.Redeliveries(), drops, timeouts, nacks, acks, len(ids)-len(unacked), len(ids), len(lost), lostNoTask,
		replies, len(e.dt.SentVia("card")), len(e.dt.SentVia("webhook")), len(e.dt.SentVia("group")), len(noAt), len(dups), len(missing), reuse,
		stray, f.tasks, f.outbox, elapsed.Seconds(), settled)
	if !settled {
		t.Errorf("the bot did not settle within the time allowed")
	}
	if len(unacked) > 0 && redeliver {
		var s []string
		for _, u := range unacked {
			s = append(s, fmt.Sprintf("%s(deliveries %d, codes %v)", u.MsgID, u.Deliveries, u.Codes))
		}
		t.Errorf("%d messages never acked with 200: %s", len(unacked), head(s, 10))
	}
	if len(missing) > 0 {
		t.Errorf("%d messages (acked, or with a task) got no reply: %s", len(missing), head(missing, 20))
	}
	if template != "" {
		// Cards are idempotent by outTrackId: never a second reply, and
		// nothing bypasses the cards.
		if len(dups) > 0 {
			t.Errorf("%d messages got more than one card: %s", len(dups), head(dups, 10))
		}
		if n := len(e.dt.SentVia("webhook")) + len(e.dt.SentVia("group")); n > 0 {
			t.Errorf("%d messages went around the card template (webhook or groupMessages/send)", n)
		}
		if len(f.failed) > 0 {
			t.Errorf("failed outbox entries: %s", strings.Join(f.failed, "; "))
		}
		if len(noAt) > 0 {
			t.Errorf("%d task cards do not @ the owner: %s", len(noAt), head(noAt, 10))
		}
	} else {
		if len(noAt) > 0 {
			// The sessionWebhook of a message lives in the adapter's memory:
			// a reply owed by an instance that crashed goes out through
			// groupMessages/send, which cannot @ (platforms.md).
			t.Logf("replies without the owner's @ (groupMessages/send fallback): %d: %s", len(noAt), head(noAt, 10))
		}
		// sessionWebhook has no idempotency key: replies are at least
		// once, so a resend after a crash may repeat one (reported above).
		if len(dups) > 0 {
			t.Logf("duplicates allowed on the webhook route: %s", head(dups, 10))
		}
		if len(f.failed) > 0 {
			t.Logf("failed outbox entries: %s", strings.Join(f.failed, "; "))
		}
	}
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
