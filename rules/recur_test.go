package rules

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	fri := Schedule{Kind: RecurWeekly, Weekday: time.Friday}
	wd := Schedule{Kind: RecurWorkday}
	last := Schedule{Kind: RecurLastWorkday}
	first := Schedule{Kind: RecurFirstWorkday}
	for _, c := range []struct {
		in   string
		want Schedule
	}{
		{"每周五", fri},
		{"每星期五", fri},
		{"每个周五", fri},
		{"每逢礼拜五", fri},
		{"周五", fri},
		{" 每週五 ", fri},
		{"每周5", fri},
		{"每周一", Schedule{Kind: RecurWeekly, Weekday: time.Monday}},
		{"每周日", Schedule{Kind: RecurWeekly, Weekday: time.Sunday}},
		{"每周天", Schedule{Kind: RecurWeekly, Weekday: time.Sunday}},
		{"每星期六", Schedule{Kind: RecurWeekly, Weekday: time.Saturday}},
		{"每个工作日", wd},
		{"每工作日", wd},
		{"工作日", wd},
		{"每天", wd},
		{"每日", wd},
		{"每月最后一个工作日", last},
		{"每个月最后一个工作日", last},
		{"每月的最后一个工作日", last},
		{"每月最后一天", last},
		{"每月月底", last},
		{"每月底", last},
		{"每月第一个工作日", first},
		{"每月首个工作日", first},
		{"每月第1个工作日", first},
		{"每月1日", Schedule{Kind: RecurMonthDay, Day: 1}},
		{"每月15号", Schedule{Kind: RecurMonthDay, Day: 15}},
		{"每月１５日", Schedule{Kind: RecurMonthDay, Day: 15}},
		{"每个月十五号", Schedule{Kind: RecurMonthDay, Day: 15}},
		{"每月二十日", Schedule{Kind: RecurMonthDay, Day: 20}},
		{"每月三十一日", Schedule{Kind: RecurMonthDay, Day: 31}},
		{"每月 25 日", Schedule{Kind: RecurMonthDay, Day: 25}},
		{"every Friday", fri},
		{"Fridays", fri},
		{"every fri", fri},
		{"weekly on Friday", fri},
		{"every Monday", Schedule{Kind: RecurWeekly, Weekday: time.Monday}},
		{"every Sunday", Schedule{Kind: RecurWeekly, Weekday: time.Sunday}},
		{"every working day", wd},
		{"Every workday", wd},
		{"every weekday", wd},
		{"every business day", wd},
		{"daily", wd},
		{"every day", wd},
		{"last working day of the month", last},
		{"the last working day of every month", last},
		{"end of the month", last},
		{"first working day of the month", first},
		{"1st workday of each month", first},
		{"the 15th of every month", Schedule{Kind: RecurMonthDay, Day: 15}},
		{"monthly on the 1st", Schedule{Kind: RecurMonthDay, Day: 1}},
		{"every month on the 31st", Schedule{Kind: RecurMonthDay, Day: 31}},
		{"day 2 of each month", Schedule{Kind: RecurMonthDay, Day: 2}},
	} {
		got, err := ParseSchedule(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSchedule(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		back, err := ParseScheduleSpec(got.String())
		if err != nil || back != got {
			t.Errorf("spec round trip of %q: %q → %+v, %v", c.in, got.String(), back, err)
		}
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, c := range []struct {
		in     string
		code   ScheduleCode
		zh, en string // substrings of the messages
	}{
		{"", ScheduleMissing, "缺少重复周期", "missing the schedule"},
		{"  ", ScheduleMissing, "每个工作日", "every working day"},
		{"每周八", ScheduleBadWeekday, "“每周八”不是有效的星期", "not a day of the week"},
		{"每周末", ScheduleBadWeekday, "不是有效的星期", "Monday to Sunday"},
		{"每月32日", ScheduleBadMonthDay, "1 到 31", "1 to 31"},
		{"每月0号", ScheduleBadMonthDay, "每月0号", "1 to 31"},
		{"the 40th of every month", ScheduleBadMonthDay, "1 到 31", "must be 1 to 31"},
		{"尽快", ScheduleUnknown, "无法识别重复周期“尽快”", "not understood"},
		{"每两周", ScheduleUnknown, "每月最后一个工作日", "last working day of the month"},
		{"每月第二个工作日", ScheduleUnknown, "无法识别", "not understood"},
		{"每年", ScheduleUnknown, "无法识别", "not understood"},
		{"every fortnight", ScheduleUnknown, "无法识别", "every Friday"},
		{"first friday of the month", ScheduleUnknown, "无法识别", "not understood"},
		{"every week on Funday", ScheduleBadWeekday, "不是有效的星期", "not a day of the week"},
		{"monthly", ScheduleUnknown, "无法识别", "not understood"},
	} {
		_, err := ParseSchedule(c.in)
		var se *ScheduleError
		if !errors.As(err, &se) || se.Code != c.code {
			t.Errorf("ParseSchedule(%q) error = %v, want code %s", c.in, err, c.code)
			continue
		}
		if zh := se.Message("zh"); !strings.Contains(zh, c.zh) {
			t.Errorf("ParseSchedule(%q) zh message %q lacks %q", c.in, zh, c.zh)
		}
		if en := se.Message("en"); !strings.Contains(en, c.en) {
			t.Errorf("ParseSchedule(%q) en message %q lacks %q", c.in, en, c.en)
		}
		if err.Error() != se.Message("zh") {
			t.Errorf("Error() is not the Chinese message: %q", err.Error())
		}
	}
}

func TestParseScheduleSpecRejects(t *testing.T) {
	for _, spec := range []string{"", "weekly", "weekly:9", "monthday:0", "monthday:x", "workday:3", "yearly"} {
		if s, err := ParseScheduleSpec(spec); err == nil {
			t.Errorf("ParseScheduleSpec(%q) = %+v, want an error", spec, s)
		}
	}
}

func TestScheduleDescribe(t *testing.T) {
	for _, c := range []struct {
		phrase, zh, en string
	}{
		{"每周五", "每周五", "every Friday"},
		{"每周日", "每周日", "every Sunday"},
		{"每个工作日", "每个工作日", "every working day"},
		{"每月1日", "每月1日", "the 1st of every month"},
		{"每月22日", "每月22日", "the 22nd of every month"},
		{"每月13日", "每月13日", "the 13th of every month"},
		{"每月第一个工作日", "每月第一个工作日", "first working day of the month"},
		{"每月最后一个工作日", "每月最后一个工作日", "last working day of the month"},
	} {
		s, err := ParseSchedule(c.phrase)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Describe("zh"); got != c.zh {
			t.Errorf("%s zh = %q, want %q", c.phrase, got, c.zh)
		}
		if got := s.Describe("en"); got != c.en {
			t.Errorf("%s en = %q, want %q", c.phrase, got, c.en)
		}
	}
}

func recurDates(ts []time.Time) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Format("01-02"))
	}
	return strings.Join(out, " ")
}

