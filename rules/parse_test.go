package rules

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseTasks(t *testing.T) {
	tests := []struct {
		msg                            string
		topic, item, request, deadline string
		due                            string
		urgency                        Urgency
	}{
		{"【产品研发-需求确认-需前端提供技术评估方案-9月15日前】", "产品研发", "需求确认", "需前端提供技术评估方案", "9月15日前", "2026-09-15 18:00", Routine},
		// Every separator.
		{"【产品研发－需求确认－提供方案－9月15日前】", "产品研发", "需求确认", "提供方案", "9月15日前", "2026-09-15 18:00", Routine},
		{"【产品研发—需求确认—提供方案—9月15日前】", "产品研发", "需求确认", "提供方案", "9月15日前", "2026-09-15 18:00", Routine},
		{"【产品研发–需求确认–提供方案–9月15日前】", "产品研发", "需求确认", "提供方案", "9月15日前", "2026-09-15 18:00", Routine},
		{"【产品研发——需求确认——提供方案——9月15日前】", "产品研发", "需求确认", "提供方案", "9月15日前", "2026-09-15 18:00", Routine},
		// Whitespace is trimmed; spaces inside the deadline are kept.
		{"  【 产品研发 - 需求确认 - 提供方案 - 9月15日 下午5点 】  ", "产品研发", "需求确认", "提供方案", "9月15日 下午5点", "2026-09-15 17:00", Routine},
		// Dashes in the request and in the deadline.
		{"【产品研发-需求确认-需前端提供A-B两套方案-9月15日前】", "产品研发", "需求确认", "需前端提供A-B两套方案", "9月15日前", "2026-09-15 18:00", Routine},
		{"【产品研发-需求确认-提供A-B方案-2026-09-30】", "产品研发", "需求确认", "提供A-B方案", "2026-09-30", "2026-09-30 18:00", Routine},
		{"【产品研发-需求确认-提供方案-09-30】", "产品研发", "需求确认", "提供方案", "09-30", "2026-09-30 18:00", Routine},
		{"【产品研发-需求确认-提供方案－2026－09－30】", "产品研发", "需求确认", "提供方案", "2026－09－30", "2026-09-30 18:00", Routine},
		// Mentions: leading ones are skipped, those inside a field stay.
		{"@张三 @李四 【产品研发-需求确认-@王五 提供方案-明天下班前】", "产品研发", "需求确认", "@王五 提供方案", "明天下班前", "2026-03-06 18:00", Routine},
		{"@张三【产品研发-需求确认-提供方案-明天】", "产品研发", "需求确认", "提供方案", "明天", "2026-03-06 18:00", Routine},
		// Explicit command.
		{"/task 【产品研发-需求确认-提供方案-明天】", "产品研发", "需求确认", "提供方案", "明天", "2026-03-06 18:00", Routine},
		{"/新建【产品研发-需求确认-提供方案-明天】", "产品研发", "需求确认", "提供方案", "明天", "2026-03-06 18:00", Routine},
		// Tier tags before or after.
		{"【紧急】【系统故障-官网无法访问-排查日志-15分钟内】", "系统故障", "官网无法访问", "排查日志", "15分钟内", "2026-03-05 10:15", Urgent},
		{"【系统故障-官网无法访问-排查日志-15分钟内】【紧急】", "系统故障", "官网无法访问", "排查日志", "15分钟内", "2026-03-05 10:15", Urgent},
		{"【重要】 【年度培训-课程清单-反馈需求-本周五】", "年度培训", "课程清单", "反馈需求", "本周五", "2026-03-06 18:00", Important},
		{"【重要】【紧急】【a-b-c-明天】", "a", "b", "c", "明天", "2026-03-06 18:00", Urgent},
		{"[紧急]【a-b-c-明天】", "a", "b", "c", "明天", "2026-03-06 18:00", Urgent},
		// A newline inside the task.
		{"【a-b-c\n第二行-明天】", "a", "b", "c\n第二行", "明天", "2026-03-06 18:00", Routine},
	}
	for _, tt := range tests {
		r := Parse(tt.msg, Options{Now: at(thursday)})
		if r.Kind != KindTask || len(r.Errors) > 0 || r.Task == nil {
			t.Errorf("Parse(%q):\n\tgot  kind %v errors %q\n\twant a task", tt.msg, r.Kind, r.Errors.Messages("zh"))
			continue
		}
		want := Task{Topic: tt.topic, Item: tt.item, Request: tt.request, Deadline: tt.deadline, Due: at(tt.due), Urgency: tt.urgency}
		got := *r.Task
		if got.Topic != want.Topic || got.Item != want.Item || got.Request != want.Request ||
			got.Deadline != want.Deadline || !got.Due.Equal(want.Due) || got.Urgency != want.Urgency {
			t.Errorf("Parse(%q):\n\tgot  %+v\n\twant %+v", tt.msg, got, want)
		}
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		msg  string
		kind Kind
		tags Tags
		ref  int64
		rest string
	}{
		{"大家好，明天开会", KindChat, Tags{}, 0, ""},
		{"产品研发-需求确认-提供方案-明天", KindChat, Tags{}, 0, ""},
		{"@张三 收到", KindChat, Tags{}, 0, ""},
		{"[图片]", KindChat, Tags{}, 0, ""},
		{"[a-b-c]", KindChat, Tags{}, 0, ""},
		{"/list", KindChat, Tags{}, 0, ""},
		{"", KindChat, Tags{}, 0, ""},
		{"[紧急]", KindChat, Tags{}, 0, ""},
		{"接口卡住了【需协助】", KindChat, Tags{Assist: true}, 0, ""},
		{"[截图] 【需协助】", KindChat, Tags{Assist: true}, 0, ""},
		{"【需协助】#12 接口文档还没给", KindTagged, Tags{Assist: true}, 12, "接口文档还没给"},
		{"@李四 【需协助】 #12 接口文档还没给", KindTagged, Tags{Assist: true}, 12, "接口文档还没给"},
		{"【需要协助】＃１２ 文档", KindTagged, Tags{Assist: true}, 12, "文档"},
		{"【风险】#3 服务器到货延迟，改用云主机", KindTagged, Tags{Risk: true}, 3, "服务器到货延迟，改用云主机"},
		{"【风险预警】#3 原因", KindTagged, Tags{Risk: true}, 3, "原因"},
		{"【延期】#12 9月20日 等待接口文档", KindTagged, Tags{Delay: true}, 12, "9月20日 等待接口文档"},
		{"【延期申请】 # 7", KindTagged, Tags{Delay: true}, 7, ""},
		{"【紧急】", KindTagged, Tags{Urgent: true}, 0, ""},
		{"【重要】 请大家注意", KindTagged, Tags{Important: true}, 0, "请大家注意"},
		{"【需协助】[截图]", KindTagged, Tags{Assist: true}, 0, "[截图]"},
		{"【 风险 】#3 x", KindTagged, Tags{Risk: true}, 3, "x"},
		{"【需协助】#99999999999999999999 x", KindTagged, Tags{Assist: true}, 0, "#99999999999999999999 x"},
		{"【a-b-c-明天】 #5 备注", KindTask, Tags{}, 5, "备注"},
		{"【需协助】【a-b-c-明天】", KindTask, Tags{Assist: true}, 0, ""},
		// 【需协助】 anywhere raises the flag.
		{"【a-b-c-明天】 进度80%，【需协助】", KindTask, Tags{Assist: true}, 0, "进度80%，【需协助】"},
		{"[a-b-c-明天]", KindNearMiss, Tags{}, 0, ""},
		{"［a-b-c-明天］", KindNearMiss, Tags{}, 0, ""},
		{"【紧急】[a-b-c-明天] 谢谢", KindNearMiss, Tags{Urgent: true}, 0, "谢谢"},
		{"[a-b-c-明天", KindNearMiss, Tags{}, 0, ""},
		{"【通知】明天开会", KindTask, Tags{}, 0, "明天开会"},
	}
	for _, tt := range tests {
		r := Parse(tt.msg, Options{Now: at(thursday)})
		if r.Kind != tt.kind || r.Tags != tt.tags || r.Ref != tt.ref || r.Rest != tt.rest {
			t.Errorf("Parse(%q):\n\tgot  %v %+v ref %d rest %q\n\twant %v %+v ref %d rest %q",
				tt.msg, r.Kind, r.Tags, r.Ref, r.Rest, tt.kind, tt.tags, tt.ref, tt.rest)
		}
		if (r.Kind == KindChat || r.Kind == KindTagged) && (len(r.Errors) > 0 || r.Task != nil) {
			t.Errorf("Parse(%q): %v with errors %v task %v", tt.msg, r.Kind, r.Errors, r.Task)
		}
	}
}

