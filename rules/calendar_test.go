package rules

import (
	"strings"
	"testing"
	"time"
)

// day is a civil date at noon in Shanghai, for calendar tables.
func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

// at is a Shanghai wall-clock time "2006-01-02 15:04".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func TestIsWorkdayBuiltin(t *testing.T) {
	c := NewCalendar(nil)
	tests := []struct {
		date string
		want bool
	}{
		// National Day 2026 and its make-up days.
		{"2026-09-18", true},
		{"2026-09-19", false}, // Saturday
		{"2026-09-20", true},  // Sunday, 调休
		{"2026-09-25", false}, // 中秋节
		{"2026-09-30", true},
		{"2026-10-01", false},
		{"2026-10-04", false},
		{"2026-10-07", false},
		{"2026-10-08", true},
		{"2026-10-09", true},
		{"2026-10-10", true},  // Saturday, 调休
		{"2026-10-11", false}, // Sunday
		// Spring Festival 2026.
		{"2026-02-13", true},
		{"2026-02-14", true}, // Saturday, 调休
		{"2026-02-15", false},
		{"2026-02-17", false},
		{"2026-02-23", false},
		{"2026-02-24", true},
		{"2026-02-28", true}, // Saturday, 调休
		{"2026-03-01", false},
		// Ordinary days.
		{"2026-03-05", true},
		{"2026-03-07", false},
		{"2026-03-08", false},
		// Older data and a year with no schedule: weekends only.
		{"2015-10-01", false},
		{"2030-10-01", true},
		{"2030-10-05", false},
	}
	for _, tt := range tests {
		if got := c.IsWorkday(day(tt.date)); got != tt.want {
			t.Errorf("IsWorkday(%s):\n\tgot  %v\n\twant %v", tt.date, got, tt.want)
		}
	}
}

func TestIsWorkdayUsesOwnLocation(t *testing.T) {
	c := NewCalendar(nil)
	// 2026-10-01 01:00 in Shanghai is still 2026-09-30 in UTC.
	tm := at("2026-10-01 01:00")
	if c.IsWorkday(tm) {
		t.Errorf("IsWorkday(%v): got true, want false (National Day in Shanghai)", tm)
	}
	if !c.IsWorkday(tm.UTC()) {
		t.Errorf("IsWorkday(%v): got false, want true (still 09-30 in UTC)", tm.UTC())
	}
}

func TestDayNameAndHasYear(t *testing.T) {
	c := NewCalendar(nil)
	names := []struct{ date, want string }{
		{"2026-10-01", "国庆节"},
		{"2026-10-10", "国庆节(调休上班)"},
		{"2026-02-14", "春节(调休上班)"},
		{"2026-02-17", "春节"},
		{"2026-03-05", ""},
		{"2026-03-07", ""},
	}
	for _, tt := range names {
		if got := c.DayName(day(tt.date)); got != tt.want {
			t.Errorf("DayName(%s):\n\tgot  %q\n\twant %q", tt.date, got, tt.want)
		}
	}
	years := []struct {
		year int
		want bool
	}{{2001, false}, {2002, true}, {2020, true}, {2026, true}, {2027, false}, {1999, false}}
	for _, tt := range years {
		if got := c.HasYear(tt.year); got != tt.want {
			t.Errorf("HasYear(%d):\n\tgot  %v\n\twant %v", tt.year, got, tt.want)
		}
	}
}

