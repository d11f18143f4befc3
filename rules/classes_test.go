package rules

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Messages people plainly meant as tasks: tags and mentions in any order
// before the bracket, and a few polite words.
func TestLeadIn(t *testing.T) {
	tests := []struct {
		msg     string
		request string // "" = chat
		tags    Tags
	}{
		{"【紧急】@赵六 【线上故障-支付失败-排查支付回调超时-今天17:00前】", "排查支付回调超时", Tags{Urgent: true}},
		{"【重要】 @赵六 @钱七 【a-b-c-明天】", "c", Tags{Important: true}},
		{"@赵六 【紧急】 @钱七 【a-b-c-明天】", "c", Tags{Urgent: true}},
		{"[紧急] @赵六 【a-b-c-明天】", "c", Tags{Urgent: true}},
		{"麻烦 @张三 【a-b-c-明天】", "c", Tags{}},
		{"@张三 请处理 【a-b-c-明天】", "c", Tags{}},
		{"@张三 请处理一下：【a-b-c-明天】", "c", Tags{}},
		{"请 @李四 【a-b-c-明天】", "c", Tags{}},
		{"辛苦 【a-b-c-明天】", "c", Tags{}},
		{"辛苦了，【a-b-c-明天】", "c", Tags{}},
		{"麻烦大家帮忙处理一下 【a-b-c-明天】", "c", Tags{}},
		{"@张三 麻烦跟进 【紧急】【a-b-c-明天】", "c", Tags{Urgent: true}},
		{"请 【紧急】 @张三 【a-b-c-明天】", "c", Tags{Urgent: true}},
		{"/task 麻烦 【a-b-c-明天】", "c", Tags{}},
		{"Please @Zhang 【a-b-c-tomorrow】", "c", Tags{}},
		{"hi all, pls 【a-b-c-明天】", "c", Tags{}},
		{"@Zhang kindly 【a-b-c-Friday】", "c", Tags{}},
		// Chat that merely contains a bracket, or words that are not a lead-in.
		{"今天会上讨论了【产品研发-需求确认-需前端提供技术评估方案-9月15日前】这个事情，大家怎么看", "", Tags{}},
		{"明天【A-B-C-D】", "", Tags{}},
		{"讨论了【a-b-c-明天】", "", Tags{}},
		{"请看【a-b-c-明天】", "", Tags{}},
		{"请问这个【a-b-c-明天】怎么弄", "", Tags{}},
		{"pleased 【a-b-c-明天】", "", Tags{}},
		{"please please please 【a-b-c-明天】", "", Tags{}}, // over maxLeadRunes
		{"@张三 你看下这个【a-b-c-明天】", "", Tags{}},
		// Polite words need a task-shaped bracket, and only before 【.
		{"麻烦 【通知】", "", Tags{}},
		{"请 [a-b-c-明天]", "", Tags{}},
	}
	opt := Options{Now: at(thursday)}
	for _, tt := range tests {
		r := Parse(tt.msg, opt)
		rec := Recognisable(tt.msg)
		if tt.request == "" {
			if r.Kind != KindChat || rec {
				t.Errorf("Parse(%q):\n\tgot  %v (recognisable %v) errors %v\n\twant chat", tt.msg, r.Kind, rec, r.Errors.Messages("zh"))
			}
			continue
		}
		if r.Kind != KindTask || r.Task == nil || r.Task.Request != tt.request || r.Tags != tt.tags || !rec {
			t.Errorf("Parse(%q):\n\tgot  %v %+v %+v errors %v (recognisable %v)\n\twant a task with request %q, tags %+v",
				tt.msg, r.Kind, r.Tags, r.Task, r.Errors.Messages("zh"), rec, tt.request, tt.tags)
		}
	}
	// Polite words before a tag-only message leave it as it was.
	for _, tt := range []struct {
		msg  string
		kind Kind
		rest string
	}{
		{"【重要】 请大家注意", KindTagged, "请大家注意"},
		{"【需协助】 @张三 #12 接口文档", KindTagged, "@张三 #12 接口文档"},
		{"麻烦 【需协助】#12 接口文档", KindChat, ""},
	} {
		if r := Parse(tt.msg, opt); r.Kind != tt.kind || r.Rest != tt.rest {
			t.Errorf("Parse(%q):\n\tgot  %v rest %q\n\twant %v rest %q", tt.msg, r.Kind, r.Rest, tt.kind, tt.rest)
		}
	}
}

