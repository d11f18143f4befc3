package rules

import (
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics and that its results hold
// together whatever the input.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		now, err := time.Parse(time.RFC3339, v.Now)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v.Msg, now.Unix())
	}
	for _, s := range []string{
		"【需协助】#12 接口文档", "【风险】＃3 原因", "[a-b-c-d]", "【a-b-c-明天", "【a-b-c-明天】【d-e-f-后天】",
		"【a——b——c——下下周三下午5点半】", "【a-b-c-二〇二六年十月一日】", "【a-b-c-3个工作日内】",
		"@x 【紧急】【a-b-c-本周内】 #5 rest", "【a-b-c-9月15日(周二) 17:00前】",
		"【紧急】@赵六 【a-b-c-今天17:00前】", "麻烦 @张三 【a-b-c-明天】", "@张三 请处理 【a/b/c/2026/9/30】",
		"【需协助】 @张三 【a-b-c-明天】", "【a、b、c、9月15日前】", "【a,b,c,Dec 15, 2026】", "【a-b-c-3月1日】",
		"【a-b-review the API doc-Friday 5pm】", "【a-b-c-within 2 business days】", "【a-b-c-end of next month】",
		"Hi all, please 【a｜b｜c｜EOD tomorrow】",
	} {
		f.Add(s, int64(1772676000)) // 2026-03-05 10:00 +08:00
	}
	cal := NewCalendar(nil)
	f.Fuzz(func(t *testing.T, msg string, unix int64) {
		// Keep the send time within years the bot can meet; far-off years
		// only slow the fuzzer down on calendar arithmetic.
		now := time.Unix(1e9+(unix%(2e9)+2e9)%(2e9), 0)
		opt := Options{Now: now, Calendar: cal}
		r := Parse(msg, opt)
		if (r.Kind != KindChat || r.Tags.Assist) && !Recognisable(msg) {
			t.Fatalf("Recognisable(%q) = false, but Parse found kind %v", msg, r.Kind)
		}
		switch r.Kind {
		case KindChat:
			if r.Task != nil || len(r.Errors) > 0 || r.Tags != (Tags{Assist: r.Tags.Assist}) {
				t.Fatalf("Parse(%q): chat with %+v", msg, r)
			}
		case KindTagged:
			if r.Task != nil || len(r.Errors) > 0 {
				t.Fatalf("Parse(%q): tagged with task or errors: %+v", msg, r)
			}
		case KindNearMiss:
			if r.Task != nil || !r.Errors.Has(CodeNearMiss) {
				t.Fatalf("Parse(%q): near miss without its error: %+v", msg, r)
			}
		case KindTask:
			if (len(r.Errors) == 0) != (r.Task != nil) {
				t.Fatalf("Parse(%q): errors %v, task %v", msg, r.Errors, r.Task)
			}
		default:
			t.Fatalf("Parse(%q): kind %v", msg, r.Kind)
		}
		if task := r.Task; task != nil {
			if task.Topic == "" || task.Item == "" || task.Request == "" || task.Deadline == "" {
				t.Fatalf("Parse(%q): empty field in %+v", msg, task)
			}
			if task.Due.Before(now) {
				t.Fatalf("Parse(%q) at %v: due %v is in the past", msg, now, task.Due)
			}
			if task.Due.Location() != shanghai {
				t.Fatalf("Parse(%q): due in %v", msg, task.Due.Location())
			}
			if task.Urgency != Routine && task.Urgency != Important && task.Urgency != Urgent {
				t.Fatalf("Parse(%q): urgency %q", msg, task.Urgency)
			}
			// The deadline as written resolves to the same instant on its own.
			if due, err := ParseDeadline(task.Deadline, opt); err != nil || !due.Equal(task.Due) {
				t.Fatalf("Parse(%q): due %v, but ParseDeadline(%q) = %v, %v", msg, task.Due, task.Deadline, due, err)
			}
		}
		for _, e := range r.Errors {
			if e.Message("zh") == "" || e.Message("en") == "" || e.Code == "" || e.Field == "" {
				t.Fatalf("Parse(%q): error %+v has no message", msg, e)
			}
		}
		if r.Kind == KindTask || r.Kind == KindNearMiss {
			ex := Example(r, "zh")
			if !utf8.ValidString(msg) {
				return // invalid bytes may sit in a kept field and reparse differently
			}
			if er := Parse(ex, opt); er.Kind != KindTask || len(er.Errors) > 0 {
				t.Fatalf("Parse(%q): Example %q does not parse cleanly: %v", msg, ex, er.Errors.Messages("zh"))
			}
		}
	})
}

// FuzzDeadlinePrefix checks DeadlinePrefix's contract on any input.
func FuzzDeadlinePrefix(f *testing.F) {
	for _, s := range []string{"9月20日 下午5点 等待接口文档", "明天下班前", "尽快 吧", "2024-09-30 x", "3个工作日内 原因", "下下周三 10点半"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, shanghai)
	f.Fuzz(func(t *testing.T, s string) {
		raw, due, rest, err := DeadlinePrefix(s, Options{Now: now})
		if err == nil && due.Before(now) {
			t.Fatalf("DeadlinePrefix(%q): due %v before now", s, due)
		}
		if err == nil && raw == "" {
			t.Fatalf("DeadlinePrefix(%q): no error and no deadline", s)
		}
		if len(raw)+len(rest) > len(s) {
			t.Fatalf("DeadlinePrefix(%q) = %q, %q: longer than the input", s, raw, rest)
		}
	})
}
