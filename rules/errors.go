package rules

import (
	"fmt"
	"strings"
)

// Field names the part of a message an Error is about.
type Field string

// Code classifies an Error. The strings are stable: the bot logs them and
// may count them in metrics.
type Code string

// Fields and error codes.
const (
	FieldTopic    Field = "topic"
	FieldItem     Field = "item"
	FieldRequest  Field = "request"
	FieldDeadline Field = "deadline"
	FieldFormat   Field = "format" // the message as a whole: brackets, count

	// CodeMissing: the field is absent, e.g. only three parts were given.
	CodeMissing Code = "missing_field"
	// CodeEmpty: the field is there but blank, as in 【产品研发--…】.
	CodeEmpty Code = "empty_field"
	// CodeVague: a deadline like 尽快 or ASAP that names no time.
	CodeVague Code = "vague_deadline"
	// CodeBad: not a deadline we understand, or one naming a date or time
	// that does not exist (2月30日, 25:00).
	CodeBad Code = "bad_deadline"
	// CodePast: the deadline resolves before the message was sent.
	CodePast Code = "past_deadline"
	// CodeNoWorkday: 本周内 when the week has no working day left.
	CodeNoWorkday Code = "no_workday_left"
	// CodeNearMiss: [a-b-c-d] in ASCII or full-width square brackets.
	CodeNearMiss Code = "near_miss"
	// CodeUnclosed: 【 without a matching 】.
	CodeUnclosed Code = "unclosed_bracket"
	// CodeTooMany: more than one 【…】 task in one message.
	CodeTooMany Code = "too_many_tasks"
	// CodeWrongSeparator: the four fields are there but joined with another
	// character, as in 【产品研发/需求确认/提供方案/9月15日前】. Input is the
	// separator that was used.
	CodeWrongSeparator Code = "wrong_separator"
	// CodeTooLong: a field, or the whole message (FieldFormat), is longer
	// than its bound; Limit is the bound in runes and Input a short preview.
	CodeTooLong Code = "too_long"
)

// Bounds on what a task may hold, in runes (characters). A task is a line
// in a list, a card title and a reminder: the topic and item name it at a
// glance, the request says what to do in a paragraph at most, and no
// deadline expression needs more than 40 characters ("no later than Dec
// 15, 2026 at 5:30pm" is 37). The whole message bound stops a paste of a
// log or a document from being parsed and echoed back; Parse checks it
// before any splitting, so a megabyte costs one scan.
const (
	MaxTopicRunes    = 40
	MaxItemRunes     = 40
	MaxRequestRunes  = 500
	MaxDeadlineRunes = 40
	MaxMessageRunes  = 2000
)

// Error is one problem with a message. Input is the offending text: the
// field's value, or the whole bracket content when a field is missing.
type Error struct {
	Field Field
	Input string
	Code  Code
	// Limit is the bound a CodeTooLong error exceeded, in runes.
	Limit int
	// Suggest, when set, is what the user may have meant instead, written
	// so that it parses: for a month/day that has just passed, the full
	// date of its next occurrence (2027年9月13日).
	Suggest string
}

// Error implements error with the Chinese message.
func (e Error) Error() string { return e.Message("zh") }

var fieldNames = map[Field][2]string{
	FieldTopic:    {"主题", "topic"},
	FieldItem:     {"事项", "item"},
	FieldRequest:  {"需求", "request"},
	FieldDeadline: {"截止时间", "deadline"},
	FieldFormat:   {"格式", "format"},
}

func fieldName(f Field, en bool) string {
	n, ok := fieldNames[f]
	if !ok {
		return string(f)
	}
	if en {
		return n[1]
	}
	return n[0]
}