// 【需协助】 before a new task: the task, with its help flag.
func TestAssistWithNewTask(t *testing.T) {
	for _, msg := range []string{
		"【需协助】 @张三 【数据-清洗-清洗三月数据-明天】",
		"@张三 【需协助】【数据-清洗-清洗三月数据-明天】",
		"【需协助】【紧急】@张三 【数据-清洗-清洗三月数据-明天】",
		"@张三 【数据-清洗-清洗三月数据-明天】【需协助】",
		"麻烦 【需要协助】 @张三 【数据-清洗-清洗三月数据-明天】",
		"【需协助】 @张三 【数据-清洗-清洗三月数据-tomorrow】",
	} {
		r := Parse(msg, Options{Now: at(thursday)})
		if r.Kind != KindTask || r.Task == nil || !r.Tags.Assist || r.Task.Request != "清洗三月数据" ||
			!r.Task.Due.Equal(at("2026-03-06 18:00")) || !Recognisable(msg) {
			t.Errorf("Parse(%q):\n\tgot  %v %+v %+v %v\n\twant a task with Assist", msg, r.Kind, r.Tags, r.Task, r.Errors.Messages("zh"))
		}
	}
}

// Fields joined with the wrong character: named in the error, and the
// example has the same fields joined with "-".
func TestWrongSeparator(t *testing.T) {
	tests := []struct {
		msg, sep, example string
		more              []string // further error codes after the separator's
	}{
		{"【产品研发/需求确认/需前端提供技术评估方案/9月15日前】", "/", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【产品研发、需求确认、需前端提供技术评估方案、9月15日前】", "、", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【产品研发|需求确认|需前端提供技术评估方案|9月15日前】", "|", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【产品研发｜需求确认｜需前端提供技术评估方案｜9月15日前】", "｜", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【产品研发，需求确认，需前端提供技术评估方案，9月15日前】", "，", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【产品研发,需求确认,需前端提供技术评估方案,9月15日前】", ",", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【产品研发_需求确认_需前端提供技术评估方案_9月15日前】", "_", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【产品研发／需求确认／需前端提供技术评估方案／9月15日前】", "／", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		{"【 产品研发 / 需求确认 / 需前端提供技术评估方案 / 9月15日前 】", "/", "【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", nil},
		// Slashes and dashes in the deadline: the longest valid suffix.
		{"【产品研发/需求确认/需前端提供技术评估方案/2026/9/30】", "/", "【产品研发-需求确认-需前端提供技术评估方案-2026/9/30】", nil},
		{"【产品研发/需求确认/需前端提供技术评估方案/9/30前】", "/", "【产品研发-需求确认-需前端提供技术评估方案-9/30前】", nil},
		{"【产品研发/需求确认/需前端提供技术评估方案/2026-09-30】", "/", "【产品研发-需求确认-需前端提供技术评估方案-2026-09-30】", nil},
		{"【产品研发/需求确认/提供A-B方案/2026-09-30】", "/", "【产品研发-需求确认-提供A-B方案-2026-09-30】", nil},
		{"【产品研发/需求确认/提供A/B两套方案/明天】", "/", "【产品研发-需求确认-提供A/B两套方案-明天】", nil},
		{"【产品研发,需求确认,review the doc,Dec 15, 2026】", ",", "【产品研发-需求确认-review the doc-Dec 15, 2026】", nil},
		// Other problems are reported too, and fixed in the example.
		{"【产品研发/需求确认/需前端提供技术评估方案/尽快】", "/", "【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】", []string{"deadline:vague_deadline"}},
		{"【产品研发//需前端提供技术评估方案/明天】", "/", "【产品研发-事项-需前端提供技术评估方案-明天】", []string{"item:empty_field"}},
		{"【紧急】@张三 【产品研发、需求确认、提供方案、下个版本】", "、", "【紧急】【产品研发-需求确认-提供方案-3个工作日内】", []string{"deadline:bad_deadline"}},
	}
	opt := Options{Now: at(thursday)}
	for _, tt := range tests {
		r := Parse(tt.msg, opt)
		want := append([]string{"format:wrong_separator"}, tt.more...)
		if got := codes(r.Errors); r.Kind != KindTask || r.Task != nil || !slices.Equal(got, want) {
			t.Errorf("Parse(%q):\n\tgot  %v %v task %v\n\twant task kind, %v, nothing created", tt.msg, r.Kind, got, r.Task, want)
			continue
		}
		if r.Errors[0].Input != tt.sep {
			t.Errorf("Parse(%q): separator %q, want %q", tt.msg, r.Errors[0].Input, tt.sep)
		}
		for _, lang := range []string{"zh", "en"} {
			m := r.Errors[0].Message(lang)
			if !strings.Contains(m, "“"+tt.sep+"”") && !strings.Contains(m, `"`+tt.sep+`"`) || !strings.Contains(m, "-") {
				t.Errorf("Parse(%q): Message(%s) = %q, want it to name %q and -", tt.msg, lang, m, tt.sep)
			}
		}
		if got := Example(r, "zh"); got != tt.example {
			t.Errorf("Example(Parse(%q)):\n\tgot  %s\n\twant %s", tt.msg, got, tt.example)
		}
		if ex := Parse(Example(r, "zh"), opt); ex.Task == nil {
			t.Errorf("Parse(Example(%q)) = %v, want a task", tt.msg, ex.Errors.Messages("zh"))
		}
	}
	// Not near misses: a real task with slashes inside its fields, too few
	// wrong separators, or a dash in the topic.
	for _, tt := range []struct {
		msg  string
		want []string
	}{
		{"【产品/研发-需求/确认-提供A/B/C方案-明天】", nil},
		{"【A/B/C/D-事项-需求-明天】", nil},
		{"【产品研发-需求确认-提供方案/文档/图片/视频-尽快】", []string{"deadline:vague_deadline"}},
		{"【产品研发/需求确认/提供方案】", []string{"item:missing_field", "request:missing_field", "deadline:missing_field"}},
		{"【产品-研发/需求确认/提供方案/明天】", []string{"request:missing_field", "deadline:missing_field"}},
	} {
		if got := codes(Parse(tt.msg, opt).Errors); !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q):\n\tgot  %v\n\twant %v", tt.msg, got, tt.want)
		}
	}
}