// codes is a compact view of an ErrorList for table comparisons.
func codes(l ErrorList) []string {
	var out []string
	for _, e := range l {
		out = append(out, string(e.Field)+":"+string(e.Code))
	}
	return out
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		msg     string
		kind    Kind
		want    []string
		example string
	}{
		{"【产品研发-需求确认-需前端提供技术评估方案】", KindTask,
			[]string{"deadline:missing_field"},
			"【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】"},
		{"【产品研发-需求确认-需前端提供技术评估方案-尽快】", KindTask,
			[]string{"deadline:vague_deadline"},
			"【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】"},
		{"【产品研发--需前端提供技术评估方案-9月15日前】", KindTask,
			[]string{"item:empty_field"},
			"【产品研发-事项-需前端提供技术评估方案-9月15日前】"},
		// Every problem at once.
		{"【产品研发--需前端提供技术评估方案-尽快】", KindTask,
			[]string{"item:empty_field", "deadline:vague_deadline"},
			"【产品研发-事项-需前端提供技术评估方案-3个工作日内】"},
		{"【--提供方案-ASAP】", KindTask,
			[]string{"topic:empty_field", "item:empty_field", "deadline:vague_deadline"},
			"【主题-事项-提供方案-3个工作日内】"},
		{"【产品研发-需求确认-需前端提供技术评估方案-2024-09-30前】", KindTask,
			[]string{"deadline:past_deadline"},
			"【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】"},
		{"【产品研发-需求确认-提供方案-2月30日】", KindTask,
			[]string{"deadline:bad_deadline"},
			"【产品研发-需求确认-提供方案-3个工作日内】"},
		{"【产品研发-需求确认-提供方案-下个版本】", KindTask,
			[]string{"deadline:bad_deadline"},
			"【产品研发-需求确认-提供方案-3个工作日内】"},
		{"【产品研发-需求确认-提供方案-】", KindTask,
			[]string{"deadline:empty_field"},
			"【产品研发-需求确认-提供方案-3个工作日内】"},
		{"【产品研发-需求确认-提供方案-本周内】【紧急】", KindTask,
			[]string{},
			"【紧急】【产品研发-需求确认-提供方案-本周内】"},
		// Three parts ending in a deadline: the request is missing.
		{"【产品研发-需求确认-9月15日前】", KindTask,
			[]string{"request:missing_field"},
			"【产品研发-需求确认-具体需求-9月15日前】"},
		{"【产品研发-需求确认-尽快】", KindTask,
			[]string{"request:missing_field", "deadline:vague_deadline"},
			"【产品研发-需求确认-具体需求-3个工作日内】"},
		{"【产品研发-需求确认】", KindTask,
			[]string{"request:missing_field", "deadline:missing_field"},
			"【产品研发-需求确认-具体需求-3个工作日内】"},
		{"【产品研发】", KindTask,
			[]string{"item:missing_field", "request:missing_field", "deadline:missing_field"},
			"【产品研发-事项-具体需求-3个工作日内】"},
		{"【】", KindTask,
			[]string{"topic:empty_field", "item:missing_field", "request:missing_field", "deadline:missing_field"},
			"【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】"},
		{"【产品研发-需求确认--明天】", KindTask,
			[]string{"request:empty_field"},
			"【产品研发-需求确认-具体需求-明天】"},
		{"【产品研发-需求确认-提供方案-明天", KindTask,
			[]string{"format:unclosed_bracket"},
			"【产品研发-需求确认-提供方案-明天】"},
		{"【产品研发-需求确认-提供方案-明天]", KindTask,
			[]string{"format:unclosed_bracket"},
			"【产品研发-需求确认-提供方案-明天】"},
		// A stray ] before the real 】 stays in the field.
		{"【产品研发-需求确认-提供方案-明天]】", KindTask,
			[]string{"deadline:bad_deadline"},
			"【产品研发-需求确认-提供方案-3个工作日内】"},
		{"【a-b-c-明天】【d-e-f-后天】", KindTask,
			[]string{"format:too_many_tasks"},
			"【a-b-c-明天】"},
		{"[产品研发-需求确认-需前端提供技术评估方案-9月15日前]", KindNearMiss,
			[]string{"format:near_miss"},
			"【产品研发-需求确认-需前端提供技术评估方案-9月15日前】"},
		// Brackets caught inside a near miss do not break the example.
		{"[产品研发】-需求确认-提供方案-明天]", KindNearMiss,
			[]string{"format:near_miss"},
			"【产品研发-需求确认-提供方案-明天】"},
		{"［产品研发-需求确认-提供方案-明天]", KindNearMiss,
			[]string{"format:near_miss"},
			"【产品研发-需求确认-提供方案-明天】"},
		{"【紧急】［产品研发－需求确认－提供方案－尽快］", KindNearMiss,
			[]string{"format:near_miss", "deadline:vague_deadline"},
			"【紧急】【产品研发-需求确认-提供方案-3个工作日内】"},
	}
	for _, tt := range tests {
		now := at(thursday)
		r := Parse(tt.msg, Options{Now: now})
		if got := codes(r.Errors); r.Kind != tt.kind || !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q):\n\tgot  %v %v\n\twant %v %v", tt.msg, r.Kind, got, tt.kind, tt.want)
		}
		if (len(r.Errors) == 0) != (r.Task != nil) {
			t.Errorf("Parse(%q): errors %v but task %v", tt.msg, r.Errors, r.Task)
		}
		if got := Example(r, "zh"); got != tt.example {
			t.Errorf("Example(Parse(%q)):\n\tgot  %s\n\twant %s", tt.msg, got, tt.example)
		}
		// The example is itself a valid task.
		if ex := Parse(Example(r, "zh"), Options{Now: now}); ex.Kind != KindTask || len(ex.Errors) > 0 {
			t.Errorf("Parse(Example(%q)) = %v %v, want a valid task", tt.msg, ex.Kind, ex.Errors)
		}
	}
}

