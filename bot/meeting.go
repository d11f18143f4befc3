package bot

// /meeting (/会议) and /minutes (/纪要): meeting notices, the reminders
// around a meeting and its minutes, whose action items become tasks.
//
// The notice format follows 【主题-事项-需求-截止时间】:
//
//	/meeting 【主题-时间-议程：…-材料：…】 @参会人 …
//	/meeting 【需求评审-9月30日14:00-15:30-议程：评审登录页；确认排期-材料：PRD V1.2】 @张三 @李四
//
//   - 主题 (topic) is the text before the first "-".
//   - 时间 (time) is a deadline expression of rules.ParseDeadline that names
//     a time of day (9月30日14:00, 明天 14:00, 下周一 10:00, 2026-09-30 14:00),
//     optionally followed by an end time (-15:30, ~15:30, 至15:30); without
//     one the meeting lasts 1 hour.
//   - 议程：… (agenda:) is required; items may be separated by ；/;.
//   - 材料：… (materials:) is optional.
//   - The labels make the fields unambiguous. Without labels the fields are
//     positional, 【主题-时间-议程-材料】, the time being the longest run of
//     fields that reads as a time.
//   - The @-mentions are the attendees (at least one); the sender organises.
//
// Decisions (see also the README section):
//   - A notice less than 24 hours (wall clock) before the start is accepted
//     with a warning (seeds: 提前24小时发送会议通知).
//   - Attendees and the organiser are reminded 15 minutes before the start,
//     once per meeting and start time (outbox key and Meeting.StartReminded).
//     The reminder is urgent, so quiet hours do not hold it: a reminder after
//     the meeting has started is useless. A meeting scheduled less than 15
//     minutes ahead gets none (the notice itself @-mentioned everyone), and
//     none is sent once the start has passed (the bot was down).
//   - Minutes are owed 2 hours of working hours after the end (1 hour for the
//     weekly meeting, seed 000: 周会纪要1小时内同步), then every 2 hours of
//     working hours, 3 reminders at most, to the organiser, until /minutes is
//     posted or the meeting is cancelled. Working hours are the group's
//     workday (WorkdayStart–WorkdayEnd) on working days of the calendar, so
//     a meeting ending Friday 18:00 is reminded on Monday 11:00, and the
//     reminders never fall in quiet hours. (rules.AddWorkingTime counts whole
//     days; it would put the first reminder at Friday 20:00, to be held, with
//     the second stacking up behind it.) When the bot was down past several
//     reminder times, only the latest one is sent.
//   - The weekly meeting is one whose topic contains 周会 or "weekly".
//   - /minutes: lines "决议：…"/"decision: …" are decisions; every line with a
//     【主题-事项-需求-截止时间】 and its @owner (required; further @ are
//     collaborators) becomes a task; other lines are kept as notes. All lines
//     are checked first, every problem is listed by line number (the command
//     line is line 1), and nothing is stored unless all are valid. The
//     organiser, attendees, the lead or admins may post minutes, after the
//     start; a second /minutes adds to the first (补充纪要).
//   - /meeting cancel #M1 [reason]: the organiser, the lead or admins; not
//     once minutes exist.

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

const (
	meetingDefaultLength = time.Hour
	meetingMaxLength     = 12 * time.Hour
	meetingNoticeAhead   = 24 * time.Hour
	meetingStartRemind   = 15 * time.Minute
	meetingMinutesFirst  = 2 * time.Hour
	meetingWeeklyFirst   = time.Hour
	meetingMinutesEvery  = 2 * time.Hour
	meetingMinutesCap    = 3

	meetingMaxTopic     = 40
	meetingMaxTime      = 40
	meetingMaxAgenda    = 500
	meetingMaxMaterials = 300
	meetingMaxAttendees = 50
	meetingMaxReason    = 200
	meetingListMax      = 20

	minutesMaxRunes = 5000
	minutesMaxLines = 60
	minutesMaxLine  = 300
	minutesMaxTasks = 30

	kindMeetingStart   = "meeting_start"
	kindMeetingMinutes = "meeting_minutes"
)

func init() {
	h := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdMeeting(r, args) }
	m := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdMinutes(r, args) }
	registerFeature(feature{
		names: map[string]func(*Bot, *request, string) ([]chat.Reply, error){
			"meeting": h, "会议": h, "meet": h,
			"minutes": m, "纪要": m, "会议纪要": m,
		},
		due: func(b *Bot, now time.Time) ([]store.GroupKey, error) { return b.dueMeetings(now) },
	})
}

func (b *Bot) cmdMeeting(r *request, args string) ([]chat.Reply, error) {
	args = strings.TrimSpace(args)
	first, rest, _ := strings.Cut(args, " ")
	switch strings.ToLower(first) {
	case "", "help", "帮助", "?", "？":
		return []chat.Reply{r.reply(tr(r.lang, mtUsage))}, nil
	case "list", "ls", "列表", "全部":
		return b.meetingList(r)
	case "cancel", "取消":
		return b.meetingCancel(r, rest)
	case "show", "查看", "详情":
		return b.meetingShow(r, rest)
	}
	if _, _, ok := meetingRef(args); ok || strings.HasPrefix(args, "#") || strings.HasPrefix(args, "＃") {
		return b.meetingShow(r, args)
	}
	return b.meetingCreate(r, args)
}

