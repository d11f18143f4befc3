package bot

// /stats (/统计): the group and each owner over a period, as text.
//
//	/stats           this month, from the 1st 00:00 to now (the default)
//	/stats 上月      last month; 本周, 上周, 今天; 30天 / 近30天 / 30d / 30 days (1–366)
//
// What is counted (cancelled tasks are left out: a withdrawn request is
// nobody's performance). A task belongs to the period when it was open
// during it: created before the period ends and not finished (/done,
// awaiting review or accepted) before it starts. It is counted for its
// current owner.
//   - 负责 owned: the tasks of the period.
//   - 按时完成 done on time: finished in the period, at or before the due
//     time (the due time after approved delays: an approved delay is the
//     agreed deadline).
//   - 逾期 late: finished in the period after the due time, or not finished
//     by the period's end and due before it; how late is working time
//     (rules.WorkingDuration with the bot's calendar: weekends and holidays
//     do not count) from the due time to the finish, or to the period's end,
//     shown as an average in working days.
//   - 平均确认用时 average acknowledgement: tasks given to their owner in the
//     period (creation or /assign) and acknowledged, in working time from
//     then to /ack (an update by the owner counts, as the bot counts it);
//     acknowledgements by silence (the 24 h default) are counted apart,
//     and a task its initiator owns (acknowledged on creation) not at all.
//   - 提醒日更新率 update rate on nudge days (approximate): working days on
//     which the task was open at the daily nudge time, in the period and
//     up to now; of those, the days with an update from the owner or a
//     collaborator (or the /done) that day. The days are summed over tasks.
//   - 未解决协助 open help flags on the tasks of the period, as they stand now.
//
// The reply names people without @-mentions: statistics notify nobody.

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

func init() {
	registerFeature(feature{names: map[string]func(*Bot, *request, string) ([]chat.Reply, error){
		"stats": (*Bot).cmdStats, "统计": (*Bot).cmdStats, "statistics": (*Bot).cmdStats,
	}})
}

// maxStatsPeople bounds the per-owner lines of one reply.
const maxStatsPeople = 30

// maxStatsDays bounds "N天".
const maxStatsDays = 366

var reStatsDays = regexp.MustCompile(`^(?:最近|近|过去|last\s*|past\s*)?(\d{1,4})\s*(?:天|日|d|days?)$`)

// statsPeriod is the span [from, to) a /stats reply covers.
type statsPeriod struct {
	from, to time.Time
	label    string
}

// parseStatsPeriod reads the argument of /stats; ok is false for anything
// it does not know.
func parseStatsPeriod(lang, arg string, now time.Time, loc *time.Location) (statsPeriod, bool) {
	s := strings.ToLower(strings.Join(strings.Fields(toHalfWidth(arg)), " "))
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	month := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc)
	week := today.AddDate(0, 0, -((int(n.Weekday()) + 6) % 7)) // Monday
	switch s {
	case "", "本月", "这个月", "当月", "month", "this month":
		return statsPeriod{month, now, tr(lang, stThisMonth)}, true
	case "上月", "上个月", "last month":
		return statsPeriod{month.AddDate(0, -1, 0), month, tr(lang, stLastMonth)}, true
	case "本周", "这周", "week", "this week":
		return statsPeriod{week, now, tr(lang, stThisWeek)}, true
	case "上周", "last week":
		return statsPeriod{week.AddDate(0, 0, -7), week, tr(lang, stLastWeek)}, true
	case "今天", "今日", "today":
		return statsPeriod{today, now, tr(lang, stToday)}, true
	}
	if m := reStatsDays.FindStringSubmatch(s); m != nil {
		d, err := strconv.Atoi(m[1])
		if err != nil || d < 1 || d > maxStatsDays {
			return statsPeriod{}, false
		}
		return statsPeriod{now.AddDate(0, 0, -d), now, tr(lang, stLastDays, d)}, true
	}
	return statsPeriod{}, false
}

// statLine is one owner's (or the group's) figures.
type statLine struct {
	user              store.User
	owned, onTime     int
	late              int
	lateSum           time.Duration
	acks, ackDefaults int
	ackSum            time.Duration
	openDays, updDays int
	help              int
}

func (s *statLine) add(o *statLine) {
	s.owned += o.owned
	s.onTime += o.onTime
	s.late += o.late
	s.lateSum += o.lateSum
	s.acks += o.acks
	s.ackDefaults += o.ackDefaults
	s.ackSum += o.ackSum
	s.openDays += o.openDays
	s.updDays += o.updDays
	s.help += o.help
}

