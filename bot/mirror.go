package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"collabbot/bot/chat"
	"collabbot/store"
)

// Task mirrors: each task also lives in its owner's task app (Feishu
// Tasks, DingTalk 待办) when the platform's adapter has it switched on.
//
// The sync is by state, not by message: every task write marks the mirror
// behind in the same transaction (store.MarkMirror, through the store's
// task hook, so no command can forget it), and SyncMirrors pushes the task
// as it is now. A crash between the platform call and recording its result
// repeats the call; creates carry a key derived from the task (Lark
// client_token, DingTalk sourceId), so the repeat finds the first one.
//
// Collabbot's rules stay in charge: a completion in the task app is turned
// into /done by the owner (acceptance follows as usual), and a state the
// app shows that collabbot does not (reopened after /done) is pushed back.

// mirrorer is an adapter that can mirror tasks; MirrorEnabled says whether
// its configuration switched it on.
type mirrorer interface {
	chat.TaskMirror
	MirrorEnabled() bool
}

func (b *Bot) mirrorFor(platform string) chat.TaskMirror {
	m, ok := b.platform(platform).(mirrorer)
	if !ok || !m.MirrorEnabled() {
		return nil
	}
	return m
}

func (b *Bot) anyMirror() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, p := range b.platforms {
		if m, ok := p.(mirrorer); ok && m.MirrorEnabled() {
			return true
		}
	}
	return false
}

// markMirror is the store's task hook.
func (b *Bot) markMirror(tx *store.Tx, t *store.Task) error {
	if b.mirrorFor(t.Group.Platform) == nil {
		return nil
	}
	if err := tx.MarkMirror(t.Group, t.ID); err != nil {
		return err
	}
	tx.OnCommit(func() {
		select {
		case b.mirrorKick <- struct{}{}:
		default:
		}
	})
	return nil
}

// mirrorKey is the task's idempotency key on the platform: stable, ASCII,
// 10–100 characters, and not revealing the chat id.
func mirrorKey(k store.GroupKey, id int64) string {
	h := sha256.Sum256([]byte(k.Platform + "\x00" + k.ChatID))
	return fmt.Sprintf("collabbot-%s-%d", hex.EncodeToString(h[:8]), id)
}

func mirrorState(t *store.Task) chat.MirrorState {
	switch t.Status {
	case store.StatusDone, store.StatusAccepted:
		return chat.MirrorDone
	case store.StatusCancelled:
		return chat.MirrorGone
	}
	return chat.MirrorOpen
}

// mirrorTask is what the task app should show of t.
func (b *Bot) mirrorTask(tx *store.Tx, g *store.Group, t *store.Task, rec *store.MirrorRec, now time.Time) chat.MirrorTask {
	set := b.effective(g)
	lang := set.Lang
	var d strings.Builder
	d.WriteString(t.Request)
	fmt.Fprintf(&d, "\n%s：%s", tr(lang, mrDue), t.Deadline)
	if n := len(t.Updates); n > 0 {
		u := t.Updates[n-1]
		fmt.Fprintf(&d, "\n%s：%s（%s）", tr(lang, mrProgress), u.Text, u.At.In(set.Location).Format("01-02 15:04"))
	}
	if t.Status == store.StatusDone {
		d.WriteString("\n" + tr(lang, mrAwaiting))
	}
	fmt.Fprintf(&d, "\n%s", tr(lang, mrFrom, groupLabel(g), t.ID))
	mt := chat.MirrorTask{
		Key: mirrorKey(t.Group, t.ID), Ref: rec.Ref, ChatID: t.Group.ChatID,
		Summary: taskTitle(t), Description: d.String(),
		Owner: fromStore(t.Owner), Creator: fromStore(t.Initiator),
		Followers: fromStoreUsers(t.Collaborators), Due: t.Due, State: mirrorState(t),
	}
	switch t.Urgency {
	case "important":
		mt.Priority = 1
	case "urgent":
		mt.Priority = 2
	}
	if base := b.BoardURL(); base != "" {
		l, err := tx.BoardLink(g.Key)
		if errors.Is(err, store.ErrNotFound) && tx.Writable() {
			// DingTalk requires a detail link; the board's task page is the
			// one a member would get from /board anyway.
			nl := store.BoardLink{Token: newBoardToken(), IssuedAt: now}
			if err = tx.SetBoardLink(g.Key, nl); err == nil {
				l = &nl
			}
		}
		if err == nil {
			mt.Link = fmt.Sprintf("%s/t/%d", BoardLink(base, l.Token), t.ID)
		}
	}
	return mt
}

