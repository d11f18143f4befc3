package deliver_test

import (
	"context"
	"encoding/json"
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

// timedSender records when each message was posted, under given limits.
type timedSender struct {
	lim   chat.Limits
	mu    sync.Mutex
	posts []post
}

type post struct {
	key, chat string
	at        time.Time
}

func (s *timedSender) Send(_ context.Context, r chat.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts = append(s.posts, post{r.Key, r.ChatID, time.Now()})
	return nil
}

func (s *timedSender) Route(chat.Reply) chat.Route { return chat.Route{Name: "test", Idempotent: true} }
func (s *timedSender) Limits() chat.Limits         { return s.lim }

func (s *timedSender) sent() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts...)
}

// queue records one pending message of kind in chat, keyed key.
func queue(t *testing.T, db *store.DB, chatID, kind, key string) store.GroupKey {
	t.Helper()
	g := store.GroupKey{Platform: "test", ChatID: chatID}
	err := db.Update(func(tx *store.Tx) error {
		msg, _ := json.Marshal(chat.Reply{Platform: g.Platform, ChatID: g.ChatID, Text: key, Key: key})
		_, err := tx.AddOutbox(&store.OutboxEntry{Key: key, Group: g, Kind: kind, State: store.OutboxPending,
			DecidedAt: time.Now(), Message: msg})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// A chat with a long backlog, paced by its own allowance, does not keep
// the other chats waiting, even with a single worker.
func TestBusyChatDoesNotStarveOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := open(t, filepath.Join(t.TempDir(), "s.db"))
		for i := range 30 {
			queue(t, db, "busy", "nudge", fmt.Sprintf("busy%02d", i))
		}
		for i := range 10 {
			queue(t, db, fmt.Sprintf("quiet%d", i), "nudge", fmt.Sprintf("quiet%d", i))
		}
		s := &timedSender{lim: chat.Limits{PerSecond: 100, ChatPerSecond: 1, ChatBurst: 1}}
		st := newStage(t, db, s, deliver.Options{Workers: 1})
		start := time.Now()
		if err := st.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(40 * time.Second)
		st.Close()
		synctest.Wait()
		got := map[string]time.Duration{}
		busy := 0
		for _, p := range s.sent() {
			if p.chat == "busy" {
				busy++
				continue
			}
			got[p.chat] = p.at.Sub(start)
		}
		for i := range 10 {
			c := fmt.Sprintf("quiet%d", i)
			if d, ok := got[c]; !ok || d > time.Second {
				t.Errorf("%s posted after %v (sent: %v), want within 1s", c, d, ok)
			}
		}
		if busy != 30 {
			t.Errorf("busy chat: %d of 30 posted", busy)
		}
	})
}

// Replies to people go ahead of scheduled messages waiting for the same
// app-wide allowance.
func TestRepliesAheadOfBulk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := open(t, filepath.Join(t.TempDir(), "s.db"))
		for i := range 100 {
			queue(t, db, fmt.Sprintf("g%03d", i), "nudge", fmt.Sprintf("nudge%03d", i))
		}
		s := &timedSender{lim: chat.Limits{PerSecond: 10, ChatPerSecond: 5, ChatBurst: 5}}
		st := newStage(t, db, s, deliver.Options{})
		if err := st.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2500 * time.Millisecond) // the bulk is under way
		kicked := time.Now()
		st.Kick(queue(t, db, "people", "reply", "answer"))
		time.Sleep(15 * time.Second)
		st.Close()
		synctest.Wait()
		posts := s.sent()
		if len(posts) != 101 {
			t.Fatalf("%d of 101 posted", len(posts))
		}
		var answer time.Time
		for _, p := range posts {
			if p.key == "answer" {
				answer = p.at
			}
		}
		// The allowance frees in bunches (a sliding window gives back
		// what it took a second earlier); the answer takes the first.
		for _, p := range posts {
			if p.at.After(kicked) && p.at.Before(answer) {
				t.Errorf("%s posted %v after the answer was decided, %v before the answer", p.key, p.at.Sub(kicked), answer.Sub(p.at))
			}
		}
		if d := answer.Sub(kicked); d > 1100*time.Millisecond {
			t.Errorf("answer posted %v after it was decided", d)
		}
	})
}

