package larkfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// call makes one authenticated API request and returns the HTTP status,
// the code and data.task.guid.
func call(t *testing.T, s *Server, method, path, body string) (int, int, string) {
	t.Helper()
	if s.Token() == "" {
		b := fmt.Sprintf(`{"app_id":%q,"app_secret":%q}`, s.AppID(), s.AppSecret())
		resp, err := http.Post(s.URL+"/open-apis/auth/v3/tenant_access_token/internal", "application/json", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Code int `json:"code"`
		Data struct {
			Task struct {
				GUID string `json:"guid"`
			} `json:"task"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, out.Code, out.Data.Task.GUID
}

func TestTaskRules(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	create := `{"summary":"s","client_token":"token-0001","members":[{"id":"ou_a","type":"user","role":"assignee"}]}`

	// A failed create does not hold its token.
	if _, code, _ := call(t, s, "POST", "/open-apis/task/v2/tasks?user_id_type=open_id", `{"summary":"","client_token":"token-0001"}`); code != CodeTaskParam {
		t.Errorf("empty summary: code %d", code)
	}
	_, code, guid := call(t, s, "POST", "/open-apis/task/v2/tasks?user_id_type=open_id", create)
	if code != 0 || guid == "" {
		t.Fatalf("create: %d %q", code, guid)
	}
	if _, _, again := call(t, s, "POST", "/open-apis/task/v2/tasks?user_id_type=open_id", create); again != guid || s.TaskCount() != 1 {
		t.Errorf("same client_token: %q vs %q, %d tasks", again, guid, s.TaskCount())
	}

	// An in-flight token is answered 1470422 (HTTP 500).
	s.mu.Lock()
	s.tasks.tokens["token-0002"] = tokenRec{}
	s.mu.Unlock()
	if st, code, _ := call(t, s, "POST", "/open-apis/task/v2/tasks", strings.Replace(create, "0001", "0002", 1)); st != 500 || code != CodeTaskInFlight {
		t.Errorf("in flight: %d/%d", st, code)
	}

	p := "/open-apis/task/v2/tasks/" + guid
	done := `{"task":{"completed_at":"1700000000000"},"update_fields":["completed_at"]}`
	for i, want := range []int{0, CodeTaskParam} {
		if _, code, _ := call(t, s, "PATCH", p, done); code != want {
			t.Errorf("complete #%d: code %d, want %d", i+1, code, want)
		}
	}
	if _, code, _ := call(t, s, "PATCH", p, `{"task":{},"update_fields":["summary"]}`); code != CodeTaskParam {
		t.Errorf("clearing the summary: code %d", code)
	}
	if _, code, _ := call(t, s, "PATCH", p, `{"task":{},"update_fields":["description","completed_at"]}`); code != 0 {
		t.Errorf("clearing description and completed_at: code %d", code)
	}
	if task, _ := s.TaskByGUID(guid); task.Done() || task.Description != "" {
		t.Errorf("after clearing: %+v", task)
	}
	for i, want := range []int{0, CodeTaskGone} {
		if _, code, _ := call(t, s, "DELETE", p, ""); code != want {
			t.Errorf("delete #%d: code %d, want %d", i+1, code, want)
		}
	}
	if st, code, _ := call(t, s, "GET", p, ""); st != 404 || code != CodeTaskGone {
		t.Errorf("get deleted: %d/%d", st, code)
	}
}
