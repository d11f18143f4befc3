package board

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"collabbot/bot/bottest"
	"collabbot/store"
)

// bigGroup is a group of n tasks written straight into the store (every
// fifth overdue, some with help and risks), with the board link token.
func bigGroup(tb testing.TB, n int) *Handler {
	now := t0
	bt := bottest.New(tb, bottest.Options{Now: func() time.Time { return now }})
	k := store.GroupKey{Platform: "console", ChatID: "big"}
	users := []store.User{{ID: "u1", Name: "张三"}, {ID: "u2", Name: "李四"}, {ID: "u3", Name: "王五"}, {ID: "u4", Name: "赵六"}, {ID: "u5", Name: "Alice"}}
	err := bt.Store().Update(func(tx *store.Tx) error {
		if _, err := tx.EnsureGroup(k, now); err != nil {
			return err
		}
		for i := range n {
			due := now.Add(time.Duration(i%40-8) * 24 * time.Hour)
			t := &store.Task{Group: k, Topic: fmt.Sprintf("主题%d", i%50), Item: fmt.Sprintf("事项 <%d>", i), Request: "需前端提供技术评估方案 & 联调",
				Deadline: "3月16日前", Due: due, Urgency: []string{"routine", "important", "urgent"}[i%3],
				Owner: users[i%5], Initiator: users[(i+1)%5], Collaborators: []store.User{users[(i+2)%5]},
				Status:  []store.Status{store.StatusOpen, store.StatusOpen, store.StatusOpen, store.StatusDone, store.StatusAccepted}[i%5],
				Percent: i % 101, CreatedAt: now.Add(-30 * 24 * time.Hour), LastUpdateAt: now.Add(-time.Hour)}
			if i%7 == 0 {
				t.Help = []store.HelpFlag{{At: now, By: t.Owner, Text: "需要法务确认合同条款"}}
			}
			if i%11 == 0 {
				t.Risks = []store.Risk{{At: now, By: t.Owner, Text: "第三方接口文档未到"}}
			}
			if err := tx.NewTask(t); err != nil {
				return err
			}
		}
		return tx.SetBoardLink(k, store.BoardLink{Token: "big-token", IssuedAt: now})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return New(bt, Options{})
}

// BenchmarkBoard5000 renders a board page of a group with 5,000 tasks:
// every task read from the store, described (working-time overdue, risk),
// counted, filtered and sorted, and the first page of 500 rows rendered.
// Goal: under 200 ms on the 2-core CI machine.
func BenchmarkBoard5000(b *testing.B) { benchBoard(b, "/b/big-token?status=all") }

// BenchmarkBoard5000LastPage is the same with the last page, sorted by owner.
func BenchmarkBoard5000LastPage(b *testing.B) {
	benchBoard(b, "/b/big-token?status=all&sort=owner&page=10")
}

func benchBoard(b *testing.B, path string) {
	h := bigGroup(b, 5000)
	req := httptest.NewRequest("GET", path, nil)
	var size int
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
		io.Copy(io.Discard, rec.Body)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
	// CPU time too: on a shared, loaded machine wall time says little.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(size)/1024, "KiB/page")
}

// TestBoardPages: a big group's board comes in pages of pageSize rows with
// links between them; a page past the end shows the last one.
func TestBoardPages(t *testing.T) {
	h := bigGroup(t, 1203)
	get := func(path string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	body := get("/b/big-token?status=all&sort=id")
	ids := rowIDs(body)
	if len(ids) != pageSize || ids[0] != "1" || ids[pageSize-1] != "500" {
		t.Errorf("page 1: %d rows, %v…", len(ids), ids[:min(3, len(ids))])
	}
	if !strings.Contains(body, "第 1–500 项 · 符合条件 1203 项 · 共 1203 项") || !strings.Contains(body, `href="big-token?page=2&amp;sort=id&amp;status=all" rel="next"`) || strings.Contains(body, `rel="prev"`) {
		t.Error("page 1 lacks its count line or links")
	}
	for _, path := range []string{"/b/big-token?status=all&sort=id&page=3", "/b/big-token?status=all&sort=id&page=99"} {
		body = get(path)
		ids = rowIDs(body)
		if len(ids) != 203 || ids[0] != "1001" || !strings.Contains(body, `rel="prev"`) || strings.Contains(body, `rel="next"`) {
			t.Errorf("%s: %d rows from %v", path, len(ids), ids[:min(1, len(ids))])
		}
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
