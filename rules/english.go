package rules

import "time"

// English deadlines. They resolve exactly like their Chinese counterparts
// (same calendar, same end of workday for a date without a time):
//
//	today  tomorrow  tmr  the day after tomorrow
//	Friday  Fri  this Friday  next Monday        (周五 本周五 下周一)
//	Dec 15  December 15th, 2026  15 Dec  the numeric and Chinese dates
//	EOD  end of day  COB  noon  midnight  5pm  3:30pm  17:00  at 5 pm
//	tomorrow 5pm  Friday 17:00  5pm tomorrow  EOD Friday
//	in 3 days  3 days  within 48 hours  in 2 hours  48h  half an hour
//	within 2 working days  in 3 business days  2 workdays
//	end of month  EOM  end of week  EOW  this week  end of next week
//	end of next month  end of year  EOY
//
// A leading by, before, due (by), until or no later than means "by then",
// like a trailing 前. Words match case-insensitively (the parser sees
// lower case) and only whole: "mon" is not the start of "month".
//
// The parser runs only on text with ASCII letters and only as a whole, so
// an English request before the deadline ("review the API doc-Friday")
// does not become part of it: "doc-friday" is no deadline.

// word consumes the first of words (lower-case ASCII) found at the
// current position and ending at a word boundary.
func (p *dparser) word(words ...string) (string, bool) {
	if k := p.wordAt(words); k >= 0 {
		return words[k], true
	}
	return "", false
}

// wordAt is word returning the index of the word found, or -1.
func (p *dparser) wordAt(words []string) int {
	p.skipSpace()
	lead := p.lead()
	for k, w := range words {
		if len(w) > 0 && (p.i == p.n || w[0] != lead) {
			continue // most words fail here, without a call
		}
		n, ok := p.match(w)
		if !ok || p.i+n < p.n && isASCIILetter(p.s[p.i+n]) && isASCIILetter(rune(w[len(w)-1])) {
			continue
		}
		p.i += n
		return k
	}
	return -1
}

func (p *dparser) wordOK(words ...string) bool {
	_, ok := p.word(words...)
	return ok
}

// seq consumes the words in order, or nothing.
func (p *dparser) seq(words ...string) bool {
	save := p.i
	for _, w := range words {
		if !p.wordOK(w) {
			p.i = save
			return false
		}
	}
	return true
}

// english parses the English forms above; like the other alternatives it
// leaves eof to the caller, but tries its own alternatives until one
// reaches the end.
func (p *dparser) english() (time.Time, Code, bool) {
	if !p.seq("no", "later", "than") && !p.seq("due", "by") {
		p.word("by", "before", "due", "until", "till")
	}
	return p.firstWhole(p.i, readEDuration, readEWorkdays, readEPeriod, readEDated, readEClockFirst, readETimeOnly)
}

var enNumbers = []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}

// eNum reads a count: digits (or a Chinese numeral), a, an, one … twelve.
func (p *dparser) eNum() (int, bool) {
	if n, _, ok := p.num(6); ok {
		return n, true
	}
	if p.wordOK("a", "an") {
		return 1, true
	}
	if k := p.wordAt(enNumbers); k >= 0 {
		return k + 1, true
	}
	return 0, false
}

// eDuration: in 3 days, within 48 hours, 2 hours, 48h, half an hour,
// in 2 weeks, within a month; 3 days ago is past.
func (p *dparser) eDuration() (time.Time, Code, bool) {
	p.word("within", "in")
	var n int
	var unit string
	if p.wordOK("half") {
		p.word("an", "a")
		if !p.wordOK("hour", "hr") {
			return time.Time{}, "", false
		}
		n, unit = 30, "min"
	} else {
		var ok bool
		if n, ok = p.eNum(); !ok {
			return time.Time{}, "", false
		}
		u, ok := p.word("minutes", "minute", "mins", "min", "hours", "hour", "hrs", "hr", "h",
			"days", "day", "d", "weeks", "week", "wks", "wk", "w", "months", "month")
		if !ok {
			return time.Time{}, "", false
		}
		switch u[0] {
		case 'm':
			unit = "min"
			if u[1] == 'o' {
				unit = "month"
			}
		case 'h':
			unit = "hour"
		case 'd':
			unit = "day"
		case 'w':
			unit = "week"
		}
	}
	p.seq("from", "now")
	if p.wordOK("ago") {
		return time.Time{}, CodePast, true
	}
	switch unit {
	case "min":
		return p.now.Add(time.Duration(n) * time.Minute), "", true
	case "hour":
		return p.now.Add(time.Duration(n) * time.Hour), "", true
	case "day":
		return p.eod(civilDay(p.today, n)), "", true
	case "week":
		return p.eod(civilDay(p.today, 7*n)), "", true
	}
	y, m, day := p.today.Date()
	last := time.Date(y, m+time.Month(n)+1, 0, 0, 0, 0, 0, p.opt.Loc).Day()
	return p.eod(time.Date(y, m+time.Month(n), min(day, last), 0, 0, 0, 0, p.opt.Loc)), "", true
}

