package rules

import (
	"testing"
	"time"
)

func TestAddWorkingTime(t *testing.T) {
	cal := NewCalendar(nil)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		from string
		add  time.Duration
		want string
	}{
		{"2026-09-29 18:00", 24 * time.Hour, "2026-09-30 18:00"},   // Tue → Wed
		{"2026-09-30 18:00", 24 * time.Hour, "2026-10-08 18:00"},   // National Day week and the weekend skipped
		{"2026-09-30 18:00", 48 * time.Hour, "2026-10-09 18:00"},   //
		{"2026-10-09 18:00", 24 * time.Hour, "2026-10-10 18:00"},   // make-up Saturday counts
		{"2026-10-10 18:00", 24 * time.Hour, "2026-10-12 18:00"},   // Sunday does not
		{"2026-10-02 10:00", time.Hour, "2026-10-08 01:00"},        // starts on a holiday
		{"2026-09-25 09:00", 15 * time.Minute, "2026-09-28 00:15"}, // 中秋 (Fri) and the weekend
		{"2026-09-24 18:00", 0, "2026-09-24 18:00"},                //
		{"2026-09-24 23:30", time.Hour, "2026-09-28 00:30"},        // half an hour left on Thursday
	} {
		got := AddWorkingTime(cal, shanghai, at(c.from), c.add)
		if !got.Equal(at(c.want)) {
			t.Errorf("AddWorkingTime(%s, %v) = %s, want %s", c.from, c.add, got.Format("2006-01-02 15:04"), c.want)
		}
		if back := WorkingDuration(cal, shanghai, at(c.from), got); back != c.add {
			t.Errorf("WorkingDuration(%s, %s) = %v, want %v", c.from, c.want, back, c.add)
		}
	}
	if d := WorkingDuration(cal, shanghai, at("2026-10-01 09:00"), at("2026-10-07 18:00")); d != 0 {
		t.Errorf("the holiday week holds %v of working time", d)
	}
}