var reMeetingRef = regexp.MustCompile(`^[#＃]?\s*[MmＭｍ]?\s*([0-9０-９]+)`)

// meetingRef takes "#M1" (also M1, #1, ＃Ｍ１) off the front of s.
func meetingRef(s string) (id int64, rest string, ok bool) {
	s = strings.TrimSpace(s)
	m := reMeetingRef.FindStringSubmatch(s)
	if m == nil || !(strings.HasPrefix(s, "#") || strings.HasPrefix(s, "＃") || strings.ContainsAny(m[0], "MmＭｍ")) {
		return 0, s, false
	}
	n, err := strconv.ParseInt(toHalfWidth(m[1]), 10, 64)
	if err != nil || n < 1 || n > maxTaskID {
		return 0, s, false
	}
	return n, s[len(m[0]):], true
}

// findMeeting resolves the "#M1" at the front of args: the meeting and the
// rest, or the reply saying what is wrong.
func (b *Bot) findMeeting(r *request, args, usage string) (*store.Meeting, string, []chat.Reply, error) {
	id, rest, ok := meetingRef(args)
	if !ok {
		tok, _, _ := strings.Cut(strings.TrimSpace(args), "\n")
		tok, _, _ = strings.Cut(tok, " ")
		return nil, "", []chat.Reply{r.reply(tr(r.lang, mtBadRef, chat.Escape(clip(tok, 30)), usage))}, nil
	}
	m, err := r.tx.Meeting(r.key(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", []chat.Reply{r.reply(tr(r.lang, mtNoSuch, id))}, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	return m, rest, nil, nil
}

// meetingSpec is a parsed notice.
type meetingSpec struct {
	topic, timeText, agenda, materials string
	start, end                         time.Time
}

var (
	reAgendaLabel    = regexp.MustCompile(`(?i)[-－—–]\s*(议程|议题|agenda)\s*[:：]`)
	reMaterialsLabel = regexp.MustCompile(`(?i)[-－—–]\s*(材料|资料|预读材料|准备材料|materials?)\s*[:：]`)
	reMeetingEnd     = regexp.MustCompile(`\s*(?:-|－|—|–|~|～|至|到)\s*(\d{1,2})\s*:\s*(\d{2})\s*$`)
	reHasClock       = regexp.MustCompile(`\d{1,2}\s*:\s*\d{2}|[0-9一二三四五六七八九十两]+\s*[点時时]`)
	meetingSeps      = "-－—–"
)

// parseMeeting reads the 【…】 of a notice. It returns every problem found.
func (b *Bot) parseMeeting(r *request, inner string) (meetingSpec, []string) {
	var s meetingSpec
	var problems []string
	lang := r.lang
	inner = strings.TrimSpace(inner)
	i := strings.IndexAny(inner, meetingSeps)
	if i < 0 {
		return s, []string{tr(lang, mtProbShape)}
	}
	s.topic = strings.TrimSpace(inner[:i])
	_, w := utf8.DecodeRuneInString(inner[i:])
	rest := inner[i+w:]
	if s.topic == "" {
		problems = append(problems, tr(lang, mtProbTopic))
	}
	var timePart string
	var timeErr error
	if loc := reAgendaLabel.FindStringIndex(rest); loc != nil {
		timePart = rest[:loc[0]]
		after := rest[loc[1]:]
		if ml := reMaterialsLabel.FindStringIndex(after); ml != nil {
			s.agenda, s.materials = after[:ml[0]], after[ml[1]:]
		} else {
			s.agenda = after
		}
		// "材料：" written before the agenda.
		if ml := reMaterialsLabel.FindStringIndex(timePart); ml != nil {
			timePart, s.materials = timePart[:ml[0]], timePart[ml[1]:]
		}
		s.start, s.end, timeErr = b.meetingTime(r, timePart)
	} else {
		if ml := reMaterialsLabel.FindStringIndex(rest); ml != nil {
			rest, s.materials = rest[:ml[0]], rest[ml[1]:]
		}
		// Positional: the longest run of fields that reads as a time.
		fields := strings.FieldsFunc(rest, func(c rune) bool { return strings.ContainsRune(meetingSeps, c) })
		found := false
		for n := len(fields) - 1; n >= 1 && !found; n-- {
			cand := strings.Join(fields[:n], "-")
			if st, en, err := b.meetingTime(r, cand); err == nil {
				timePart, s.start, s.end, found = cand, st, en, true
				s.agenda = fields[n]
				if n+1 < len(fields) && s.materials == "" {
					s.materials = strings.Join(fields[n+1:], "-")
				}
			}
		}
		if !found {
			if len(fields) > 0 {
				timePart = fields[0]
				if len(fields) > 1 {
					s.agenda = fields[1]
				}
			}
			_, _, timeErr = b.meetingTime(r, timePart)
			if timeErr == nil {
				timeErr = errors.New(tr(lang, mtProbTimeMissing))
			}
		}
	}
	s.timeText = strings.TrimSpace(timePart)
	s.agenda = strings.TrimSpace(s.agenda)
	s.materials = strings.TrimSpace(s.materials)
	if timeErr != nil {
		problems = append(problems, meetingErrText(lang, timeErr))
	}
	if s.agenda == "" {
		problems = append(problems, tr(lang, mtProbAgenda))
	}
	for _, f := range []struct {
		v   string
		max int
		key string
	}{{s.topic, meetingMaxTopic, mtWordTopic}, {s.timeText, meetingMaxTime, mtWordTime}, {s.agenda, meetingMaxAgenda, mtWordAgenda}, {s.materials, meetingMaxMaterials, mtWordMaterials}} {
		if n := utf8.RuneCountInString(f.v); n > f.max {
			problems = append(problems, tr(lang, mtProbTooLong, tr(lang, f.key), n, f.max))
		}
	}
	return s, problems
}

func meetingErrText(lang string, err error) string {
	var re rules.Error
	if errors.As(err, &re) {
		return re.Message(lang)
	}
	return err.Error()
}

// meetingTime reads "9月30日14:00", "9月30日14:00-15:30", "明天 14:00~15:00".
func (b *Bot) meetingTime(r *request, s string) (start, end time.Time, err error) {
	s = strings.TrimSpace(toHalfWidth(s))
	if s == "" {
		return start, end, errors.New(tr(r.lang, mtProbTimeMissing))
	}
	startText, endClock := s, rules.Clock{Hour: -1}
	if m := reMeetingEnd.FindStringSubmatchIndex(s); m != nil && m[0] > 0 && reHasClock.MatchString(s[:m[0]]) {
		h, _ := strconv.Atoi(s[m[2]:m[3]])
		mi, _ := strconv.Atoi(s[m[4]:m[5]])
		if h > 24 || mi > 59 || h == 24 && mi > 0 {
			return start, end, errors.New(tr(r.lang, mtProbEnd, s[m[0]:]))
		}
		startText, endClock = s[:m[0]], rules.Clock{Hour: h, Minute: mi}
	}
	start, err = rules.ParseDeadline(startText, r.set.parseOptions(r.now, b.cal))
	if err != nil {
		return start, end, err
	}
	if !reHasClock.MatchString(startText) {
		return start, end, errors.New(tr(r.lang, mtProbClock, startText))
	}
	end = start.Add(meetingDefaultLength)
	if endClock.Hour >= 0 {
		local := start.In(r.set.Location)
		end = time.Date(local.Year(), local.Month(), local.Day(), endClock.Hour, endClock.Minute, 0, 0, r.set.Location)
		if !end.After(start) || end.Sub(start) > meetingMaxLength {
			return start, end, errors.New(tr(r.lang, mtProbEnd, s))
		}
	}
	return start, end, nil
}

// meetingCreate handles "/meeting 【…】 @a @b".
func (b *Bot) meetingCreate(r *request, args string) ([]chat.Reply, error) {
	open := strings.IndexAny(args, "【[［")
	if open < 0 {
		return []chat.Reply{r.reply(tr(r.lang, mtUsage))}, nil
	}
	inner := args[open:]
	_, w := utf8.DecodeRuneInString(inner)
	inner = inner[w:]
	close := strings.LastIndexAny(inner, "】]］")
	var problems []string
	if close < 0 {
		problems = append(problems, tr(r.lang, mtProbBracket))
	} else {
		inner = inner[:close]
	}
	spec, more := b.parseMeeting(r, inner)
	problems = append(problems, more...)
	var attendees []store.User
	for _, u := range r.msg.Mentions {
		if su := toStore(u); !containsUser(attendees, su.ID) {
			attendees = append(attendees, su)
		}
	}
	if len(attendees) == 0 {
		problems = append(problems, tr(r.lang, mtProbAttendees))
	}
	if len(attendees) > meetingMaxAttendees {
		problems = append(problems, tr(r.lang, mtProbTooMany, len(attendees), meetingMaxAttendees))
	}
	if len(problems) > 0 {
		var sb strings.Builder
		sb.WriteString(tr(r.lang, mtMalformed))
		for i, p := range problems {
			fmt.Fprintf(&sb, "\n%d. %s", i+1, chat.Escape(p))
		}
		sb.WriteString("\n" + tr(r.lang, mtExampleLine))
		return []chat.Reply{r.reply(sb.String())}, nil
	}
	low := strings.ToLower(spec.topic)
	m := &store.Meeting{
		Group: r.key(), Topic: spec.topic, TimeText: spec.timeText, Start: spec.start, End: spec.end,
		Agenda: spec.agenda, Materials: spec.materials, Attendees: attendees, Organizer: r.sender(),
		Weekly:    strings.Contains(low, "周会") || strings.Contains(low, "weekly"),
		CreatedAt: r.now, MessageID: r.msg.MessageID,
	}
	if err := r.tx.NewMeeting(m); err != nil {
		return nil, err
	}
	head := tr(r.lang, mtCreated, m.ID, chat.Escape(m.Topic))
	body := b.meetingBody(r.lang, r.set, m, r.now, true, false)
	if ahead := m.Start.Sub(r.now); ahead < meetingNoticeAhead {
		body += "\n" + tr(r.lang, mtShortNotice, humanAhead(r.lang, ahead))
	}
	body += "\n" + b.meetingPlan(r.lang, r.set, m)
	rep := r.reply(head+"\n"+body, m.Attendees...)
	rep.Card = &chat.Card{Title: tr(r.lang, mtCardTitle, m.ID, chat.Escape(m.Topic)), Template: "blue", Body: body}
	if m.Start.Sub(r.now) < meetingNoticeAhead {
		rep.Card.Template = "orange"
	}
	return []chat.Reply{rep}, nil
}

// humanAhead: "3小时20分钟" / "3h 20m".
func humanAhead(lang string, d time.Duration) string {
	d = d.Round(time.Minute)
	if d > 0 && (d < time.Hour || d%time.Hour == 0 && d < 24*time.Hour) {
		return humanDuration(lang, d)
	}
	return overdueFor(lang, d)
}

// meetingBody renders the notice's facts. withMentions @-mentions the
// attendees (the notice and the start reminder), mentionOrganizer the
// organiser (the start reminder); views use plain names.
func (b *Bot) meetingBody(lang string, set Effective, m *store.Meeting, now time.Time, withMentions, mentionOrganizer bool) string {
	colon, _ := sep(lang)
	var sb strings.Builder
	end := m.End.In(set.Location)
	endText := fmt.Sprintf("%02d:%02d", end.Hour(), end.Minute())
	if !sameDay(m.Start.In(set.Location), end) {
		endText = fmtTime(lang, end, set.Location, now)
	}
	fmt.Fprintf(&sb, "%s%s%s–%s", tr(lang, mtWordTime), colon, fmtTime(lang, m.Start, set.Location, now), endText)
	if !b.cal.IsWorkday(m.Start.In(set.Location)) {
		name := b.cal.DayName(m.Start.In(set.Location))
		if name == "" {
			name = tr(lang, wordWeekend)
		}
		sb.WriteString(tr(lang, mtOffDay, name))
	}
	items := splitAgenda(m.Agenda)
	if len(items) == 1 {
		fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, mtWordAgenda), colon, chat.Escape(items[0]))
	} else {
		fmt.Fprintf(&sb, "\n%s%s", tr(lang, mtWordAgenda), strings.TrimRight(colon, " "))
		for i, it := range items {
			fmt.Fprintf(&sb, "\n%d. %s", i+1, chat.Escape(it))
		}
	}
	mat := chat.Escape(m.Materials)
	if mat == "" {
		mat = tr(lang, mtNone)
	}
	fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, mtWordMaterials), colon, mat)
	var as []string
	for _, a := range m.Attendees {
		if withMentions {
			as = append(as, mention(a))
		} else {
			as = append(as, chat.Escape(a.Name))
		}
	}
	fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, mtWordAttendees), colon, strings.Join(as, " "))
	org := chat.Escape(m.Organizer.Name)
	if mentionOrganizer {
		org = mention(m.Organizer)
	}
	fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, mtWordOrganizer), colon, org)
	return sb.String()
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func splitAgenda(s string) []string {
	var out []string
	for _, it := range strings.FieldsFunc(s, func(c rune) bool { return c == '；' || c == ';' || c == '\n' }) {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	if len(out) == 0 {
		out = []string{s}
	}
	return out
}

// meetingPlan says what the bot will do: the start reminder and when the
// minutes are due.
func (b *Bot) meetingPlan(lang string, set Effective, m *store.Meeting) string {
	first := meetingMinutesFirst
	if m.Weekly {
		first = meetingWeeklyFirst
	}
	return tr(lang, mtPlan, humanDuration(lang, meetingStartRemind), humanDuration(lang, first), m.ID)
}

// meetingState is "待召开", "进行中", "待纪要", "已有纪要", "已取消".
func meetingState(lang string, m *store.Meeting, now time.Time) string {
	switch {
	case m.Cancelled():
		return tr(lang, mtStateCancelled)
	case m.HasMinutes():
		return tr(lang, mtStateMinutes)
	case now.Before(m.Start):
		return tr(lang, mtStateUpcoming)
	case now.Before(m.End):
		return tr(lang, mtStateOngoing)
	}
	return tr(lang, mtStateNoMinutes)
}

// meetingShow is "/meeting #M1": the card with its minutes.
func (b *Bot) meetingShow(r *request, args string) ([]chat.Reply, error) {
	m, _, rep, err := b.findMeeting(r, args, "/meeting #M1")
	if m == nil {
		return rep, err
	}
	head := tr(r.lang, mtShowTitle, m.ID, chat.Escape(m.Topic), meetingState(r.lang, m, r.now))
	body := b.meetingBody(r.lang, r.set, m, r.now, false, false)
	if m.Cancelled() {
		note := ""
		if m.CancelNote != "" {
			note = tr(r.lang, mtReason, chat.Escape(m.CancelNote))
		}
		body += "\n" + tr(r.lang, mtCancelledLine, fmtTime(r.lang, m.CancelledAt, r.set.Location, r.now), chat.Escape(m.CancelledBy.Name), note)
	}
	for i, mn := range m.Minutes {
		body += "\n" + b.minutesText(r, &mn, i > 0, false)
	}
	if !m.Cancelled() && !m.HasMinutes() && !r.now.Before(m.Start) {
		body += "\n" + tr(r.lang, mtNoMinutesYet, m.ID)
	}
	rep1 := r.reply(head + "\n" + body)
	tmpl := "blue"
	switch {
	case m.Cancelled():
		tmpl = "grey"
	case m.HasMinutes():
		tmpl = "green"
	case !r.now.Before(m.End):
		tmpl = "orange"
	}
	rep1.Card = &chat.Card{Title: head, Template: tmpl, Body: body}
	return []chat.Reply{rep1}, nil
}

// minutesText renders one posting: decisions, tasks (with owners as
// mentions when withMentions), notes.
func (b *Bot) minutesText(r *request, mn *store.Minutes, supplement, withMentions bool) string {
	var sb strings.Builder
	title := mtMinutesHead
	if supplement {
		title = mtMinutesMore
	}
	sb.WriteString(tr(r.lang, title, chat.Escape(mn.By.Name), fmtTime(r.lang, mn.At, r.set.Location, r.now)))
	if len(mn.Decisions) > 0 {
		sb.WriteString("\n" + tr(r.lang, mtDecisions, len(mn.Decisions)))
		for i, d := range mn.Decisions {
			fmt.Fprintf(&sb, "\n%d. %s", i+1, chat.Escape(d))
		}
	}
	if len(mn.Tasks) > 0 {
		sb.WriteString("\n" + tr(r.lang, mtActions, len(mn.Tasks)))
		for _, id := range mn.Tasks {
			t, err := r.tx.Task(r.key(), id)
			if err != nil {
				fmt.Fprintf(&sb, "\n#%d", id)
				continue
			}
			owner := chat.Escape(t.Owner.Name)
			if withMentions {
				owner = mention(t.Owner)
			}
			fmt.Fprintf(&sb, "\n#%d %s · %s · %s", t.ID, chat.Escape(taskTitle(t)), owner,
				tr(r.lang, mtDueShort, fmtTime(r.lang, t.Due, r.set.Location, r.now)))
			if !withMentions && t.Status != store.StatusOpen {
				sb.WriteString(" · " + statusWord(r.lang, t.Status))
			}
		}
	}
	if len(mn.Notes) > 0 {
		sb.WriteString("\n" + tr(r.lang, mtNotes))
		for _, n := range mn.Notes {
			sb.WriteString("\n· " + chat.Escape(n))
		}
	}
	return sb.String()
}

// meetingList is "/meeting list": upcoming meetings and those of the last
// 14 days, cancelled ones left out.
func (b *Bot) meetingList(r *request) ([]chat.Reply, error) {
	var ms []*store.Meeting
	since := r.now.Add(-14 * 24 * time.Hour)
	err := r.tx.Meetings(r.key(), func(m *store.Meeting) error {
		if !m.Cancelled() && m.End.After(since) {
			ms = append(ms, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, mtListEmpty))}, nil
	}
	slices.SortStableFunc(ms, func(a, c *store.Meeting) int { return a.Start.Compare(c.Start) })
	more := 0
	if len(ms) > meetingListMax {
		more = len(ms) - meetingListMax
		ms = ms[len(ms)-meetingListMax:]
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, mtListTitle, len(ms)+more))
	for _, m := range ms {
		fmt.Fprintf(&sb, "\n#M%d %s · %s · %s", m.ID, chat.Escape(m.Topic), fmtTime(r.lang, m.Start, r.set.Location, r.now),
			meetingState(r.lang, m, r.now))
	}
	if more > 0 {
		sb.WriteString("\n" + tr(r.lang, mtListMore, more))
	}
	sb.WriteString("\n" + tr(r.lang, mtListFooter))
	return []chat.Reply{r.reply(sb.String())}, nil
}

