package rules

// Recurring tasks: "/every 每周五 【周报-本周进展-各组长提交周报-17:00前】".
//
// A Schedule names the days a recurrence creates its task. Every
// occurrence is on a working day of the China calendar (Calendar, 调休
// included) and is created at the group's start of the working day; its
// deadline is then parsed with Options{Now: occurrence time}, so
// "17:00前" is 17:00 of the occurrence day and "3个工作日内" counts from it.
//
// How a schedule meets the calendar:
//
//   - 每个工作日 (RecurWorkday): every working day, make-up workdays (调休,
//     e.g. Saturday 2026-10-10) included, public holidays and weekends
//     skipped.
//   - 每周五 (RecurWeekly): once per Monday-to-Sunday week (format.md's
//     weeks). If that week's Friday is a working day it is the occurrence
//     date; if it is off (a holiday, or a weekend for 每周六/每周日) the
//     occurrence moves to the latest working day before it in the same
//     week; a week with no working day before it has no occurrence. So
//     每周五 in the week of 2026-09-25 (中秋节) falls on Thursday 09-24,
//     and 每周一 in the week of 2026-10-05 (国庆节) is skipped. A weekend
//     day that is a 调休 workday (Sunday 2026-09-20 for 每周日) is used
//     as it is.
//   - 每月15日 (RecurMonthDay): once per month, the same way within the
//     month: an off day moves to the latest working day before it in the
//     same month, else the month is skipped (每月1日 in October 2026 is
//     skipped; 每月第一个工作日 is the form that never skips). A day the
//     month lacks (每月31日 in September) means the month's last day.
//   - 每月第一个工作日 / 每月最后一个工作日: the month's first / last
//     working day. 每月最后一天 and 每月月底 mean the same as the latter
//     (the last day, moved back to a working day).
//
// The brief's "moved to the previous working day if there is one after the
// previous occurrence" needs no separate check: a moved date stays in its
// own week or month, and the previous occurrence belongs to an earlier
// week or month, so it is always before the moved date. Each week or
// month therefore has at most one occurrence and its date depends only on
// the calendar, which is what makes "recurrence + date" an idempotency
// key.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// RecurKind is the shape of a Schedule.
type RecurKind string

const (
	RecurWorkday      RecurKind = "workday"             // 每个工作日
	RecurWeekly       RecurKind = "weekly"              // 每周五
	RecurMonthDay     RecurKind = "monthday"            // 每月15日
	RecurFirstWorkday RecurKind = "month-first-workday" // 每月第一个工作日
	RecurLastWorkday  RecurKind = "month-last-workday"  // 每月最后一个工作日
)

// Schedule is when a recurrence creates its task.
type Schedule struct {
	Kind    RecurKind
	Weekday time.Weekday // RecurWeekly
	Day     int          // RecurMonthDay: 1–31
}

// DefaultWorkdayStart is the start of the working day when a caller passes
// the zero Clock.
var DefaultWorkdayStart = Clock{Hour: 9}

// Valid reports whether s is a schedule Next can use.
func (s Schedule) Valid() bool {
	switch s.Kind {
	case RecurWorkday, RecurFirstWorkday, RecurLastWorkday:
		return true
	case RecurWeekly:
		return s.Weekday >= time.Sunday && s.Weekday <= time.Saturday
	case RecurMonthDay:
		return s.Day >= 1 && s.Day <= 31
	}
	return false
}

// String is the canonical, language-neutral form that the store keeps:
// "workday", "weekly:5" (time.Weekday, Sunday = 0), "monthday:15",
// "month-first-workday", "month-last-workday". ParseScheduleSpec reads it.
func (s Schedule) String() string {
	switch s.Kind {
	case RecurWeekly:
		return fmt.Sprintf("%s:%d", s.Kind, int(s.Weekday))
	case RecurMonthDay:
		return fmt.Sprintf("%s:%d", s.Kind, s.Day)
	}
	return string(s.Kind)
}

// ParseScheduleSpec reads Schedule.String's output.
func ParseScheduleSpec(spec string) (Schedule, error) {
	kind, arg, hasArg := strings.Cut(spec, ":")
	s := Schedule{Kind: RecurKind(kind)}
	n, err := strconv.Atoi(arg)
	switch {
	case s.Kind == RecurWeekly && hasArg && err == nil:
		s.Weekday = time.Weekday(n)
	case s.Kind == RecurMonthDay && hasArg && err == nil:
		s.Day = n
	case hasArg:
		return Schedule{}, fmt.Errorf("schedule spec %q: unexpected %q", spec, arg)
	case s.Kind == RecurWeekly || s.Kind == RecurMonthDay:
		return Schedule{}, fmt.Errorf("schedule spec %q: missing the day", spec)
	}
	if !s.Valid() {
		return Schedule{}, fmt.Errorf("schedule spec %q is not valid", spec)
	}
	return s, nil
}

