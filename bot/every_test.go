package bot_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"collabbot/bot"
	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/store"
)

var everyGroupKey = store.GroupKey{Platform: "console", ChatID: "g1"}

// everyAt reads "2026-09-28 17:00" in Asia/Shanghai.
func everyAt(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// everyScript is a group whose transcript also shows what DueRecurrences
// posts on each tick.
type everyScript struct {
	*group
	seen map[string]bool
}

func newEveryScript(t *testing.T, start string, opts ...bottest.Options) *everyScript {
	g := newGroup(t, opts...)
	g.now = everyAt(t, start)
	return &everyScript{group: g, seen: map[string]bool{}}
}

// tick runs DueRecurrences at now and appends the announcements it put in
// the outbox to the transcript; it returns them.
func (s *everyScript) tick(now time.Time) []chat.Reply {
	s.t.Helper()
	s.now = now
	groups, err := s.b.DueRecurrences(now)
	if err != nil {
		s.t.Fatalf("DueRecurrences(%v): %v", now, err)
	}
	var fresh []*store.OutboxEntry
	err = s.b.Store().View(func(tx *store.Tx) error {
		return tx.OutboxEntries(func(e *store.OutboxEntry) error {
			if strings.HasPrefix(e.Key, "every:") && !s.seen[e.Key] {
				fresh = append(fresh, e)
			}
			return nil
		})
	})
	if err != nil {
		s.t.Fatal(err)
	}
	slices.SortFunc(fresh, func(a, b *store.OutboxEntry) int { return int(a.Seq) - int(b.Seq) })
	// Messages another caller recorded show up here without this call
	// reporting their group.
	if len(fresh) == 0 && len(groups) > 0 {
		s.t.Errorf("tick %v: %d new messages but groups %v", now, len(fresh), groups)
	}
	var out []chat.Reply
	for _, e := range fresh {
		s.seen[e.Key] = true
		if e.Kind != "reply" || e.State != store.OutboxPending || e.Group != everyGroupKey {
			s.t.Errorf("outbox entry %s: kind %q state %q group %v", e.Key, e.Kind, e.State, e.Group)
		}
		var r chat.Reply
		if err := json.Unmarshal(e.Message, &r); err != nil {
			s.t.Fatal(err)
		}
		if r.Key != e.Key {
			s.t.Errorf("reply key %q in entry %q", r.Key, e.Key)
		}
		out = append(out, r)
	}
	if len(out) > 0 {
		fmt.Fprintf(&s.out, "== %s ==\n", now.In(cst).Format("01-02 15:04"))
		for _, r := range out {
			fmt.Fprintf(&s.out, "(%s)\n", r.Key)
			s.record(r)
		}
		s.out.WriteString("\n")
	}
	return out
}

func (s *everyScript) tasks() []*store.Task {
	s.t.Helper()
	var out []*store.Task
	err := s.b.Store().View(func(tx *store.Tx) error {
		return tx.Tasks(everyGroupKey, func(t *store.Task) error {
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

const (
	everyWeekly  = "【周报-本周进展-各组长提交周报-17:00前】"
	everyDaily   = "【日报-今日进展-提交日报-下班前】"
	everyMonthly = "【月报-本月总结-提交月度总结-3个工作日内】"
)

func TestEveryCommandsZh(t *testing.T) {
	s := newEveryScript(t, "2026-09-21 10:00") // Monday
	s.say("李四", "/every 每周五 @张三 "+everyWeekly)
	s.say("王五", "/重复 每个工作日 "+everyDaily)
	s.say("李四", "/every @赵六 每月最后一个工作日 @张三 【重要】"+everyMonthly)
	s.say("李四", "/every list")
	s.say("李四", "/every 每周八 "+everyWeekly)
	s.say("李四", "/every 每月32日 "+everyWeekly)
	s.say("李四", "/every 尽快 "+everyWeekly)
	s.say("李四", "/every "+everyWeekly)
	s.say("李四", "/every 每周五")
	s.say("李四", "/every 每周五 【周报-本周进展】")
	s.say("李四", "/every 每周五 [周报-本周进展-各组长提交周报-17:00前]")
	s.say("李四", "/every 每周五 【周报-本周进展-各组长提交周报-09:00前】")
	s.say("李四", "/every 每周五 【周报-本周进展-各组长提交周报-2026-09-20】")
	s.say("李四", "/every")
	s.say("李四", "/every stop")
	s.say("李四", "/every stop 9")
	s.say("张三", "/every stop 2")
	s.say("王五", "/every stop R2")
	s.say("王五", "/every stop 2")
	s.say("李四", "/every 列表")
	s.golden("every_zh")

	var recs []*store.Recurrence
	err := s.b.Store().View(func(tx *store.Tx) error {
		return tx.Recurrences(everyGroupKey, func(r *store.Recurrence) error {
			recs = append(recs, r)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d recurrences, want 3 (bad inputs create none)", len(recs))
	}
	if r := recs[0]; r.Schedule != "weekly:5" || r.Owner.Name != "张三" || !r.OwnerMention || r.Initiator.Name != "李四" || r.Text != everyWeekly || !r.Active() {
		t.Errorf("R1: %+v", r)
	}
	if r := recs[1]; r.Schedule != "workday" || r.Owner.Name != "王五" || r.OwnerMention || r.Active() || r.StoppedBy.Name != "王五" {
		t.Errorf("R2: %+v", r)
	}
	if r := recs[2]; r.Schedule != "month-last-workday" || r.Owner.Name != "赵六" || len(r.Collaborators) != 1 || r.Collaborators[0].Name != "张三" {
		t.Errorf("R3: %+v", r)
	}
	if n := len(s.tasks()); n != 0 {
		t.Errorf("/every created %d tasks at once; occurrences come from DueRecurrences", n)
	}
}

func TestEveryCommandsEn(t *testing.T) {
	def := bot.DefaultDefaults()
	def.Lang = "en"
	s := newEveryScript(t, "2026-09-21 10:00", bottest.Options{Admins: []string{"id-Li"}, Defaults: &def})
	s.say("Wang", "/recurring every Friday @Zhang 【Weekly-Progress-send the weekly report-17:00前】")
	s.say("Wang", "/every last working day of the month 【紧急】【Monthly-Report-send the monthly summary-3个工作日内】")
	s.say("Wang", "/every the 1st of every month 【Billing-Invoices-send the invoices-下班前】")
	s.say("Wang", "/every fortnightly 【Weekly-Progress-send the weekly report-17:00前】")
	s.say("Wang", "/every the 40th of every month 【Weekly-Progress-send the weekly report-17:00前】")
	s.say("Wang", "/every list")
	s.say("Zhang", "/every stop 1")
	s.tick(everyAt(t, "2026-09-24 09:00"))
	s.say("Li", "/every stop 1")
	s.tick(everyAt(t, "2026-09-30 09:00"))
	s.say("Wang", "/every list")
	s.golden("every_en")
}

// TestEveryAcrossNationalDay2026 ticks through September and October 2026
// and checks the exact creation dates against the China calendar: 中秋节
// Friday 09-25 off, 调休 Sunday 09-20 on, 国庆节 10-01..10-07 off, 调休
// Saturday 10-10 on.
func TestEveryAcrossNationalDay2026(t *testing.T) {
	s := newEveryScript(t, "2026-08-31 18:30")
	s.say("李四", "/every 每周五 @张三 "+everyWeekly)
	s.say("李四", "/every 每个工作日 @王五 "+everyDaily)
	s.say("李四", "/every 每月最后一个工作日 @赵六 "+everyMonthly)
	for d := everyAt(t, "2026-09-01 00:00"); d.Month() <= time.October; d = d.AddDate(0, 0, 1) {
		for _, hm := range [][2]int{{8, 59}, {9, 0}, {9, 1}, {16, 0}} {
			now := time.Date(d.Year(), d.Month(), d.Day(), hm[0], hm[1], 0, 0, cst)
			got := s.tick(now)
			if hm == [2]int{8, 59} && len(got) > 0 {
				t.Errorf("%v: created before the working day starts", now)
			}
			if hm != [2]int{9, 0} && hm != [2]int{8, 59} && len(got) > 0 {
				t.Errorf("%v: created again after 09:00: %v", now, got)
			}
		}
	}
	dates := map[string][]string{}
	for _, task := range s.tasks() {
		c := task.CreatedAt.In(cst)
		if c.Hour() != 9 || c.Minute() != 0 {
			t.Errorf("#%d created at %v, want 09:00", task.ID, c)
		}
		dates[task.Topic] = append(dates[task.Topic], c.Format("01-02"))
		due := task.Due.In(cst)
		switch task.Topic {
		case "周报":
			if want := time.Date(c.Year(), c.Month(), c.Day(), 17, 0, 0, 0, cst); !due.Equal(want) || task.Owner.Name != "张三" {
				t.Errorf("#%d 周报 due %v owner %s; want %v 张三", task.ID, due, task.Owner.Name, want)
			}
		case "日报":
			if want := time.Date(c.Year(), c.Month(), c.Day(), 18, 0, 0, 0, cst); !due.Equal(want) || task.Owner.Name != "王五" {
				t.Errorf("#%d 日报 due %v owner %s; want %v 王五", task.ID, due, task.Owner.Name, want)
			}
		}
	}
	want := map[string]string{
		"周报": "09-04 09-11 09-18 09-24 09-30 10-09 10-16 10-23 10-30",
		"日报": "09-01 09-02 09-03 09-04 09-07 09-08 09-09 09-10 09-11 09-14 09-15 09-16 09-17 09-18 09-20 " +
			"09-21 09-22 09-23 09-24 09-28 09-29 09-30 10-08 10-09 10-10 10-12 10-13 10-14 10-15 10-16 " +
			"10-19 10-20 10-21 10-22 10-23 10-26 10-27 10-28 10-29 10-30",
		"月报": "09-30 10-30",
	}
	for topic, w := range want {
		if got := strings.Join(dates[topic], " "); got != w {
			t.Errorf("%s created on\n %s\nwant\n %s", topic, got, w)
		}
	}
	// 每月最后一个工作日 on 09-30 with 3个工作日内: 10-08, 10-09 and the
	// 调休 Saturday 10-10 are the three working days.
	for _, task := range s.tasks() {
		if task.Topic == "月报" && task.CreatedAt.In(cst).Format("01-02") == "09-30" {
			if want := everyAt(t, "2026-10-10 18:00"); !task.Due.Equal(want) {
				t.Errorf("月报 of 09-30 due %v, want %v", task.Due.In(cst), want)
			}
		}
	}
	// Every task's history says which recurrence made it.
	err := s.b.Store().View(func(tx *store.Tx) error {
		for _, task := range s.tasks() {
			h, err := tx.History(everyGroupKey, task.ID)
			if err != nil {
				return err
			}
			date := task.CreatedAt.In(cst).Format(time.DateOnly)
			if len(h) == 0 || h[0].Action != "created" || !strings.Contains(h[0].Detail, "recurrence=R") ||
				!strings.HasSuffix(h[0].Detail, "date="+date) || h[0].By.Name != "李四" {
				t.Errorf("#%d history: %+v", task.ID, h)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEveryDueOnceAndLate: a repeated tick creates nothing more; a tick
// missed while the bot was down is caught up once, later the same working
// day, only while it is still relevant; an earlier day is never made up.
func TestEveryDueOnceAndLate(t *testing.T) {
	s := newEveryScript(t, "2026-10-08 08:00") // Thursday after 国庆节
	s.say("李四", "/every 每个工作日 @张三 "+everyDaily)
	s.say("李四", "/every 每个工作日 【站会-问题跟进-整理站会问题-17:00前】")
	s.say("李四", "/every 每个工作日 @王五 【发布-版本发布-10月9日发布说明-2026-10-09】")

	first := s.tick(everyAt(t, "2026-10-08 09:00"))
	if len(first) != 3 {
		t.Fatalf("first tick posted %d messages, want 3", len(first))
	}
	if again := s.tick(everyAt(t, "2026-10-08 09:00")); len(again) != 0 {
		t.Errorf("the same tick again posted %v", again)
	}
	if groups, err := s.b.DueRecurrences(everyAt(t, "2026-10-08 09:30")); err != nil || len(groups) != 0 {
		t.Errorf("a later tick on the same day: %v, %v", groups, err)
	}
	if n := len(s.tasks()); n != 3 {
		t.Fatalf("%d tasks after repeated ticks, want 3", n)
	}
	// Concurrent callers (two engines, a console tick) still create once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.b.DueRecurrences(everyAt(t, "2026-10-09 14:00")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// The bot was down at 09:00 on 10-09: at 14:00 the day's tasks are
	// made once, late; their deadlines are still those of the day.
	if n := len(s.tasks()); n != 6 {
		t.Fatalf("%d tasks after the late day, want 6", n)
	}
	s.out.WriteString("(what the concurrent 10-09 14:00 ticks recorded:)\n")
	s.tick(everyAt(t, "2026-10-09 14:00"))
	// 10-10 is a 调休 Saturday. At 17:30 the 17:00 stand-up is overdue
	// already: skipped; the daily report (下班前) is still made; the
	// release note's fixed date has passed: its initiator is told.
	s.tick(everyAt(t, "2026-10-10 17:30"))
	// Down for the rest of 10-10 and all of 10-11/10-12 until after work:
	// 10-12 18:30 is after the working day, nothing is made up.
	if got := s.tick(everyAt(t, "2026-10-12 18:30")); len(got) != 0 {
		t.Errorf("after the working day: %v", got)
	}
	s.tick(everyAt(t, "2026-10-13 09:00"))
	s.golden("every_due")

	var dates []string
	for _, task := range s.tasks() {
		dates = append(dates, task.Topic+"@"+task.CreatedAt.In(cst).Format("01-02T15:04"))
	}
	want := "日报@10-08T09:00 站会@10-08T09:00 发布@10-08T09:00 日报@10-09T14:00 站会@10-09T14:00 发布@10-09T14:00 " +
		"日报@10-10T17:30 日报@10-13T09:00 站会@10-13T09:00"
	if got := strings.Join(dates, " "); got != want {
		t.Errorf("tasks:\n %s\nwant\n %s", got, want)
	}
	err := s.b.Store().View(func(tx *store.Tx) error {
		for _, c := range []struct {
			rec     int64
			date    string
			skipped string
		}{
			{2, "2026-10-10", "late"}, {3, "2026-10-10", "bad_task"}, {1, "2026-10-12", "late"}, {1, "2026-10-10", ""},
		} {
			o, err := tx.Occurrence(everyGroupKey, c.rec, c.date)
			if err != nil || o.Skipped != c.skipped {
				t.Errorf("occurrence R%d %s: %+v, %v; want skipped %q", c.rec, c.date, o, err, c.skipped)
			}
		}
		if tx.OccurrenceDone(everyGroupKey, 1, "2026-10-11") {
			t.Error("Sunday 10-11 has an occurrence")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The owner created by the initiator needs no /ack; 张三 does.
	for _, task := range s.tasks() {
		selfOwned := task.Owner.ID == task.Initiator.ID
		if selfOwned != !task.AckedAt.IsZero() {
			t.Errorf("#%d owner %s initiator %s acked %v", task.ID, task.Owner.Name, task.Initiator.Name, task.AckedAt)
		}
	}
}

func TestEveryStopEndsOccurrences(t *testing.T) {
	s := newEveryScript(t, "2026-10-12 08:00", bottest.Options{Admins: []string{"id-管理员"}})
	s.say("李四", "/every 每个工作日 @张三 "+everyDaily)
	s.say("李四", "/every 每个工作日 @张三 "+everyWeekly)
	s.say("张三", "/every stop 1") // the owner is not the initiator
	s.say("管理员", "/every stop 1")
	s.tick(everyAt(t, "2026-10-12 09:00"))
	s.say("李四", "/every stop 2")
	if got := s.tick(everyAt(t, "2026-10-13 09:00")); len(got) != 0 {
		t.Errorf("stopped recurrences posted %v", got)
	}
	s.say("李四", "/every list")
	tasks := s.tasks()
	if len(tasks) != 1 || tasks[0].Topic != "周报" {
		t.Errorf("tasks: %d", len(tasks))
	}
	if !strings.Contains(s.out.String(), "只有发起人 李四、组长或群管理员可以停止") ||
		!strings.Contains(s.out.String(), "⏹ 已停止重复任务 R1") || !strings.Contains(s.out.String(), "本群没有重复任务") {
		t.Errorf("transcript:\n%s", s.out.String())
	}
}

// TestEveryLeadMayStop: the group lead stops a recurrence someone else
// made.
func TestEveryLeadMayStop(t *testing.T) {
	s := newEveryScript(t, "2026-10-12 08:00", bottest.Options{Admins: []string{"id-管理员"}})
	s.say("管理员", "/config lead @组长")
	s.say("李四", "/every 每周五 "+everyWeekly)
	reps := s.say("组长", "/every stop 1")
	if len(reps) != 1 || !strings.Contains(reps[0].Text, "已停止") {
		t.Errorf("lead's stop: %+v", reps)
	}
}