// A month/day that has just passed is an error that suggests the full
// date; one long past is next year's (reference vector 10).
func TestRecentPastDeadline(t *testing.T) {
	tests := []struct {
		msg, now, suggest, due string
	}{
		{"【a-b-c-9月13日】", "2026-09-14 10:00", "2027年9月13日", ""},
		{"【a-b-c-9月13日前】", "2026-09-20 10:00", "2027年9月13日", ""},
		{"【a-b-c-9/13 17:00】", "2026-09-14 10:00", "2027年9月13日 17:00", ""},
		{"【a-b-c-九月十三日下午5点】", "2026-09-14 10:00", "2027年9月13日 下午5点", ""},
		{"【a-b-c-12月31日】", "2027-01-01 10:00", "2027年12月31日", ""},
		{"【a-b-c-8月底】", "2026-09-03 10:00", "2027年8月底", ""},
		{"【a-b-c-Sep 13】", "2026-09-14 10:00", "2027-09-13", ""},
		{"【a-b-c-by September 13th 5pm】", "2026-09-14 10:00", "2027-09-13 5pm", ""},
		{"【a-b-c-5pm Sep 13】", "2026-09-14 10:00", "2027-09-13", ""},
		{"【a-b-c-9月13日】", "2026-09-30 10:00", "", "2027-09-13 18:00"},
		{"【a-b-c-2月10日】", "2026-03-05 10:00", "", "2027-02-10 18:00"},
		{"【a-b-c-Feb 10】", "2026-03-05 10:00", "", "2027-02-10 18:00"},
	}
	for _, tt := range tests {
		opt := Options{Now: at(tt.now)}
		r := Parse(tt.msg, opt)
		if tt.due != "" {
			if r.Task == nil || !r.Task.Due.Equal(at(tt.due)) {
				t.Errorf("Parse(%q) at %s:\n\tgot  %+v %v\n\twant due %s", tt.msg, tt.now, r.Task, r.Errors.Messages("zh"), tt.due)
			}
			continue
		}
		if got := codes(r.Errors); r.Task != nil || !slices.Equal(got, []string{"deadline:past_deadline"}) {
			t.Errorf("Parse(%q) at %s:\n\tgot  %v %+v\n\twant past_deadline", tt.msg, tt.now, got, r.Task)
			continue
		}
		e := r.Errors[0]
		if e.Suggest != tt.suggest {
			t.Errorf("Parse(%q) at %s: suggest\n\tgot  %q\n\twant %q", tt.msg, tt.now, e.Suggest, tt.suggest)
		}
		if _, err := ParseDeadline(e.Suggest, opt); err != nil {
			t.Errorf("Parse(%q): the suggestion %q does not parse: %v", tt.msg, e.Suggest, err)
		}
		year := tt.suggest[:4]
		for lang, want := range map[string][]string{
			"zh": {"已过", e.Input, tt.suggest, year + "年"},
			"en": {"passed", e.Input, tt.suggest, "in " + year},
		} {
			m := e.Message(lang)
			for _, w := range want {
				if !strings.Contains(m, w) {
					t.Errorf("Parse(%q): Message(%s) = %q, want it to contain %q", tt.msg, lang, m, w)
				}
			}
		}
		// ParseDeadline and DeadlinePrefix (the /delay command) say the same.
		_, err := ParseDeadline(e.Input, opt)
		if pe, ok := err.(Error); !ok || pe.Code != CodePast || pe.Suggest != tt.suggest {
			t.Errorf("ParseDeadline(%q) at %s = %#v, want past with suggestion %q", e.Input, tt.now, err, tt.suggest)
		}
		_, _, _, err = DeadlinePrefix(e.Input+" 等待接口", opt)
		if pe, ok := err.(Error); !ok || pe.Code != CodePast || pe.Suggest != tt.suggest {
			t.Errorf("DeadlinePrefix(%q) at %s = %#v, want past with suggestion %q", e.Input, tt.now, err, tt.suggest)
		}
	}
	// Without a suggestion the message is as before.
	if got := (Error{Field: FieldDeadline, Input: "2024-09-30", Code: CodePast}).Message("zh"); got != "截止时间“2024-09-30”已过" {
		t.Errorf("plain past message changed: %s", got)
	}
}