var (
	recurZhWeekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
	recurOrdinal    = func(n int) string {
		switch {
		case n%100 >= 11 && n%100 <= 13:
			return fmt.Sprintf("%dth", n)
		case n%10 == 1:
			return fmt.Sprintf("%dst", n)
		case n%10 == 2:
			return fmt.Sprintf("%dnd", n)
		case n%10 == 3:
			return fmt.Sprintf("%drd", n)
		}
		return fmt.Sprintf("%dth", n)
	}
)

// Describe names s for a reply: "每周五", "every Friday", "每月15日", …
func (s Schedule) Describe(lang string) string {
	en := lang == "en"
	switch s.Kind {
	case RecurWorkday:
		if en {
			return "every working day"
		}
		return "每个工作日"
	case RecurWeekly:
		if en {
			return "every " + s.Weekday.String()
		}
		return "每" + recurZhWeekdays[s.Weekday%7]
	case RecurMonthDay:
		if en {
			return "the " + recurOrdinal(s.Day) + " of every month"
		}
		return fmt.Sprintf("每月%d日", s.Day)
	case RecurFirstWorkday:
		if en {
			return "first working day of the month"
		}
		return "每月第一个工作日"
	case RecurLastWorkday:
		if en {
			return "last working day of the month"
		}
		return "每月最后一个工作日"
	}
	return string(s.Kind)
}

// ScheduleCode classifies a ScheduleError.
type ScheduleCode string

const (
	// ScheduleMissing: no schedule before the task.
	ScheduleMissing ScheduleCode = "missing_schedule"
	// ScheduleUnknown: not a schedule we understand.
	ScheduleUnknown ScheduleCode = "bad_schedule"
	// ScheduleBadWeekday: 每周八.
	ScheduleBadWeekday ScheduleCode = "bad_weekday"
	// ScheduleBadMonthDay: 每月0日, 每月32号.
	ScheduleBadMonthDay ScheduleCode = "bad_month_day"
)

// ScheduleError is why ParseSchedule refused a phrase.
type ScheduleError struct {
	Input string
	Code  ScheduleCode
}

// Error implements error with the Chinese message.
func (e *ScheduleError) Error() string { return e.Message("zh") }

// Message describes the problem in lang ("en", else Chinese).
func (e *ScheduleError) Message(lang string) string {
	en := lang == "en"
	switch e.Code {
	case ScheduleMissing:
		if en {
			return "missing the schedule; accepted forms: " + AcceptedSchedules(lang)
		}
		return "缺少重复周期，可用写法：" + AcceptedSchedules(lang)
	case ScheduleBadWeekday:
		if en {
			return fmt.Sprintf("%q is not a day of the week (Monday to Sunday)", e.Input)
		}
		return fmt.Sprintf("“%s”不是有效的星期（周一到周日）", e.Input)
	case ScheduleBadMonthDay:
		if en {
			return fmt.Sprintf("%q: the day of the month must be 1 to 31", e.Input)
		}
		return fmt.Sprintf("“%s”：每月的日期应为 1 到 31", e.Input)
	}
	if en {
		return fmt.Sprintf("schedule %q is not understood; accepted forms: %s", e.Input, AcceptedSchedules(lang))
	}
	return fmt.Sprintf("无法识别重复周期“%s”，可用写法：%s", e.Input, AcceptedSchedules(lang))
}

// AcceptedSchedules lists the schedule forms for error replies and help.
func AcceptedSchedules(lang string) string {
	if lang == "en" {
		return "every working day, every Friday (Monday … Sunday), the 15th of every month, first working day of the month, last working day of the month (Chinese works too: 每个工作日, 每周五, 每月15日, 每月第一个工作日, 每月最后一个工作日)"
	}
	return "每个工作日、每周一…每周日、每月1日/每月15号、每月第一个工作日、每月最后一个工作日"
}