// eWorkdays: within 2 working days, in 3 business days, 2 workdays.
func (p *dparser) eWorkdays() (time.Time, Code, bool) {
	p.word("within", "in")
	n, ok := p.eNum()
	if !ok {
		return time.Time{}, "", false
	}
	switch {
	case p.wordOK("working", "business", "work"):
		if !p.wordOK("days", "day") {
			return time.Time{}, "", false
		}
	case p.wordOK("workdays", "workday", "business-days"):
	default:
		return time.Time{}, "", false
	}
	if p.wordOK("ago") {
		return time.Time{}, CodePast, true
	}
	if n > maxWorkdays {
		return time.Time{}, CodeBad, true
	}
	return p.eod(AddWorkdays(p.opt.Calendar, p.today, n)), "", true
}

// ePeriod: end of month (EOM, month end), end of next month, end of week
// (EOW, this week), end of next week, end of year (EOY, year end), with an
// optional time for the month and year ends.
func (p *dparser) ePeriod() (time.Time, Code, bool) {
	const (
		month = iota
		week
		year
	)
	what, next := -1, false
	switch {
	case p.wordOK("eom"):
		what = month
	case p.wordOK("eow"):
		what = week
	case p.wordOK("eoy"):
		what = year
	case p.seq("month", "end") || p.seq("month-end"):
		what = month
	case p.seq("year", "end") || p.seq("year-end"):
		what = year
	case p.seq("this", "week") || p.seq("within", "this", "week"):
		what = week
	default:
		p.word("the")
		if !p.seq("end", "of") {
			return time.Time{}, "", false
		}
		p.word("the")
		if p.wordOK("next") {
			next = true
		} else {
			p.word("this")
		}
		w, ok := p.word("month", "week", "year")
		if !ok {
			return time.Time{}, "", false
		}
		what = map[string]int{"month": month, "week": week, "year": year}[w]
	}
	y, m, _ := p.today.Date()
	switch what {
	case week:
		if next {
			return p.weekEnd(1)
		}
		return p.weekEnd(0)
	case month:
		if next {
			m++
		}
		return p.eWithTime(time.Date(y, m+1, 0, 0, 0, 0, 0, p.opt.Loc))
	}
	if next {
		y++
	}
	return p.eWithTime(time.Date(y, 12, 31, 0, 0, 0, 0, p.opt.Loc))
}

// eDated: a day, then optionally a time: tomorrow 5pm, Friday 17:00,
// Dec 15 at 3:30pm, today EOD.
func (p *dparser) eDated() (time.Time, Code, bool) {
	day, roll, code, ok := p.eDay()
	if !ok {
		return time.Time{}, "", false
	}
	if code != "" {
		p.lit(",")
		if _, _, _, ok := p.eclock(); !ok {
			p.clock()
		}
		return time.Time{}, code, true
	}
	past := false
	if roll {
		day, past = p.roll(day)
	}
	return p.finishRolled(day, past, true, p.eWithTime)
}