// mayManage: the organiser, the lead or admins.
func (r *request) mayManage(m *store.Meeting) bool {
	isLead := r.set.Lead != nil && r.set.Lead.ID == r.msg.Sender.ID
	return m.Organizer.ID == r.msg.Sender.ID || isLead || r.admin
}

// meetingCancel is "/meeting cancel #M1 改期".
func (b *Bot) meetingCancel(r *request, args string) ([]chat.Reply, error) {
	m, rest, rep, err := b.findMeeting(r, args, "/meeting cancel #M1")
	if m == nil {
		return rep, err
	}
	if !r.mayManage(m) {
		return []chat.Reply{r.reply(tr(r.lang, mtCancelDenied, m.ID, chat.Escape(m.Organizer.Name)))}, nil
	}
	switch {
	case m.Cancelled():
		return []chat.Reply{r.reply(tr(r.lang, mtAlreadyCancelled, m.ID, fmtTime(r.lang, m.CancelledAt, r.set.Location, r.now)))}, nil
	case m.HasMinutes():
		return []chat.Reply{r.reply(tr(r.lang, mtCancelHasMinutes, m.ID))}, nil
	}
	reason := strings.TrimSpace(rest)
	if n := utf8.RuneCountInString(reason); n > meetingMaxReason {
		return []chat.Reply{r.reply(tr(r.lang, mtProbTooLong, tr(r.lang, mtWordReason), n, meetingMaxReason))}, nil
	}
	m.CancelledAt, m.CancelledBy, m.CancelNote = r.now, r.sender(), reason
	if err := r.tx.PutMeeting(m); err != nil {
		return nil, err
	}
	note := ""
	if reason != "" {
		note = tr(r.lang, mtReason, chat.Escape(reason))
	}
	var as []string
	for _, a := range m.Attendees {
		as = append(as, mention(a))
	}
	return []chat.Reply{r.reply(tr(r.lang, mtCancelled, m.ID, chat.Escape(m.Topic), fmtTime(r.lang, m.Start, r.set.Location, r.now),
		note, strings.Join(as, " ")), m.Attendees...)}, nil
}