// Each window holds: no more than ChatBurst in any second to one chat, no
// more than PerSecond in any second overall, whatever the backlog.
func TestAllowancesHold(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lim   chat.Limits
		chats int
		each  int
	}{
		{"per chat", chat.Limits{PerSecond: 50, ChatPerSecond: 5, ChatBurst: 5}, 1, 23},
		{"per app", chat.Limits{PerSecond: 50, ChatPerSecond: 5, ChatBurst: 5}, 40, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				db := open(t, filepath.Join(t.TempDir(), "s.db"))
				for c := range tc.chats {
					for i := range tc.each {
						queue(t, db, fmt.Sprintf("g%02d", c), "nudge", fmt.Sprintf("g%02d-%02d", c, i))
					}
				}
				s := &timedSender{lim: tc.lim}
				st := newStage(t, db, s, deliver.Options{})
				if err := st.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute)
				st.Close()
				synctest.Wait()
				posts := s.sent()
				if len(posts) != tc.chats*tc.each {
					t.Fatalf("%d of %d posted", len(posts), tc.chats*tc.each)
				}
				perChat := map[string][]time.Time{}
				var all []time.Time
				for _, p := range posts {
					perChat[p.chat] = append(perChat[p.chat], p.at)
					all = append(all, p.at)
				}
				if n := busiestSecond(all); n > int(tc.lim.PerSecond) {
					t.Errorf("%d sends within one second, allowance %v", n, tc.lim.PerSecond)
				}
				for c, ts := range perChat {
					if n := busiestSecond(ts); n > tc.lim.ChatBurst {
						t.Errorf("%s: %d sends within one second, allowance %d", c, n, tc.lim.ChatBurst)
					}
				}
			})
		})
	}
}

// busiestSecond is the most times within any one second (ts ascending).
func busiestSecond(ts []time.Time) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= time.Second {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// PlatformLimits override what the sender reports, field by field.
func TestPlatformLimitsOverride(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := open(t, filepath.Join(t.TempDir(), "s.db"))
		for i := range 9 {
			queue(t, db, fmt.Sprintf("g%d", i), "nudge", fmt.Sprintf("k%d", i))
		}
		s := &timedSender{lim: chat.Limits{PerSecond: 100, ChatPerSecond: 5, ChatBurst: 5}}
		st := newStage(t, db, s, deliver.Options{PlatformLimits: map[string]chat.Limits{"test": {PerSecond: 3}}})
		start := time.Now()
		if err := st.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		// 3 a second: the 9th goes in the third second.
		if d := time.Since(start); d < 2*time.Second || d > 3*time.Second {
			t.Errorf("9 sends at 3/s took %v, want 2s and a margin", d)
		}
	})
}

// Close does not wait for the allowance of sends that have not started.
func TestCloseWhileWaitingForAllowance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := open(t, filepath.Join(t.TempDir(), "s.db"))
		for i := range 20 {
			queue(t, db, fmt.Sprintf("g%02d", i), "nudge", fmt.Sprintf("k%02d", i))
		}
		s := &timedSender{lim: chat.Limits{PerSecond: 100, PerMinute: 5, ChatPerSecond: 5, ChatBurst: 5}}
		st := newStage(t, db, s, deliver.Options{})
		if err := st.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		start := time.Now()
		st.Close()
		if d := time.Since(start); d > 0 {
			t.Errorf("Close took %v", d)
		}
		if n := len(s.sent()); n != 5 {
			t.Errorf("%d posted, want the minute's 5", n)
		}
	})
}

// A backlog longer than one turn reads goes out whole, in order, once.
func TestLongBacklogInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := open(t, filepath.Join(t.TempDir(), "s.db"))
		var want []string
		for i := range 60 {
			k := fmt.Sprintf("k%02d", i)
			queue(t, db, "g", "nudge", k)
			want = append(want, k)
		}
		s := &timedSender{lim: chat.Limits{PerSecond: 1000, ChatPerSecond: 1000, ChatBurst: 1000}}
		st := newStage(t, db, s, deliver.Options{})
		if err := st.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		st.Close()
		synctest.Wait()
		var got []string
		for _, p := range s.sent() {
			got = append(got, p.key)
		}
		if !slices.Equal(got, want) {
			t.Errorf("posted %v\nwant %v", got, want)
		}
	})
}