// eClockFirst: a time, then the day: 5pm tomorrow, EOD Friday, noon on
// Dec 15.
func (p *dparser) eClockFirst() (time.Time, Code, bool) {
	h, m, code, ok := p.eclock()
	if !ok {
		return time.Time{}, "", false
	}
	p.lit(",")
	p.word("on")
	day, roll, dcode, ok := p.eDay()
	if !ok {
		return time.Time{}, "", false
	}
	if code == "" {
		code = dcode
	}
	if code != "" {
		return time.Time{}, code, true
	}
	if roll {
		var past bool
		if day, past = p.roll(day); past {
			y, mo, d := day.Date()
			p.suggest = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			return time.Time{}, CodePast, true
		}
	}
	return atClock(day, h, m), "", true
}

// eTimeOnly: a time today: EOD, 5pm, noon, this afternoon.
func (p *dparser) eTimeOnly() (time.Time, Code, bool) {
	h, m, code, ok := p.eclock()
	if !ok && p.wordOK("this") {
		h, m, ok = p.ePartOfDay()
	}
	if !ok {
		return time.Time{}, "", false
	}
	if code != "" {
		return time.Time{}, code, true
	}
	return atClock(p.today, h, m), "", true
}

func atClock(day time.Time, h, m int) time.Time {
	y, mo, d := day.Date()
	return time.Date(y, mo, d, h, m, 0, 0, day.Location())
}

// eWithTime finishes an English date: an optional time (English, or the
// Chinese and 24-hour forms of clock), else the end of workday.
func (p *dparser) eWithTime(day time.Time) (time.Time, Code, bool) {
	save := p.i
	p.lit(",")
	h, m, code, ok := p.eclock()
	if !ok {
		h, m, ok = p.ePartOfDay()
	}
	if !ok {
		h, m, code, ok = p.clock()
	}
	if !ok {
		p.i = save
		if p.needClock {
			return time.Time{}, "", false
		}
		return p.eod(day), "", true
	}
	if code != "" {
		return time.Time{}, code, true
	}
	return atClock(day, h, m), "", true
}

// ePartOfDay reads morning (by 12:00) or afternoon (by the end of
// workday), as 上午 and 下午 resolve; evening and tonight stay vague, like
// 晚上 and 今晚.
func (p *dparser) ePartOfDay() (h, m int, ok bool) {
	switch {
	case p.wordOK("morning"):
		return 12, 0, true
	case p.wordOK("afternoon"):
		return p.opt.EndOfDay.Hour, p.opt.EndOfDay.Minute, true
	}
	return 0, 0, false
}

// eclock reads an English time of day: [at|by] 5pm, 5 p.m., 3:30pm,
// 17:00, noon, midnight, EOD, end of (the) day, COB, close of business.
// A bare number is no time.
func (p *dparser) eclock() (h, m int, code Code, ok bool) {
	start := p.i
	p.word("at", "by", "before")
	switch {
	case p.wordOK("noon", "midday"):
		return 12, 0, "", true
	case p.wordOK("midnight"):
		return 24, 0, "", true // the end of that day, like 晚上12点
	case p.wordOK("eod", "cob", "eob", "close-of-business", "end-of-day"),
		p.seq("close", "of", "business"), p.seq("end", "of", "business"),
		p.seq("end", "of", "day"), p.seq("end", "of", "the", "day"),
		p.seq("the", "end", "of", "day"), p.seq("the", "end", "of", "the", "day"):
		p.seq("business", "day")
		return p.opt.EndOfDay.Hour, p.opt.EndOfDay.Minute, "", true
	}
	h, _, okh := p.num(2)
	if !okh {
		p.i = start
		return 0, 0, "", false
	}
	colon := false
	if p.litOK(":") {
		mm, w, ok := p.num(2)
		if !ok || w != 2 {
			p.i = start
			return 0, 0, "", false
		}
		m, colon = mm, true
	}
	ap, hasAP := p.word("am", "pm", "a.m.", "p.m.", "a.m", "p.m")
	switch {
	case hasAP:
		if h < 1 || h > 12 || m > 59 {
			return 0, 0, CodeBad, true
		}
		if ap[0] == 'p' && h != 12 {
			h += 12
		} else if ap[0] == 'a' && h == 12 {
			h = 0
		}
	case colon:
		if h > 24 || m > 59 || (h == 24 && m != 0) {
			return 0, 0, CodeBad, true
		}
	default:
		p.i = start
		return 0, 0, "", false
	}
	return h, m, "", true
}