// TestRecurNationalDay2026 pins the creation dates over September and
// October 2026 with the built-in calendar: 中秋节 Friday 09-25 off, 调休
// Sunday 09-20 on, 国庆节 10-01..10-07 off, 调休 Saturday 10-10 on.
func TestRecurNationalDay2026(t *testing.T) {
	cal := NewCalendar(nil)
	from := time.Date(2026, 8, 31, 18, 0, 0, 0, shanghai)
	to := time.Date(2026, 10, 31, 23, 59, 0, 0, shanghai)
	for _, c := range []struct {
		phrase, want string
	}{
		// 09-25 (中秋) moves to Thursday 09-24; 10-02 (国庆) to Wednesday
		// 09-30, the week's last working day before it.
		{"每周五", "09-04 09-11 09-18 09-24 09-30 10-09 10-16 10-23 10-30"},
		// Sunday 09-20 and Saturday 10-10 are 调休 workdays; 09-25 and
		// 10-01..10-07 are holidays.
		{"每个工作日", "09-01 09-02 09-03 09-04 09-07 09-08 09-09 09-10 09-11 09-14 09-15 09-16 09-17 09-18 09-20 " +
			"09-21 09-22 09-23 09-24 09-28 09-29 09-30 10-08 10-09 10-10 10-12 10-13 10-14 10-15 10-16 " +
			"10-19 10-20 10-21 10-22 10-23 10-26 10-27 10-28 10-29 10-30"},
		// October 31 is a Saturday.
		{"每月最后一个工作日", "09-30 10-30"},
		{"每月第一个工作日", "09-01 10-08"},
		// October 1 is a holiday with no earlier working day in October:
		// that month is skipped.
		{"每月1日", "09-01"},
		// Monday 10-05 is a holiday, the first day of its week: skipped.
		{"每周一", "09-07 09-14 09-21 09-28 10-12 10-19 10-26"},
		// Sunday 09-20 and Saturday 10-10 are workdays and kept;
		// otherwise Sunday moves back to the week's last working day.
		{"每周日", "09-04 09-11 09-20 09-24 09-30 10-10 10-16 10-23 10-30"},
		// September has no 31st: its last day, a Wednesday, is used.
		{"每月31日", "09-30 10-30"},
		{"每月15日", "09-15 10-15"},
	} {
		s, err := ParseSchedule(c.phrase)
		if err != nil {
			t.Fatal(err)
		}
		got := OccurrencesBetween(cal, s, from, to, shanghai, Clock{Hour: 9})
		if d := recurDates(got); d != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.phrase, d, c.want)
		}
		for _, o := range got {
			if o.Hour() != 9 || o.Minute() != 0 || o.Location() != shanghai {
				t.Errorf("%s: occurrence %v is not 09:00 in Shanghai", c.phrase, o)
			}
			if !cal.IsWorkday(o) {
				t.Errorf("%s: occurrence %v is not a working day", c.phrase, o)
			}
		}
	}
}