func TestAddWorkdays(t *testing.T) {
	c := NewCalendar(nil)
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-05 10:00", 0, "2026-03-05 10:00"},
		{"2026-03-05 10:00", 1, "2026-03-06 10:00"},
		{"2026-03-05 10:00", 3, "2026-03-10 10:00"},
		{"2026-03-07 10:00", 1, "2026-03-09 10:00"}, // from a Saturday
		{"2026-09-29 10:00", 1, "2026-09-30 10:00"},
		{"2026-09-29 10:00", 2, "2026-10-08 10:00"},
		{"2026-09-29 10:00", 3, "2026-10-09 10:00"},
		{"2026-09-29 10:00", 4, "2026-10-10 10:00"}, // make-up Saturday
		{"2026-09-18 09:30", 1, "2026-09-20 09:30"}, // make-up Sunday
		{"2026-02-13 18:00", 1, "2026-02-14 18:00"},
		{"2026-02-13 18:00", 2, "2026-02-24 18:00"},
		{"2026-02-27 08:00", 1, "2026-02-28 08:00"},
		{"2026-10-08 10:00", -1, "2026-09-30 10:00"},
		{"2026-02-24 10:00", -2, "2026-02-13 10:00"},
	}
	for _, tt := range tests {
		if got := AddWorkdays(c, at(tt.from), tt.n); !got.Equal(at(tt.want)) {
			t.Errorf("AddWorkdays(%s, %d):\n\tgot  %v\n\twant %v", tt.from, tt.n, got, tt.want)
		}
	}
	if got := NextWorkday(c, at("2026-09-30 15:00")); !got.Equal(at("2026-10-08 15:00")) {
		t.Errorf("NextWorkday(2026-09-30 15:00):\n\tgot  %v\n\twant 2026-10-08 15:00", got)
	}
	if got := NextWorkday(c, at("2026-10-09 15:00")); !got.Equal(at("2026-10-10 15:00")) {
		t.Errorf("NextWorkday(2026-10-09 15:00):\n\tgot  %v\n\twant 2026-10-10 15:00", got)
	}
}

func TestAddWorkdaysKeepsClockAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	c := NewCalendar(nil)
	// Europe moves its clocks on Sunday 2026-03-29.
	from := time.Date(2026, 3, 27, 9, 0, 0, 0, berlin)
	got := AddWorkdays(c, from, 1)
	want := time.Date(2026, 3, 30, 9, 0, 0, 0, berlin)
	if !got.Equal(want) || got.Hour() != 9 {
		t.Errorf("AddWorkdays(%v, 1):\n\tgot  %v\n\twant %v", from, got, want)
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := NewCalendar(nil)
	tests := []struct {
		a, b string
		want int
	}{
		{"2026-09-29 10:00", "2026-10-09 18:00", 3},
		{"2026-10-09 18:00", "2026-09-29 10:00", -3},
		{"2026-03-05 10:00", "2026-03-05 23:00", 0},
		{"2026-03-05 10:00", "2026-03-06 01:00", 1},
		// 02-14 (调休), 02-24..27, 02-28 (调休), 03-02.
		{"2026-02-13 10:00", "2026-03-02 10:00", 7},
		{"2026-09-30 10:00", "2026-10-08 09:00", 1},
		{"2026-03-06 10:00", "2026-03-08 10:00", 0},
	}
	for _, tt := range tests {
		if got := WorkdaysBetween(c, at(tt.a), at(tt.b)); got != tt.want {
			t.Errorf("WorkdaysBetween(%s, %s):\n\tgot  %d\n\twant %d", tt.a, tt.b, got, tt.want)
		}
	}
	// AddWorkdays and WorkdaysBetween agree.
	for n := 0; n < 40; n++ {
		from := at("2026-09-10 10:00")
		if got := WorkdaysBetween(c, from, AddWorkdays(c, from, n)); got != n {
			t.Errorf("WorkdaysBetween(from, AddWorkdays(from, %d)):\n\tgot  %d\n\twant %d", n, got, n)
		}
	}
}

const overrides2027 = `
# 2027 schedule
- {date: 2027-01-01, name: 元旦, off: true}
- {from: 2027-10-01, to: 2027-10-07, name: 国庆节, off: true}
- {date: 2027-09-26, name: 国庆节调休, off: false}
- date: "2026-10-08"
  name: 公司假日
  off: true
`

