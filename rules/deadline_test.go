package rules

import (
	"errors"
	"testing"
	"time"
)

// thursday is the send time of most cases: Thursday 2026-03-05 10:00.
const thursday = "2026-03-05 10:00"

type deadlineCase struct {
	in   string
	now  string // default thursday
	want string // "2006-01-02 15:04", or "" when code is set
	code Code
}

func runDeadlineCases(t *testing.T, cases []deadlineCase) {
	t.Helper()
	for _, tt := range cases {
		now := tt.now
		if now == "" {
			now = thursday
		}
		got, err := ParseDeadline(tt.in, Options{Now: at(now)})
		if tt.code != "" {
			var e Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Field != FieldDeadline {
				t.Errorf("ParseDeadline(%q) at %s:\n\tgot  %v, %#v\n\twant error %s", tt.in, now, got, err, tt.code)
			}
			continue
		}
		if err != nil || !got.Equal(at(tt.want)) || got.Location() != shanghai {
			t.Errorf("ParseDeadline(%q) at %s:\n\tgot  %v, %v\n\twant %s", tt.in, now, got, err, tt.want)
		}
	}
}

// Every row and example of format.md's deadline table, plus variants.
func TestDeadlineFullDate(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "2026-09-30", want: "2026-09-30 18:00"},
		{in: "2026/9/30", want: "2026-09-30 18:00"},
		{in: "2026.9.30", want: "2026-09-30 18:00"},
		{in: "2026年9月30日", want: "2026-09-30 18:00"},
		{in: "2026年9月30号", want: "2026-09-30 18:00"},
		{in: "2026年09月30日", want: "2026-09-30 18:00"},
		{in: "2026-09-30前", want: "2026-09-30 18:00"},
		{in: "2026-09-30之前", want: "2026-09-30 18:00"},
		{in: "2026-09-30以前", want: "2026-09-30 18:00"},
		{in: "2026-09-30截止", want: "2026-09-30 18:00"},
		{in: "2026-09-30为止", want: "2026-09-30 18:00"},
		{in: "截止2026-09-30", want: "2026-09-30 18:00"},
		{in: "２０２６－０９－３０", want: "2026-09-30 18:00"},
		{in: "二〇二六年九月三十日", want: "2026-09-30 18:00"},
		{in: "2027-01-01", want: "2027-01-01 18:00"},
		{in: "2026-03-05", want: "2026-03-05 18:00"}, // today
		{in: "2026-09-30 17:00", want: "2026-09-30 17:00"},
		{in: "2026年9月30日下午5点", want: "2026-09-30 17:00"},
		{in: "2024-09-30", code: CodePast},
		{in: "2026-03-04", code: CodePast},
		{in: "2026-03-05", now: "2026-03-05 18:30", code: CodePast},
		{in: "2026-02-29", code: CodeBad},
		{in: "2026-13-01", code: CodeBad},
		{in: "2026-09-31", code: CodeBad},
		{in: "2028-02-29", want: "2028-02-29 18:00"},
	})
}