var (
	reDecisionLine = regexp.MustCompile(`(?i)^(?:决议|决定|结论|共识|decision|decided|resolution)\s*[:：]\s*`)
	reActionLabel  = regexp.MustCompile(`(?i)^(?:待办|待办事项|任务|todo|to-do|action(?:\s*item)?)\s*[:：]\s*`)
	reListMarker   = regexp.MustCompile(`^(?:\d{1,2}\s*[.、)）]|[-*•·])\s*`)
)

// minutesLine is one checked line of /minutes.
type minutesLine struct {
	no       int
	decision string
	note     string
	task     *rules.Task
	owner    store.User
	collab   []store.User
}

// cmdMinutes is "/minutes #M1" followed by lines.
func (b *Bot) cmdMinutes(r *request, args string) ([]chat.Reply, error) {
	if strings.TrimSpace(args) == "" {
		return []chat.Reply{r.reply(tr(r.lang, mtMinutesUsage))}, nil
	}
	m, rest, rep, err := b.findMeeting(r, args, "/minutes #M1")
	if m == nil {
		return rep, err
	}
	isAttendee := containsUser(m.Attendees, r.msg.Sender.ID)
	if !r.mayManage(m) && !isAttendee {
		return []chat.Reply{r.reply(tr(r.lang, mtMinutesDenied, m.ID, chat.Escape(m.Organizer.Name)))}, nil
	}
	switch {
	case m.Cancelled():
		return []chat.Reply{r.reply(tr(r.lang, mtMinutesCancelled, m.ID))}, nil
	case r.now.Before(m.Start):
		return []chat.Reply{r.reply(tr(r.lang, mtMinutesEarly, m.ID, fmtTime(r.lang, m.Start, r.set.Location, r.now)))}, nil
	}
	if n := utf8.RuneCountInString(rest); n > minutesMaxRunes {
		return []chat.Reply{r.reply(tr(r.lang, mtMinutesTooLong, n, minutesMaxRunes))}, nil
	}
	raw := strings.Split(strings.ReplaceAll(rest, "\r\n", "\n"), "\n")
	if len(raw) > minutesMaxLines {
		return []chat.Reply{r.reply(tr(r.lang, mtMinutesTooManyLines, len(raw), minutesMaxLines))}, nil
	}
	var lines []minutesLine
	var problems []string
	tasks := 0
	opt := r.set.parseOptions(r.now, b.cal)
	for i, text := range raw {
		no := i + 1 // the command line is line 1
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if n := utf8.RuneCountInString(text); n > minutesMaxLine {
			problems = append(problems, tr(r.lang, mtLineProblem, no, tr(r.lang, mtLineTooLong, n, minutesMaxLine)))
			continue
		}
		text = reListMarker.ReplaceAllString(text, "")
		if loc := reDecisionLine.FindStringIndex(text); loc != nil {
			d := strings.TrimSpace(text[loc[1]:])
			if d == "" {
				problems = append(problems, tr(r.lang, mtLineProblem, no, tr(r.lang, mtLineEmptyDecision)))
				continue
			}
			lines = append(lines, minutesLine{no: no, decision: d})
			continue
		}
		text = reActionLabel.ReplaceAllString(text, "")
		who, bare := lineMentions(text, r.msg.Mentions)
		if !rules.Recognisable(bare) {
			lines = append(lines, minutesLine{no: no, note: text})
			continue
		}
		res := rules.Parse(bare, opt)
		var msgs []string
		switch {
		case res.Kind == rules.KindTagged:
			msgs = append(msgs, tr(r.lang, mtLineNoTask))
		case len(res.Errors) > 0 || res.Task == nil:
			msgs = append(msgs, res.Errors.Messages(r.lang)...)
			if len(msgs) == 0 {
				msgs = append(msgs, tr(r.lang, mtLineNoTask))
			}
		}
		if len(who) == 0 {
			msgs = append(msgs, tr(r.lang, mtLineNoOwner))
		}
		if len(msgs) > 0 {
			p := tr(r.lang, mtLineProblem, no, strings.Join(msgs, tr(r.lang, mtProblemSep)))
			if res.Kind == rules.KindTask || res.Kind == rules.KindNearMiss {
				ex := rules.Example(res, r.lang)
				owner := "@张三"
				if len(who) > 0 {
					owner = "@" + who[0].Name
				} else if r.lang == "en" {
					owner = "@Zhang"
				}
				p += tr(r.lang, mtLineExample, owner+" "+ex)
			}
			problems = append(problems, p)
			continue
		}
		tasks++
		l := minutesLine{no: no, task: res.Task, owner: who[0]}
		for _, c := range who[1:] {
			if c.ID != l.owner.ID && !containsUser(l.collab, c.ID) {
				l.collab = append(l.collab, c)
			}
		}
		lines = append(lines, l)
	}
	if tasks > minutesMaxTasks {
		problems = append(problems, tr(r.lang, mtMinutesTooManyTasks, tasks, minutesMaxTasks))
	}
	if len(problems) > 0 {
		var sb strings.Builder
		sb.WriteString(tr(r.lang, mtMinutesRejected, len(problems)))
		for _, p := range problems {
			sb.WriteString("\n" + chat.Escape(p))
		}
		sb.WriteString("\n" + tr(r.lang, mtMinutesFormat, m.ID))
		return []chat.Reply{r.reply(sb.String())}, nil
	}
	if len(lines) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, mtMinutesUsage))}, nil
	}
	mn := store.Minutes{At: r.now, By: r.sender()}
	var notify []store.User
	for _, l := range lines {
		switch {
		case l.decision != "":
			mn.Decisions = append(mn.Decisions, l.decision)
		case l.task != nil:
			t, err := b.newTaskFromParsed(r, l.task, l.owner, l.collab, fmt.Sprintf("#M%d", m.ID))
			if err != nil {
				return nil, err
			}
			mn.Tasks = append(mn.Tasks, t.ID)
			notify = append(append(notify, t.Owner), t.Collaborators...)
		default:
			mn.Notes = append(mn.Notes, l.note)
		}
	}
	supplement := m.HasMinutes()
	m.Minutes = append(m.Minutes, mn)
	if err := r.tx.PutMeeting(m); err != nil {
		return nil, err
	}
	head := tr(r.lang, mtMinutesSaved, m.ID, chat.Escape(m.Topic))
	if supplement {
		head = tr(r.lang, mtMinutesAdded, m.ID, chat.Escape(m.Topic))
	}
	body := b.minutesText(r, &mn, supplement, true)
	if len(mn.Tasks) > 0 {
		body += "\n" + tr(r.lang, mtMinutesAck)
	}
	rep1 := r.reply(head+"\n"+body, notify...)
	rep1.Card = &chat.Card{Title: head, Template: "green", Body: body}
	return []chat.Reply{rep1}, nil
}

