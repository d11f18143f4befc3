package bot_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"collabbot/bot/bottest"
	"collabbot/bot/chat"
	"collabbot/store"
)

// sayLines is say for a multi-line message: every "@X" word on any line is
// a mention.
func (g *group) sayLines(from, text string) []chat.Reply {
	m := g.msg(from, text)
	m.Mentions = nil
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '【' || r == '】' }) {
		if strings.HasPrefix(w, "@") && len(w) > 1 {
			m.Mentions = append(m.Mentions, g.user(strings.TrimPrefix(w, "@")))
		}
	}
	return g.send(m)
}

func (g *group) taskCount() int {
	g.t.Helper()
	n := 0
	err := g.b.Store().View(func(tx *store.Tx) error {
		return tx.Tasks(store.GroupKey{Platform: "console", ChatID: "g1"}, func(*store.Task) error { n++; return nil })
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

func (g *group) meeting(id int64) *store.Meeting {
	g.t.Helper()
	var m *store.Meeting
	err := g.b.Store().View(func(tx *store.Tx) error {
		var err error
		m, err = tx.Meeting(store.GroupKey{Platform: "console", ChatID: "g1"}, id)
		return err
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return m
}

// Thursday 2026-03-05 10:00: a notice for Monday, one for this afternoon
// (less than 24 h: warned), a malformed one, the weekly meeting written
// positionally; minutes with bad lines create nothing, fixed ones create
// the tasks; show, list, cancel.
func TestMeetingZh(t *testing.T) {
	g := newGroup(t)
	g.say("王五", "/meeting")
	g.say("王五", "/meeting 【需求评审-3月9日14:00-15:30-议程：评审登录页；确认排期-材料：PRD V1.2】 @张三 @李四")
	g.say("王五", "/会议 【技术方案讨论-今天16:00-议程：接口方案】 @张三 @李四")
	g.say("王五", "/meeting 【需求评审-尽快-议程：】")
	g.say("王五", "/meeting 【需求评审-明天-议程：评审】 @张三")
	g.say("王五", "/meeting 【周会-下周一 10:00-上周成果；本周计划；风险卡点】 @张三 @李四")
	g.say("王五", "/minutes #M2\n决议：先提交")
	g.advance(7*time.Hour + 5*time.Minute) // 17:05, #M2 ended at 17:00
	g.sayLines("王五", "/纪要 #M2\n决议：接口采用 REST\n@张三 【接口开发-用户接口-完成用户接口开发-3月12日前】\n@李四 【接口文档-编写-补充接口文档-尽快】\n【测试-联调-完成联调-下周五】\n讨论了鉴权方案，下次再议")
	if n := g.taskCount(); n != 0 {
		t.Fatalf("minutes with bad lines created %d tasks", n)
	}
	if g.meeting(2).HasMinutes() {
		t.Fatal("minutes with bad lines were stored")
	}
	g.sayLines("赵六", "/minutes #M2\n决议：接口采用 REST")
	g.sayLines("王五", "/纪要 #M2\n决议：接口采用 REST\n1. 决议：下周三前完成联调\n@张三 【接口开发-用户接口-完成用户接口开发-3月12日前】\n@李四 @张三 【接口文档-编写-补充接口文档-3月10日】\n讨论了鉴权方案，下次再议")
	g.say("王五", "/meeting #M2")
	g.say("李四", "/show #2")
	g.say("王五", "/meeting list")
	g.say("张三", "/meeting cancel #M1")
	g.say("王五", "/meeting cancel #M1 需求文档未就绪，改期")
	g.say("王五", "/meeting #M1")
	g.say("王五", "/meeting #M9")
	g.say("王五", "/meeting #abc")
	g.golden("meeting_zh")

	if n := g.taskCount(); n != 2 {
		t.Errorf("fixed minutes created %d tasks, want 2", n)
	}
	if t2 := g.task(2); t2.Owner.Name != "李四" || len(t2.Collaborators) != 1 || t2.Initiator.Name != "王五" {
		t.Errorf("task #2: owner %s collaborators %v initiator %s", t2.Owner.Name, t2.Collaborators, t2.Initiator.Name)
	}
	m := g.meeting(2)
	if len(m.Minutes) != 1 || len(m.Minutes[0].Decisions) != 2 || !slices.Equal(m.Minutes[0].Tasks, []int64{1, 2}) || len(m.Minutes[0].Notes) != 1 {
		t.Errorf("minutes stored: %+v", m.Minutes)
	}
	if !g.meeting(3).Weekly || g.meeting(3).Agenda != "上周成果；本周计划；风险卡点" {
		t.Errorf("weekly meeting: %+v", g.meeting(3))
	}
	if !g.meeting(1).Cancelled() {
		t.Error("#M1 not cancelled")
	}
}

func TestMeetingEn(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-Li"}})
	g.say("Li", "/lang en")
	g.say("Wang", "/meeting 【Design review-3月9日14:00-15:30-agenda: login page; schedule-materials: PRD v1.2】 @Zhang @Li")
	g.say("Wang", "/meeting 【API design-今天16:00-agenda: the user API】 @Zhang")
	g.say("Wang", "/meeting 【API design-ASAP】")
	g.advance(7*time.Hour + 5*time.Minute)
	g.sayLines("Wang", "/minutes #M2\ndecision: REST it is\n@Zhang 【API-User API-build the user API-3月12日前】\n@Li 【API docs-Write-write the API docs-ASAP】")
	if n := g.taskCount(); n != 0 {
		t.Fatalf("minutes with a bad line created %d tasks", n)
	}
	g.sayLines("Wang", "/minutes #M2\ndecision: REST it is\n@Zhang 【API-User API-build the user API-3月12日前】\n@Li 【API docs-Write-write the API docs-3月10日】\nwe talked about auth")
	g.say("Wang", "/meeting #M2")
	g.say("Li", "/meeting list")
	g.say("Zhang", "/meeting cancel #M1")
	g.say("Li", "/meeting cancel #M1 postponed")
	g.golden("meeting_en")
	if n := g.taskCount(); n != 2 {
		t.Errorf("minutes created %d tasks, want 2", n)
	}
}

// goldenReminders writes the first start and minutes reminder texts to
// testdata/golden/<name>.golden.
func goldenReminders(t *testing.T, name string, ms []sentMsg) {
	t.Helper()
	var sb strings.Builder
	seen := map[string]bool{}
	for _, m := range ms {
		kind, _, _ := strings.Cut(m.Reply.Key, ":")
		if !strings.HasPrefix(kind, "meeting-") || seen[kind] {
			continue
		}
		seen[kind] = true
		sb.WriteString(line(m) + "\n" + chat.PlainText(m.Reply.Text, m.Reply.Mentions) + "\n\n")
	}
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -update to create it)", err)
	}
	if got := sb.String(); got != string(want) {
		t.Errorf("%s differs (go test ./bot -run %s -update to accept):\n%s", path, t.Name(), diff(string(want), got))
	}
}

// meetingLines are the meeting reminders the platform received.
func meetingLines(ms []sentMsg) []string {
	var out []string
	for _, m := range ms {
		if strings.HasPrefix(m.Reply.Key, "meeting-") {
			out = append(out, line(m))
		}
	}
	return out
}

// A meeting on Friday 17:00-18:00: attendees are reminded at 16:45; the
// minutes are owed after 2 h of working hours, Monday 11:00, then 13:00 and
// 15:00, and never again. A meeting at 08:45 (before working hours) gets its
// reminder at 08:30 all the same. Posting the minutes stops the reminders.
func TestMeetingReminders(t *testing.T) {
	for _, post := range []bool{false, true} {
		name := "no minutes"
		if post {
			name = "minutes at 12:00"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t, at("2026-03-05 10:00"), "zh")
				if err := s.e.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				s.until("2026-03-05 10:00:30")
				s.say(wangWu, "/meeting 【需求评审-明天17:00-18:00-议程：评审登录页】 @张三 @李四", zhangSan, liSi)
				s.say(wangWu, "/meeting 【站会-下周一 08:45-09:00-议程：同步进度】 @张三", zhangSan)
				if post {
					s.until("2026-03-09 12:00:30")
					s.say(wangWu, "/minutes #M1\n决议：登录页采用方案A\n@张三 【登录页-开发-完成登录页开发-3月13日前】", zhangSan)
				}
				s.until("2026-03-10 18:00")
				s.e.Close()
				// #M2, the stand-up, ends Monday 09:00: its minutes are owed
				// at 11:00 as well, and it has none.
				want := []string{
					"03-06 16:45 g1 meeting-start [zs ls ww] urgent",
					"03-09 08:30 g1 meeting-start [zs ww] urgent",
					"03-09 11:00 g1 meeting-minutes [ww]",
					"03-09 11:00 g1 meeting-minutes [ww]",
					"03-09 13:00 g1 meeting-minutes [ww]",
					"03-09 13:00 g1 meeting-minutes [ww]",
					"03-09 15:00 g1 meeting-minutes [ww]",
					"03-09 15:00 g1 meeting-minutes [ww]",
				}
				if post { // #M1's reminders stop at 12:00; the stand-up's go on
					want = []string{want[0], want[1], want[2], want[3], want[4], want[6]}
				}
				if got := meetingLines(s.p.sent()); !slices.Equal(got, want) {
					t.Errorf("sent:\n\tgot  %v\n\twant %v", got, want)
				}
				if !post {
					goldenReminders(t, "meeting_reminders_zh", s.p.sent())
				}
				var m1 []string
				for _, m := range s.p.sent() {
					if strings.Contains(m.Reply.Key, ":M1:") {
						m1 = append(m1, m.Reply.Key)
					}
				}
				if n := len(m1); post && n != 2 || !post && n != 4 {
					t.Errorf("#M1 reminders %v", m1)
				}
			})
		})
	}
}