func TestDeadlineMonthDay(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "9月15日", want: "2026-09-15 18:00"},
		{in: "9月15号", want: "2026-09-15 18:00"},
		{in: "9月15", want: "2026-09-15 18:00"},
		{in: "9/15", want: "2026-09-15 18:00"},
		{in: "09-15", want: "2026-09-15 18:00"},
		{in: "9.15", want: "2026-09-15 18:00"},
		{in: "九月十五日", want: "2026-09-15 18:00"},
		{in: "十二月三十一日", want: "2026-12-31 18:00"},
		{in: "十月一号", want: "2026-10-01 18:00"},
		{in: "９月１５日前", want: "2026-09-15 18:00"},
		{in: "9月15日前", want: "2026-09-15 18:00"},
		// On or after today; dates more than recentPastDays ago roll to
		// next year (reference vector 10), recent ones are a slip: past.
		{in: "3月5日", want: "2026-03-05 18:00"},
		{in: "3月4日", code: CodePast},
		{in: "2月19日", code: CodePast},                          // 14 days ago
		{in: "2月18日", want: "2027-02-18 18:00"},                // 15 days ago
		{in: "2月10日", want: "2027-02-10 18:00"},                // 23 days ago
		{in: "9月13日", now: "2026-09-14 10:00", code: CodePast}, // yesterday
		{in: "9/13", now: "2026-09-14 10:00", code: CodePast},
		{in: "09-13", now: "2026-09-14 10:00", code: CodePast},
		{in: "九月十三日前", now: "2026-09-14 10:00", code: CodePast},
		{in: "9月13日 下午5点", now: "2026-09-14 10:00", code: CodePast},
		{in: "9月13日(周日)", now: "2026-09-14 10:00", code: CodePast},
		{in: "9月13日", now: "2026-09-27 10:00", code: CodePast}, // 14 days ago
		{in: "9月13日", now: "2026-09-29 10:00", want: "2027-09-13 18:00"},
		{in: "1/1", now: "2026-12-31 10:00", want: "2027-01-01 18:00"},
		{in: "12/31", now: "2026-12-31 10:00", want: "2026-12-31 18:00"},
		// Across the year end the latest occurrence was last year.
		{in: "12月31日", now: "2027-01-01 09:00", code: CodePast},
		{in: "12月20日", now: "2027-01-10 09:00", want: "2027-12-20 18:00"},
		{in: "2月29日", want: "2028-02-29 18:00"},
		{in: "2月29日", now: "2028-03-01 10:00", code: CodePast},
		// Today's date with its time gone is past, not next year.
		{in: "3月5日", now: "2026-03-05 18:30", code: CodePast},
		{in: "2月30日", code: CodeBad},
		{in: "13月1日", code: CodeBad},
		{in: "9月31日", code: CodeBad},
		{in: "0/5", code: CodeBad},
		// Day of month only.
		{in: "15号", want: "2026-03-15 18:00"},
		{in: "15号前", want: "2026-03-15 18:00"},
		{in: "5号", want: "2026-03-05 18:00"},
		{in: "4号", want: "2026-04-04 18:00"},
		{in: "31号", now: "2026-04-10 10:00", code: CodeBad},
		// A weekday annotation is checked against the date.
		{in: "9月15日(周二)", want: "2026-09-15 18:00"},
		{in: "9月15日（星期二）前", want: "2026-09-15 18:00"},
		{in: "9月15日周二下午3点", want: "2026-09-15 15:00"},
		{in: "9月15日(周三)", code: CodeBad},
	})
}

func TestDeadlineWithTime(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "9月15日17:00", want: "2026-09-15 17:00"},
		{in: "9月15日 下午5点", want: "2026-09-15 17:00"},
		{in: "9月15日17点30分", want: "2026-09-15 17:30"},
		{in: "9月15日 17：30", want: "2026-09-15 17:30"},
		{in: "3月15日17:00前", want: "2026-03-15 17:00"},
		{in: "今天17:00前", want: "2026-03-05 17:00"},
		{in: "今天 17:00", want: "2026-03-05 17:00"},
		{in: "明早9点", want: "2026-03-06 09:00"},
		{in: "明天早上9点", want: "2026-03-06 09:00"},
		{in: "后天上午10点半", want: "2026-03-07 10:30"},
		{in: "明天上午10点一刻", want: "2026-03-06 10:15"},
		{in: "明天上午10点三刻", want: "2026-03-06 10:45"},
		{in: "明天10点整", want: "2026-03-06 10:00"},
		{in: "晚上8点", want: "2026-03-05 20:00"},
		{in: "今晚8点", want: "2026-03-05 20:00"},
		{in: "明晚8点半", want: "2026-03-06 20:30"},
		{in: "晚上12点", want: "2026-03-06 00:00"},
		{in: "下午5点", want: "2026-03-05 17:00"},
		{in: "下午12点", want: "2026-03-05 12:00"},
		{in: "中午12点", want: "2026-03-05 12:00"},
		{in: "明天中午1点", want: "2026-03-06 13:00"},
		{in: "17点", want: "2026-03-05 17:00"},
		{in: "17时", want: "2026-03-05 17:00"},
		{in: "17时30分", want: "2026-03-05 17:30"},
		{in: "17:30", want: "2026-03-05 17:30"},
		{in: "１７：３０", want: "2026-03-05 17:30"},
		{in: "十七点", want: "2026-03-05 17:00"},
		{in: "下午五点半", want: "2026-03-05 17:30"},
		{in: "明天上午", want: "2026-03-06 12:00"},
		{in: "明天中午", want: "2026-03-06 12:00"},
		{in: "明天下午", want: "2026-03-06 18:00"},
		{in: "周五下午3点", want: "2026-03-06 15:00"},
		{in: "24:00", want: "2026-03-06 00:00"},
		{in: "9:00", code: CodePast},
		{in: "今天9点", code: CodePast},
		{in: "25:00", code: CodeBad},
		{in: "17:60", code: CodeBad},
		{in: "24:30", code: CodeBad},
		{in: "上午15点", code: CodeBad},
		{in: "明天25点", code: CodeBad},
	})
}