// Each field, and the message as a whole, is bounded; the error names the
// field and the limit and does not echo the text in full.
func TestFieldBounds(t *testing.T) {
	opt := Options{Now: at(thursday)}
	long := func(n int) string { return strings.Repeat("长", n) }
	tests := []struct {
		msg   string
		field Field
		limit int
		zh    string // the field's name in the Chinese message
	}{
		{"【" + long(41) + "-b-c-明天】", FieldTopic, MaxTopicRunes, "主题"},
		{"【a-" + long(41) + "-c-明天】", FieldItem, MaxItemRunes, "事项"},
		{"【a-b-" + long(501) + "-明天】", FieldRequest, MaxRequestRunes, "需求"},
		{"【a-b-c-" + long(41) + "】", FieldDeadline, MaxDeadlineRunes, "截止时间"},
		{"【a-b-c-no later than " + strings.Repeat(" ", 10) + "December 15th, 2026 at 5:30 pm】", FieldDeadline, MaxDeadlineRunes, "截止时间"},
		{"【a-b-c-明天】" + long(2000), FieldFormat, MaxMessageRunes, "消息"},
		{"@张三 【a-b-" + strings.Repeat("x", 3000) + "-明天】", FieldFormat, MaxMessageRunes, "消息"},
	}
	for _, tt := range tests {
		r := Parse(tt.msg, opt)
		var e *Error
		for i := range r.Errors {
			if r.Errors[i].Code == CodeTooLong {
				e = &r.Errors[i]
			}
		}
		if r.Kind != KindTask || r.Task != nil || e == nil || e.Field != tt.field || e.Limit != tt.limit {
			t.Errorf("Parse(%.40q…):\n\tgot  %v %v task %v\n\twant %s:too_long, limit %d", tt.msg, r.Kind, codes(r.Errors), r.Task, tt.field, tt.limit)
			continue
		}
		zh, en := e.Message("zh"), e.Message("en")
		limit := strconv.Itoa(tt.limit)
		if !strings.Contains(zh, tt.zh) || !strings.Contains(zh, limit) || !strings.Contains(en, limit) ||
			!strings.Contains(en, "too long") || len(zh) > 300 || len(en) > 300 {
			t.Errorf("Parse(%.40q…): messages\n\t%s\n\t%s\nwant the field, the limit %s, and no full echo", tt.msg, zh, en, limit)
		}
		if tt.field != FieldFormat && !strings.Contains(en, string(tt.field)) {
			t.Errorf("Parse(%.40q…): en message %q does not name the %s", tt.msg, en, tt.field)
		}
		if ex := Parse(Example(r, "zh"), opt); ex.Task == nil {
			t.Errorf("Parse(Example(%.40q…)) = %v, want a task", tt.msg, ex.Errors.Messages("zh"))
		}
	}
	// At the bounds: fine.
	ok := "【" + long(40) + "-" + long(40) + "-" + long(500) + "-" + "2026年9月30日 下午5点半前" + "】"
	if r := Parse(ok, opt); r.Task == nil {
		t.Errorf("Parse(fields at their bounds) = %v", r.Errors.Messages("zh"))
	}
	// A near miss too long to echo.
	r := Parse("[a-b-c-"+long(3000)+"]", opt)
	if r.Kind != KindNearMiss || !slices.Equal(codes(r.Errors), []string{"format:near_miss", "format:too_long"}) || len(r.Errors[0].Input) > 100 {
		t.Errorf("Parse(long near miss) = %v %v", r.Kind, codes(r.Errors))
	}
	// Huge inputs are cut early.
	for _, huge := range []string{
		"【a-b-c-" + strings.Repeat("-明天", 300000) + "】",
		"【" + strings.Repeat("a-", 500000),
		"@张三 【紧急】【a/b/c/" + strings.Repeat("/2026/9/30", 100000) + "】",
		"[" + strings.Repeat("a-", 500000) + "]",
		"麻烦 【" + strings.Repeat("/", 1000000),
		strings.Repeat("【紧急】", 100000) + "【a-b-c-明天】",
	} {
		start := time.Now()
		r := Parse(huge, opt)
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Errorf("Parse(%.30q…, %d bytes) took %v", huge, len(huge), d)
		}
		if !r.Errors.Has(CodeTooLong) {
			t.Errorf("Parse(%.30q…): %v, want too_long", huge, codes(r.Errors))
		}
		for _, e := range r.Errors {
			if len(e.Message("zh")) > 500 {
				t.Errorf("Parse(%.30q…): %s error echoes %d bytes", huge, e.Code, len(e.Message("zh")))
			}
		}
	}
}