func TestParseNoWorkdayLeft(t *testing.T) {
	msg := "【a-b-c-本周内】"
	r := Parse(msg, Options{Now: at("2026-03-07 10:00")}) // a Saturday
	if got, want := codes(r.Errors), []string{"deadline:no_workday_left"}; !slices.Equal(got, want) {
		t.Errorf("Parse(%q) on Saturday:\n\tgot  %v\n\twant %v", msg, got, want)
	}
	if got, want := Example(r, "zh"), "【a-b-c-3个工作日内】"; got != want {
		t.Errorf("Example(Parse(%q)):\n\tgot  %s\n\twant %s", msg, got, want)
	}
}

func TestExampleEnglish(t *testing.T) {
	r := Parse("【--提供方案-尽快】", Options{Now: at(thursday)})
	if got, want := Example(r, "en"), "【Topic-Item-提供方案-3个工作日内】"; got != want {
		t.Errorf("Example(en):\n\tgot  %s\n\twant %s", got, want)
	}
	for _, msg := range []string{"hello", "【需协助】#3"} {
		if got := Example(Parse(msg, Options{Now: at(thursday)}), "zh"); got != "【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】" {
			t.Errorf("Example(Parse(%q)):\n\tgot  %s\n\twant the canonical example", msg, got)
		}
	}
}

