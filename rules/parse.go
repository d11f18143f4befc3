package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tagWords are the bracketed flags of format.md, with the variants people
// type.
var tagWords = map[string]func(*Tags){
	"紧急":   func(t *Tags) { t.Urgent = true },
	"重要":   func(t *Tags) { t.Important = true },
	"需协助":  func(t *Tags) { t.Assist = true },
	"需要协助": func(t *Tags) { t.Assist = true },
	"风险":   func(t *Tags) { t.Risk = true },
	"风险预警": func(t *Tags) { t.Risk = true },
	"延期":   func(t *Tags) { t.Delay = true },
	"延期申请": func(t *Tags) { t.Delay = true },
}

// commandPrefixes are the explicit form /task 【…】; Parse accepts it so
// the bot may hand over the message as received.
var commandPrefixes = []string{"/task", "/new", "/新建"}

// Recognisable reports whether Parse may find more than chat in text: a
// task, tag or near miss, or a 【需协助】 flag. It is Parse's own first
// step, cheap enough to run on every message before any store access.
func Recognisable(text string) bool {
	return bracketed(body(text)) || strings.Contains(text, "【需协助】")
}

// body is text without leading mentions and a /task-style prefix.
func body(text string) string {
	s := skipMentions(text)
	for _, c := range commandPrefixes {
		if t, ok := strings.CutPrefix(s, c); ok && (t == "" || !isWordRune(firstRune(t))) {
			return strings.TrimSpace(t)
		}
	}
	return s
}

func bracketed(s string) bool {
	return strings.HasPrefix(s, "【") || strings.HasPrefix(s, "[") || strings.HasPrefix(s, "［")
}

func isSep(r rune) bool { return r == '-' || r == '－' || r == '—' || r == '–' }

// Parse classifies a chat message and, for a task request, splits and
// checks its four fields, reporting every problem at once. Leading
// "@Name" mentions and a /task, /new or /新建 prefix are skipped.
// Tags.Assist is set for 【需协助】 anywhere, whatever the Kind; the other
// tags count only where format.md allows them.
func Parse(text string, opt Options) Result {
	opt = opt.withDefaults()
	var r Result
	s := body(text)
	// 【需协助】 flags the message wherever it stands, even in chat: a
	// reply in a task's thread saying "卡住了【需协助】" is a help request
	// for that task.
	r.Tags.Assist = strings.Contains(text, "【需协助】")
	if !bracketed(s) {
		r.Kind = KindChat
		return r
	}
	anyTag := false
	s = r.Tags.eat(s, &anyTag)

	switch {
	case strings.HasPrefix(s, "【"):
		r.Kind = KindTask
		body, after, closed := cutBracket(s[len("【"):], "】", "]", "］")
		if !closed {
			r.Errors = append(r.Errors, Error{Field: FieldFormat, Input: strings.TrimSpace(s), Code: CodeUnclosed})
		}
		r.splitFields(body, opt)
		s = r.Tags.eat(after, &anyTag)
		// A second task is reported rather than dropped, so it is not lost.
		for strings.HasPrefix(s, "【") {
			body, after, _ := cutBracket(s[len("【"):], "】")
			if strings.IndexFunc(body, isSep) < 0 {
				break
			}
			r.Errors = append(r.Errors, Error{Field: FieldFormat, Input: "【" + strings.TrimSpace(body) + "】", Code: CodeTooMany})
			s = r.Tags.eat(after, &anyTag)
		}
	case strings.HasPrefix(s, "[") || strings.HasPrefix(s, "［"):
		open, closer, other := "[", "]", "］"
		if strings.HasPrefix(s, "［") {
			open, closer, other = "［", "］", "]"
		}
		body, after, _ := cutBracket(s[len(open):], closer, other)
		if strings.Count(strings.Map(func(r rune) rune {
			if isSep(r) {
				return '-'
			}
			return 'x'
		}, body), "-") < 3 {
			if !anyTag {
				return Result{Kind: KindChat, Tags: Tags{Assist: r.Tags.Assist}}
			}
			r.Kind = KindTagged
			break
		}
		r.Kind = KindNearMiss
		r.Errors = append(r.Errors, Error{Field: FieldFormat, Input: strings.TrimSpace(s[:len(s)-len(after)]), Code: CodeNearMiss})
		r.splitFields(body, opt)
		s = r.Tags.eat(after, &anyTag)
	default:
		r.Kind = KindTagged
	}
	r.Ref, s = cutRef(s)
	r.Rest = strings.TrimSpace(s)
	if r.Kind == KindTask && len(r.Errors) == 0 {
		due, _ := resolveDeadline(r.fields[3], opt)
		r.Task = &Task{
			Topic:    r.fields[0],
			Item:     r.fields[1],
			Request:  r.fields[2],
			Deadline: r.fields[3],
			Due:      due,
			Urgency:  r.Tags.Urgency(),
		}
	}
	return r
}