var (
	recurZhWorkdayRe  = regexp.MustCompile(`^(?:每一?个?|每逢)?(?:工作日|工作天)(?:每天)?$|^(?:每天|每日|天天)$`)
	recurZhWeeklyRe   = regexp.MustCompile(`^(?:每一?个?|每逢)?(?:周|星期|礼拜)(.+)$`)
	recurZhMonthRe    = regexp.MustCompile(`^每一?个?月(?:份)?的?(.+)$`)
	recurZhMonthDayRe = regexp.MustCompile(`^(.+?)(?:日|号)$`)
	recurZhFirstRe    = regexp.MustCompile(`^(?:第一个?|第1个?|首个|头一个)(?:工作日|工作天)$`)
	recurZhLastRe     = regexp.MustCompile(`^(?:最后一个?|最后1个?|最后|末个|最末一?个?)(?:工作日|工作天)$|^(?:最后一天|月底|月末|底|末)$`)

	recurEnFiller    = map[string]bool{"every": true, "each": true, "on": true, "the": true, "of": true, "a": true, "in": true, "at": true, "per": true}
	recurEnMonthWord = map[string]bool{"month": true, "months": true, "monthly": true}
	recurEnWeekWord  = map[string]bool{"week": true, "weeks": true, "weekly": true}
	recurEnWorkday   = map[string]bool{"working day": true, "working days": true, "workday": true, "workdays": true,
		"weekday": true, "weekdays": true, "business day": true, "business days": true, "work day": true, "work days": true}
	recurEnDayNumRe = regexp.MustCompile(`^(?:day )?(\d{1,3})(?:st|nd|rd|th)?$`)
)

var recurEnWeekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "sun": time.Sunday,
	"monday": time.Monday, "mon": time.Monday,
	"tuesday": time.Tuesday, "tue": time.Tuesday, "tues": time.Tuesday,
	"wednesday": time.Wednesday, "wed": time.Wednesday,
	"thursday": time.Thursday, "thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday,
	"friday": time.Friday, "fri": time.Friday,
	"saturday": time.Saturday, "sat": time.Saturday,
}

// ParseSchedule reads a schedule phrase, Chinese or English: 每个工作日,
// 每周五 (每星期五, 每个周五, 礼拜五), 每月15日 / 每月15号 / 每月十五日,
// 每月第一个工作日, 每月最后一个工作日 (每月最后一天, 每月月底);
// "every working day" ("every weekday", "daily"), "every Friday"
// ("Fridays", "weekly on Friday"), "the 15th of every month" ("monthly on
// the 15th"), "first working day of the month", "last working day of the
// month" ("end of the month"). 每天 / "every day" mean every working day:
// the bot posts nothing on days off. A full-width digit counts as a digit.
func ParseSchedule(phrase string) (Schedule, error) {
	raw := strings.TrimSpace(phrase)
	if raw == "" {
		return Schedule{}, &ScheduleError{Code: ScheduleMissing}
	}
	s := recurHalfWidth(raw)
	if zh := strings.Join(strings.Fields(s), ""); recurHasHan(zh) {
		return recurParseZh(raw, zh)
	}
	return recurParseEn(raw, s)
}

func recurHasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func recurHalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r >= 'Ａ' && r <= 'Ｚ':
			return 'A' + (r - 'Ａ')
		case r >= 'ａ' && r <= 'ｚ':
			return 'a' + (r - 'ａ')
		case r == '\u3000':
			return ' '
		case r == '週':
			return '周'
		case r == '個':
			return '个'
		case r == '號':
			return '号'
		}
		return r
	}, s)
}

func recurParseZh(raw, s string) (Schedule, error) {
	s = strings.TrimRight(s, "。.，,")
	s = strings.TrimSuffix(s, "重复")
	if recurZhWorkdayRe.MatchString(s) {
		return Schedule{Kind: RecurWorkday}, nil
	}
	if m := recurZhWeeklyRe.FindStringSubmatch(s); m != nil {
		if wd, ok := recurZhWeekday(m[1]); ok {
			return Schedule{Kind: RecurWeekly, Weekday: wd}, nil
		}
		return Schedule{}, &ScheduleError{Input: raw, Code: ScheduleBadWeekday}
	}
	if m := recurZhMonthRe.FindStringSubmatch(s); m != nil {
		rest := m[1]
		switch {
		case recurZhFirstRe.MatchString(rest):
			return Schedule{Kind: RecurFirstWorkday}, nil
		case recurZhLastRe.MatchString(rest):
			return Schedule{Kind: RecurLastWorkday}, nil
		}
		if d := recurZhMonthDayRe.FindStringSubmatch(rest); d != nil {
			n, ok := recurNumber(d[1])
			if !ok {
				return Schedule{}, &ScheduleError{Input: raw, Code: ScheduleUnknown}
			}
			if n < 1 || n > 31 {
				return Schedule{}, &ScheduleError{Input: raw, Code: ScheduleBadMonthDay}
			}
			return Schedule{Kind: RecurMonthDay, Day: n}, nil
		}
	}
	return Schedule{}, &ScheduleError{Input: raw, Code: ScheduleUnknown}
}