func TestParseOverrides(t *testing.T) {
	ovs, err := ParseOverrides([]byte(overrides2027))
	if err != nil {
		t.Fatalf("ParseOverrides: %v", err)
	}
	if len(ovs) != 1+7+1+1 {
		t.Fatalf("ParseOverrides: got %d overrides, want 10: %+v", len(ovs), ovs)
	}
	if ovs[1] != (Override{Date: "2027-10-01", Name: "国庆节", Off: true}) || ovs[7].Date != "2027-10-07" {
		t.Errorf("range not expanded in order: %+v", ovs[1:8])
	}
	c := NewCalendar(ovs)
	if !c.HasYear(2027) || !c.HasYear(2026) {
		t.Errorf("HasYear: 2027 %v, 2026 %v; want both true", c.HasYear(2027), c.HasYear(2026))
	}
	checks := []struct {
		date string
		want bool
		name string
	}{
		{"2027-01-01", false, "元旦"},
		{"2027-10-01", false, "国庆节"}, // a Friday
		{"2027-10-04", false, "国庆节"}, // a Monday
		{"2027-09-26", true, "国庆节(调休上班)"},
		{"2027-10-08", true, ""},
		{"2026-10-08", false, "公司假日"}, // overrides win over built-in
		{"2026-10-09", true, ""},
		{"2026-10-01", false, "国庆节"}, // built-in kept
	}
	for _, tt := range checks {
		if got := c.IsWorkday(day(tt.date)); got != tt.want {
			t.Errorf("IsWorkday(%s) with overrides:\n\tgot  %v\n\twant %v", tt.date, got, tt.want)
		}
		if got := c.DayName(day(tt.date)); got != tt.name {
			t.Errorf("DayName(%s) with overrides:\n\tgot  %q\n\twant %q", tt.date, got, tt.name)
		}
	}
	// The built-in calendar is shared and must not see the overrides.
	if b := NewCalendar(nil); !b.IsWorkday(day("2026-10-08")) || b.HasYear(2027) {
		t.Error("overrides leaked into the built-in calendar")
	}
	// Working-day arithmetic follows the override.
	if got := AddWorkdays(c, at("2027-09-24 10:00"), 1); !got.Equal(at("2027-09-26 10:00")) {
		t.Errorf("AddWorkdays(2027-09-24, 1) with overrides:\n\tgot  %v\n\twant 2027-09-26 10:00", got)
	}
}

func TestParseOverridesErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"bad date", `- {date: 2027-13-01, name: x, off: true}`, []string{"entry 0", "date", "2027-13-01"}},
		{"bad day", `- {date: 2027-02-30, name: x, off: true}`, []string{"entry 0", "date"}},
		{"not a date", `- {date: tomorrow, name: x, off: true}`, []string{"entry 0", "date", "tomorrow"}},
		{"from after to", "- {date: 2027-01-01, name: a, off: true}\n- {from: 2027-10-07, to: 2027-10-01, name: x, off: true}", []string{"entry 1", "to", "before"}},
		{"date and from", `- {date: 2027-10-01, from: 2027-10-01, to: 2027-10-02, name: x, off: true}`, []string{"entry 0", "not both"}},
		{"from only", `- {from: 2027-10-01, name: x, off: true}`, []string{"entry 0", "to", "missing"}},
		{"to only", `- {to: 2027-10-01, name: x, off: true}`, []string{"entry 0", "from", "missing"}},
		{"no date", `- {name: x, off: true}`, []string{"entry 0", "date", "missing"}},
		{"unknown field", `- {date: 2027-10-01, name: x, off: true, work: false}`, []string{"work"}},
		{"missing off", `- {date: 2027-10-01, name: x}`, []string{"entry 0", "off"}},
		{"missing name", `- {date: 2027-10-01, off: true}`, []string{"entry 0", "name"}},
		{"range too long", `- {from: 2027-01-01, to: 2027-12-31, name: x, off: true}`, []string{"entry 0", "longer"}},
		{"bad from", `- {from: 2027-1-1, to: 2027-01-03, name: x, off: true}`, []string{"entry 0", "from"}},
		{"conflict", "- {date: 2027-10-01, name: x, off: true}\n- {date: 2027-10-01, name: y, off: false}", []string{"entry 1", "2027-10-01"}},
		{"not a list", `date: 2027-10-01`, []string{"holiday overrides"}},
		{"bad off", `- {date: 2027-10-01, name: x, off: maybe}`, []string{"holiday overrides"}},
	}
	for _, tt := range tests {
		_, err := ParseOverrides([]byte(tt.yaml))
		if err == nil {
			t.Errorf("ParseOverrides(%s):\n\tgot  no error\n\twant one mentioning %q", tt.name, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseOverrides(%s):\n\tgot  %v\n\twant it to mention %q", tt.name, err, w)
			}
		}
	}
	for _, empty := range []string{"", "# nothing yet\n", "[]"} {
		ovs, err := ParseOverrides([]byte(empty))
		if err != nil || len(ovs) != 0 {
			t.Errorf("ParseOverrides(%q):\n\tgot  %v, %v\n\twant none, nil", empty, ovs, err)
		}
	}
}
