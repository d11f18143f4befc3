package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"go.yaml.in/yaml/v3"
)

// Calendar answers mainland-China working-day questions. Implementations
// must be safe for concurrent use.
type Calendar interface {
	// IsWorkday reports whether the civil date of t, in t's own Location,
	// is a working day: weekdays, unless a public holiday, and 调休
	// make-up days.
	IsWorkday(t time.Time) bool
	// HasYear reports whether the year's holiday schedule is known, so
	// callers can warn that weekends-only arithmetic is a guess.
	HasYear(year int) bool
	// DayName is "国庆节", "国庆节(调休上班)" or "" for an ordinary day.
	DayName(t time.Time) string
}

// Override is one day of a holiday schedule added in config, because the
// State Council publishes each year's schedule only the November before.
type Override struct {
	Date string // 2027-01-01
	Name string
	Off  bool // true: holiday off; false: 调休 make-up workday
}

// dateKey is a civil date as yyyymmdd, cheap to hash and compare.
type dateKey int32

func keyOf(t time.Time) dateKey {
	y, m, d := t.Date()
	return dateKey(y*10000 + int(m)*100 + d)
}

type dayInfo struct {
	name string
	off  bool
}

type calendar struct {
	days  map[dateKey]dayInfo
	years map[int]bool
}

// builtin is decoded from lunar-go once and never written afterwards; we
// copy its data rather than calling HolidayUtil.Fix, which would mutate
// lunar-go's package state for every user of the library.
var builtin = sync.OnceValue(func() *calendar {
	c := &calendar{days: map[dateKey]dayInfo{}, years: map[int]bool{}}
	// The data starts in late 2001; scanning well past its end means a
	// lunar-go upgrade with a new year needs no code change.
	for y := 2001; y < 2100; y++ {
		for e := HolidayUtil.GetHolidaysByYear(y).Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			d, err := time.Parse(time.DateOnly, h.GetDay())
			if err != nil {
				continue
			}
			c.days[keyOf(d)] = dayInfo{name: h.GetName(), off: !h.IsWork()}
			// A year is known when one of its holidays is: 2001's only
			// entries are make-up days for 2002's New Year.
			if t, err := time.Parse(time.DateOnly, h.GetTarget()); err == nil {
				c.years[t.Year()] = true
			}
		}
	}
	return c
})

// NewCalendar returns the built-in calendar with overrides applied on top;
// an override wins over the built-in day. Invalid override dates are
// skipped: ParseOverrides is where they are reported.
func NewCalendar(overrides []Override) Calendar {
	b := builtin()
	if len(overrides) == 0 {
		return b
	}
	c := &calendar{
		days:  make(map[dateKey]dayInfo, len(b.days)+len(overrides)),
		years: make(map[int]bool, len(b.years)+1),
	}
	for k, v := range b.days {
		c.days[k] = v
	}
	for k, v := range b.years {
		c.years[k] = v
	}
	for _, o := range overrides {
		d, err := time.Parse(time.DateOnly, o.Date)
		if err != nil {
			continue
		}
		c.days[keyOf(d)] = dayInfo{name: o.Name, off: o.Off}
		c.years[d.Year()] = true
	}
	return c
}

