package rules

import (
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// tagWords are the bracketed flags of format.md, with the variants people
// type.
var tagWords = map[string]Tags{
	"紧急":   {Urgent: true},
	"重要":   {Important: true},
	"需协助":  {Assist: true},
	"需要协助": {Assist: true},
	"风险":   {Risk: true},
	"风险预警": {Risk: true},
	"延期":   {Delay: true},
	"延期申请": {Delay: true},
}

// commandPrefixes are the explicit form /task 【…】; Parse accepts it so
// the bot may hand over the message as received.
var commandPrefixes = []string{"/task", "/new", "/新建"}

// Recognisable reports whether Parse may find more than chat in text: a
// task, tag or near miss, or a 【需协助】 flag. It is Parse's own first
// step (locate), cheap enough to run on every message before any store
// access.
func Recognisable(text string) bool {
	_, _, _, ok := locate(text)
	return ok || strings.Contains(text, "【需协助】")
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

// sepLead and wrongLead are the first bytes of the wide runes isSep and
// wrongSeps accept. The scans below decode only at those bytes, which is
// where ranging over the string would find those runes: a lead byte is
// never part of another rune, valid or not.
var (
	sepLead   = leadBytes('－', '—', '–')
	wrongLead = leadBytes(wrongSeps[:]...)
)

func leadBytes(rs ...rune) (set [256]bool) {
	for _, r := range rs {
		set[string(r)[0]] = true
	}
	return set
}

// locate finds what Parse works on: the text from the task bracket on, with
// the tags seen before it, or (for a tag-only message) the text after the
// leading tags. ok is false for chat.
//
// Two routes lead to a bracket. scanLead accepts @-mentions, tags and a
// few polite words in any order before it ("【紧急】@赵六 【…】",
// "麻烦 @张三 【…】"). Failing that, the message must start with a bracket
// after its mentions, as format.md says; its leading tags are eaten and
// what follows may be a task, a near miss or the text of a tagged message.
func locate(text string) (s string, tags Tags, anyTag bool, ok bool) {
	// Most chat has no bracket at all.
	if strings.IndexByte(text, '[') < 0 && !strings.Contains(text, "【") && !strings.Contains(text, "［") {
		return "", Tags{}, false, false
	}
	b := body(text)
	if l, ok := scanLead(b); ok {
		return l.rest, l.tags, l.anyTag, true
	}
	if !bracketed(b) {
		return "", Tags{}, false, false
	}
	s = tags.eat(b, &anyTag)
	return s, tags, anyTag, true
}

// maxLeadRunes bounds the free text scanLead lets stand before a task
// bracket. Decision: only words from politeWords count as such text (with
// whitespace and punctuation between them, which are not counted), at most
// this many runes in all, and only before a 【 whose content has a
// separator (or a wrong one used throughout). A word list rather than any
// short text, because a short word before a bracket is as often chat
// ("明天【A-B-C-D】", "讨论了【…】") as a request. 12 runes fit
// "麻烦大家帮忙处理一下" and "hi all, please" but no sentence. Square brackets
// get no prefix: a near miss is a guess already.
const maxLeadRunes = 12

// politeWords may stand before a task: please, help, the addressees and
// thanks, in Chinese and English. Matched longest first (politeByRune);
// English ones case-insensitively and only as whole words.
var politeWords = []string{
	"麻烦", "烦请", "劳驾", "拜托", "有劳", "辛苦了", "辛苦", "请", "帮忙", "帮我", "帮", "协助",
	"处理", "跟进", "安排", "看下", "看一下", "看看", "一下", "尽快", "抓紧", "您", "你们", "你",
	"大家", "各位", "同学", "老师", "谢谢", "感谢", "新任务", "任务",
	"please", "pls", "plz", "kindly", "hi", "hey", "hello", "team", "all", "everyone",
	"thanks", "thx", "fyi", "help", "new task", "task", "todo",
}

// politeByRune is politeWords by their first rune (lower case), longest
// first.
var politeByRune = func() map[rune][]string {
	m := map[rune][]string{}
	for _, w := range politeWords {
		r := firstRune(w)
		m[r] = append(m[r], w)
	}
	for _, ws := range m {
		sort.SliceStable(ws, func(i, j int) bool { return len(ws[i]) > len(ws[j]) })
	}
	return m
}()

// politePrefix returns the length in bytes of the polite word s starts
// with, and its rune count; 0 when there is none.
func politePrefix(s string) (n, runes int) {
	for _, w := range politeByRune[unicode.ToLower(firstRune(s))] {
		if len(s) < len(w) {
			continue
		}
		if w[0] < utf8.RuneSelf {
			if !strings.EqualFold(s[:len(w)], w) || len(s) > len(w) && isASCIILetter(rune(s[len(w)])) {
				continue
			}
		} else if !strings.HasPrefix(s, w) {
			continue
		}
		return len(w), utf8.RuneCountInString(w)
	}
	return 0, 0
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isLeadPunct is whitespace or the punctuation people put between a
// mention or polite word and the task.
func isLeadPunct(r rune) bool {
	switch r {
	case '，', ',', '、', '：', ':', '！', '!', '～', '~', '。', '.', '；', ';':
		return true
	}
	return unicode.IsSpace(r)
}

type lead struct {
	rest   string // from the task bracket on
	tags   Tags
	anyTag bool
}

// scanLead reads @-mentions, tags and polite words (see maxLeadRunes), in
// any order, up to the first bracket that is not a tag.
func scanLead(s string) (l lead, ok bool) {
	polite := 0
	for {
		s = strings.TrimLeftFunc(s, isLeadPunct)
		switch {
		case s == "":
			return l, false
		case strings.HasPrefix(s, "@") || strings.HasPrefix(s, "＠"):
			s = skipMention(s)
		case bracketed(s):
			open, closer := "【", "】"
			if s[0] == '[' {
				open, closer = "[", "]"
			} else if strings.HasPrefix(s, "［") {
				open, closer = "［", "］"
			}
			inner, after, closed := cutBracket(s[len(open):], closer)
			if tag, isTag := tagWords[trimSpace(inner)]; isTag && closed {
				l.tags.or(tag)
				l.anyTag = true
				s = after
				continue
			}
			if polite > 0 && (open != "【" || !looksLikeTask(s[len(open):])) {
				return l, false
			}
			l.rest = s
			return l, true
		default:
			n, runes := politePrefix(s)
			if n == 0 {
				return l, false
			}
			if polite += runes; polite > maxLeadRunes {
				return l, false
			}
			s = s[n:]
		}
	}
}

// looksLikeTask reports whether the text after a 【 has the shape of a
// task before its closing bracket: a separator, or a wrong one used
// throughout (see wrongSeparator).
func looksLikeTask(s string) bool {
	inner, _, _ := cutBracket(s, "】", "]", "］")
	if strings.IndexFunc(inner, isSep) >= 0 {
		return true
	}
	_, ok := wrongSeparator(inner)
	return ok
}

// Parse classifies a chat message and, for a task request, splits and
// checks its four fields, reporting every problem at once. @-mentions,
// tags and a few polite words may stand before the task, in any order
// (see locate); a /task, /new or /新建 prefix is skipped. Tags.Assist is set
// for 【需协助】 anywhere, whatever the Kind; the other tags count only
// where format.md allows them.
func Parse(text string, opt Options) Result {
	var r Result
	// 【需协助】 flags the message wherever it stands, even in chat: a
	// reply in a task's thread saying "卡住了【需协助】" is a help request
	// for that task.
	r.Tags.Assist = strings.Contains(text, "【需协助】")
	s, tags, anyTag, ok := locate(text)
	if !ok {
		r.Kind = KindChat
		return r
	}
	opt = opt.withDefaults()
	r.Tags.or(tags)
	var due time.Time

	switch {
	case strings.HasPrefix(s, "【"):
		r.Kind = KindTask
		if runesOver(text, MaxMessageRunes) {
			r.Errors = append(r.Errors, tooLong(FieldFormat, strings.TrimSpace(s), MaxMessageRunes))
			return r
		}
		body, after, closed := cutBracket(s[len("【"):], "】", "]", "］")
		if !closed {
			r.Errors = append(r.Errors, Error{Field: FieldFormat, Input: strings.TrimSpace(s), Code: CodeUnclosed})
		}
		due = r.splitFields(body, opt)
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
		if countSeps(body, 3) < 3 {
			if !anyTag {
				return Result{Kind: KindChat, Tags: Tags{Assist: r.Tags.Assist}}
			}
			r.Kind = KindTagged
			break
		}
		r.Kind = KindNearMiss
		if runesOver(text, MaxMessageRunes) {
			r.Errors = append(r.Errors,
				Error{Field: FieldFormat, Input: preview(strings.TrimSpace(s)), Code: CodeNearMiss},
				tooLong(FieldFormat, strings.TrimSpace(s), MaxMessageRunes))
			return r
		}
		r.Errors = append(r.Errors, Error{Field: FieldFormat, Input: strings.TrimSpace(s[:len(s)-len(after)]), Code: CodeNearMiss})
		r.splitFields(body, opt)
		s = r.Tags.eat(after, &anyTag)
	default:
		r.Kind = KindTagged
	}
	r.Ref, s = cutRef(s)
	r.Rest = strings.TrimSpace(s)
	if r.Kind == KindTask && len(r.Errors) == 0 {
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

func (t *Tags) or(u Tags) {
	t.Urgent = t.Urgent || u.Urgent
	t.Important = t.Important || u.Important
	t.Assist = t.Assist || u.Assist
	t.Risk = t.Risk || u.Risk
	t.Delay = t.Delay || u.Delay
}

// countSeps counts separators in s, stopping at max.
func countSeps(s string, max int) int {
	n := 0
	for _, r := range s {
		if isSep(r) {
			if n++; n == max {
				break
			}
		}
	}
	return n
}

func tooLong(f Field, s string, limit int) Error {
	return Error{Field: f, Input: preview(s), Code: CodeTooLong, Limit: limit}
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
		tag, ok := tagWords[trimSpace(body)]
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
		t.or(tag)
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

// span is a separator's position and width in bytes.
type span struct{ at, w int }

// properSeps appends the separators of format.md in body to seps; the
// Chinese IME's dash "——" is one separator, not an empty field.
func properSeps(body string, seps []span) []span {
	for i := 0; i < len(body); i++ {
		c := rune(body[i])
		if c >= utf8.RuneSelf {
			if !sepLead[c] {
				continue
			}
			c, _ = utf8.DecodeRuneInString(body[i:])
		}
		if !isSep(c) {
			continue
		}
		w := utf8.RuneLen(c)
		if c == '—' && len(seps) > 0 {
			if last := &seps[len(seps)-1]; last.at+last.w == i && body[last.at:last.at+3] == "—" {
				last.w += w
				continue
			}
		}
		seps = append(seps, span{i, w})
	}
	return seps
}

// wrongSeps are what people type instead of a dash between the fields.
var wrongSeps = [...]rune{'/', '／', '、', '|', '｜', '，', ',', '_'}

// wrongSeparator finds a near miss of the separators: one of wrongSeps
// occurring three or more times, so that it splits body into four or more
// fields. When several do, the one that comes first wins, since it ends
// the topic. ok is false when there is none.
func wrongSeparator(body string) (sep rune, ok bool) {
	var count, first [len(wrongSeps)]int
	best := -1
	for i := 0; i < len(body); i++ {
		c := rune(body[i])
		if c >= utf8.RuneSelf {
			if !wrongLead[c] {
				continue
			}
			c, _ = utf8.DecodeRuneInString(body[i:])
		}
		for k, w := range wrongSeps {
			if c != w {
				continue
			}
			if count[k] == 0 {
				first[k] = i
			}
			if count[k]++; count[k] == 3 && (best < 0 || first[k] < first[best]) {
				best = k
			}
			break
		}
	}
	if best < 0 {
		return 0, false
	}
	return wrongSeps[best], true
}

// spansOf lists where sep occurs in body.
func spansOf(body string, sep rune) []span {
	var spans []span
	for i, c := range body {
		if c == sep {
			spans = append(spans, span{i, utf8.RuneLen(sep)})
		}
	}
	return spans
}

// split holds four fields as split from a bracket body.
type split struct {
	fields  [4]string
	present [4]bool
	code    Code      // why the deadline is unusable, if it is
	suggest string    // see Error.Suggest
	due     time.Time // the deadline resolved, when code is empty
}

// splitAt splits body at seps (format.md): topic, item, then the longest
// suffix after a separator that reads as a deadline, the request being
// what stands before it.
func splitAt(body string, seps []span, opt Options) (sp split) {
	field := func(from, to int) string { return trimSpace(body[from:to]) }
	sp.present[0] = true
	switch {
	case len(seps) == 0:
		sp.fields[0] = strings.TrimSpace(body)
		return sp
	case len(seps) == 1:
		sp.fields[0] = field(0, seps[0].at)
		sp.fields[1] = field(seps[0].at+seps[0].w, len(body))
		sp.present[1] = true
		return sp
	}
	sp.fields[0] = field(0, seps[0].at)
	sp.fields[1] = field(seps[0].at+seps[0].w, seps[1].at)
	sp.present[1] = true
	restAt := seps[1].at + seps[1].w
	rest := seps[2:]
	// The longest suffix after a separator that reads as a deadline, so
	// dashes may appear in the request and in the date. parseDeadlineExpr
	// rejects a candidate longer than any deadline by its length alone.
	for _, s := range rest {
		cand := field(s.at+s.w, len(body))
		if cand == "" {
			continue
		}
		if dl := parseDeadlineExpr(cand, opt); dl.ok {
			sp.fields[2], sp.fields[3] = field(restAt, s.at), cand
			sp.present[2], sp.present[3] = true, true
			sp.code, sp.suggest, sp.due = dl.code, dl.suggest, dl.due
			return sp
		}
	}
	if len(rest) == 0 {
		tail := field(restAt, len(body))
		dl := parseDeadlineExpr(tail, opt)
		switch {
		case dl.ok:
			// 【主题-事项-9月15日前】: the request is what is missing.
			sp.fields[3], sp.present[3], sp.code, sp.suggest, sp.due = tail, true, dl.code, dl.suggest, dl.due
		case tail != "" && isVague(tail):
			sp.fields[3], sp.present[3], sp.code = tail, true, CodeVague
		default:
			sp.fields[2], sp.present[2] = tail, true
		}
		return sp
	}
	last := rest[len(rest)-1]
	sp.fields[2] = field(restAt, last.at)
	sp.fields[3] = field(last.at+last.w, len(body))
	sp.present[2], sp.present[3] = true, true
	if sp.fields[3] != "" {
		sp.code = CodeBad
		if isVague(sp.fields[3]) {
			sp.code = CodeVague
		}
	}
	return sp
}

// fieldLimits are the bounds of the four fields, in field order.
var fieldLimits = [4]int{MaxTopicRunes, MaxItemRunes, MaxRequestRunes, MaxDeadlineRunes}

// errors lists what is wrong with the fields, in field order, and marks
// the bad ones for Example.
func (sp split) errors(whole string) (errs ErrorList, bad [4]bool) {
	for i, f := range [4]Field{FieldTopic, FieldItem, FieldRequest, FieldDeadline} {
		v := sp.fields[i]
		switch {
		case !sp.present[i]:
			errs = append(errs, Error{Field: f, Input: whole, Code: CodeMissing})
		case v == "":
			errs = append(errs, Error{Field: f, Input: whole, Code: CodeEmpty})
		case runesOver(v, fieldLimits[i]):
			errs = append(errs, tooLong(f, v, fieldLimits[i]))
		case i == 3 && sp.code != "":
			errs = append(errs, Error{Field: f, Input: v, Code: sp.code, Suggest: sp.suggest})
		default:
			continue
		}
		bad[i] = true
	}
	return errs, bad
}

// splitFields fills r.fields from a bracket body and appends what is
// wrong with them, in field order. When the dashes do not make a task but
// another character splits the body into four fields
// (【产品研发/需求确认/提供方案/9月15日前】), that split is kept and the
// wrong separator reported first, so that Example shows the same fields
// joined with "-". It returns the deadline as splitAt resolved it, which
// is what resolveDeadline would make of r.fields[3] when there are no
// errors, so that the deadline is not parsed twice.
func (r *Result) splitFields(body string, opt Options) time.Time {
	whole := trimSpace(body)
	var buf [8]span // a task has three or four separators
	seps := properSeps(body, buf[:0])
	sp := splitAt(body, seps, opt)
	errs, bad := sp.errors(whole)
	if len(errs) > 0 {
		// The wrong separator's topic and item must hold no dash, or the
		// example would split differently; dashes in the request and the
		// deadline (2026-09-30) are fine.
		if sep, ok := wrongSeparator(body); ok {
			if ws := spansOf(body, sep); len(seps) == 0 || seps[0].at > ws[1].at {
				sp = splitAt(body, ws, opt)
				errs, bad = sp.errors(whole)
				errs = append(ErrorList{{Field: FieldFormat, Input: string(sep), Code: CodeWrongSeparator}}, errs...)
			}
		}
	}
	r.fields, r.bad = sp.fields, bad
	r.Errors = append(r.Errors, errs...)
	return sp.due
}

// skipMentions drops leading "@Name" mentions and whitespace.
func skipMentions(s string) string {
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if !strings.HasPrefix(s, "@") && !strings.HasPrefix(s, "＠") {
			return s
		}
		s = skipMention(s)
	}
}

// skipMention drops the "@Name" s starts with: up to whitespace or a
// bracket.
func skipMention(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '【' || r == '[' || r == '［'
	})
	if end < 0 {
		return ""
	}
	return s[end:]
}

// trimSpace is strings.TrimSpace, answering at once for text, like most
// fields, that can neither start nor end with white space: every white
// space rune is ASCII or starts with byte C2, E1, E2 or E3, while CJK
// text starts with E4 to E9.
func trimSpace(s string) string {
	if s == "" || mayStartSpace(s[0]) {
		return strings.TrimSpace(s)
	}
	n, last := len(s), s[len(s)-1]
	if last <= ' ' || last >= utf8.RuneSelf && (n >= 2 && s[n-2] == 0xC2 || n >= 3 && mayStartSpace(s[n-3])) {
		return strings.TrimSpace(s)
	}
	return s
}

func mayStartSpace(b byte) bool { return b <= ' ' || b == 0xC2 || b >= 0xE1 && b <= 0xE3 }

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
