package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"collabbot/bot/chat"
)

// Every kind* string constant of the package (the outbox kinds, by
// convention) labels the send stage's metrics as itself: a feature that
// adds a kind and forgets OutboxKinds fails here instead of counting as
// "other".
func TestOutboxKindsComplete(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	known := OutboxKinds()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			gd, ok := n.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				return true
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "kind") || len(id.Name) == 4 || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					found++
					if !slices.Contains(known, v) {
						t.Errorf("%s: outbox kind %s = %q is missing from OutboxKinds", name, id.Name, v)
					}
				}
			}
			return false
		})
	}
	if found < 5 {
		t.Errorf("found only %d kind constants: has the convention changed?", found)
	}
}

func TestMessageKind(t *testing.T) {
	zs := []chat.User{{ID: "zs", Name: "张三"}}
	for _, c := range []struct {
		m    chat.Message
		want string
	}{
		{chat.Message{Text: "/help"}, msgKindCommand},
		{chat.Message{Text: "@机器人 ／进度#3 50%", Mentions: []chat.User{{ID: "bot", Name: "机器人"}}}, msgKindCommand},
		{chat.Message{Text: "/whatever"}, msgKindCommand},
		{chat.Message{Text: "@张三 【产品研发-需求确认-提供方案-明天】", Mentions: zs}, msgKindTask},
		{chat.Message{Text: "好的", ReplyTo: "om_1"}, msgKindThreadReply},
		{chat.Message{Text: "好的", RootID: "om_1"}, msgKindThreadReply},
		{chat.Message{Text: "大家好"}, msgKindDropped},
		{chat.Message{Text: "/help", Direct: true}, msgKindDirect},
		{chat.Message{Files: []string{"a.pdf"}}, msgKindFile},
	} {
		if got := messageKind(c.m); got != c.want {
			t.Errorf("%+v: %s, want %s", c.m, got, c.want)
		}
		if (c.want == msgKindDropped) == concernsBot(c.m) {
			t.Errorf("%+v: kind %s disagrees with concernsBot", c.m, c.want)
		}
	}
}

func TestCommandLabels(t *testing.T) {
	for typed, want := range map[string]string{
		"/help": "help", "/帮助": "help", "/进度#3 50%": "update", "/会议": "meet", "/meeting": "meet",
		"/纪要": "minutes", "/nope": "unknown", "/": "unknown", "/x" + strings.Repeat("y", 500): "unknown",
	} {
		c, ok := splitCommand(typed)
		if !ok {
			t.Fatalf("%q is not a command", typed)
		}
		if got := commandLabel(c); got != want {
			t.Errorf("%q: %s, want %s", typed, got, want)
		}
	}
	// Every registered spelling has an ASCII label or its own.
	for name, l := range featureLabels() {
		if l == "" || (!isASCII(l) && l != name) {
			t.Errorf("feature %q labelled %q", name, l)
		}
	}
}

// A handler's failure counts as outcome "error"; plain text is not a
// command at all.
func TestCommandOutcome(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newBotMetrics(reg, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	m.commandDone(chat.Message{Text: "/done #1"}, false)
	m.commandDone(chat.Message{Text: "/done #1"}, true)
	m.commandDone(chat.Message{Text: "任务完成了"}, true)
	m.commandDone(chat.Message{Text: "/done", Direct: true}, true)
	for outcome, want := range map[string]float64{"error": 1, "ok": 1} {
		var d dto.Metric
		if err := m.commands.WithLabelValues("done", outcome).Write(&d); err != nil {
			t.Fatal(err)
		}
		if got := d.GetCounter().GetValue(); got != want {
			t.Errorf("done/%s = %v, want %v", outcome, got, want)
		}
	}
	if n := testutilCount(t, reg); n != 2 {
		t.Errorf("%d command series, want 2", n)
	}
	var nilMetrics *botMetrics // no Registerer: every call is a no-op
	nilMetrics.received("console", msgKindTask)
	nilMetrics.commandDone(chat.Message{Text: "/help"}, true)
}

func testutilCount(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		n += len(mf.GetMetric())
	}
	return n
}