// SyncMirrors pushes every mirror that is behind and due for a try, one
// platform call each, and returns how many were brought up to date.
func (b *Bot) SyncMirrors(ctx context.Context) (int, error) {
	type item struct {
		k  store.GroupKey
		id int64
	}
	var todo []item
	now := b.now()
	err := b.db.View(func(tx *store.Tx) error {
		return tx.MirrorQueue(func(k store.GroupKey, id int64) error {
			todo = append(todo, item{k, id})
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, it := range todo {
		if ctx.Err() != nil {
			break
		}
		ok, err := b.syncMirror(ctx, it.k, it.id, now)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			done++
		}
	}
	return done, errors.Join(errs...)
}

func (b *Bot) syncMirror(ctx context.Context, k store.GroupKey, id int64, now time.Time) (bool, error) {
	m := b.mirrorFor(k.Platform)
	if m == nil {
		return false, nil
	}
	var (
		mt   chat.MirrorTask
		want uint64
		skip bool
	)
	err := b.db.Update(func(tx *store.Tx) error {
		skip = false
		rec, err := tx.MirrorRec(k, id)
		if err != nil || rec == nil || !rec.Behind() || now.Before(rec.NextTry) {
			skip = true
			return err
		}
		g, err := tx.Group(k)
		if err != nil {
			return err
		}
		t, err := tx.Task(k, id)
		if errors.Is(err, store.ErrNotFound) {
			rec.Synced, skip = rec.Want, true
			return tx.PutMirrorRec(rec)
		}
		if err != nil {
			return err
		}
		if rec.Ref == "" && (t.Unowned() || mirrorState(t) == chat.MirrorGone) {
			// Nothing to show yet (no owner) or any more (cancelled before
			// it was ever mirrored): the next write tries again.
			rec.Synced, skip = rec.Want, true
			return tx.PutMirrorRec(rec)
		}
		mt = b.mirrorTask(tx, g, t, rec, now)
		want = rec.Want
		if rec.Ref != "" && rec.Hash == mirrorHash(mt) {
			rec.Synced, skip = rec.Want, true
			return tx.PutMirrorRec(rec)
		}
		return nil
	})
	if err != nil || skip {
		return false, err
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	if err := b.mirrorPace(k.Platform).Wait(cctx); err != nil {
		cancel()
		return false, nil // shutting down; the record stays behind
	}
	ref, serr := callMirror(cctx, m, mt)
	cancel()
	err = b.db.Update(func(tx *store.Tx) error {
		rec, err := tx.MirrorRec(k, id)
		if err != nil || rec == nil {
			return err
		}
		if serr == nil {
			if ref != "" {
				rec.Ref = ref
			}
			rec.Synced, rec.Hash = max(rec.Synced, want), mirrorHash(mt)
			rec.Attempts, rec.NextTry, rec.LastError = 0, time.Time{}, ""
			if mt.State == chat.MirrorGone {
				rec.Gone = true
			}
			return tx.PutMirrorRec(rec)
		}
		var se *chat.SendError
		rec.Attempts++
		rec.LastError = serr.Error()
		switch {
		case errors.As(serr, &se) && se.Reason == chat.ReasonGone:
			// Deleted in the task app: collabbot keeps the task, the app
			// does not get it back.
			rec.Gone = true
		case errors.As(serr, &se) && !se.Retry:
			// This version cannot be pushed; a later change tries again.
			rec.Synced = max(rec.Synced, want)
		default:
			wait := min(time.Duration(1<<min(rec.Attempts, 10))*time.Second, 10*time.Minute)
			if se != nil && se.RetryAfter > wait {
				wait = se.RetryAfter
			}
			rec.NextTry = b.now().Add(wait)
		}
		return tx.PutMirrorRec(rec)
	})
	if serr != nil {
		b.log.Warn("task mirror not updated", "platform", k.Platform, "task", id, "err", serr)
		b.met.mirrorResult(k.Platform, serr)
		return false, err
	}
	b.met.mirrorResult(k.Platform, nil)
	return err == nil, err
}

// mirrorHash fingerprints what the app would show.
func mirrorHash(mt chat.MirrorTask) string {
	mt.Ref = ""
	raw, _ := json.Marshal(mt)
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:12])
}

// mirrorPerSecond paces task-app calls per platform below the platforms'
// documented limits (Feishu Tasks v2: 10/s per app; DingTalk: 20/s per
// app and API), so a burst of new tasks is spread instead of throttled.
const mirrorPerSecond = 8

func (b *Bot) mirrorPace(platform string) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mirrorLimits == nil {
		b.mirrorLimits = map[string]*rate.Limiter{}
	}
	l := b.mirrorLimits[platform]
	if l == nil {
		l = rate.NewLimiter(mirrorPerSecond, 1)
		b.mirrorLimits[platform] = l
	}
	return l
}

// callMirror keeps a panicking adapter from taking the sync loop down.
func callMirror(ctx context.Context, m chat.TaskMirror, t chat.MirrorTask) (ref string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &chat.SendError{Reason: chat.ReasonOther, Retry: true, Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return m.MirrorTask(ctx, t)
}

// mirrorLoop runs SyncMirrors when a task changed, and every few seconds
// for retries, until ctx ends.
func (b *Bot) mirrorLoop(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		if _, err := b.SyncMirrors(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("task mirror sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.mirrorKick:
		case <-tick.C:
		}
	}
}

// MirrorChanged implements chat.MirrorIntake: a change made in the task
// app. A completion of an open task becomes /done by its owner, recorded
// in the inbox like a typed message (so it is durable before the platform
// is acknowledged, and processed once); the rest is compared with
// collabbot's state, which wins.
func (b *Bot) MirrorChanged(ctx context.Context, e chat.MirrorEvent) error {
	var msg *chat.Message
	err := b.db.Update(func(tx *store.Tx) error {
		msg = nil
		k, id, err := tx.MirrorByRef(e.Platform, e.Ref)
		if errors.Is(err, store.ErrNotFound) {
			return nil // not one of ours
		}
		if err != nil {
			return err
		}
		rec, err := tx.MirrorRec(k, id)
		if err != nil || rec == nil {
			return err
		}
		t, err := tx.Task(k, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case e.Deleted:
			if !rec.Gone {
				rec.Gone = true
				b.log.Info("task mirror deleted in the task app; not recreated", "platform", e.Platform, "task", id)
				return tx.PutMirrorRec(rec)
			}
		case e.Done && t.Status == store.StatusOpen && !t.Unowned():
			g, err := tx.Group(k)
			if err != nil {
				return err
			}
			lang := b.effective(g).Lang
			when := e.Time
			if when.IsZero() {
				when = b.now()
			}
			eid := e.EventID
			if eid == "" {
				eid = e.Ref + ":" + when.UTC().Format(time.RFC3339Nano)
			}
			msg = &chat.Message{Platform: k.Platform, ChatID: k.ChatID, MessageID: "taskapp:" + eid,
				Sender: fromStore(t.Owner), Text: fmt.Sprintf("/done #%d %s", t.ID, tr(lang, mrDoneInApp)),
				Time: when, Via: "taskapp"}
		case !e.Done && (t.Status == store.StatusDone || t.Status == store.StatusAccepted):
			// Reopened in the app after /done: only the initiator reopens
			// (/reject), so the app is set back.
			return tx.MarkMirror(k, id)
		}
		return nil
	})
	if err != nil || msg == nil {
		return err
	}
	return b.Accept(ctx, *msg)
}

var _ chat.MirrorIntake = (*Bot)(nil)

const (
	mrDue       = "mr_due"
	mrProgress  = "mr_progress"
	mrAwaiting  = "mr_awaiting"
	mrFrom      = "mr_from"
	mrDoneInApp = "mr_done_in_app"
)

func init() {
	addMessages(map[string][2]string{
		mrDue:       {"截止", "Due"},
		mrProgress:  {"最新进度", "Latest progress"},
		mrAwaiting:  {"已提交完成，等待发起人验收。", "Delivered; waiting for the initiator's acceptance."},
		mrFrom:      {"来自 collabbot · %s · #%d（进度请在群里更新）", "From collabbot · %s · #%d (update progress in the group)"},
		mrDoneInApp: {"（在任务应用中标记完成）", "(marked complete in the task app)"},
	})
}