var (
	enWeekdays = []struct {
		words []string
		wd    int // ISO: Monday 1 … Sunday 7
	}{
		{[]string{"monday", "mon"}, 1},
		{[]string{"tuesday", "tues", "tue"}, 2},
		{[]string{"wednesday", "weds", "wed"}, 3},
		{[]string{"thursday", "thurs", "thur", "thu"}, 4},
		{[]string{"friday", "fri"}, 5},
		{[]string{"saturday", "sat"}, 6},
		{[]string{"sunday", "sun"}, 7},
	}
	enMonths = [][]string{
		{"january", "jan"}, {"february", "feb"}, {"march", "mar"}, {"april", "apr"},
		{"may"}, {"june", "jun"}, {"july", "jul"}, {"august", "aug"},
		{"september", "sept", "sep"}, {"october", "oct"}, {"november", "nov"}, {"december", "dec"},
	}
)

func (p *dparser) eWeekday() (int, bool) {
	for _, w := range enWeekdays {
		if p.wordAt(w.words) >= 0 {
			p.lit(".")
			return w.wd, true
		}
	}
	return 0, false
}

func (p *dparser) eMonth() (int, bool) {
	for i, names := range enMonths {
		if p.wordAt(names) >= 0 {
			p.lit(".")
			return i + 1, true
		}
	}
	return 0, false
}

// eDay reads the date part of an English deadline; roll and code as for
// day, which it falls back to for numeric and Chinese dates.
func (p *dparser) eDay() (day time.Time, roll bool, code Code, ok bool) {
	p.word("on")
	start := p.i
	switch {
	case p.wordOK("today", "tdy"):
		return p.today, false, "", true
	case p.wordOK("tonight"):
		// Only with a time (8pm tonight), like 今晚8点; alone it is vague.
		p.needClock = true
		return p.today, false, "", true
	case p.wordOK("tomorrow", "tmrw", "tmr", "tmw", "tomorow", "tommorow", "tommorrow"):
		return civilDay(p.today, 1), false, "", true
	case p.seq("the", "day", "after", "tomorrow"), p.seq("day", "after", "tomorrow"):
		return civilDay(p.today, 2), false, "", true
	case p.wordOK("yesterday"):
		return civilDay(p.today, -1), false, "", true
	}
	// Friday (next occurrence, today included), this Friday (this week's),
	// next Monday (next week's), last Friday (past).
	weeks, bare := 0, true
	switch {
	case p.seq("this", "coming"), p.wordOK("coming"):
	case p.wordOK("this"):
		bare = false
	case p.wordOK("next"):
		weeks, bare = 1, false
	case p.wordOK("last"):
		weeks, bare = -1, false
	}
	if wd, ok := p.eWeekday(); ok {
		today := isoWeekday(p.today)
		if bare {
			return civilDay(p.today, (wd-today+7)%7), false, "", true
		}
		return civilDay(p.today, wd-today+7*weeks), false, "", true
	}
	p.i = start
	// Dec 15, December 15th 2026; 15 Dec, 15th of December, 2026.
	var m, d int
	if mm, ok := p.eMonth(); ok {
		dd, _, ok := p.num(2)
		if !ok {
			p.i = start
			return time.Time{}, false, "", false
		}
		p.word("st", "nd", "rd", "th")
		m, d = mm, dd
	} else if dd, _, ok := p.num(2); ok {
		p.word("st", "nd", "rd", "th")
		p.word("of")
		mm, ok := p.eMonth()
		if !ok {
			p.i = start
			return p.day()
		}
		m, d = mm, dd
	} else {
		p.i = start
		return p.day()
	}
	at := func(y int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, p.opt.Loc) }
	save := p.i
	p.lit(",")
	if y, w, ok := p.num(4); ok && w == 4 {
		if !validDate(y, m, d) {
			return time.Time{}, false, CodeBad, true
		}
		return at(y), false, "", true
	}
	p.i = save
	if !validDate(2024, m, d) {
		return time.Time{}, false, CodeBad, true
	}
	y := p.today.Year()
	if !validDate(y, m, d) {
		y = 2024 // a leap year, so roll can find the next Feb 29
	}
	return at(y), true, "", true
}
