package deliver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"collabbot/bot/chat"
	"collabbot/bot/deliver"
	"collabbot/store"
)

// sender is a platform for the stage: it records posts and may fail calls.
type sender struct {
	mu         sync.Mutex
	idempotent bool
	posts      []chat.Reply
	calls      int
	// fail, when set, decides the n-th call's outcome (1-based); posted
	// says whether the message reached the chat despite the error.
	fail func(n int, r chat.Reply) (posted bool, err error)
}

func (s *sender) Send(ctx context.Context, r chat.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		if posted, err := s.fail(s.calls, r); err != nil {
			if posted {
				s.posts = append(s.posts, r)
			}
			return err
		}
	}
	s.posts = append(s.posts, r)
	return nil
}

func (s *sender) Route(chat.Reply) chat.Route {
	return chat.Route{Name: "test", Idempotent: s.idempotent}
}

func (s *sender) Limits() chat.Limits {
	return chat.Limits{PerSecond: 100, ChatPerSecond: 100, ChatBurst: 100}
}

func (s *sender) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.posts {
		out = append(out, r.Key)
	}
	return out
}

var g1 = store.GroupKey{Platform: "test", ChatID: "g1"}

func open(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	return db
}

// add records pending messages for g1 in one transaction.
func add(t *testing.T, db *store.DB, atMostOnce bool, keys ...string) {
	t.Helper()
	err := db.Update(func(tx *store.Tx) error {
		for _, k := range keys {
			msg, _ := json.Marshal(chat.Reply{Platform: g1.Platform, ChatID: g1.ChatID, Text: k, Key: k})
			if _, err := tx.AddOutbox(&store.OutboxEntry{Key: k, Group: g1, Kind: "test", AtMostOnce: atMostOnce,
				State: store.OutboxPending, DecidedAt: time.Now(), Message: msg}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func entry(t *testing.T, db *store.DB, key string) *store.OutboxEntry {
	t.Helper()
	var e *store.OutboxEntry
	err := db.View(func(tx *store.Tx) error {
		var err error
		e, err = tx.Outbox(key)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newStage(t *testing.T, db *store.DB, s chat.Sender, opt deliver.Options) *deliver.Stage {
	t.Helper()
	st, err := deliver.New(db, opt)
	if err != nil {
		t.Fatal(err)
	}
	st.AddSender("test", s)
	t.Cleanup(func() { st.Close() })
	return st
}

// A group's messages go out in decision order, each once.
func TestOrderAndOnce(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	add(t, db, false, "c", "a", "b")
	s := &sender{idempotent: true}
	st := newStage(t, db, s, deliver.Options{})
	for range 2 {
		if err := st.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := s.keys(), []string{"c", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("posted %v, want %v", got, want)
	}
	if e := entry(t, db, "a"); e.State != store.OutboxSent || e.Attempts != 1 {
		t.Errorf("a: %s after %d attempts", e.State, e.Attempts)
	}
}

// The bot dies during a call on each kind of route; the next start decides
// from what the store says. Each case: how many posts the chat shows.
func TestCrashMidSend(t *testing.T) {
	for _, tc := range []struct {
		name       string
		idempotent bool // the platform dedupes by key (Lark uuid, card outTrackId)
		atMostOnce bool // scheduled reminder (true) or reply (false)
		posted     bool // the crashed call reached the chat
		wantPosts  int
		wantState  store.OutboxState
		wantReason string
	}{
		{"idempotent route, posted", true, true, true, 1, store.OutboxSent, ""},
		{"idempotent route, not posted", true, true, false, 1, store.OutboxSent, ""},
		{"no key, reminder, posted", false, true, true, 1, store.OutboxFailed, "unknown"},
		{"no key, reminder, not posted", false, true, false, 0, store.OutboxFailed, "unknown"},
		{"no key, reply, posted", false, false, true, 2, store.OutboxSent, ""},
		{"no key, reply, not posted", false, false, false, 1, store.OutboxSent, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			db, err := store.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			add(t, db, tc.atMostOnce, "m1")
			s := &sender{idempotent: tc.idempotent}
			ctx, crash := context.WithCancel(context.Background())
			dedupe := map[string]bool{}
			s.fail = func(n int, r chat.Reply) (bool, error) {
				if n == 1 {
					// The process dies inside the call: the stage never
					// learns the outcome. Simulate by cancelling and then
					// closing the store under it before it can record.
					crash()
					dedupe[r.Key] = tc.posted
					return tc.posted, errors.New("connection reset")
				}
				if tc.idempotent && dedupe[r.Key] {
					return false, nil // the platform answers with the first post
				}
				return false, nil
			}
			st, err := deliver.New(db, deliver.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st.AddSender("test", crashing{s, db})
			_ = st.Flush(ctx)
			st.Close()

			db = open(t, path) // the restart
			st2 := newStage(t, db, s, deliver.Options{})
			if err := st2.Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			posts := len(s.keys())
			if tc.idempotent && tc.posted {
				posts-- // the platform deduped the resend
			}
			e := entry(t, db, "m1")
			if posts != tc.wantPosts || e.State != tc.wantState || e.Reason != tc.wantReason {
				t.Errorf("chat shows %d posts, entry %s (%q); want %d, %s (%q)", posts, e.State, e.Reason, tc.wantPosts, tc.wantState, tc.wantReason)
			}
		})
	}
}

// crashing closes the store when its sender's call fails, so the stage
// cannot record the outcome: that is what a crash looks like to the store.
type crashing struct {
	*sender
	db *store.DB
}

func (c crashing) Send(ctx context.Context, r chat.Reply) error {
	err := c.sender.Send(ctx, r)
	if err != nil {
		c.db.Close()
	}
	return err
}

// Retryable failures are retried by the stage with backoff, honouring the
// platform's RetryAfter, and keep the group's order; final ones are given
// up at once; an ambiguous failure of an at-most-once message on a route
// without a key is given up as unknown.
func TestRetries(t *testing.T) {
	throttled := &chat.SendError{Reason: chat.ReasonThrottled, Retry: true, RetryAfter: 3 * time.Second}
	for _, tc := range []struct {
		name       string
		idempotent bool
		atMostOnce bool
		failures   int
		err        error
		wantPosts  []string
		wantCalls  int
		wantState  store.OutboxState
	}{
		{"throttled", false, true, 3, throttled, []string{"m1", "m2"}, 5, store.OutboxSent},
		{"transient, keyed route", true, true, 2, &chat.SendError{Reason: chat.ReasonTransient, Retry: true}, []string{"m1", "m2"}, 4, store.OutboxSent},
		{"transient, no key, reply", false, false, 2, &chat.SendError{Reason: chat.ReasonTransient, Retry: true}, []string{"m1", "m2"}, 4, store.OutboxSent},
		{"transient, no key, reminder", false, true, 1, &chat.SendError{Reason: chat.ReasonTransient, Retry: true}, []string{"m2"}, 2, store.OutboxFailed},
		{"gone", true, true, 100, &chat.SendError{Reason: chat.ReasonGone}, nil, 2, store.OutboxFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				db := open(t, filepath.Join(t.TempDir(), "s.db"))
				add(t, db, tc.atMostOnce, "m1", "m2")
				s := &sender{idempotent: tc.idempotent}
				var order []string
				s.fail = func(n int, r chat.Reply) (bool, error) {
					order = append(order, r.Key)
					if n <= tc.failures {
						return false, tc.err
					}
					return false, nil
				}
				st := newStage(t, db, s, deliver.Options{})
				if err := st.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Minute)
				st.Close()
				synctest.Wait()
				if got := s.keys(); !slices.Equal(got, tc.wantPosts) || s.calls != tc.wantCalls {
					t.Errorf("posted %v in %d calls (%v), want %v in %d", got, s.calls, order, tc.wantPosts, tc.wantCalls)
				}
				if e := entry(t, db, "m1"); e.State != tc.wantState {
					t.Errorf("m1: %s (%s), want %s", e.State, e.Reason, tc.wantState)
				}
				// m1 before m2, always: a retry never lets m2 overtake.
				last := -1
				for i, k := range order {
					if k == "m1" {
						last = i
					}
				}
				if i := slices.Index(order, "m2"); tc.wantState == store.OutboxSent && i < last {
					t.Errorf("m2 sent before m1 was done: %v", order)
				}
			})
		})
	}
}

// Held messages wait; a later urgent one in the same group is not held up.
func TestHold(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "s.db"))
	add(t, db, true, "quiet", "urgent")
	s := &sender{idempotent: true}
	holding := true
	st := newStage(t, db, s, deliver.Options{Hold: func(_ *store.Tx, e *store.OutboxEntry, _ time.Time) bool {
		return holding && e.Key == "quiet"
	}})
	st.Flush(context.Background())
	if got := s.keys(); !slices.Equal(got, []string{"urgent"}) {
		t.Errorf("while held: %v", got)
	}
	if n := st.Sendable(); n != 0 {
		t.Errorf("Sendable = %d while held, want 0", n)
	}
	holding = false
	st.Flush(context.Background())
	if got := s.keys(); !slices.Equal(got, []string{"urgent", "quiet"}) {
		t.Errorf("after release: %v", got)
	}
}

// The sliding-minute cap: 1000 a minute, whatever the per-second rate.
func TestMinuteWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := open(t, filepath.Join(t.TempDir(), "s.db"))
		var keys []string
		for i := range 30 {
			keys = append(keys, fmt.Sprintf("k%02d", i))
		}
		add(t, db, false, keys...)
		s := &limitedSender{sender: &sender{idempotent: true}}
		st := newStage(t, db, s, deliver.Options{})
		start := time.Now()
		if err := st.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		// 10 per minute: 30 messages need two more minutes after the first 10.
		if d := time.Since(start); d < 2*time.Minute || d > 2*time.Minute+time.Second {
			t.Errorf("30 sends at 10/min took %v, want 2m", d)
		}
		if len(s.keys()) != 30 {
			t.Errorf("posted %d", len(s.keys()))
		}
	})
}

type limitedSender struct{ *sender }

func (s *limitedSender) Limits() chat.Limits {
	return chat.Limits{PerSecond: 100, PerMinute: 10, ChatPerSecond: 100, ChatBurst: 100}
}