// finishedAt is when the owner finished t, or zero when it is still owed
// (a rejected task is owed again).
func finishedAt(t *store.Task) time.Time {
	if t.Status != store.StatusDone && t.Status != store.StatusAccepted {
		return time.Time{}
	}
	if !t.DoneAt.IsZero() {
		return t.DoneAt
	}
	return t.AcceptedAt
}

// taskStats adds task t's figures for period p to s.
func (b *Bot) taskStats(s *statLine, set Effective, t *store.Task, p statsPeriod, now time.Time) {
	fin := finishedAt(t)
	if !t.CreatedAt.Before(p.to) || (!fin.IsZero() && fin.Before(p.from)) {
		return
	}
	loc := set.Location
	s.owned++
	end := p.to
	if now.Before(end) {
		end = now
	}
	switch {
	case !fin.IsZero() && fin.Before(p.to):
		if fin.After(t.Due) {
			s.late++
			s.lateSum += rules.WorkingDuration(b.cal, loc, t.Due, fin)
		} else {
			s.onTime++
		}
	case t.Due.Before(end):
		s.late++
		s.lateSum += rules.WorkingDuration(b.cal, loc, t.Due, end)
	}
	assigned := t.AssignedAt
	if assigned.IsZero() {
		assigned = t.CreatedAt
	}
	// A task its initiator owns is acknowledged as it is created: nothing
	// to measure.
	if !assigned.Before(p.from) && assigned.Before(p.to) && !t.AckedAt.IsZero() && !t.AckedAt.Equal(assigned) {
		if t.AckDefaulted {
			s.ackDefaults++
		} else {
			s.acks++
			s.ackSum += rules.WorkingDuration(b.cal, loc, assigned, t.AckedAt)
		}
	}
	s.help += len(t.OpenHelp())
	// Nudge days.
	start := p.from
	if t.CreatedAt.After(start) {
		start = t.CreatedAt
	}
	sd := start.In(loc)
	for d := time.Date(sd.Year(), sd.Month(), sd.Day(), 0, 0, 0, 0, loc); d.Before(end); d = d.AddDate(0, 0, 1) {
		nudge := At(d, set.DailyNudge, loc)
		if !b.cal.IsWorkday(d) || nudge.Before(p.from) || !nudge.Before(end) || !t.CreatedAt.Before(nudge) {
			continue
		}
		next := d.AddDate(0, 0, 1)
		if !fin.IsZero() && fin.Before(d) {
			break
		}
		s.openDays++
		if !fin.IsZero() && !fin.Before(d) && fin.Before(next) {
			s.updDays++
			continue
		}
		for _, u := range t.Updates {
			if !u.At.Before(d) && u.At.Before(next) && (u.By.ID == t.Owner.ID || containsUser(t.Collaborators, u.By.ID)) {
				s.updDays++
				break
			}
		}
	}
}

func (b *Bot) cmdStats(r *request, args string) ([]chat.Reply, error) {
	p, ok := parseStatsPeriod(r.lang, args, r.now, r.set.Location)
	if !ok {
		return []chat.Reply{r.reply(tr(r.lang, stUsage, chat.Escape(clip(strings.TrimSpace(args), 40))))}, nil
	}
	var tasks []*store.Task
	if err := r.tx.Tasks(r.key(), func(t *store.Task) error { tasks = append(tasks, t); return nil }); err != nil {
		return nil, err
	}
	all, people := b.collectStats(r.set, tasks, p, r.now)
	var sb strings.Builder
	loc := r.set.Location
	fmt.Fprintf(&sb, "%s\n", tr(r.lang, stTitle, p.label, fmtTime(r.lang, p.from, loc, r.now), fmtTime(r.lang, p.to, loc, r.now)))
	if len(people) == 0 {
		sb.WriteString(tr(r.lang, stNone))
		return []chat.Reply{r.reply(sb.String())}, nil
	}
	sb.WriteString(statsLine(r.lang, tr(r.lang, stGroup), &all) + "\n")
	sb.WriteString(tr(r.lang, stByOwner) + "\n")
	for i, s := range people {
		if i == maxStatsPeople {
			sb.WriteString(tr(r.lang, stMore, len(people)-i) + "\n")
			break
		}
		who := tr(r.lang, stUnowned)
		if !s.user.IsZero() {
			who = chat.Escape(clip(s.user.Name, 40))
		}
		sb.WriteString(statsLine(r.lang, who, s) + "\n")
	}
	sb.WriteString(tr(r.lang, stNotes, FormatClock(r.set.DailyNudge)))
	return []chat.Reply{r.reply(sb.String())}, nil
}