// A meeting on the eve of National Day, Wednesday 09-30 16:00-17:00: one
// working hour is left that day, the second is the first hour of Thursday
// 10-08; the make-up Saturday 10-10 is not reached.
func TestMeetingRemindersHoliday(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t, at("2026-09-29 10:00"), "en")
		if err := s.e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.until("2026-09-29 10:00:30")
		s.say(wangWu, "/meeting 【Release review-9月30日16:00-17:00-agenda: go or no go】 @Zhang", zhangSan)
		s.until("2026-10-10 18:00")
		s.e.Close()
		want := []string{
			"09-30 15:45 g1 meeting-start [zs ww] urgent",
			"10-08 10:00 g1 meeting-minutes [ww]",
			"10-08 12:00 g1 meeting-minutes [ww]",
			"10-08 14:00 g1 meeting-minutes [ww]",
		}
		if got := meetingLines(s.p.sent()); !slices.Equal(got, want) {
			t.Errorf("sent:\n\tgot  %v\n\twant %v", got, want)
		}
		goldenReminders(t, "meeting_reminders_en", s.p.sent())
	})
}

// Exactly once across restarts: the engine is down around the start
// reminder's send and around the first minutes reminder.
func TestMeetingRemindersRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := simClock(at("2026-03-05 10:00"))
		path := filepath.Join(t.TempDir(), "collabbot.db")
		p := newPlatform(now)
		b, db := openBot(t, path, now)
		out := b.HandleMessage(context.Background(), chat.Message{Platform: chat.PlatformConsole, ChatID: "g1", MessageID: "m1",
			Sender: wangWu, Text: "/meeting 【需求评审-明天17:00-18:00-议程：评审登录页】 @张三", Mentions: []chat.User{zhangSan}, Time: now()})
		if len(out) != 1 || !strings.Contains(out[0].Text, "#M1") {
			t.Fatalf("notice: %+v", out)
		}
		run := func(until string) {
			e := newEngine(t, b, p, nil)
			if err := e.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(at(until).Sub(now()))
			e.Close()
			db.Close()
		}
		run("2026-03-06 16:45:30") // the start reminder was just sent
		b, db = openBot(t, path, now)
		run("2026-03-06 16:50")
		time.Sleep(at("2026-03-09 11:20").Sub(now())) // down at 11:00
		b, db = openBot(t, path, now)
		run("2026-03-09 11:21")
		b, db = openBot(t, path, now)
		run("2026-03-10 12:00")
		got := meetingLines(p.sent())
		want := []string{
			"03-06 16:45 g1 meeting-start [zs ww] urgent",
			"03-09 11:20 g1 meeting-minutes [ww]",
			"03-09 13:00 g1 meeting-minutes [ww]",
			"03-09 15:00 g1 meeting-minutes [ww]",
		}
		if !slices.Equal(got, want) {
			t.Errorf("sent:\n\tgot  %v\n\twant %v", got, want)
		}
	})
}

