package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ParseDeadline resolves s, which must be a deadline expression as a whole
// (see format.md). The error, when not nil, is an Error for FieldDeadline:
// CodeMissing for blank input, CodeVague, CodeBad, CodePast or
// CodeNoWorkday.
func ParseDeadline(s string, opt Options) (time.Time, error) {
	opt = opt.withDefaults()
	dl := resolveDeadline(s, opt)
	if dl.code != "" {
		return time.Time{}, Error{Field: FieldDeadline, Input: strings.TrimSpace(s), Code: dl.code, Suggest: dl.suggest}
	}
	return dl.due, nil
}

// DeadlinePrefix finds the longest prefix of s, ending at a whitespace
// boundary or at the end, that is a deadline expression, as in
// "/delay #12 9月20日 下午5点 等待接口文档". When no whitespace boundary
// works it falls back to any character boundary, so "9月20日等待接口文档"
// still splits. A recognised prefix that resolves badly (past, invalid
// date) is returned with its error, since that is what the user meant.
func DeadlinePrefix(s string, opt Options) (raw string, due time.Time, rest string, err error) {
	opt = opt.withDefaults()
	s = strings.TrimSpace(s)
	if s == "" {
		return "", time.Time{}, "", Error{Field: FieldDeadline, Code: CodeMissing}
	}
	try := func(end int) bool {
		cand := strings.TrimSpace(s[:end])
		if cand == "" {
			return false
		}
		dl := parseDeadlineExpr(cand, opt)
		if !dl.ok {
			return false
		}
		raw, rest = cand, strings.TrimSpace(s[end:])
		if dl.code != "" {
			err = Error{Field: FieldDeadline, Input: cand, Code: dl.code, Suggest: dl.suggest}
		} else {
			due = dl.due
		}
		return true
	}
	if try(len(s)) {
		return
	}
	for end := len(s); end > 0; {
		r, w := utf8.DecodeLastRuneInString(s[:end])
		end -= w
		if unicode.IsSpace(r) && try(end) {
			return
		}
	}
	for end := len(s); end > 0; {
		_, w := utf8.DecodeLastRuneInString(s[:end])
		end -= w
		if end > 0 && try(end) {
			return
		}
	}
	first, _, _ := strings.Cut(s, " ")
	code := CodeBad
	if isVague(first) {
		code = CodeVague
	}
	return "", time.Time{}, s, Error{Field: FieldDeadline, Input: first, Code: code}
}

// resolveDeadline is ParseDeadline without the error wrapping; opt must
// have its defaults filled. ok is always true in the result: code says
// what is wrong.
func resolveDeadline(s string, opt Options) dresult {
	s = strings.TrimSpace(s)
	if s == "" {
		return dresult{code: CodeMissing, ok: true}
	}
	dl := parseDeadlineExpr(s, opt)
	if !dl.ok {
		dl = dresult{code: CodeBad, ok: true}
		if isVague(s) {
			dl.code = CodeVague
		}
	}
	return dl
}

// looksLikeDeadline reports whether s has the shape of a deadline, ignoring
// whether its value is possible or past. Error.Message uses it to tell
// "2月30日" (no such day) from "下个版本" (not a deadline at all).
func looksLikeDeadline(s string) bool {
	return parseDeadlineExpr(s, Options{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai)}.withDefaults()).ok
}

// vagueWords name no point in time. The seeds ban 尽快 explicitly; the
// rest are what people write instead. English ones are in vagueEnglish.
var vagueWords = []string{
	"尽快", "尽早", "尽量", "近期", "近日", "最近", "抓紧", "马上", "立刻", "立即", "随时",
	"及时", "待定", "有空", "得空", "空了", "方便", "稍后", "回头", "改天", "择日", "日后",
	"越快越好", "左右", "前后", "大概", "大约", "差不多", "这几天", "这两天", "过几天", "几天",
	"月中", "月初", "上旬", "中旬", "下旬", "年前", "年后", "节前", "节后", "早点", "快点",
}

// vagueExact are vague only as the whole deadline; inside other text
// they are legitimate parts of one (下周一, 下个月底).
var vagueExact = []string{"下周", "下个月", "下月", "本月", "这个月", "周末", "本周末", "这周末", "今晚", "明晚", "晚上"}

// vagueEnglish are English words and phrases that name no point in time,
// matched as whole words anywhere in the deadline ("ASAP", "by EOD or
// sooner"). Decision: "next week" and "next month" are vague like 下周 and
// 下个月 (which day?), but "end of next week", "next Monday" and "end of
// next month" are not; "tonight", "this evening" and "weekend" are vague
// like 今晚 and 周末, while "this afternoon" and "tomorrow morning" resolve
// like 下午 and 明天上午. Words that also occur in requests
// ("about", "around", "now") are left out, because the three-field check
// (【主题-事项-需求】) asks isVague of what may be a request.
var vagueEnglish = []string{
	"asap", "a s a p", "soon", "sooner", "soonest", "later", "sometime", "someday", "some time",
	"whenever", "tbd", "tba", "tbc", "eventually", "shortly", "urgent", "urgently", "tonight",
	"immediately", "right away", "promptly", "quickly", "when possible", "if possible",
	"when you can", "your convenience", "at some point", "in a while", "in a bit",
	"in the future", "few days", "couple of days", "couple days", "next few",
}