// English deadlines, resolved like their Chinese counterparts.
func TestDeadlineEnglish(t *testing.T) {
	runDeadlineCases(t, []deadlineCase{
		{in: "today", want: "2026-03-05 18:00"},
		{in: "Today", want: "2026-03-05 18:00"},
		{in: "tomorrow", want: "2026-03-06 18:00"},
		{in: "TOMORROW", want: "2026-03-06 18:00"},
		{in: "tmr", want: "2026-03-06 18:00"},
		{in: "the day after tomorrow", want: "2026-03-07 18:00"},
		{in: "EOD", want: "2026-03-05 18:00"},
		{in: "eod", want: "2026-03-05 18:00"},
		{in: "end of day", want: "2026-03-05 18:00"},
		{in: "by end of day", want: "2026-03-05 18:00"},
		{in: "by the end of the day", want: "2026-03-05 18:00"},
		{in: "COB", want: "2026-03-05 18:00"},
		{in: "close of business", want: "2026-03-05 18:00"},
		{in: "EOD tomorrow", want: "2026-03-06 18:00"},
		{in: "tomorrow EOD", want: "2026-03-06 18:00"},
		// Weekdays: the next occurrence, today included (Thursday).
		{in: "Friday", want: "2026-03-06 18:00"},
		{in: "Fri", want: "2026-03-06 18:00"},
		{in: "fri.", want: "2026-03-06 18:00"},
		{in: "by Friday", want: "2026-03-06 18:00"},
		{in: "before Friday", want: "2026-03-06 18:00"},
		{in: "on Friday", want: "2026-03-06 18:00"},
		{in: "Thursday", want: "2026-03-05 18:00"},
		{in: "Wednesday", want: "2026-03-11 18:00"},
		{in: "Mon", want: "2026-03-09 18:00"},
		{in: "sunday", want: "2026-03-08 18:00"},
		{in: "this Friday", want: "2026-03-06 18:00"},
		{in: "this Sunday", want: "2026-03-08 18:00"},
		{in: "this Wednesday", code: CodePast},
		{in: "next Monday", want: "2026-03-09 18:00"},
		{in: "next Thursday", want: "2026-03-12 18:00"},
		{in: "next Monday", now: "2026-03-08 10:00", want: "2026-03-09 18:00"},
		{in: "Friday", now: "2026-12-31 10:00", want: "2027-01-01 18:00"},
		{in: "Thursday", now: "2026-03-05 19:00", code: CodePast},
		// Dates.
		{in: "Dec 15", want: "2026-12-15 18:00"},
		{in: "by Dec 15", want: "2026-12-15 18:00"},
		{in: "by December 15", want: "2026-12-15 18:00"},
		{in: "December 15th", want: "2026-12-15 18:00"},
		{in: "Dec. 15", want: "2026-12-15 18:00"},
		{in: "15 Dec", want: "2026-12-15 18:00"},
		{in: "15th of December", want: "2026-12-15 18:00"},
		{in: "Dec 15, 2026", want: "2026-12-15 18:00"},
		{in: "15 December 2027", want: "2027-12-15 18:00"},
		{in: "Sept 1", want: "2026-09-01 18:00"},
		{in: "May 1st", want: "2026-05-01 18:00"},
		{in: "2026-12-15", want: "2026-12-15 18:00"},
		{in: "Jan 1", now: "2026-12-31 10:00", want: "2027-01-01 18:00"},
		{in: "Feb 10", want: "2027-02-10 18:00"}, // long past: next year
		{in: "Mar 1", code: CodePast},            // just passed
		{in: "Feb 29", want: "2028-02-29 18:00"},
		{in: "Feb 30", code: CodeBad},
		{in: "Dec 15, 2024", code: CodePast},
		{in: "Feb 29, 2027", code: CodeBad},
		// With a time.
		{in: "tomorrow 5pm", want: "2026-03-06 17:00"},
		{in: "tomorrow at 5 pm", want: "2026-03-06 17:00"},
		{in: "tomorrow 5 p.m.", want: "2026-03-06 17:00"},
		{in: "BY TOMORROW 5PM", want: "2026-03-06 17:00"},
		{in: "tomorrow by 5pm", want: "2026-03-06 17:00"},
		{in: "5pm tomorrow", want: "2026-03-06 17:00"},
		{in: "Friday 17:00", want: "2026-03-06 17:00"},
		{in: "Friday, 17:00", want: "2026-03-06 17:00"},
		{in: "EOD Friday", want: "2026-03-06 18:00"},
		{in: "noon on Friday", want: "2026-03-06 12:00"},
		{in: "today 3:30pm", want: "2026-03-05 15:30"},
		{in: "today 3:30 PM", want: "2026-03-05 15:30"},
		{in: "Dec 15 5pm", want: "2026-12-15 17:00"},
		{in: "Dec 15, 2026 at 17:00", want: "2026-12-15 17:00"},
		{in: "2026-12-15 5pm", want: "2026-12-15 17:00"},
		{in: "12/15 5pm", want: "2026-12-15 17:00"},
		{in: "tomorrow 12pm", want: "2026-03-06 12:00"},
		{in: "tomorrow 12am", want: "2026-03-06 00:00"},
		{in: "tomorrow midnight", want: "2026-03-07 00:00"},
		{in: "5pm", want: "2026-03-05 17:00"},
		{in: "by 5pm", want: "2026-03-05 17:00"},
		{in: "at 5:30pm", want: "2026-03-05 17:30"},
		{in: "noon", want: "2026-03-05 12:00"},
		{in: "tomorrow morning", want: "2026-03-06 12:00"},
		{in: "Friday afternoon", want: "2026-03-06 18:00"},
		{in: "this afternoon", want: "2026-03-05 18:00"},
		{in: "this morning", now: "2026-03-05 13:00", code: CodePast},
		{in: "tomorrow evening", code: CodeVague},
		{in: "this evening", code: CodeVague},
		{in: "tonight 8pm", want: "2026-03-05 20:00"},
		{in: "8pm tonight", want: "2026-03-05 20:00"},
		{in: "tonight at 9:30pm", want: "2026-03-05 21:30"},
		{in: "9am", code: CodePast},
		{in: "today 9am", code: CodePast},
		{in: "13pm", code: CodeBad},
		{in: "tomorrow 0am", code: CodeBad},
		{in: "tomorrow 25:00", code: CodeBad},
		{in: "today 5:60pm", code: CodeBad},
		// Durations.
		{in: "in 3 days", want: "2026-03-08 18:00"},
		{in: "within 3 days", want: "2026-03-08 18:00"},
		{in: "3 days", want: "2026-03-08 18:00"},
		{in: "in three days", want: "2026-03-08 18:00"},
		{in: "within a day", want: "2026-03-06 18:00"},
		{in: "48 hours", want: "2026-03-07 10:00"},
		{in: "within 48 hours", want: "2026-03-07 10:00"},
		{in: "48h", want: "2026-03-07 10:00"},
		{in: "in 2 hours", want: "2026-03-05 12:00"},
		{in: "in an hour", want: "2026-03-05 11:00"},
		{in: "within half an hour", want: "2026-03-05 10:30"},
		{in: "in 30 minutes", want: "2026-03-05 10:30"},
		{in: "30 mins", want: "2026-03-05 10:30"},
		{in: "in 2 weeks", want: "2026-03-19 18:00"},
		{in: "within a month", want: "2026-04-05 18:00"},
		{in: "3 days ago", code: CodePast},
		// Working days: Thursday + 2 working days = Monday.
		{in: "within 2 working days", want: "2026-03-09 18:00"},
		{in: "within 2 business days", want: "2026-03-09 18:00"},
		{in: "in 3 business days", want: "2026-03-10 18:00"},
		{in: "2 workdays", want: "2026-03-09 18:00"},
		{in: "one working day", want: "2026-03-06 18:00"},
		{in: "within 3 working days", now: "2026-09-29 10:00", want: "2026-10-09 18:00"}, // National Day
		{in: "100000 working days", code: CodeBad},
		// Period ends.
		{in: "end of month", want: "2026-03-31 18:00"},
		{in: "by the end of the month", want: "2026-03-31 18:00"},
		{in: "end of this month", want: "2026-03-31 18:00"},
		{in: "EOM", want: "2026-03-31 18:00"},
		{in: "month end", want: "2026-03-31 18:00"},
		{in: "end of next month", want: "2026-04-30 18:00"},
		{in: "end of month 5pm", want: "2026-03-31 17:00"},
		{in: "end of week", want: "2026-03-06 18:00"},
		{in: "EOW", want: "2026-03-06 18:00"},
		{in: "this week", want: "2026-03-06 18:00"},
		{in: "end of next week", want: "2026-03-13 18:00"},
		{in: "end of week", now: "2026-03-07 10:00", code: CodeNoWorkday},
		{in: "end of year", want: "2026-12-31 18:00"},
		{in: "EOY", want: "2026-12-31 18:00"},
		// Vague: refused with the accepted forms.
		{in: "ASAP", code: CodeVague},
		{in: "asap!", code: CodeVague},
		{in: "soon", code: CodeVague},
		{in: "later", code: CodeVague},
		{in: "later today", code: CodeVague},
		{in: "sometime", code: CodeVague},
		{in: "sometime next week", code: CodeVague},
		{in: "next week", code: CodeVague},
		{in: "by next week", code: CodeVague},
		{in: "next month", code: CodeVague},
		{in: "this weekend", code: CodeVague},
		{in: "tonight", code: CodeVague},
		{in: "TBD", code: CodeVague},
		{in: "when possible", code: CodeVague},
		{in: "as soon as possible", code: CodeVague},
		{in: "in a few days", code: CodeVague},
		// Not deadlines.
		{in: "hello", code: CodeBad},
		{in: "Monthly", code: CodeBad},
		{in: "Wedding", code: CodeBad},
		{in: "5", code: CodeBad},
		{in: "doc-Friday", code: CodeBad},
		{in: "next version", code: CodeBad},
	})
}