// Each code, in both languages: a message that is non-empty and names the
// offending input.
func TestErrorMessages(t *testing.T) {
	now := at(thursday)
	cases := []struct {
		code  Code
		err   Error
		input string // what the message must mention
	}{}
	add := func(msg string, c Code, input string) {
		r := Parse(msg, Options{Now: now})
		for _, e := range r.Errors {
			if e.Code == c {
				cases = append(cases, struct {
					code  Code
					err   Error
					input string
				}{c, e, input})
				return
			}
		}
		t.Errorf("Parse(%q): no %s error in %v", msg, c, codes(r.Errors))
	}
	add("【产品研发-需求确认-提供方案】", CodeMissing, "产品研发-需求确认-提供方案")
	add("【产品研发--提供方案-明天】", CodeEmpty, "产品研发--提供方案-明天")
	add("【产品研发-需求确认-提供方案-尽快】", CodeVague, "尽快")
	add("【产品研发-需求确认-提供方案-下个版本】", CodeBad, "下个版本")
	add("【产品研发-需求确认-提供方案-2月30日】", CodeBad, "2月30日")
	add("【产品研发-需求确认-提供方案-2024-09-30】", CodePast, "2024-09-30")
	add("[产品研发-需求确认-提供方案-明天]", CodeNearMiss, "[产品研发-需求确认-提供方案-明天]")
	add("【产品研发-需求确认-提供方案-明天", CodeUnclosed, "【产品研发-需求确认-提供方案-明天")
	add("【a-b-c-明天】【d-e-f-后天】", CodeTooMany, "【d-e-f-后天】")
	add("【产品研发/需求确认/提供方案/明天】", CodeWrongSeparator, "/")
	add("【产品研发-需求确认-提供方案-"+strings.Repeat("很", 50)+"】", CodeTooLong, "很很很")
	add("【产品研发-需求确认-提供方案-Feb 30】", CodeBad, "Feb 30")
	add("【产品研发-需求确认-提供方案-ASAP】", CodeVague, "ASAP")
	add("【产品研发-需求确认-提供方案-3月1日】", CodePast, "2027年3月1日")
	_, err := ParseDeadline("本周内", Options{Now: at("2026-03-07 10:00")})
	var nw Error
	if !errors.As(err, &nw) {
		t.Fatalf("ParseDeadline(本周内) on Saturday: %v", err)
	}
	cases = append(cases, struct {
		code  Code
		err   Error
		input string
	}{CodeNoWorkday, nw, "本周内"})

	seen := map[Code]bool{}
	for _, c := range cases {
		seen[c.code] = true
		for _, lang := range []string{"zh", "en", ""} {
			m := c.err.Message(lang)
			if m == "" || !strings.Contains(m, c.input) {
				t.Errorf("%s.Message(%q):\n\tgot  %q\n\twant it to mention %q", c.code, lang, m, c.input)
			}
		}
		if c.err.Message("zh") == c.err.Message("en") {
			t.Errorf("%s: zh and en messages are the same: %q", c.code, c.err.Message("zh"))
		}
	}
	for _, c := range []Code{CodeMissing, CodeEmpty, CodeVague, CodeBad, CodePast, CodeNoWorkday, CodeNearMiss, CodeUnclosed, CodeTooMany, CodeWrongSeparator, CodeTooLong} {
		if !seen[c] {
			t.Errorf("code %s not covered", c)
		}
	}
	// The precise wording the bot's replies rely on.
	for _, tt := range []struct {
		err  Error
		want string
	}{
		{Error{Field: FieldDeadline, Input: "2024-09-30", Code: CodePast}, "截止时间“2024-09-30”已过"},
		{Error{Field: FieldItem, Input: "a--c-d", Code: CodeEmpty}, "事项为空：“a--c-d”"},
		{Error{Field: FieldDeadline, Input: "a-b-c", Code: CodeMissing}, "缺少截止时间：“a-b-c”"},
		{Error{Field: FieldDeadline, Input: "2月30日", Code: CodeBad}, "截止时间“2月30日”不存在（日期或时刻无效）"},
		{Error{Field: FieldFormat, Input: "/", Code: CodeWrongSeparator}, "字段之间请用“-”分隔，不要用“/”：【主题-事项-需求-截止时间】"},
		{Error{Field: FieldTopic, Input: "产品…", Code: CodeTooLong, Limit: 40}, "主题太长，最多40个字：“产品…”"},
		{Error{Field: FieldFormat, Input: "【a…", Code: CodeTooLong, Limit: 2000}, "消息太长，任务消息最多2000个字：“【a…”"},
		{Error{Field: FieldDeadline, Input: "9月13日", Code: CodePast, Suggest: "2027年9月13日"}, "截止时间“9月13日”已过；如果指的是2027年的，请写上年份：2027年9月13日"},
	} {
		if got := tt.err.Message("zh"); got != tt.want {
			t.Errorf("%+v.Message(zh):\n\tgot  %s\n\twant %s", tt.err, got, tt.want)
		}
	}
	for _, tt := range []struct {
		err  Error
		want string
	}{
		{Error{Field: FieldFormat, Input: "、", Code: CodeWrongSeparator}, `separate the fields with "-", not "、": 【topic-item-request-deadline】`},
		{Error{Field: FieldRequest, Input: "x…", Code: CodeTooLong, Limit: 500}, `the request is too long (at most 500 characters): "x…"`},
		{Error{Field: FieldDeadline, Input: "Sep 13", Code: CodePast, Suggest: "2027-09-13"}, `deadline "Sep 13" has already passed; if you meant the one in 2027, write the year: 2027-09-13`},
	} {
		if got := tt.err.Message("en"); got != tt.want {
			t.Errorf("%+v.Message(en):\n\tgot  %s\n\twant %s", tt.err, got, tt.want)
		}
	}
	// Vague and unknown deadlines list the accepted forms.
	for _, code := range []Code{CodeVague, CodeBad} {
		e := Error{Field: FieldDeadline, Input: "尽快", Code: code}
		for _, lang := range []string{"zh", "en"} {
			if !strings.Contains(e.Message(lang), AcceptedDeadlines(lang)) {
				t.Errorf("%s.Message(%s) does not list the accepted forms: %s", code, lang, e.Message(lang))
			}
		}
	}
}