// lineMentions finds the message's mentions written in line ("@Name", the
// longest name at each "@"), in order, and returns line without them.
func lineMentions(line string, mentions []chat.User) ([]store.User, string) {
	var who []store.User
	var sb strings.Builder
	for i := 0; i < len(line); {
		rest := line[i:]
		at := ""
		if strings.HasPrefix(rest, "@") {
			at = "@"
		} else if strings.HasPrefix(rest, "＠") {
			at = "＠"
		}
		if at != "" {
			var best *chat.User
			for j := range mentions {
				u := &mentions[j]
				if u.Name != "" && strings.HasPrefix(rest[len(at):], u.Name) && (best == nil || len(u.Name) > len(best.Name)) {
					best = u
				}
			}
			if best != nil {
				if su := toStore(*best); !containsUser(who, su.ID) {
					who = append(who, su)
				}
				i += len(at) + len(best.Name)
				sb.WriteByte(' ')
				continue
			}
		}
		_, w := utf8.DecodeRuneInString(rest)
		sb.WriteString(rest[:w])
		i += w
	}
	return who, strings.TrimSpace(sb.String())
}

// newTaskFromParsed creates a task from a parsed 【…】 in r's transaction,
// as createFromResult does for a message (initiator: the sender; the owner
// confirms receipt unless it is the sender), with a "minutes" history entry
// whose detail is note. The task is not linked to the
// message's thread: one message makes several tasks.
func (b *Bot) newTaskFromParsed(r *request, p *rules.Task, owner store.User, collab []store.User, note string) (*store.Task, error) {
	urg := string(p.Urgency)
	if urg == "" {
		urg = string(rules.Routine)
	}
	t := &store.Task{
		Group: r.key(), Topic: p.Topic, Item: p.Item, Request: p.Request, Deadline: p.Deadline,
		Due: p.Due, Urgency: urg, Owner: owner, Collaborators: collab, Initiator: r.sender(),
		Status: store.StatusOpen, CreatedAt: r.now,
	}
	t.AssignedAt = r.now
	if t.Owner.ID == t.Initiator.ID {
		t.AckedAt = r.now
	}
	if err := r.tx.NewTask(t); err != nil {
		return nil, err
	}
	if note != "" {
		if err := r.history(t, "minutes", note); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Timed messages.

// officeAdd returns the instant d of working hours after t: working hours
// are start–end of the calendar's working days in loc.
func officeAdd(cal rules.Calendar, loc *time.Location, start, end rules.Clock, t time.Time, d time.Duration) time.Time {
	cur := t.In(loc)
	for range 400 {
		if cal.IsWorkday(cur) {
			s, e := start.On(cur), end.On(cur)
			if cur.Before(s) {
				cur = s
			}
			if cur.Before(e) {
				if avail := e.Sub(cur); d <= avail {
					return cur.Add(d)
				}
				d -= e.Sub(cur)
			}
		}
		y, m, dd := cur.Date()
		cur = time.Date(y, m, dd+1, 0, 0, 0, 0, loc)
	}
	return t.Add(d)
}

// minutesDueAt is when minutes reminder n (1-based) of m falls due.
func (b *Bot) minutesDueAt(set Effective, m *store.Meeting, n int) time.Time {
	first := meetingMinutesFirst
	if m.Weekly {
		first = meetingWeeklyFirst
	}
	return officeAdd(b.cal, set.Location, set.WorkdayStart, set.WorkdayEnd, m.End, first+time.Duration(n-1)*meetingMinutesEvery)
}

// meetingOwed says what m owes at now: the start reminder, and the number
// of the minutes reminder due (0: none).
func (b *Bot) meetingOwed(set Effective, m *store.Meeting, now time.Time) (start bool, minutes int) {
	if m.Cancelled() {
		return false, 0
	}
	remindAt := m.Start.Add(-meetingStartRemind)
	start = m.StartReminded != m.Start.Unix() && !now.Before(remindAt) && now.Before(m.Start) && m.CreatedAt.Before(remindAt)
	if m.HasMinutes() || m.MinutesReminded >= meetingMinutesCap || now.Before(m.End) {
		return start, 0
	}
	for n := meetingMinutesCap; n > m.MinutesReminded; n-- {
		if !now.Before(b.minutesDueAt(set, m, n)) {
			return start, n
		}
	}
	return start, 0
}

// dueMeetings records the meeting reminders owed at now: a read pass finds
// the groups, then one write transaction per group decides again on fresh
// state and records each reminder with the meeting's bookkeeping.
func (b *Bot) dueMeetings(now time.Time) ([]store.GroupKey, error) {
	owes := func(tx *store.Tx, g *store.Group) (bool, error) {
		set := b.effective(g)
		owed := false
		err := tx.Meetings(g.Key, func(m *store.Meeting) error {
			if s, n := b.meetingOwed(set, m, now); s || n > 0 {
				owed = true
			}
			return nil
		})
		return owed, err
	}
	return b.dueByGroup("meeting reminders", store.FeatureMeetings, owes, func(tx *store.Tx, g *store.Group) (bool, error) {
		return b.groupMeetings(tx, g, now)
	})
}

// groupMeetings records the group's owed meeting reminders in tx.
func (b *Bot) groupMeetings(tx *store.Tx, g *store.Group, now time.Time) (posted bool, err error) {
	k := g.Key
	err = func() error {
		set := b.effective(g)
		lang := set.Lang
		var ms []*store.Meeting
		if err := tx.Meetings(k, func(m *store.Meeting) error { ms = append(ms, m); return nil }); err != nil {
			return err
		}
		for _, m := range ms {
			start, n := b.meetingOwed(set, m, now)
			if !start && n == 0 {
				continue
			}
			if start {
				key := fmt.Sprintf("meeting-start:%s:M%d:%d", k, m.ID, m.Start.Unix())
				body := b.meetingBody(lang, set, m, now, true, true)
				text := tr(lang, mtStartReminder, m.ID, chat.Escape(m.Topic), humanAhead(lang, m.Start.Sub(now))) + "\n" + body
				rep := chat.Reply{Text: text, Mentions: fromStoreUsers(append(slices.Clone(m.Attendees), m.Organizer))}
				rep.Card = &chat.Card{Title: tr(lang, mtCardTitle, m.ID, chat.Escape(m.Topic)), Template: "blue", Body: text}
				fresh, err := b.recordScheduled(tx, k, kindMeetingStart, key, rep, true, m.Start.Add(-meetingStartRemind), now)
				if err != nil {
					return err
				}
				posted = posted || fresh
				m.StartReminded = m.Start.Unix()
			}
			if n > 0 {
				key := fmt.Sprintf("meeting-minutes:%s:M%d:%d", k, m.ID, n)
				first := meetingMinutesFirst
				if m.Weekly {
					first = meetingWeeklyFirst
				}
				text := tr(lang, mtMinutesReminder, m.ID, chat.Escape(m.Topic), fmtTime(lang, m.End, set.Location, now),
					mention(m.Organizer), humanDuration(lang, first), n, meetingMinutesCap)
				rep := chat.Reply{Text: text, Mentions: fromStoreUsers([]store.User{m.Organizer})}
				fresh, err := b.recordScheduled(tx, k, kindMeetingMinutes, key, rep, false, b.minutesDueAt(set, m, n), now)
				if err != nil {
					return err
				}
				posted = posted || fresh
				m.MinutesReminded = n
			}
			if err := tx.PutMeeting(m); err != nil {
				return err
			}
		}
		return nil
	}()
	return posted, err
}