// Message describes the problem in lang: "en" for English, anything else
// for Chinese.
func (e Error) Message(lang string) string {
	en := lang == "en"
	f := fieldName(e.Field, en)
	switch e.Code {
	case CodeMissing:
		if en {
			return fmt.Sprintf("missing the %s in %q", f, e.Input)
		}
		return fmt.Sprintf("缺少%s：“%s”", f, e.Input)
	case CodeEmpty:
		if en {
			return fmt.Sprintf("the %s is empty in %q", f, e.Input)
		}
		return fmt.Sprintf("%s为空：“%s”", f, e.Input)
	case CodeVague:
		if en {
			return fmt.Sprintf("deadline %q is vague; write a definite time, e.g. %s", e.Input, AcceptedDeadlines(lang))
		}
		return fmt.Sprintf("截止时间“%s”不明确，请写具体时间，如：%s", e.Input, AcceptedDeadlines(lang))
	case CodePast:
		if e.Suggest != "" {
			// Every suggestion starts with its year (2027年9月13日, 2027-09-13).
			year, _, _ := strings.Cut(strings.TrimLeft(e.Suggest, " "), "年")
			year = strings.SplitN(year, "-", 2)[0]
			if en {
				return fmt.Sprintf("deadline %q has already passed; if you meant the one in %s, write the year: %s", e.Input, year, e.Suggest)
			}
			return fmt.Sprintf("截止时间“%s”已过；如果指的是%s年的，请写上年份：%s", e.Input, year, e.Suggest)
		}
		if en {
			return fmt.Sprintf("deadline %q has already passed", e.Input)
		}
		return fmt.Sprintf("截止时间“%s”已过", e.Input)
	case CodeNoWorkday:
		if en {
			return fmt.Sprintf("deadline %q: no working day is left this week", e.Input)
		}
		return fmt.Sprintf("截止时间“%s”：本周已没有剩余工作日", e.Input)
	case CodeBad:
		// A recognised shape with an impossible value deserves a different
		// hint from text that is not a deadline at all.
		if looksLikeDeadline(e.Input) {
			if en {
				return fmt.Sprintf("deadline %q names a date or time that does not exist", e.Input)
			}
			return fmt.Sprintf("截止时间“%s”不存在（日期或时刻无效）", e.Input)
		}
		if en {
			return fmt.Sprintf("deadline %q is not understood; accepted forms: %s", e.Input, AcceptedDeadlines(lang))
		}
		return fmt.Sprintf("无法识别截止时间“%s”，可用写法：%s", e.Input, AcceptedDeadlines(lang))
	case CodeNearMiss:
		if en {
			return fmt.Sprintf("%s uses square brackets; tasks are written in 【】", e.Input)
		}
		return fmt.Sprintf("“%s”用的是方括号，任务请用中文括号【】", e.Input)
	case CodeUnclosed:
		if en {
			return fmt.Sprintf("%q is missing the closing 】", e.Input)
		}
		return fmt.Sprintf("“%s”缺少右括号】", e.Input)
	case CodeTooMany:
		if en {
			return fmt.Sprintf("one task per message, please; %q is a second one", e.Input)
		}
		return fmt.Sprintf("一条消息只能发一个任务，请把“%s”单独发送", e.Input)
	case CodeWrongSeparator:
		if en {
			return fmt.Sprintf("separate the fields with \"-\", not %q: 【topic-item-request-deadline】", e.Input)
		}
		return fmt.Sprintf("字段之间请用“-”分隔，不要用“%s”：【主题-事项-需求-截止时间】", e.Input)
	case CodeTooLong:
		if e.Field == FieldFormat {
			if en {
				return fmt.Sprintf("the message is too long for a task (at most %d characters): %q", e.Limit, e.Input)
			}
			return fmt.Sprintf("消息太长，任务消息最多%d个字：“%s”", e.Limit, e.Input)
		}
		if en {
			return fmt.Sprintf("the %s is too long (at most %d characters): %q", f, e.Limit, e.Input)
		}
		return fmt.Sprintf("%s太长，最多%d个字：“%s”", f, e.Limit, e.Input)
	}
	if en {
		return fmt.Sprintf("%s: %s %q", e.Code, f, e.Input)
	}
	return fmt.Sprintf("%s有误：“%s”", f, e.Input)
}

// ErrorList is every problem found in one message, in message order.
type ErrorList []Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return strings.Join(l.Messages("zh"), "；")
}

// Err returns l as an error, or nil when l is empty, so that a nil
// ErrorList never becomes a non-nil error interface.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Messages returns each error's Message in lang.
func (l ErrorList) Messages(lang string) []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.Message(lang)
	}
	return out
}

// Has reports whether l has an error with code c.
func (l ErrorList) Has(c Code) bool {
	for _, e := range l {
		if e.Code == c {
			return true
		}
	}
	return false
}

// acceptedEN lists English forms only; every one of them parses (tested).
const acceptedEN = "Sep 15, 2026-09-30, tomorrow 5pm, today 17:00, EOD, Friday, next Monday, in 3 days, within 3 working days, within 48 hours, end of week, end of month"

// preview shortens s for an error message about a field too long to echo.
func preview(s string) string {
	const n = 20
	i := 0
	for at := range s {
		if i == n {
			return s[:at] + "…"
		}
		i++
	}
	return s
}

// runesOver reports whether s has more than n runes, counting no further
// than needed.
func runesOver(s string, n int) bool {
	if len(s) <= n {
		return false // a rune is at least one byte
	}
	c := 0
	for range s {
		if c++; c > n {
			return true
		}
	}
	return false
}

// AcceptedDeadlines is a short list of accepted deadline forms for error
// replies and /help.
func AcceptedDeadlines(lang string) string {
	if lang == "en" {
		return acceptedEN + " (or in Chinese: 9月15日前, 明天下班前, 3个工作日内)"
	}
	return "9月15日前、2026-09-30、明天下班前、今天17:00前、周五、下周一、3个工作日内、48小时内、月底、本周内"
}