func (c *calendar) IsWorkday(t time.Time) bool {
	if d, ok := c.days[keyOf(t)]; ok {
		return !d.off
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func (c *calendar) HasYear(year int) bool { return c.years[year] }

func (c *calendar) DayName(t time.Time) string {
	d, ok := c.days[keyOf(t)]
	if !ok {
		return ""
	}
	if d.off {
		return d.name
	}
	// Operators tend to write "国庆节调休" for make-up days; do not say it twice.
	return strings.TrimSuffix(d.name, "调休") + "(调休上班)"
}

// civilDay steps t's civil date by n days keeping its clock reading, which
// Add(24h) would not do across a DST change.
func civilDay(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+n, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// AddWorkdays returns the date n working days after t's date (t's own date
// is not counted), at t's clock time. A negative n counts backwards; zero
// returns t.
func AddWorkdays(c Calendar, t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for i := 1; n > 0; i++ {
		d := civilDay(t, i*step)
		if c.IsWorkday(d) {
			n--
			if n == 0 {
				return d
			}
		}
	}
	return t
}

// NextWorkday returns the first working day strictly after t's date, at
// t's clock time.
func NextWorkday(c Calendar, t time.Time) time.Time { return AddWorkdays(c, t, 1) }

// WorkdaysBetween counts the working days in (a's date, b's date], each
// date taken in its own Location; negative when b's date is before a's.
func WorkdaysBetween(c Calendar, a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	from := time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)
	to := time.Date(by, bm, bd, 12, 0, 0, 0, time.UTC)
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := civilDay(from, 1); !d.After(to); d = civilDay(d, 1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return sign * n
}

// overrideEntry is one YAML item: a single date or an inclusive range.
type overrideEntry struct {
	Date string `yaml:"date"`
	From string `yaml:"from"`
	To   string `yaml:"to"`
	Name string `yaml:"name"`
	// A pointer, because a forgotten "off" must not silently turn a
	// holiday into a make-up workday.
	Off *bool `yaml:"off"`
}

// maxRangeDays bounds a from/to range; no holiday lasts longer, and a typo
// in a year must not expand into thousands of entries.
const maxRangeDays = 31

// ParseOverrides reads an override file: a YAML list of
// {date, name, off} or {from, to, name, off} entries. Ranges are expanded
// into one Override per day. Errors name the entry index and field.
func ParseOverrides(data []byte) ([]Override, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var entries []overrideEntry
	if err := dec.Decode(&entries); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("holiday overrides: %w", err)
	}
	var out []Override
	seen := map[string]int{}
	for i, e := range entries {
		fail := func(field, format string, args ...any) error {
			return fmt.Errorf("holiday overrides: entry %d: %s: %s", i, field, fmt.Sprintf(format, args...))
		}
		if strings.TrimSpace(e.Name) == "" {
			return nil, fail("name", "missing")
		}
		if e.Off == nil {
			return nil, fail("off", "missing (true for a holiday, false for a 调休 make-up workday)")
		}
		var from, to time.Time
		switch {
		case e.Date != "" && (e.From != "" || e.To != ""):
			return nil, fail("date", "give either date or from/to, not both")
		case e.Date != "":
			d, err := time.Parse(time.DateOnly, e.Date)
			if err != nil {
				return nil, fail("date", "%q is not a YYYY-MM-DD date", e.Date)
			}
			from, to = d, d
		case e.From == "" || e.To == "":
			if e.From == "" && e.To == "" {
				return nil, fail("date", "missing (date, or from and to)")
			}
			if e.From == "" {
				return nil, fail("from", "missing")
			}
			return nil, fail("to", "missing")
		default:
			var err error
			if from, err = time.Parse(time.DateOnly, e.From); err != nil {
				return nil, fail("from", "%q is not a YYYY-MM-DD date", e.From)
			}
			if to, err = time.Parse(time.DateOnly, e.To); err != nil {
				return nil, fail("to", "%q is not a YYYY-MM-DD date", e.To)
			}
			if to.Before(from) {
				return nil, fail("to", "%s is before from %s", e.To, e.From)
			}
			if to.Sub(from) > maxRangeDays*24*time.Hour {
				return nil, fail("to", "range %s..%s is longer than %d days", e.From, e.To, maxRangeDays)
			}
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			ds := d.Format(time.DateOnly)
			if j, ok := seen[ds]; ok && out[j].Off != *e.Off {
				return nil, fail("date", "%s is already listed with off: %t", ds, out[j].Off)
			}
			seen[ds] = len(out)
			out = append(out, Override{Date: ds, Name: strings.TrimSpace(e.Name), Off: *e.Off})
		}
	}
	return out, nil
}