func recurZhWeekday(s string) (time.Weekday, bool) {
	switch s {
	case "日", "天", "七", "7":
		return time.Sunday, true
	}
	for i, c := range []string{"一", "二", "三", "四", "五", "六"} {
		if s == c || s == strconv.Itoa(i+1) {
			return time.Weekday(i + 1), true
		}
	}
	return 0, false
}

// recurNumber reads 0–999 in ASCII digits or a Chinese numeral up to 九十九
// (一, 十五, 二十, 三十一, 两).
func recurNumber(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0 && len(s) <= 3
	}
	digit := func(r rune) (int, bool) {
		switch r {
		case '〇', '零':
			return 0, true
		case '两':
			return 2, true
		}
		for i, c := range "一二三四五六七八九" {
			if c == r {
				return i/len("一") + 1, true
			}
		}
		return 0, false
	}
	rs := []rune(s)
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10, true
	case len(rs) == 1:
		return digit(rs[0])
	case len(rs) == 2 && rs[0] == '十':
		u, ok := digit(rs[1])
		return 10 + u, ok && u > 0
	case len(rs) == 2 && rs[1] == '十':
		t, ok := digit(rs[0])
		return t * 10, ok && t > 0
	case len(rs) == 3 && rs[1] == '十':
		t, ok1 := digit(rs[0])
		u, ok2 := digit(rs[2])
		return t*10 + u, ok1 && ok2 && t > 0 && u > 0
	}
	return 0, false
}

func recurParseEn(raw, s string) (Schedule, error) {
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case ',', '.', ';', '\'', '’', '-', '_':
			return ' '
		}
		return r
	}, s)
	var words []string
	month, week := false, false
	for _, w := range strings.Fields(s) {
		switch {
		case recurEnFiller[w]:
		case recurEnMonthWord[w]:
			month = true
		case recurEnWeekWord[w]:
			week = true
		default:
			words = append(words, w)
		}
	}
	rest := strings.Join(words, " ")
	switch {
	case !month && !week && (recurEnWorkday[rest] || rest == "day" || rest == "days" || rest == "daily"):
		return Schedule{Kind: RecurWorkday}, nil
	case month && len(words) > 1 && (words[0] == "first" || words[0] == "1st") && recurEnWorkday[strings.Join(words[1:], " ")]:
		return Schedule{Kind: RecurFirstWorkday}, nil
	case month && len(words) > 1 && words[0] == "last" && recurEnWorkday[strings.Join(words[1:], " ")]:
		return Schedule{Kind: RecurLastWorkday}, nil
	case month && (rest == "end" || rest == "last day"):
		return Schedule{Kind: RecurLastWorkday}, nil
	}
	if len(words) == 1 && !month {
		w := strings.TrimSuffix(words[0], "s")
		if wd, ok := recurEnWeekdays[w]; ok {
			return Schedule{Kind: RecurWeekly, Weekday: wd}, nil
		}
		if wd, ok := recurEnWeekdays[words[0]]; ok {
			return Schedule{Kind: RecurWeekly, Weekday: wd}, nil
		}
		if week && strings.HasSuffix(w, "day") {
			return Schedule{}, &ScheduleError{Input: raw, Code: ScheduleBadWeekday}
		}
	}
	if m := recurEnDayNumRe.FindStringSubmatch(rest); m != nil && month {
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > 31 {
			return Schedule{}, &ScheduleError{Input: raw, Code: ScheduleBadMonthDay}
		}
		return Schedule{Kind: RecurMonthDay, Day: n}, nil
	}
	return Schedule{}, &ScheduleError{Input: raw, Code: ScheduleUnknown}
}

// recurDay is the civil date y-m-d at noon in loc: a safe anchor for
// calendar questions on any zone, DST included.
func recurDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, loc)
}

