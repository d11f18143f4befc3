package rules

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// vector is one line of testdata/vectors.jsonl, copied from the shared
// spec so the package tests stand alone.
type vector struct {
	Now     string `json:"now"`
	Msg     string `json:"msg"`
	OK      bool   `json:"ok"`
	Topic   string `json:"topic"`
	Item    string `json:"item"`
	Request string `json:"request"`
	Due     string `json:"due"`
	Urgency string `json:"urgency"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open("testdata/vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("vectors.jsonl:%d: %v", line, err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	return vs
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		now, err := time.Parse(time.RFC3339, v.Now)
		if err != nil {
			t.Fatalf("%q: bad now: %v", v.Msg, err)
		}
		r := Parse(v.Msg, Options{Now: now})
		if !v.OK {
			if len(r.Errors) == 0 {
				t.Errorf("Parse(%q):\n\tgot  no errors (kind %v, task %+v)\n\twant errors", v.Msg, r.Kind, r.Task)
			}
			continue
		}
		if len(r.Errors) > 0 || r.Task == nil || r.Kind != KindTask {
			t.Errorf("Parse(%q):\n\tgot  kind %v errors %v\n\twant a task", v.Msg, r.Kind, r.Errors.Messages("zh"))
			continue
		}
		want, err := time.Parse(time.RFC3339, v.Due)
		if err != nil {
			t.Fatalf("%q: bad due: %v", v.Msg, err)
		}
		got := *r.Task
		if got.Topic != v.Topic || got.Item != v.Item || got.Request != v.Request || !got.Due.Equal(want) {
			t.Errorf("Parse(%q):\n\tgot  %q %q %q %v\n\twant %q %q %q %v", v.Msg,
				got.Topic, got.Item, got.Request, got.Due.Format(time.RFC3339),
				v.Topic, v.Item, v.Request, want.Format(time.RFC3339))
		}
		if v.Urgency != "" && string(got.Urgency) != v.Urgency {
			t.Errorf("Parse(%q): urgency\n\tgot  %v\n\twant %v", v.Msg, got.Urgency, v.Urgency)
		}
		if got.Due.Location() != shanghai {
			t.Errorf("Parse(%q): due in %v, want the group zone", v.Msg, got.Due.Location())
		}
	}
}