func TestNextIsStrictlyAfterAndUsesWorkdayStart(t *testing.T) {
	cal := NewCalendar(nil)
	fri, _ := ParseSchedule("每周五")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		after string
		start Clock
		want  string
	}{
		{"2026-10-09 08:59", Clock{Hour: 9}, "2026-10-09 09:00"},
		{"2026-10-09 09:00", Clock{Hour: 9}, "2026-10-16 09:00"},
		{"2026-10-09 09:00", Clock{}, "2026-10-16 09:00"}, // zero = 09:00
		{"2026-10-09 09:00", Clock{Hour: 9, Minute: 30}, "2026-10-09 09:30"},
		// Created on Thursday 09-24 after 09:00: that week's occurrence
		// (moved to 09-24) has passed; the next is 09-30.
		{"2026-09-24 10:00", Clock{Hour: 9}, "2026-09-30 09:00"},
		{"2026-09-24 08:00", Clock{Hour: 9}, "2026-09-24 09:00"},
	} {
		got := Next(cal, fri, at(c.after), shanghai, c.start)
		if want := at(c.want); !got.Equal(want) {
			t.Errorf("Next(每周五, %s, %v) = %v, want %v", c.after, c.start, got, want)
		}
	}
	// A UTC instant is read in the group's zone: 2026-10-09 00:30 UTC is
	// already 08:30 on Friday in Shanghai.
	if got := Next(cal, fri, time.Date(2026, 10, 9, 0, 30, 0, 0, time.UTC), shanghai, Clock{Hour: 9}); !got.Equal(at("2026-10-09 09:00")) {
		t.Errorf("Next from UTC = %v", got)
	}
	if got := Next(cal, Schedule{Kind: "yearly"}, at("2026-10-09 09:00"), shanghai, Clock{}); !got.IsZero() {
		t.Errorf("Next of an invalid schedule = %v, want zero", got)
	}
	if got := Occurrences(cal, fri, at("2026-09-21 10:00"), 3, shanghai, Clock{Hour: 9}); recurDates(got) != "09-24 09-30 10-09" {
		t.Errorf("Occurrences = %s", recurDates(got))
	}
}

func TestOccurrenceAt(t *testing.T) {
	cal := NewCalendar(nil)
	wd, _ := ParseSchedule("每个工作日")
	sat := time.Date(2026, 10, 10, 8, 0, 0, 0, shanghai) // 调休 Saturday
	occ, ok := OccurrenceAt(cal, wd, sat, shanghai, Clock{Hour: 9})
	if !ok || !occ.Equal(time.Date(2026, 10, 10, 9, 0, 0, 0, shanghai)) {
		t.Errorf("OccurrenceAt(调休 Saturday) = %v, %v", occ, ok)
	}
	if _, ok := OccurrenceAt(cal, wd, time.Date(2026, 10, 3, 12, 0, 0, 0, shanghai), shanghai, Clock{}); ok {
		t.Error("OccurrenceAt(国庆节) = ok, want none")
	}
}

// TestRecurWithOverrides: a calendar extended in config moves occurrences
// the same way as the built-in one.
func TestRecurWithOverrides(t *testing.T) {
	cal := NewCalendar([]Override{{Date: "2027-01-01", Name: "元旦", Off: true}})
	fri, _ := ParseSchedule("every Friday")
	got := Next(cal, fri, time.Date(2026, 12, 28, 10, 0, 0, 0, shanghai), shanghai, Clock{Hour: 9})
	if want := time.Date(2026, 12, 31, 9, 0, 0, 0, shanghai); !got.Equal(want) {
		t.Errorf("every Friday over 元旦 2027 = %v, want %v", got, want)
	}
}