// eat consumes leading 【tag】s (and [tag]s directly followed by another
// bracket, as in "[紧急]【…】") and returns the rest, trimmed.
func (t *Tags) eat(s string, seen *bool) string {
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		var open, closer string
		switch {
		case strings.HasPrefix(s, "【"):
			open, closer = "【", "】"
		case strings.HasPrefix(s, "["):
			open, closer = "[", "]"
		case strings.HasPrefix(s, "［"):
			open, closer = "［", "］"
		default:
			return s
		}
		body, after, closed := cutBracket(s[len(open):], closer)
		set, ok := tagWords[strings.TrimSpace(body)]
		ok = ok && closed
		if !ok {
			return s
		}
		if open != "【" {
			next := strings.TrimLeftFunc(after, unicode.IsSpace)
			if !strings.HasPrefix(next, "【") && !strings.HasPrefix(next, "[") && !strings.HasPrefix(next, "［") {
				return s
			}
		}
		set(t)
		*seen = true
		s = after
	}
}

// cutBracket splits s at the closing bracket: primary when s has one
// anywhere, else the earliest of the fallbacks a careless typist may have
// used (closed is then false). Without any, body is all of s.
func cutBracket(s, primary string, fallbacks ...string) (body, after string, closed bool) {
	if i := strings.Index(s, primary); i >= 0 {
		return s[:i], s[i+len(primary):], true
	}
	best, bw := -1, 0
	for _, c := range fallbacks {
		if i := strings.Index(s, c); i >= 0 && (best < 0 || i < best) {
			best, bw = i, len(c)
		}
	}
	if best < 0 {
		return s, "", false
	}
	return s[:best], s[best+bw:], false
}

// splitFields fills r.fields from a bracket body and appends what is
// wrong with them, in field order.
func (r *Result) splitFields(body string, opt Options) {
	type span struct{ at, w int }
	var seps []span
	for i, c := range body {
		if !isSep(c) {
			continue
		}
		w := utf8.RuneLen(c)
		// The Chinese IME's dash is "——": one separator, not an empty field.
		if c == '—' && len(seps) > 0 {
			if last := &seps[len(seps)-1]; last.at+last.w == i && body[last.at:last.at+3] == "—" {
				last.w += w
				continue
			}
		}
		seps = append(seps, span{i, w})
	}
	whole := strings.TrimSpace(body)
	present := [4]bool{true}
	var deadlineCode Code
	field := func(from, to int) string { return strings.TrimSpace(body[from:to]) }

	switch {
	case len(seps) == 0:
		r.fields[0] = whole
	case len(seps) == 1:
		r.fields[0] = field(0, seps[0].at)
		r.fields[1] = field(seps[0].at+seps[0].w, len(body))
		present[1] = true
	default:
		r.fields[0] = field(0, seps[0].at)
		r.fields[1] = field(seps[0].at+seps[0].w, seps[1].at)
		present[1] = true
		restAt := seps[1].at + seps[1].w
		rest := seps[2:]
		found := false
		// The longest suffix after a separator that reads as a deadline,
		// so dashes may appear in the request and in the date.
		for _, sp := range rest {
			cand := field(sp.at+sp.w, len(body))
			if cand == "" {
				continue
			}
			if _, code, ok := parseDeadlineExpr(cand, opt); ok {
				r.fields[2], r.fields[3] = field(restAt, sp.at), cand
				present[2], present[3] = true, true
				deadlineCode, found = code, true
				break
			}
		}
		if found {
			break
		}
		if len(rest) == 0 {
			tail := field(restAt, len(body))
			_, code, ok := parseDeadlineExpr(tail, opt)
			switch {
			case ok:
				// 【主题-事项-9月15日前】: the request is what is missing.
				r.fields[3], present[3], deadlineCode = tail, true, code
			case tail != "" && isVague(tail):
				r.fields[3], present[3], deadlineCode = tail, true, CodeVague
			default:
				r.fields[2], present[2] = tail, true
			}
			break
		}
		last := rest[len(rest)-1]
		r.fields[2] = field(restAt, last.at)
		r.fields[3] = field(last.at+last.w, len(body))
		present[2], present[3] = true, true
		if r.fields[3] != "" {
			deadlineCode = CodeBad
			if isVague(r.fields[3]) {
				deadlineCode = CodeVague
			}
		}
	}

	for i, f := range [4]Field{FieldTopic, FieldItem, FieldRequest, FieldDeadline} {
		switch {
		case !present[i]:
			r.Errors = append(r.Errors, Error{Field: f, Input: whole, Code: CodeMissing})
			r.bad[i] = true
		case r.fields[i] == "":
			r.Errors = append(r.Errors, Error{Field: f, Input: whole, Code: CodeEmpty})
			r.bad[i] = true
		case i == 3 && deadlineCode != "":
			r.Errors = append(r.Errors, Error{Field: f, Input: r.fields[i], Code: deadlineCode})
			r.bad[i] = true
		}
	}
}

