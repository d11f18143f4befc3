package rules

import "time"

// Reminder intervals are counted in working time: a working day counts in
// full and a weekend or public holiday not at all (a 调休 make-up Saturday
// counts). So "+24 h" after Friday 18:00 is Monday 18:00, and the National
// Day week adds nothing to how overdue a task is. Whole days, rather than
// office hours, keep the seeds' "24 小时" readable as "the next working
// day, same time".

// maxWorkSpan bounds the day walks below; no interval the bot uses comes
// close, and it keeps a bad input from spinning.
const maxWorkSpan = 400

// dayStart is 00:00 of t's civil date in t's Location.
func dayStart(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// AddWorkingTime returns the instant d of working time after t, in loc.
// Starting on a non-working day, the count begins at the next working
// day's midnight.
func AddWorkingTime(cal Calendar, loc *time.Location, t time.Time, d time.Duration) time.Time {
	if loc == nil {
		loc = shanghai
	}
	cur := t.In(loc)
	for range maxWorkSpan {
		next := dayStart(cur).AddDate(0, 0, 1)
		if cal.IsWorkday(cur) {
			if avail := next.Sub(cur); d <= avail {
				return cur.Add(d)
			} else {
				d -= avail
			}
		}
		cur = next
	}
	return cur
}

// WorkingDuration is how much working time lies between a and b (zero when
// b is not after a).
func WorkingDuration(cal Calendar, loc *time.Location, a, b time.Time) time.Duration {
	if loc == nil {
		loc = shanghai
	}
	a, b = a.In(loc), b.In(loc)
	var total time.Duration
	for cur, i := a, 0; cur.Before(b) && i < maxWorkSpan; i++ {
		next := dayStart(cur).AddDate(0, 0, 1)
		end := next
		if b.Before(end) {
			end = b
		}
		if cal.IsWorkday(cur) {
			total += end.Sub(cur)
		}
		cur = next
	}
	return total
}
