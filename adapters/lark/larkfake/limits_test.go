package larkfake

import (
	"fmt"
	"testing"
)

// With Limits set, the fake refuses what Lark would: the sixth send to a
// chat (or user) within a second with 230020, the fifty-first of the app
// within a second with 429/99991400; refused sends do not count, and
// nothing is throttled without Limits.
func TestLimits(t *testing.T) {
	send := func(s *Server, kind, to string) (int, int) {
		path, body := "/open-apis/im/v1/messages?receive_id_type=chat_id", fmt.Sprintf(`{"receive_id":%q,"msg_type":"text","content":"{\"text\":\"hi\"}"}`, to)
		switch kind {
		case "dm":
			path = "/open-apis/im/v1/messages?receive_id_type=open_id"
		case "reply":
			path, body = "/open-apis/im/v1/messages/"+to+"/reply", `{"msg_type":"text","content":"{\"text\":\"hi\"}"}`
		}
		status, code, _ := call(t, s, "POST", path, body)
		return status, code
	}
	for _, tc := range []struct {
		name       string
		limits     *Limits
		sends      func(s *Server) [][2]string // kind, target
		wantStatus int
		wantCode   int
		ok         int // sends answered 0 before the refusal
	}{
		{"chat", &LarkLimits, func(*Server) [][2]string { return repeat("create", "oc_a", 6) }, 400, 230020, 5},
		{"user", &LarkLimits, func(*Server) [][2]string { return repeat("dm", "ou_a", 6) }, 400, 230020, 5},
		{"reply counts for the chat", &LarkLimits, func(s *Server) [][2]string {
			s.noteIncoming(Message{MessageID: "om_in1", ChatID: "oc_a"})
			return append(repeat("create", "oc_a", 5), [2]string{"reply", "om_in1"})
		}, 400, 230020, 5},
		{"app", &LarkLimits, func(*Server) [][2]string {
			var out [][2]string
			for i := range 51 {
				out = append(out, [2]string{"create", fmt.Sprintf("oc_%02d", i)})
			}
			return out
		}, 429, 99991400, 50},
		{"minute", &Limits{PerMinute: 3}, func(*Server) [][2]string { return repeat("create", "oc_a", 4) }, 429, 99991400, 3},
		{"none without Limits", nil, func(*Server) [][2]string { return repeat("create", "oc_a", 60) }, 200, 0, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Options{Limits: tc.limits})
			defer s.Close()
			sends := tc.sends(s)
			for i, sd := range sends {
				status, code := send(s, sd[0], sd[1])
				want := [2]int{200, 0}
				if i == len(sends)-1 {
					want = [2]int{tc.wantStatus, tc.wantCode}
				}
				if [2]int{status, code} != want {
					t.Fatalf("send %d (%s %s): %d/%d, want %d/%d", i+1, sd[0], sd[1], status, code, want[0], want[1])
				}
			}
			if got := len(s.Sent()); got != tc.ok {
				t.Errorf("%d posted, want %d", got, tc.ok)
			}
			if th := s.ThrottledSends(); (tc.wantCode == 0) != (len(th) == 0) || len(th) > 0 && th[0].Code != tc.wantCode {
				t.Errorf("throttled: %+v", th)
			}
		})
	}
}

func repeat(kind, to string, n int) [][2]string {
	out := make([][2]string, n)
	for i := range out {
		out[i] = [2]string{kind, to}
	}
	return out
}