// vagueEnglishExact are vague as the whole deadline, after a leading by,
// before or due.
var vagueEnglishExact = []string{
	"next week", "next month", "this month", "weekend", "this weekend", "the weekend",
	"this evening", "evening", "tomorrow evening", "tomorrow night", "morning", "afternoon", "now",
	"right now",
}

func isVague(s string) bool {
	n := lowerNormalize(strings.TrimSpace(s))
	if isVagueEnglish(n) {
		return true
	}
	// lowerNormalize leaves valid UTF-8, so dropping the spaces here is
	// what joining strings.Fields would give, without its allocations.
	n = strings.Map(dropSpace, n)
	n = trimDeadlineSuffix(n)
	for _, w := range vagueExact {
		if n == w {
			return true
		}
	}
	for _, w := range vagueWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// isVagueEnglish matches vagueEnglish and vagueEnglishExact against the
// ASCII words of n, which is lower case.
func isVagueEnglish(n string) bool {
	if strings.IndexFunc(n, isASCIILetter) < 0 {
		return false // no words; Chinese deadlines end here
	}
	words := strings.FieldsFunc(n, func(r rune) bool { return !isASCIILetter(r) })
	if len(words) == 0 {
		return false
	}
	onlyWords := strings.IndexFunc(trimDeadlineSuffix(strings.TrimSpace(n)), func(r rune) bool {
		return !isASCIILetter(r) && !unicode.IsSpace(r) && !strings.ContainsRune(".,!", r)
	}) < 0
	for len(words) > 1 && (words[0] == "by" || words[0] == "before" || words[0] == "due" || words[0] == "until") {
		words = words[1:]
	}
	joined := " " + strings.Join(words, " ") + " "
	if onlyWords {
		for _, w := range vagueEnglishExact {
			if joined == " "+w+" " {
				return true
			}
		}
	}
	for _, w := range vagueEnglish {
		if strings.Contains(joined, " "+w+" ") {
			return true
		}
	}
	return false
}

// normRune maps full-width digits and punctuation and the traditional
// characters that occur in deadlines onto the forms the parser reads. A
// rune-for-rune mapping, so the parser can normalise while it decodes.
func normRune(r rune) rune {
	if r < '\u3000' {
		return r // ASCII, and everything else below the CJK blocks
	}
	if r >= '０' && r <= '９' {
		return '0' + r - '０'
	}
	switch r {
	case '：':
		return ':'
	case '／':
		return '/'
	case '．':
		return '.'
	case '－':
		return '-'
	case '（':
		return '('
	case '）':
		return ')'
	case '\u3000':
		return ' '
	case '點':
		return '点'
	case '後':
		return '后'
	case '週':
		return '周'
	case '禮':
		return '礼'
	case '號':
		return '号'
	case '時':
		return '时'
	case '個':
		return '个'
	case '內':
		return '内'
	case '這':
		return '这'
	case '兩':
		return '两'
	case '鐘':
		return '钟'
	case '夠':
		return '够'
	case '為':
		return '为'
	case '畫':
		return '画'
	}
	return r
}

// lowerNorm is the parser's view of a rune: normalised, then lower case.
func lowerNorm(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	r = normRune(r)
	if r >= '\u3000' && r < '\ua640' {
		return r // CJK, kana, hangul: no case, and no table search
	}
	return unicode.ToLower(r)
}

// lowerNormalize is strings.ToLower of s normalised (see normRune).
// Invalid bytes become U+FFFD, as strings.ToLower makes them.
func lowerNormalize(s string) string { return strings.Map(lowerNorm, s) }

func dropSpace(r rune) rune {
	if unicode.IsSpace(r) {
		return -1
	}
	return r
}

// deadlineSuffixes mean "by then, inclusive"; longest first.
var deadlineSuffixes = []string{"之前", "以前", "截止", "为止", "前"}

// trimDeadlineSuffix drops one trailing 前, 之前, … . The parser notes
// when it was 前, because after a duration it means "ago": 3天前 is three
// days ago, not within three days.
func trimDeadlineSuffix(s string) string {
	for _, suf := range deadlineSuffixes {
		if t, ok := strings.CutSuffix(s, suf); ok && strings.TrimSpace(t) != "" {
			return strings.TrimSpace(t)
		}
	}
	return s
}

// deadlinePrefixes are lead-ins with the same meaning, as in 截止9月15日.
var deadlinePrefixes = []string{"截止到", "截止至", "截至到", "截至", "截止", "最晚", "最迟", "不晚于", "在", "于"}

// The lead-ins and suffixes as runes, for the parser.
var (
	deadlinePrefixRunes = runesOf(deadlinePrefixes)
	deadlineSuffixRunes = runesOf(deadlineSuffixes)
)

// dparser is a backtracking recursive-descent parser over the normalised
// runes of one deadline expression. Spaces may stand between tokens.
type dparser struct {
	// s holds the expression's runes in s[:n]. An array, not a slice:
	// the parser stays on the stack only while nothing in it points
	// into it, and an expression has at most maxDeadlineLen bytes,
	// hence as many runes.
	s     [maxDeadlineLen]rune
	n     int
	i     int
	opt   Options
	now   time.Time
	today time.Time // 00:00 of now's civil date
	// ago is set when the stripped suffix was 前 and so a bare duration
	// counts backwards.
	ago bool
	// suggest is set with CodePast for a month/day that has just passed:
	// its next occurrence, written in full (see recentPastDays).
	suggest string
	// needClock: the English day read ("tonight") is a deadline only with
	// a time.
	needClock bool
}

// dresult is what parseDeadlineExpr makes of a deadline.
type dresult struct {
	due     time.Time
	code    Code   // why the value is unusable, if it is
	ok      bool   // the text has a deadline's shape
	suggest string // see Error.Suggest
}

// deadlineAlphabet holds every rune besides white space that a deadline
// can be made of, as the parser sees it (see lowerNorm): the runes of its
// words, and the ASCII digits num reads by range. Text holding any other
// rune, like the request in most suffixes splitAt tries (需前端提供…), is
// no deadline, and parseDeadlineExpr says so without trying every
// reading. A superset does no harm; TestDeadlineAlphabet checks that no
// word's rune is missing.
const deadlineAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz!%(),-./:" +
	"。〇一七三上下不两个中为之九了二于五今以作便傍八六内凌几分初到刻前十午半即及右号后周四回在多夜够大天头好定小尽" +
	"工左差年底待得快截抓拜择改整方日早旬时明星昨晚晨最月有期末本概止清点班画礼稍空立紧约至节越过近这迟里量钟随零马！"

var deadlineRunes = func() (set [0x10000 / 64]uint64) {
	for _, r := range deadlineAlphabet {
		set[r/64] |= 1 << (r % 64)
	}
	return set
}()

func inDeadlineAlphabet(r rune) bool {
	return r < 0x10000 && deadlineRunes[r/64]&(1<<(r%64)) != 0 || isSpace(r)
}

// maxDeadlineLen bounds the text tried as a deadline: the longest real one
// (2026年09月30日 下午5点30分之前) is well under it, and callers try many
// suffixes and prefixes of long messages.
const maxDeadlineLen = 120

// parseDeadlineExpr parses s as a whole. ok reports that s has a
// deadline's shape; code, when not empty, is why its value is unusable.
func parseDeadlineExpr(s string, opt Options) dresult {
	if len(s) > maxDeadlineLen {
		return dresult{}
	}
	// The runes of s, normalised and in lower case, then trimmed of
	// spaces, trailing punctuation, a lead-in and a suffix, in place:
	// the string steps this replaces copied s once per step.
	var p dparser
	k := 0
	for _, r := range s {
		// Trimming below removes only runes of the alphabet, so a rune
		// outside it would stay and fail every reading.
		if r = lowerNorm(r); !inDeadlineAlphabet(r) {
			return dresult{}
		}
		p.s[k] = r
		k++
	}
	n := trimRunesSpace(p.s[:k])
	for len(n) > 0 && strings.ContainsRune("。!！ ", n[len(n)-1]) {
		n = n[:len(n)-1]
	}
	for _, pre := range deadlinePrefixRunes {
		if t, ok := cutRunesPrefix(n, pre); ok && len(trimRunesSpace(t)) > 0 {
			n = trimRunesSpace(t)
			break
		}
	}
	stripped := n
	for _, suf := range deadlineSuffixRunes {
		if t, ok := cutRunesSuffix(n, suf); ok && len(trimRunesSpace(t)) > 0 {
			stripped = trimRunesSpace(t)
			break
		}
	}
	endsAgo := len(n) > 0 && n[len(n)-1] == '前'
	p.ago = len(stripped) != len(n) && endsAgo
	p.n = copy(p.s[:], stripped)
	p.opt, p.now = opt, opt.Now
	y, m, d := opt.Now.Date()
	p.today = time.Date(y, m, d, 0, 0, 0, 0, opt.Loc)
	alts := []reading{readDuration, readWorkdays, readPeriodEnd, readDated, readTimeOnly, readEnglish}
	if !hasASCIILetter(p.s[:p.n]) {
		// English words only when there are ASCII letters, so that Chinese
		// deadlines pay nothing for them.
		alts = alts[:len(alts)-1]
	}
	if due, code, ok := p.firstWhole(0, alts...); ok {
		if code == "" && due.Before(opt.Now) {
			code = CodePast
		}
		dl := dresult{due: due, code: code, ok: true}
		if code != "" {
			dl.due = time.Time{}
		}
		if code == CodePast {
			dl.suggest = p.suggest
		}
		return dl
	}
	return dresult{}
}

// trimRunesSpace is strings.TrimSpace on runes.
func trimRunesSpace(s []rune) []rune {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// cutRunesPrefix is strings.CutPrefix on runes.
func cutRunesPrefix(s, prefix []rune) ([]rune, bool) {
	if len(s) < len(prefix) || !slices.Equal(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// cutRunesSuffix is strings.CutSuffix on runes.
func cutRunesSuffix(s, suffix []rune) ([]rune, bool) {
	if len(s) < len(suffix) || !slices.Equal(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

func runesOf(words []string) [][]rune {
	out := make([][]rune, len(words))
	for i, w := range words {
		out[i] = []rune(w)
	}
	return out
}

// reading names one way of reading a deadline, for firstWhole; a switch
// rather than method values, which would move the parser to the heap.
type reading uint8

const (
	readDuration reading = iota
	readWorkdays
	readPeriodEnd
	readDated
	readTimeOnly
	readEnglish
	readEDuration
	readEWorkdays
	readEPeriod
	readEDated
	readEClockFirst
	readETimeOnly
)

func (p *dparser) read(r reading) (time.Time, Code, bool) {
	switch r {
	case readDuration:
		return p.duration()
	case readWorkdays:
		return p.workdays()
	case readPeriodEnd:
		return p.periodEnd()
	case readDated:
		return p.dated()
	case readTimeOnly:
		return p.timeOnly()
	case readEnglish:
		return p.english()
	case readEDuration:
		return p.eDuration()
	case readEWorkdays:
		return p.eWorkdays()
	case readEPeriod:
		return p.ePeriod()
	case readEDated:
		return p.eDated()
	case readEClockFirst:
		return p.eClockFirst()
	case readETimeOnly:
		return p.eTimeOnly()
	}
	return time.Time{}, "", false
}

// firstWhole tries each reading from position from and returns the first
// that consumes the whole expression; each starts afresh.
func (p *dparser) firstWhole(from int, alts ...reading) (time.Time, Code, bool) {
	for _, alt := range alts {
		p.i, p.suggest, p.needClock = from, "", false
		if due, code, ok := p.read(alt); ok && p.eof() {
			return due, code, true
		}
	}
	return time.Time{}, "", false
}

func hasASCIILetter(s []rune) bool {
	for _, r := range s {
		if isASCIILetter(r) {
			return true
		}
	}
	return false
}

func (p *dparser) skipSpace() {
	for p.i < p.n {
		if r := p.s[p.i]; r > ' ' && r < utf8.RuneSelf || r > '\u3000' || !isSpace(r) {
			return
		}
		p.i++
	}
}

// isSpace is unicode.IsSpace, answering from the code point's range for
// the runes a deadline is made of: no white space lies above U+3000, and
// the CJK text beyond it is the common case.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r >= '\t' && r <= '\r'
	}
	if r > '\u3000' {
		return false
	}
	return unicode.IsSpace(r)
}

func (p *dparser) eof() bool {
	p.skipSpace()
	return p.i == p.n
}

// lit consumes the first of words found at the current position, in the
// order given (so list longer words first), and returns it.
func (p *dparser) lit(words ...string) (string, bool) {
	if k := p.litAt(words); k >= 0 {
		return words[k], true
	}
	return "", false
}

// litAt is lit returning the index of the word found, or -1.
func (p *dparser) litAt(words []string) int {
	p.skipSpace()
	lead := p.lead()
	for k, w := range words {
		if len(w) > 0 && (p.i == p.n || w[0] != lead) {
			continue // most words fail here, without a call
		}
		if n, ok := p.match(w); ok {
			p.i += n
			return k
		}
	}
	return -1
}

// lead is the first byte of the next rune's UTF-8 encoding, which a word
// must start with to match; 0 at the end.
func (p *dparser) lead() byte {
	if p.i == p.n {
		return 0
	}
	r := p.s[p.i]
	switch {
	case r < 0x80:
		return byte(r)
	case r < 0x800:
		return 0xC0 | byte(r>>6)
	case r < 0x10000:
		return 0xE0 | byte(r>>12)
	}
	return 0xF0 | byte(r>>18)
}

// match reports whether w comes next and how many runes it has, comparing
// in place: converting each candidate word costs more than the parse, and
// so does decoding it; the parser's runes are encoded instead, which
// for the first rune is mostly enough to tell.
func (p *dparser) match(w string) (int, bool) {
	j := p.i
	for len(w) > 0 {
		if j >= p.n {
			return 0, false
		}
		n, ok := hasRunePrefix(w, p.s[j])
		if !ok {
			return 0, false
		}
		w = w[n:]
		j++
	}
	return j - p.i, true
}

// hasRunePrefix reports whether w, valid UTF-8, starts with r, and r's
// width. r is a rune decoded from a string, so a valid one or U+FFFD.
func hasRunePrefix(w string, r rune) (int, bool) {
	switch {
	case r < 0x80:
		return 1, len(w) > 0 && w[0] == byte(r)
	case r < 0x800:
		return 2, len(w) > 1 && w[0] == 0xC0|byte(r>>6) && w[1] == 0x80|byte(r)&0x3F
	case r < 0x10000:
		return 3, len(w) > 2 && w[0] == 0xE0|byte(r>>12) && w[1] == 0x80|byte(r>>6)&0x3F && w[2] == 0x80|byte(r)&0x3F
	}
	return 4, len(w) > 3 && w[0] == 0xF0|byte(r>>18) && w[1] == 0x80|byte(r>>12)&0x3F &&
		w[2] == 0x80|byte(r>>6)&0x3F && w[3] == 0x80|byte(r)&0x3F
}

// peek reports whether one of words comes next without consuming it.
func (p *dparser) peek(words ...string) bool {
	save := p.i
	_, ok := p.lit(words...)
	p.i = save
	return ok
}

// cnValue is the value of a Chinese digit.
func cnValue(r rune) (int, bool) {
	switch r {
	case '〇', '零':
		return 0, true
	case '两':
		return 2, true
	case '一':
		return 1, true
	case '二':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五':
		return 5, true
	case '六':
		return 6, true
	case '七':
		return 7, true
	case '八':
		return 8, true
	case '九':
		return 9, true
	}
	return 0, false
}

// num reads a number of at most maxDigits digits: ASCII digits, Chinese
// digits read one by one (二〇二六), or a Chinese numeral with 十 (十五,
// 二十, 三十一). width is the digit count, for telling years from days.
func (p *dparser) num(maxDigits int) (n, width int, ok bool) {
	p.skipSpace()
	start := p.i
	for p.i < p.n && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if w := p.i - start; w > 0 {
		if w > maxDigits {
			p.i = start
			return 0, 0, false
		}
		for _, r := range p.s[start:p.i] {
			n = n*10 + int(r-'0')
		}
		return n, w, true
	}
	// Chinese: [d]十[d] or a run of digits.
	var digits []int
	ten := false
	for p.i < p.n {
		r := p.s[p.i]
		if r == '十' && !ten {
			if len(digits) > 1 {
				break
			}
			ten = true
			if len(digits) == 0 {
				digits = append(digits, 1)
			}
			digits = append(digits, -1) // marks the 十
			p.i++
			continue
		}
		v, isDigit := cnValue(r)
		if !isDigit {
			break
		}
		digits = append(digits, v)
		p.i++
	}
	if len(digits) == 0 {
		p.i = start
		return 0, 0, false
	}
	if ten {
		// digits is [tens, -1] or [tens, -1, units]
		if len(digits) > 3 || digits[0] == 0 {
			p.i = start
			return 0, 0, false
		}
		n = digits[0] * 10
		if len(digits) == 3 {
			n += digits[2]
		}
		return n, 2, true
	}
	if len(digits) > maxDigits {
		p.i = start
		return 0, 0, false
	}
	for _, d := range digits {
		n = n*10 + d
	}
	return n, len(digits), true
}

// eod is the end of workday on t's civil date.
func (p *dparser) eod(t time.Time) time.Time { return p.opt.EndOfDay.On(t) }

// validDate reports whether y-m-d exists.
func validDate(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return d <= 29 // the proleptic Gregorian calendar, as package time
	}
	return d <= int(daysInMonth[m-1])
}

var daysInMonth = [12]uint8{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// Durations bound the arithmetic: more than this many working days is a
// typo, and stepping through them costs time.
const maxWorkdays = 1000

// duration: 30分钟内 半小时内 一个半小时内 24小时内 3天内 两周内 1个月内.
func (p *dparser) duration() (time.Time, Code, bool) {
	n, _, haveNum := p.num(6)
	half := false
	if haveNum {
		if _, ok := p.lit("个半"); ok {
			half = true
		}
	} else if _, ok := p.lit("半"); ok {
		half = true
	} else {
		return time.Time{}, "", false
	}
	unit, ok := p.lit("分钟", "分", "个小时", "个钟头", "小时", "钟头", "天", "日", "个星期", "个礼拜", "星期", "礼拜", "周", "个月")
	if !ok {
		return time.Time{}, "", false
	}
	if half && unit != "个小时" && unit != "小时" && unit != "个钟头" && unit != "钟头" {
		return time.Time{}, "", false
	}
	_, within := p.lit("以内", "之内", "内", "之后", "以后", "后")
	if unit == "日" && !within {
		return time.Time{}, "", false // 3日 is the 3rd of the month
	}
	if !within && p.ago {
		return time.Time{}, CodePast, true
	}
	var d time.Time
	switch unit {
	case "分钟", "分":
		d = p.now.Add(time.Duration(n) * time.Minute)
	case "个小时", "小时", "个钟头", "钟头":
		m := n * 60
		if half {
			m += 30
		}
		d = p.now.Add(time.Duration(m) * time.Minute)
	case "天", "日":
		d = p.eod(civilDay(p.today, n))
	case "个星期", "个礼拜", "星期", "礼拜", "周":
		d = p.eod(civilDay(p.today, 7*n))
	case "个月":
		y, m, day := p.today.Date()
		// Clamp to the month's last day: one month from 1月31日 is 2月28日.
		last := time.Date(y, m+time.Month(n)+1, 0, 0, 0, 0, 0, p.opt.Loc).Day()
		d = p.eod(time.Date(y, m+time.Month(n), min(day, last), 0, 0, 0, 0, p.opt.Loc))
	}
	return d, "", true
}

// workdays: 3个工作日内 一个工作日内.
func (p *dparser) workdays() (time.Time, Code, bool) {
	n, _, ok := p.num(6)
	if !ok {
		return time.Time{}, "", false
	}
	p.lit("个")
	if _, ok := p.lit("工作日", "工作天"); !ok {
		return time.Time{}, "", false
	}
	_, within := p.lit("以内", "之内", "内", "之后", "以后", "后")
	if !within && p.ago {
		return time.Time{}, CodePast, true
	}
	if n > maxWorkdays {
		return time.Time{}, CodeBad, true
	}
	return p.eod(AddWorkdays(p.opt.Calendar, p.today, n)), "", true
}

var (
	thisWords = []string{"这个", "本个", "本", "这", "今"}
	nextWords = []string{"下一个", "下个", "下一", "下"}
	weekWords = []string{"星期", "礼拜", "周"}
	endWords  = []string{"底", "末"}
	inWords   = []string{"以内", "之内", "内"}
)

// periodEnd: 月底 本月底 月末 下月底 年底 本周内 下周内, optionally with a
// time (月底17:00).
func (p *dparser) periodEnd() (time.Time, Code, bool) {
	start := p.i
	y, m, _ := p.today.Date()
	var day time.Time
	switch {
	case p.try(func() bool { p.lit(thisWords...); return p.litOK("月") && p.litAny(endWords, inWords) }):
		day = time.Date(y, m+1, 0, 0, 0, 0, 0, p.opt.Loc)
	case p.try(func() bool { return p.litOK(nextWords...) && p.litOK("月") && p.litAny(endWords, inWords) }):
		day = time.Date(y, m+2, 0, 0, 0, 0, 0, p.opt.Loc)
	case p.try(func() bool { p.lit("本", "今"); return p.litOK("年") && p.litAny(endWords, inWords) }):
		day = time.Date(y, 12, 31, 0, 0, 0, 0, p.opt.Loc)
	case p.try(func() bool {
		_, this := p.lit(thisWords...)
		if !p.litOK(weekWords...) {
			return false
		}
		_, in := p.lit(inWords...)
		return in || (this && p.eof())
	}):
		return p.weekEnd(0)
	case p.try(func() bool { return p.litOK(nextWords...) && p.litOK(weekWords...) && p.litOK(inWords...) }):
		return p.weekEnd(1)
	default:
		p.i = start
		return time.Time{}, "", false
	}
	return p.withTime(day)
}

// weekEnd is the last working day of the week `weeks` after this one, at
// the end of workday; a week whose working days are all over is an error
// of its own, since "past" would not explain it.
func (p *dparser) weekEnd(weeks int) (time.Time, Code, bool) {
	monday := civilDay(p.today, -(int(p.today.Weekday())+6)%7+7*weeks)
	for i := 6; i >= 0; i-- {
		d := civilDay(monday, i)
		if d.Before(p.today) {
			break
		}
		if p.opt.Calendar.IsWorkday(d) {
			due := p.eod(d)
			if due.Before(p.now) {
				break
			}
			return due, "", true
		}
	}
	return time.Time{}, CodeNoWorkday, true
}

// try runs f and rewinds when it fails.
func (p *dparser) try(f func() bool) bool {
	save := p.i
	if f() {
		return true
	}
	p.i = save
	return false
}

func (p *dparser) litOK(words ...string) bool {
	_, ok := p.lit(words...)
	return ok
}

func (p *dparser) litAny(lists ...[]string) bool {
	for _, l := range lists {
		if p.litOK(l...) {
			return true
		}
	}
	return false
}

// dated: a day (full date, month/day, day of month, relative day, weekday),
// optionally annotated with its weekday, optionally with a time.
func (p *dparser) dated() (time.Time, Code, bool) {
	day, roll, code, ok := p.day()
	if !ok {
		return time.Time{}, "", false
	}
	if code != "" {
		// Still consume a time so the shape is recognised as a whole.
		p.clock()
		return time.Time{}, code, true
	}
	var next time.Time
	past := false
	if roll {
		next, past = p.roll(day)
		day = next
	}
	// 9月15日(周二) or 9月15日周二: checked, because a mismatch means the
	// user has one of the two wrong and we cannot tell which. A date that
	// has just passed is an error anyway; its annotation is only read.
	save := p.i
	paren := p.litOK("(")
	if p.litOK(weekWords...) {
		if wd, ok := p.weekdayNum(); ok && (!paren || p.litOK(")")) {
			if !past && isoWeekday(day) != wd {
				p.clock()
				return time.Time{}, CodeBad, true
			}
			save = p.i
		}
	}
	p.i = save
	return p.finishRolled(day, past, false, p.withTime)
}

// finishRolled reads the time after a date with withTime; for a month/day
// that has just passed (past), it turns the result into CodePast and
// suggests the next occurrence, date and time written in full: Chinese
// style, or ISO for English deadlines.
func (p *dparser) finishRolled(next time.Time, past, english bool, withTime func(time.Time) (time.Time, Code, bool)) (time.Time, Code, bool) {
	from := p.i
	due, code, ok := withTime(next)
	if !past || !ok || code != "" {
		return due, code, ok
	}
	y, m, d := next.Date()
	if english {
		p.suggest = fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
	} else {
		p.suggest = fmt.Sprintf("%d年%d月%d日", y, int(m), d)
	}
	if t := strings.TrimSpace(string(p.s[from:p.i])); t != "" {
		p.suggest += " " + t
	}
	return time.Time{}, CodePast, true
}

// recentPastDays is how far in the past a month/day without a year may be
// and still be an error (截止时间已过) rather than next year's date. format.md
// rolls a month/day without a year forward to its next occurrence, and
// reference vector 10 (2月10日 sent on 2026-03-05, 23 days on) must stay
// 2027-02-10: a date long past can only mean next year. A date that has
// just passed, though, is a slip (9月13日 sent on 9月14日, a day late, or a
// typo for 9月23日); turning it silently into a deadline a year away would
// hide the mistake. Two weeks separates the two comfortably; the error
// message suggests the full date in case next year was meant.
const recentPastDays = 14

// recent reports whether t is before today but at most recentPastDays
// before it.
func (p *dparser) recent(t time.Time) bool {
	return t.Before(p.today) && !t.Before(civilDay(p.today, -recentPastDays))
}

// roll moves a month/day without a year to its next occurrence on or after
// today, trying a few years so that 2月29日 finds the next leap year. past
// reports that its latest occurrence, this year or last, was at most
// recentPastDays ago.
func (p *dparser) roll(day time.Time) (next time.Time, past bool) {
	_, m, d := day.Date()
	next = day
	for y := p.today.Year(); y <= p.today.Year()+8; y++ {
		if !validDate(y, int(m), d) {
			continue
		}
		if t := time.Date(y, m, d, 0, 0, 0, 0, p.opt.Loc); !t.Before(p.today) {
			next = t
			break
		}
	}
	for _, y := range []int{p.today.Year(), p.today.Year() - 1} {
		if validDate(y, int(m), d) && p.recent(time.Date(y, m, d, 0, 0, 0, 0, p.opt.Loc)) {
			past = true
		}
	}
	return next, past
}

// withTime finishes a dated deadline: an optional time of day, else the
// end of workday. A trailing 内 is allowed, as in 今天之内.
func (p *dparser) withTime(day time.Time) (time.Time, Code, bool) {
	h, m, code, ok := p.clock()
	p.lit(inWords...)
	if !ok {
		return p.eod(day), "", true
	}
	if code != "" {
		return time.Time{}, code, true
	}
	y, mo, d := day.Date()
	return time.Date(y, mo, d, h, m, 0, 0, p.opt.Loc), "", true
}

// timeOnly: 17:00 下班 中午 下午5点, today.
func (p *dparser) timeOnly() (time.Time, Code, bool) {
	h, m, code, ok := p.clock()
	if !ok {
		return time.Time{}, "", false
	}
	if code != "" {
		return time.Time{}, code, true
	}
	y, mo, d := p.today.Date()
	return time.Date(y, mo, d, h, m, 0, 0, p.opt.Loc), "", true
}

func isoWeekday(t time.Time) int {
	if wd := int(t.Weekday()); wd != 0 {
		return wd
	}
	return 7
}

// weekdayNum reads 一..六, 日/天/七 or 1..7 after 周/星期/礼拜.
func (p *dparser) weekdayNum() (int, bool) {
	p.skipSpace()
	if p.i >= p.n {
		return 0, false
	}
	r := p.s[p.i]
	var wd int
	switch {
	case r >= '1' && r <= '7':
		wd = int(r - '0')
	case r == '日' || r == '天' || r == '七':
		wd = 7
	default:
		v, ok := cnValue(r)
		if !ok || v < 1 || v > 6 || r == '两' {
			return 0, false
		}
		wd = v
	}
	p.i++
	return wd, true
}

// day reads the date part. roll is set for a month/day without a year,
// which the caller moves to its next occurrence.
func (p *dparser) day() (day time.Time, roll bool, code Code, ok bool) {
	at := func(y, m, d int) time.Time {
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, p.opt.Loc)
	}
	start := p.i
	// 2026-09-30 2026/9/30 2026.9.30 2026年9月30日
	if y, w, ok := p.num(4); ok && w == 4 {
		if sep, ok := p.lit("-", "/", ".", "年"); ok {
			if m, _, ok := p.num(2); ok {
				closeM := sep
				if sep == "年" {
					closeM = "月"
				}
				if p.litOK(closeM) {
					// 2027年2月底
					if sep == "年" && p.litAny(endWords) {
						if m < 1 || m > 12 {
							return time.Time{}, false, CodeBad, true
						}
						return at(y, m+1, 0), false, "", true
					}
					if d, _, ok := p.num(2); ok {
						if sep == "年" {
							p.lit("日", "号")
						}
						if !validDate(y, m, d) {
							return time.Time{}, false, CodeBad, true
						}
						return at(y, m, d), false, "", true
					}
				}
			}
		}
	}
	p.i = start
	// 9月15日 9月15号 九月十五 9/15 09-15 9.15, and 9月底
	if m, _, ok := p.num(2); ok {
		if sep, ok := p.lit("月", "/", "-", "."); ok {
			if sep == "月" && p.litAny(endWords) {
				y := p.today.Year()
				if m < 1 || m > 12 {
					return time.Time{}, false, CodeBad, true
				}
				last := at(y, m+1, 0)
				if p.recent(last) || p.recent(at(y-1, m+1, 0)) {
					if last.Before(p.today) {
						y++
					}
					p.suggest = fmt.Sprintf("%d年%d月底", y, m)
					return time.Time{}, false, CodePast, true
				}
				if last.Before(p.today) {
					last = at(y+1, m+1, 0)
				}
				return last, false, "", true
			}
			if d, _, ok := p.num(2); ok {
				if sep == "月" {
					p.lit("日", "号")
				}
				// Any year will do for the shape check; roll picks the real one.
				if !validDate(2024, m, d) {
					return time.Time{}, false, CodeBad, true
				}
				y := p.today.Year()
				if !validDate(y, m, d) {
					y = 2024 // a leap year, so roll can find the next 2月29日
				}
				return at(y, m, d), true, "", true
			}
		}
	}
	p.i = start
	// 15号 15日: this month, or next month when already past.
	if d, _, ok := p.num(2); ok {
		if p.litOK("号", "日") && !p.peek("内", "以内", "之内") {
			y, m, _ := p.today.Date()
			t := at(y, int(m), d)
			if d < p.today.Day() {
				t = at(y, int(m)+1, d)
			}
			if d < 1 || d > 31 || t.Day() != d {
				return time.Time{}, false, CodeBad, true
			}
			return t, false, "", true
		}
	}
	p.i = start
	// 今天 明天 后天 大后天, 昨天 前天 (past), and 今/明/后 before a part of
	// the day (明早9点, 今晚8点).
	if k := p.litAt(relDayWords); k >= 0 {
		return civilDay(p.today, relDays[k]), false, "", true
	}
	for _, r := range []struct {
		w string
		n int
	}{{"今", 0}, {"明", 1}, {"后", 2}} {
		if p.litOK(r.w) {
			if p.peek(dayParts...) {
				return civilDay(p.today, r.n), false, "", true
			}
			p.i = start
		}
	}
	// 周五 星期五 礼拜五 本周五 这周五 下周一 下下周三 上周五
	weeks, bare := 0, true
	switch {
	case p.litOK("下下个", "下下"):
		weeks, bare = 2, false
	case p.litOK(nextWords...):
		weeks, bare = 1, false
	case p.litOK("上上个", "上上"):
		weeks, bare = -2, false
	case p.litOK("上一个", "上个", "上一", "上"):
		weeks, bare = -1, false
	case p.litOK(thisWords...):
		bare = false
	}
	if p.litOK(weekWords...) {
		if wd, ok := p.weekdayNum(); ok {
			today := isoWeekday(p.today)
			if bare {
				return civilDay(p.today, (wd-today+7)%7), false, "", true
			}
			return civilDay(p.today, wd-today+7*weeks), false, "", true
		}
	}
	p.i = start
	return time.Time{}, false, "", false
}

// relDayWords are the days relative to today that day reads, in the
// order tried; relDays are their offsets in days.
var (
	relDayWords = []string{"大后天", "大前天", "今天", "今日", "明天", "明日", "后天", "昨天", "昨日", "前天"}
	relDays     = []int{3, -3, 0, 0, 1, 1, 2, -1, -1, -2}
)

// dayParts are the words for parts of the day that may precede a clock
// time; longer first.
var dayParts = []string{"凌晨", "早上", "早晨", "清晨", "上午", "中午", "下午", "傍晚", "晚上", "夜里", "早", "晚"}

// clock reads a time of day: [part of day] 17:00 / 5点 / 5点半 / 10点30分
// / 17时, or 下班 (end of workday), or a part of the day alone (上午 and
// 中午 mean 12:00, 下午 the end of workday).
func (p *dparser) clock() (h, m int, code Code, ok bool) {
	start := p.i
	part, _ := p.lit(dayParts...)
	afterPart := p.i
	if p.litOK("下班") {
		if part != "" {
			p.i = start
			return 0, 0, "", false
		}
		return p.opt.EndOfDay.Hour, p.opt.EndOfDay.Minute, "", true
	}
	h, _, okh := p.num(2)
	if okh {
		switch sep, _ := p.lit(":", "点钟", "点", "时"); sep {
		case ":":
			mm, w, ok := p.num(2)
			if !ok || w != 2 {
				p.i = start
				return 0, 0, "", false
			}
			m = mm
		case "点钟", "点", "时":
			switch {
			case p.litOK("半"):
				m = 30
			case p.litOK("一刻"):
				m = 15
			case p.litOK("三刻"):
				m = 45
			case p.litOK("整"):
			default:
				save := p.i
				if mm, _, ok := p.num(2); ok {
					m = mm
					p.lit("分钟", "分")
				} else {
					p.i = save
				}
			}
		default:
			okh = false
		}
	}
	if !okh {
		p.i = afterPart
		switch part {
		case "上午", "中午":
			return 12, 0, "", true
		case "下午":
			return p.opt.EndOfDay.Hour, p.opt.EndOfDay.Minute, "", true
		}
		p.i = start
		return 0, 0, "", false
	}
	switch part {
	case "下午", "傍晚", "晚上", "夜里", "晚":
		if h >= 1 && h <= 11 {
			h += 12
		} else if h == 12 && part != "下午" {
			h = 24 // 晚上12点 is midnight at the end of that day
		}
	case "中午":
		if h >= 1 && h <= 3 {
			h += 12
		}
	case "凌晨", "早上", "早晨", "清晨", "上午", "早":
		if h > 12 {
			return 0, 0, CodeBad, true
		}
	}
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, 0, CodeBad, true
	}
	return h, m, "", true
}