// recurPeriodOccurrence returns the occurrence date (at noon) of the week or
// month that contains day, for the schedules with one occurrence per
// period; ok is false when the period has none.
func recurPeriodOccurrence(cal Calendar, s Schedule, day time.Time) (time.Time, bool) {
	y, m, d := day.Date()
	loc := day.Location()
	// latestWorkday returns the latest working day in [from, to], walking
	// back from to.
	latestWorkday := func(from, to time.Time) (time.Time, bool) {
		for t := to; !t.Before(from); t = civilDay(t, -1) {
			if cal.IsWorkday(t) {
				return t, true
			}
		}
		return time.Time{}, false
	}
	switch s.Kind {
	case RecurWeekly:
		monday := recurDay(y, m, d-(int(day.Weekday())+6)%7, loc)
		nominal := civilDay(monday, (int(s.Weekday)+6)%7)
		return latestWorkday(monday, nominal)
	case RecurMonthDay:
		first := recurDay(y, m, 1, loc)
		last := recurDay(y, m+1, 0, loc).Day()
		return latestWorkday(first, recurDay(y, m, min(s.Day, last), loc))
	case RecurLastWorkday:
		return latestWorkday(recurDay(y, m, 1, loc), recurDay(y, m+1, 0, loc))
	case RecurFirstWorkday:
		end := recurDay(y, m+1, 0, loc)
		for t := recurDay(y, m, 1, loc); !t.After(end); t = civilDay(t, 1) {
			if cal.IsWorkday(t) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// IsOccurrence reports whether the civil date of day, in day's own
// Location, is an occurrence date of s.
func IsOccurrence(cal Calendar, s Schedule, day time.Time) bool {
	if cal == nil {
		cal = NewCalendar(nil)
	}
	y, m, d := day.Date()
	day = recurDay(y, m, d, day.Location())
	switch s.Kind {
	case RecurWorkday:
		return cal.IsWorkday(day)
	case RecurWeekly, RecurMonthDay, RecurFirstWorkday, RecurLastWorkday:
		if !s.Valid() {
			return false
		}
		occ, ok := recurPeriodOccurrence(cal, s, day)
		return ok && occ.Day() == d && occ.Month() == m && occ.Year() == y
	}
	return false
}

// maxRecurScan bounds Next's search: every valid schedule occurs within a
// couple of months on any real calendar; a calendar configured with no
// working days at all must not loop forever.
const maxRecurScan = 800

// Next returns the first occurrence of s strictly after after: the group's
// start of the working day (workdayStart; the zero Clock means 09:00) on
// the next occurrence date, in loc (nil = Asia/Shanghai). It returns the
// zero Time when s is invalid or has no occurrence in the next ~2 years.
func Next(cal Calendar, s Schedule, after time.Time, loc *time.Location, workdayStart Clock) time.Time {
	if cal == nil {
		cal = NewCalendar(nil)
	}
	if loc == nil {
		loc = shanghai
	}
	if workdayStart.IsZero() {
		workdayStart = DefaultWorkdayStart
	}
	if !s.Valid() {
		return time.Time{}
	}
	a := after.In(loc)
	y, m, d := a.Date()
	for i := 0; i < maxRecurScan; i++ {
		day := recurDay(y, m, d+i, loc)
		if !IsOccurrence(cal, s, day) {
			continue
		}
		if t := workdayStart.On(day); t.After(after) {
			return t
		}
	}
	return time.Time{}
}

// Occurrences returns the next n occurrences of s strictly after after
// (fewer when Next runs out).
func Occurrences(cal Calendar, s Schedule, after time.Time, n int, loc *time.Location, workdayStart Clock) []time.Time {
	var out []time.Time
	for len(out) < n {
		t := Next(cal, s, after, loc, workdayStart)
		if t.IsZero() {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// OccurrencesBetween returns every occurrence of s in (from, to].
func OccurrencesBetween(cal Calendar, s Schedule, from, to time.Time, loc *time.Location, workdayStart Clock) []time.Time {
	var out []time.Time
	for {
		t := Next(cal, s, from, loc, workdayStart)
		if t.IsZero() || t.After(to) {
			return out
		}
		out = append(out, t)
		from = t
	}
}

// OccurrenceAt returns the occurrence of s on now's civil date in loc,
// when that date is an occurrence date: the start of that working day,
// which may be before or after now.
func OccurrenceAt(cal Calendar, s Schedule, now time.Time, loc *time.Location, workdayStart Clock) (time.Time, bool) {
	if loc == nil {
		loc = shanghai
	}
	if workdayStart.IsZero() {
		workdayStart = DefaultWorkdayStart
	}
	day := now.In(loc)
	if !s.Valid() || !IsOccurrence(cal, s, day) {
		return time.Time{}, false
	}
	return workdayStart.On(day), true
}
