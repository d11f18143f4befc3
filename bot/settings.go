package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"collabbot/rules"
	"collabbot/store"
)

// Effective is a group's settings with the global defaults filled in.
type Effective struct {
	Defaults
	Lead   *store.User
	Leaves []store.Leave
	// NudgeDM: the daily nudge goes to each owner by direct message.
	NudgeDM bool
}

// Effective returns g's settings over the defaults.
func (b *Bot) Effective(g *store.Group) Effective { return b.effective(g) }

func (b *Bot) effective(g *store.Group) Effective {
	e := Effective{Defaults: b.def}
	s := g.Settings
	if s.Lang != "" {
		e.Lang = s.Lang
	}
	if s.Timezone != "" {
		if loc, err := time.LoadLocation(s.Timezone); err == nil {
			e.Location = loc
		}
	}
	e.Lead = s.Lead
	e.Leaves = s.Leaves
	setClock(&e.WorkdayStart, s.WorkdayStart)
	setClock(&e.WorkdayEnd, s.WorkdayEnd)
	setClock(&e.DailyNudge, s.DailyNudge)
	if s.WeeklySummary != "" {
		if wd, c, err := ParseWeekly(s.WeeklySummary); err == nil {
			e.WeeklyDay, e.WeeklyAt = wd, c
		}
	}
	if s.NudgeEnabled != nil {
		e.NudgeEnabled = *s.NudgeEnabled
	}
	if s.RequireAcceptance != nil {
		e.RequireAcceptance = *s.RequireAcceptance
	}
	setDur(&e.AckWindow, s.AckWindow)
	setDur(&e.UrgentAck, s.UrgentAck)
	setDur(&e.ImportantAck, s.ImportantAck)
	setDur(&e.HelpReping, s.HelpReping)
	if s.WarnWorkdays != nil {
		e.WarnWorkdays = *s.WarnWorkdays
	}
	setDur(&e.LadderStep, s.LadderStep)
	if s.NudgeScope != nil {
		e.NudgeScope = *s.NudgeScope
	}
	e.NudgeDM = s.NudgeDM != nil && *s.NudgeDM
	return e
}

func setClock(dst *rules.Clock, s string) {
	if s == "" {
		return
	}
	if c, err := ParseClock(s); err == nil {
		*dst = c
	}
}

func setDur(dst *time.Duration, p *time.Duration) {
	if p != nil {
		*dst = *p
	}
}

// Options gives the parser the group's zone, end of workday and calendar.
func (e Effective) parseOptions(now time.Time, cal rules.Calendar) rules.Options {
	return rules.Options{Now: now, Loc: e.Location, EndOfDay: e.WorkdayEnd, Calendar: cal}
}

// ParseClock reads "HH:MM" (also "9:00", full-width digits and colon).
func ParseClock(s string) (rules.Clock, error) {
	s = strings.TrimSpace(toHalfWidth(s))
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		return rules.Clock{}, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return rules.Clock{}, fmt.Errorf("%q is not HH:MM", s)
	}
	return rules.Clock{Hour: hh, Minute: mm}, nil
}

// FormatClock writes c as HH:MM.
func FormatClock(c rules.Clock) string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"周日": time.Sunday, "周一": time.Monday, "周二": time.Tuesday, "周三": time.Wednesday,
	"周四": time.Thursday, "周五": time.Friday, "周六": time.Saturday,
}

// ParseWeekly reads "Mon 10:00" (or "周一 10:00").
func ParseWeekly(s string) (time.Weekday, rules.Clock, error) {
	f := strings.Fields(toHalfWidth(s))
	if len(f) != 2 {
		return 0, rules.Clock{}, fmt.Errorf("%q is not like \"Mon 10:00\"", s)
	}
	name := strings.ToLower(f[0])
	if len(name) > 3 && name[0] < 0x80 {
		name = name[:3]
	}
	wd, ok := weekdayNames[name]
	if !ok {
		return 0, rules.Clock{}, fmt.Errorf("%q: unknown weekday %q", s, f[0])
	}
	c, err := ParseClock(f[1])
	if err != nil {
		return 0, rules.Clock{}, err
	}
	return wd, c, nil
}

// FormatWeekly writes "Mon 10:00".
func FormatWeekly(wd time.Weekday, c rules.Clock) string {
	return wd.String()[:3] + " " + FormatClock(c)
}

// toHalfWidth maps full-width digits, colon and percent to ASCII, because
// Chinese input methods produce them.
func toHalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '：':
			return ':'
		case r == '％':
			return '%'
		case r == '＃':
			return '#'
		case r == '\u3000':
			return ' '
		}
		return r
	}, s)
}

// At returns the instant of clock c on t's date in loc.
func At(t time.Time, c rules.Clock, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), c.Hour, c.Minute, 0, 0, loc)
}