// skipMentions drops leading "@Name" mentions and whitespace.
func skipMentions(s string) string {
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if !strings.HasPrefix(s, "@") && !strings.HasPrefix(s, "＠") {
			return s
		}
		end := strings.IndexFunc(s, func(r rune) bool {
			return unicode.IsSpace(r) || r == '【' || r == '[' || r == '［'
		})
		if end < 0 {
			return ""
		}
		s = s[end:]
	}
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// maxRefDigits keeps a task id inside int64.
const maxRefDigits = 18

// cutRef reads "#12" or "＃１２" at the start of s.
func cutRef(s string) (int64, string) {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	var ok bool
	if t, ok = strings.CutPrefix(t, "#"); !ok {
		if t, ok = strings.CutPrefix(t, "＃"); !ok {
			return 0, s
		}
	}
	t = strings.TrimLeftFunc(t, unicode.IsSpace)
	var n int64
	digits := 0
	for t != "" {
		c, w := utf8.DecodeRuneInString(t)
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case c >= '０' && c <= '９':
			d = int64(c - '０')
		default:
			goto done
		}
		if digits == maxRefDigits {
			return 0, s
		}
		n, digits, t = n*10+d, digits+1, t[w:]
	}
done:
	if digits == 0 {
		return 0, s
	}
	return n, t
}

// placeholders stand in for missing or wrong fields in Example. The
// deadline one is a form that is never vague and never past.
var placeholders = map[string][4]string{
	"zh": {"主题", "事项", "具体需求", "3个工作日内"},
	"en": {"Topic", "Item", "Request", "3个工作日内"},
}

// Example returns a corrected 【…】 for r that keeps what the user wrote
// correctly and fills the rest; for a message with no task fields it is
// the format's canonical example.
func Example(r Result, lang string) string {
	ph, ok := placeholders[lang]
	if !ok {
		ph = placeholders["zh"]
	}
	if (r.Kind != KindTask && r.Kind != KindNearMiss) || r.fields == [4]string{} {
		return "【产品研发-需求确认-需前端提供技术评估方案-3个工作日内】"
	}
	var b strings.Builder
	switch r.Tags.Urgency() {
	case Urgent:
		b.WriteString("【紧急】")
	case Important:
		b.WriteString("【重要】")
	}
	b.WriteString("【")
	for i, f := range r.fields {
		if i > 0 {
			b.WriteString("-")
		}
		// Brackets inside a kept field would end the example's 【…】 early.
		f = strings.NewReplacer("【", "", "】", "").Replace(f)
		if strings.TrimSpace(f) == "" || r.bad[i] {
			f = ph[i]
		}
		b.WriteString(f)
	}
	b.WriteString("】")
	return b.String()
}