// The notice's time forms: labels in either order, positional fields, an
// end time, dates with dashes; a time in the past is refused.
func TestMeetingTimeForms(t *testing.T) {
	g := newGroup(t)
	for i, tc := range []struct {
		text              string
		start, end        string
		agenda, materials string
	}{
		{"【评审-2026-03-09 14:00-15:30-议程：登录页-材料：PRD】", "2026-03-09 14:00", "2026-03-09 15:30", "登录页", "PRD"},
		{"【评审-3月9日14:00-材料：PRD-议程：登录页】", "2026-03-09 14:00", "2026-03-09 15:00", "登录页", "PRD"},
		{"【评审-明天下午3点-登录页-PRD V1.2】", "2026-03-06 15:00", "2026-03-06 16:00", "登录页", "PRD V1.2"},
		{"【评审-3月9日14:00~16:00-登录页】", "2026-03-09 14:00", "2026-03-09 16:00", "登录页", ""},
		{"【Review-3月9日 9:30 至 10:00-agenda: login-materials: spec】", "2026-03-09 09:30", "2026-03-09 10:00", "login", "spec"},
	} {
		out := g.say("王五", "/meeting "+tc.text+" @张三")
		if len(out) != 1 || !strings.Contains(out[0].Text, "#M") {
			t.Fatalf("%s: %v", tc.text, out)
		}
		m := g.meeting(int64(i + 1))
		if !m.Start.Equal(at(tc.start)) || !m.End.Equal(at(tc.end)) || m.Agenda != tc.agenda || m.Materials != tc.materials {
			t.Errorf("%s: start %v end %v agenda %q materials %q", tc.text, m.Start, m.End, m.Agenda, m.Materials)
		}
	}
	for _, bad := range []string{
		"【评审-今天9:00-议程：登录页】 @张三",                               // past
		"【评审-3月9日14:00-13:00-议程：登录页】 @张三",                      // end before start
		"【评审-3月9日14:00-议程：登录页 @张三",                             // no closing bracket
		"【评审】 @张三",                                             // no fields
		"【" + strings.Repeat("长", 41) + "-3月9日14:00-议程：a】 @张三", // topic too long
	} {
		out := g.say("王五", "/meeting "+bad)
		if len(out) != 1 || !strings.Contains(out[0].Text, "未创建") {
			t.Errorf("%s: %v", bad, out)
		}
	}
}