func TestDeadlineRelativeDay(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "今天", want: "2026-03-05 18:00"},
		{in: "今日", want: "2026-03-05 18:00"},
		{in: "明天", want: "2026-03-06 18:00"},
		{in: "明日", want: "2026-03-06 18:00"},
		{in: "后天", want: "2026-03-07 18:00"},
		{in: "大后天", want: "2026-03-08 18:00"},
		{in: "明天下班前", want: "2026-03-06 18:00"},
		{in: "明天前", want: "2026-03-06 18:00"},
		{in: "今天之内", want: "2026-03-05 18:00"},
		{in: "明天内", want: "2026-03-06 18:00"},
		{in: "今天", now: "2026-03-05 19:00", code: CodePast},
		{in: "昨天", code: CodePast},
		{in: "前天", code: CodePast},
		{in: "明天", now: "2026-12-31 10:00", want: "2027-01-01 18:00"},
	})
}

func TestDeadlineWeekday(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "周五", want: "2026-03-06 18:00"},
		{in: "星期五", want: "2026-03-06 18:00"},
		{in: "礼拜五", want: "2026-03-06 18:00"},
		{in: "周5", want: "2026-03-06 18:00"},
		{in: "周五前", want: "2026-03-06 18:00"},
		{in: "周四", want: "2026-03-05 18:00"}, // today included
		{in: "周三", want: "2026-03-11 18:00"},
		{in: "周一", want: "2026-03-09 18:00"},
		{in: "周日", want: "2026-03-08 18:00"},
		{in: "星期天", want: "2026-03-08 18:00"},
		{in: "星期日", want: "2026-03-08 18:00"},
		{in: "本周五", want: "2026-03-06 18:00"},
		{in: "这周五", want: "2026-03-06 18:00"},
		{in: "本周日", want: "2026-03-08 18:00"}, // weeks start on Monday
		{in: "下周一", want: "2026-03-09 18:00"},
		{in: "下周四", want: "2026-03-12 18:00"},
		{in: "下周日", want: "2026-03-15 18:00"},
		{in: "下个星期二", want: "2026-03-10 18:00"},
		{in: "下下周三", want: "2026-03-18 18:00"},
		// From a Sunday, 下周一 is tomorrow and 本周一 is gone.
		{in: "下周一", now: "2026-03-08 10:00", want: "2026-03-09 18:00"},
		{in: "周一", now: "2026-03-08 10:00", want: "2026-03-09 18:00"},
		{in: "本周日", now: "2026-03-08 10:00", want: "2026-03-08 18:00"},
		{in: "本周三", code: CodePast},
		{in: "上周五", code: CodePast},
		{in: "周四", now: "2026-03-05 19:00", code: CodePast},
		// Across a year end.
		{in: "周五", now: "2026-12-31 10:00", want: "2027-01-01 18:00"},
		{in: "下周一", now: "2026-12-31 10:00", want: "2027-01-04 18:00"},
	})
}