func TestErrorList(t *testing.T) {
	r := Parse("【产品研发--提供方案-尽快】", Options{Now: at(thursday)})
	if len(r.Errors) != 2 {
		t.Fatalf("want 2 errors, got %v", r.Errors)
	}
	var err error = r.Errors
	if !strings.Contains(err.Error(), "事项为空") || !strings.Contains(err.Error(), "尽快") {
		t.Errorf("ErrorList.Error():\n\tgot  %s\n\twant both problems", err)
	}
	if got := r.Errors.Messages("en"); len(got) != 2 || got[0] == "" || got[1] == "" {
		t.Errorf("Messages(en) = %q", got)
	}
	if ErrorList(nil).Err() != nil || r.Errors.Err() == nil {
		t.Error("Err: want nil for an empty list only")
	}
	if !r.Errors.Has(CodeVague) || r.Errors.Has(CodePast) {
		t.Error("Has: wrong answer")
	}
	// Every accepted form AcceptedDeadlines advertises parses.
	for _, form := range strings.Split(AcceptedDeadlines("zh"), "、") {
		if _, err := ParseDeadline(form, Options{Now: at(thursday)}); err != nil {
			t.Errorf("AcceptedDeadlines lists %q, but ParseDeadline says %v", form, err)
		}
	}
}