// English words in a request do not change where the deadline starts,
// and English deadlines follow the longest-valid-suffix rule.
func TestEnglishInTasks(t *testing.T) {
	tests := []struct {
		msg, request, deadline, due string
	}{
		{"【产品研发-评审-review the API doc-Friday】", "review the API doc", "Friday", "2026-03-06 18:00"},
		{"【产品研发-评审-review the API-doc-Friday】", "review the API-doc", "Friday", "2026-03-06 18:00"},
		{"【产品研发-评审-需评审 API doc-周五】", "需评审 API doc", "周五", "2026-03-06 18:00"},
		{"【产品研发-评审-follow-up with the team-tomorrow 5pm】", "follow-up with the team", "tomorrow 5pm", "2026-03-06 17:00"},
		{"【产品研发-评审-check-in by Monday-by Friday】", "check-in by Monday", "by Friday", "2026-03-06 18:00"},
		{"【产品研发-评审-sign-off-2026-12-15】", "sign-off", "2026-12-15", "2026-12-15 18:00"},
		{"【产品研发-评审-prepare Q3 plan-end of month】", "prepare Q3 plan", "end of month", "2026-03-31 18:00"},
		{"【Product-Review-Prepare the deck-within 2 business days】", "Prepare the deck", "within 2 business days", "2026-03-09 18:00"},
		{"【Ops-Outage-Check logs-in 2 hours】", "Check logs", "in 2 hours", "2026-03-05 12:00"},
	}
	opt := Options{Now: at(thursday)}
	for _, tt := range tests {
		r := Parse(tt.msg, opt)
		if r.Task == nil || r.Task.Request != tt.request || r.Task.Deadline != tt.deadline || !r.Task.Due.Equal(at(tt.due)) {
			t.Errorf("Parse(%q):\n\tgot  %+v %v\n\twant request %q deadline %q due %s", tt.msg, r.Task, r.Errors.Messages("zh"), tt.request, tt.deadline, tt.due)
		}
	}
	// Three fields with an English request: the deadline is missing, and an
	// English word in it does not make it vague.
	for msg, want := range map[string][]string{
		"【产品研发-评审-review the collateral】":     {"deadline:missing_field"},
		"【产品研发-评审-ASAP】":                      {"request:missing_field", "deadline:vague_deadline"},
		"【产品研发-评审-Friday】":                    {"request:missing_field"},
		"【a-b-c-later】":                       {"deadline:vague_deadline"},
		"【产品研发-评审-prepare the evening event】": {"deadline:missing_field"},
	} {
		if got := codes(Parse(msg, opt).Errors); !slices.Equal(got, want) {
			t.Errorf("Parse(%q):\n\tgot  %v\n\twant %v", msg, got, want)
		}
	}
}

// The English error texts list English forms, each of which parses.
func TestAcceptedDeadlinesEnglish(t *testing.T) {
	opt := Options{Now: at(thursday)}
	forms := strings.Split(acceptedEN, ", ")
	if len(forms) < 8 {
		t.Fatalf("acceptedEN lists %d forms", len(forms))
	}
	for _, form := range forms {
		if _, err := ParseDeadline(form, opt); err != nil {
			t.Errorf("AcceptedDeadlines(en) lists %q, but ParseDeadline says %v", form, err)
		}
	}
	en := AcceptedDeadlines("en")
	for _, code := range []Code{CodeVague, CodeBad} {
		m := Error{Field: FieldDeadline, Input: "ASAP", Code: code}.Message("en")
		if !strings.Contains(m, "tomorrow 5pm") || !strings.Contains(m, "within 3 working days") || !strings.Contains(m, en) {
			t.Errorf("%s.Message(en) = %q, want English examples", code, m)
		}
	}
}