func TestDeadlineDuration(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "30分钟内", want: "2026-03-05 10:30"},
		{in: "15分钟内", want: "2026-03-05 10:15"},
		{in: "30分钟以内", want: "2026-03-05 10:30"},
		{in: "半小时内", want: "2026-03-05 10:30"},
		{in: "一个半小时内", want: "2026-03-05 11:30"},
		{in: "2小时内", want: "2026-03-05 12:00"},
		{in: "两个小时内", want: "2026-03-05 12:00"},
		{in: "24小时内", want: "2026-03-06 10:00"},
		{in: "48小时内", want: "2026-03-07 10:00"},
		{in: "３０分钟内", want: "2026-03-05 10:30"},
		{in: "3天内", want: "2026-03-08 18:00"},
		{in: "三天内", want: "2026-03-08 18:00"},
		{in: "两天内", want: "2026-03-07 18:00"},
		{in: "3日内", want: "2026-03-08 18:00"},
		{in: "十天之内", want: "2026-03-15 18:00"},
		{in: "一周内", want: "2026-03-12 18:00"},
		{in: "两周内", want: "2026-03-19 18:00"},
		{in: "1个月内", want: "2026-04-05 18:00"},
		{in: "1个月内", now: "2026-01-31 10:00", want: "2026-02-28 18:00"},
		{in: "3天内", now: "2026-12-30 10:00", want: "2027-01-02 18:00"},
		{in: "0天内", now: "2026-03-05 19:00", code: CodePast},
		// 前 after a duration means "ago".
		{in: "3天前", code: CodePast},
		{in: "30分钟前", code: CodePast},
		// Decision: half days have no clear end of workday.
		{in: "一天半内", code: CodeBad},
		{in: "半天内", code: CodeBad},
	})
}

func TestDeadlineWorkdays(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "3个工作日内", want: "2026-03-10 18:00"},
		{in: "3个工作日", want: "2026-03-10 18:00"},
		{in: "3工作日内", want: "2026-03-10 18:00"},
		{in: "一个工作日内", want: "2026-03-06 18:00"},
		{in: "五个工作日内", want: "2026-03-12 18:00"},
		{in: "10个工作日内", want: "2026-03-19 18:00"},
		// National Day 2026: 10-01..07 off, 09-20 (Sun) and 10-10 (Sat) on.
		{in: "3个工作日内", now: "2026-09-29 10:00", want: "2026-10-09 18:00"},
		{in: "一个工作日内", now: "2026-09-30 10:00", want: "2026-10-08 18:00"},
		{in: "3个工作日内", now: "2026-09-30 10:00", want: "2026-10-10 18:00"},
		{in: "一个工作日内", now: "2026-09-18 10:00", want: "2026-09-20 18:00"},
		{in: "一个工作日内", now: "2026-10-03 10:00", want: "2026-10-08 18:00"},
		// Spring Festival 2026: 02-15..23 off, 02-14 and 02-28 (Sat) on.
		{in: "一个工作日内", now: "2026-02-13 10:00", want: "2026-02-14 18:00"},
		{in: "2个工作日内", now: "2026-02-13 10:00", want: "2026-02-24 18:00"},
		{in: "3个工作日内", now: "2026-02-12 10:00", want: "2026-02-24 18:00"},
		{in: "一个工作日内", now: "2026-02-27 10:00", want: "2026-02-28 18:00"},
		{in: "3个工作日前", code: CodePast},
		{in: "100000个工作日内", code: CodeBad},
	})
}

func TestDeadlinePeriodEnd(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "月底", want: "2026-03-31 18:00"},
		{in: "月底前", want: "2026-03-31 18:00"},
		{in: "本月底", want: "2026-03-31 18:00"},
		{in: "月末", want: "2026-03-31 18:00"},
		{in: "这个月底", want: "2026-03-31 18:00"},
		{in: "本月内", want: "2026-03-31 18:00"},
		{in: "下月底", want: "2026-04-30 18:00"},
		{in: "下个月底", want: "2026-04-30 18:00"},
		{in: "月底17:00前", want: "2026-03-31 17:00"},
		{in: "9月底", want: "2026-09-30 18:00"},
		// A month end that has just passed is a slip too (recentPastDays).
		{in: "2月底", code: CodePast},
		{in: "1月底", want: "2027-01-31 18:00"},
		{in: "12月底", now: "2027-01-05 10:00", code: CodePast},
		{in: "2027年2月底", want: "2027-02-28 18:00"},
		{in: "2026年13月底", code: CodeBad},
		{in: "年底", want: "2026-12-31 18:00"},
		{in: "月底", now: "2026-02-10 10:00", want: "2026-02-28 18:00"},
		{in: "下月底", now: "2026-01-31 10:00", want: "2026-02-28 18:00"},
		{in: "下月底", now: "2026-12-15 10:00", want: "2027-01-31 18:00"},
		{in: "月底", now: "2026-03-31 19:00", code: CodePast},
		// 本周内: this week's last working day.
		{in: "本周内", want: "2026-03-06 18:00"},
		{in: "这周内", want: "2026-03-06 18:00"},
		{in: "本周", want: "2026-03-06 18:00"},
		{in: "下周内", want: "2026-03-13 18:00"},
		{in: "本周内", now: "2026-10-08 10:00", want: "2026-10-10 18:00"}, // make-up Saturday
		{in: "本周内", now: "2026-09-14 10:00", want: "2026-09-20 18:00"}, // make-up Sunday
		{in: "本周内", now: "2026-09-29 10:00", want: "2026-09-30 18:00"}, // holiday from Thursday
		{in: "本周内", now: "2026-03-06 17:00", want: "2026-03-06 18:00"},
		{in: "本周内", now: "2026-03-06 19:00", code: CodeNoWorkday},
		{in: "本周内", now: "2026-03-07 10:00", code: CodeNoWorkday},
		{in: "本周内", now: "2026-02-16 10:00", code: CodeNoWorkday}, // Spring Festival week
		{in: "本周内", now: "2026-10-10 19:00", code: CodeNoWorkday},
	})
}