// collectStats sums the period's figures per owner (most tasks first) and
// for the group; cancelled tasks do not count.
func (b *Bot) collectStats(set Effective, tasks []*store.Task, p statsPeriod, now time.Time) (statLine, []*statLine) {
	byOwner := map[string]*statLine{}
	for _, t := range tasks {
		if t.Status == store.StatusCancelled {
			continue
		}
		var one statLine
		b.taskStats(&one, set, t, p, now)
		if one.owned == 0 {
			continue
		}
		s := byOwner[t.Owner.ID]
		if s == nil {
			s = &statLine{user: t.Owner}
			byOwner[t.Owner.ID] = s
		}
		s.user = t.Owner // the newest task's name for them
		s.add(&one)
	}
	var people []*statLine
	var all statLine
	for _, s := range byOwner {
		people = append(people, s)
		all.add(s)
	}
	sort.Slice(people, func(i, j int) bool {
		a, c := people[i], people[j]
		if a.owned != c.owned {
			return a.owned > c.owned
		}
		if a.user.Name != c.user.Name {
			return a.user.Name < c.user.Name
		}
		return a.user.ID < c.user.ID
	})
	return all, people
}

// StatsRow is one owner's (or the group's) figures, for the web board.
type StatsRow struct {
	Name                string
	Owned, OnTime, Late int
	Open                int     // owned, neither on time nor late (yet)
	LateDays            float64 // average lateness in working days
	AckText, RateText   string  // as the chat reply writes them
	Help                int
}

// StatsReport is a period's figures for the web board.
type StatsReport struct {
	Label    string
	From, To time.Time
	Group    StatsRow
	People   []StatsRow
}

// Stats computes the /stats figures of tasks for period (the /stats
// argument: 本月, 30天, last week…); ok is false for a period it does not
// know.
func (b *Bot) Stats(set Effective, tasks []*store.Task, period string, now time.Time) (StatsReport, bool) {
	p, ok := parseStatsPeriod(set.Lang, period, now, set.Location)
	if !ok {
		return StatsReport{}, false
	}
	all, people := b.collectStats(set, tasks, p, now)
	row := func(name string, s *statLine) StatsRow {
		r := StatsRow{Name: name, Owned: s.owned, OnTime: s.onTime, Late: s.late, Help: s.help,
			Open: max(0, s.owned-s.onTime-s.late), AckText: "—", RateText: "—"}
		if s.late > 0 {
			r.LateDays = float64(s.lateSum) / float64(24*time.Hour) / float64(s.late)
		}
		if s.acks > 0 {
			r.AckText = overdueFor(set.Lang, (s.ackSum / time.Duration(s.acks)).Round(time.Minute))
		}
		if s.openDays > 0 {
			r.RateText = fmt.Sprintf("%d%%", s.updDays*100/s.openDays)
		}
		return r
	}
	rep := StatsReport{Label: p.label, From: p.from, To: p.to, Group: row(tr(set.Lang, stGroup), &all)}
	for _, s := range people {
		name := tr(set.Lang, stUnowned)
		if !s.user.IsZero() {
			name = s.user.Name
		}
		rep.People = append(rep.People, row(name, s))
	}
	return rep, true
}

// statsLine renders one line of figures.
func statsLine(lang, who string, s *statLine) string {
	late := "0"
	if s.late > 0 {
		days := float64(s.lateSum) / float64(24*time.Hour) / float64(s.late)
		late = tr(lang, stLateAvg, s.late, days)
	}
	ack := "—"
	if s.acks > 0 {
		ack = overdueFor(lang, (s.ackSum / time.Duration(s.acks)).Round(time.Minute))
	}
	if s.ackDefaults > 0 {
		ack += tr(lang, stAckDefault, s.ackDefaults)
	}
	rate := "—"
	if s.openDays > 0 {
		rate = tr(lang, stRate, s.updDays*100/s.openDays, s.updDays, s.openDays)
	}
	return tr(lang, stLine, who, s.owned, s.onTime, late, ack, rate, s.help)
}