func TestDeadlineTimeOnly(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "17:00前", want: "2026-03-05 17:00"},
		{in: "下班前", want: "2026-03-05 18:00"},
		{in: "下班", want: "2026-03-05 18:00"},
		{in: "中午前", want: "2026-03-05 12:00"},
		{in: "上午", want: "2026-03-05 12:00"},
		{in: "中午前", now: "2026-03-05 12:30", code: CodePast},
		{in: "下班前", now: "2026-03-05 18:01", code: CodePast},
	})
}

func TestDeadlineVagueAndBad(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "尽快", code: CodeVague},
		{in: "ASAP", code: CodeVague},
		{in: "asap", code: CodeVague},
		{in: "近期", code: CodeVague},
		{in: "月底前后", code: CodeVague},
		{in: "尽早", code: CodeVague},
		{in: "抓紧", code: CodeVague},
		{in: "马上", code: CodeVague},
		{in: "这两天", code: CodeVague},
		{in: "下周", code: CodeVague},
		{in: "下周左右", code: CodeVague},
		{in: "待定", code: CodeVague},
		{in: "今晚", code: CodeVague},
		{in: "晚上", code: CodeVague},
		{in: "上午10", code: CodeBad},
		{in: "下个版本", code: CodeBad},
		{in: "hello", code: CodeBad},
		{in: "9月", code: CodeBad},
		{in: "周八", code: CodeBad},
		{in: "", code: CodeMissing},
		{in: "   ", code: CodeMissing},
	})
}

func TestDeadlineOptions(t *testing.T) {
	now := at(thursday)
	// EndOfDay moves every date without a time.
	opt := Options{Now: now, EndOfDay: Clock{Hour: 17, Minute: 30}}
	for in, want := range map[string]string{
		"明天": "2026-03-06 17:30", "明天下班前": "2026-03-06 17:30", "3个工作日内": "2026-03-10 17:30",
		"3天内": "2026-03-08 17:30", "月底": "2026-03-31 17:30", "30分钟内": "2026-03-05 10:30",
	} {
		if got, err := ParseDeadline(in, opt); err != nil || !got.Equal(at(want)) {
			t.Errorf("ParseDeadline(%q) with end of day 17:30:\n\tgot  %v, %v\n\twant %s", in, got, err, want)
		}
	}
	// "Today" is the group's today: 20:00 UTC on 03-05 is 04:00 on 03-06
	// in Shanghai.
	utcNow := time.Date(2026, 3, 5, 20, 0, 0, 0, time.UTC)
	if got, err := ParseDeadline("今天", Options{Now: utcNow}); err != nil || !got.Equal(at("2026-03-06 18:00")) {
		t.Errorf("ParseDeadline(今天) at %v:\n\tgot  %v, %v\n\twant 2026-03-06 18:00 +0800", utcNow, got, err)
	}
	// Another zone.
	if got, err := ParseDeadline("明天", Options{Now: utcNow, Loc: time.UTC}); err != nil ||
		!got.Equal(time.Date(2026, 3, 6, 18, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("ParseDeadline(明天) in UTC:\n\tgot  %v, %v\n\twant 2026-03-06 18:00 UTC", got, err)
	}
	// A calendar override changes working-day deadlines.
	ovs := []Override{{Date: "2026-03-06", Name: "公司假日", Off: true}}
	if got, err := ParseDeadline("一个工作日内", Options{Now: now, Calendar: NewCalendar(ovs)}); err != nil || !got.Equal(at("2026-03-09 18:00")) {
		t.Errorf("ParseDeadline(一个工作日内) with 03-06 off:\n\tgot  %v, %v\n\twant 2026-03-09 18:00", got, err)
	}
}

func TestDeadlineDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	now := time.Date(2026, 3, 28, 10, 0, 0, 0, berlin)
	got, err := ParseDeadline("2天内", Options{Now: now, Loc: berlin})
	if want := time.Date(2026, 3, 30, 18, 0, 0, 0, berlin); err != nil || !got.Equal(want) {
		t.Errorf("ParseDeadline(2天内) across DST:\n\tgot  %v, %v\n\twant %v", got, err, want)
	}
	got, err = ParseDeadline("24小时内", Options{Now: now, Loc: berlin})
	if want := now.Add(24 * time.Hour); err != nil || !got.Equal(want) {
		t.Errorf("ParseDeadline(24小时内) across DST:\n\tgot  %v, %v\n\twant %v (exact hours)", got, err, want)
	}
}

func TestDeadlinePrefix(t *testing.T) {
	now := at(thursday)
	tests := []struct {
		in, raw, rest string
		want          string
		code          Code
	}{
		{"9月20日 下午5点 等待接口文档", "9月20日 下午5点", "等待接口文档", "2026-09-20 17:00", ""},
		{"9月20日 等待接口文档", "9月20日", "等待接口文档", "2026-09-20 18:00", ""},
		{"明天下班前", "明天下班前", "", "2026-03-06 18:00", ""},
		{"3个工作日内 设计稿还没给", "3个工作日内", "设计稿还没给", "2026-03-10 18:00", ""},
		{"2026-09-30 17:00 原因 很多", "2026-09-30 17:00", "原因 很多", "2026-09-30 17:00", ""},
		{"下周一 等 后端 接口", "下周一", "等 后端 接口", "2026-03-09 18:00", ""},
		// No whitespace: any character boundary.
		{"9月20日等待接口文档", "9月20日", "等待接口文档", "2026-09-20 18:00", ""},
		// Recognised but unusable: the error, with raw and rest.
		{"2024-09-30 来不及", "2024-09-30", "来不及", "", CodePast},
		{"2月30日 来不及", "2月30日", "来不及", "", CodeBad},
		{"尽快 吧", "", "尽快 吧", "", CodeVague},
		{"等待接口文档", "", "等待接口文档", "", CodeBad},
		{"", "", "", "", CodeMissing},
		// English deadlines and reasons.
		{"Friday 5pm waiting for the API", "Friday 5pm", "waiting for the API", "2026-03-06 17:00", ""},
		{"tomorrow need a maintenance window", "tomorrow", "need a maintenance window", "2026-03-06 18:00", ""},
		{"next Monday 等后端接口", "next Monday", "等后端接口", "2026-03-09 18:00", ""},
		{"within 2 business days blocked on review", "within 2 business days", "blocked on review", "2026-03-09 18:00", ""},
		{"ASAP please", "", "ASAP please", "", CodeVague},
		{"Mar 1 too late", "Mar 1", "too late", "", CodePast},
	}
	for _, tt := range tests {
		raw, due, rest, err := DeadlinePrefix(tt.in, Options{Now: now})
		if tt.code != "" {
			var e Error
			if !errors.As(err, &e) || e.Code != tt.code || raw != tt.raw || rest != tt.rest {
				t.Errorf("DeadlinePrefix(%q):\n\tgot  %q %v %q %v\n\twant %q _ %q error %s", tt.in, raw, due, rest, err, tt.raw, tt.rest, tt.code)
			}
			continue
		}
		if err != nil || raw != tt.raw || rest != tt.rest || !due.Equal(at(tt.want)) {
			t.Errorf("DeadlinePrefix(%q):\n\tgot  %q %v %q %v\n\twant %q %s %q", tt.in, raw, due, rest, err, tt.raw, tt.want, tt.rest)
		}
	}
}
