package larkfake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// 加急 (buzz) and direct messages, from the docs: PATCH
// /open-apis/im/v1/messages/:message_id/urgent_app|urgent_sms|urgent_phone
// ?user_id_type=open_id {"user_id_list":[≤200]} → data.invalid_user_id_list
// (users not in the message's chat; all invalid → 230001); 230024 when the
// tenant's quota is used up, 230052 when the group does not allow it.
// Direct messages are creates with receive_id_type=open_id (fake.go);
// 230013 (user outside the app's availability) and 230053 (user blocked
// the bot) can be switched on per user.

// Urgent codes.
const (
	CodeUrgentQuota   = 230024
	CodeUrgentRefused = 230052
	CodeDMNotInScope  = 230013
	CodeDMBlocked     = 230053
)

// Urgent is one urgent call the client made, refused ones included.
type Urgent struct {
	MessageID string
	Kind      string // app, sms or phone
	Users     []string
	Code      int // the answer's code (0 = success)
	At        time.Time
}

type urgentState struct {
	calls     []Urgent
	refuse    int             // code answered to every call; 0 = accept
	notInChat map[string]bool // open_ids answered as invalid_user_id_list
}

type dmState struct {
	refuse map[string]int // open_id → code answered to direct messages
}

func (s *Server) initUrgent(mux *http.ServeMux) {
	s.urgent.notInChat = map[string]bool{}
	s.dm.refuse = map[string]int{}
	for _, kind := range []string{"app", "sms", "phone"} {
		mux.HandleFunc("PATCH /open-apis/im/v1/messages/{id}/urgent_"+kind, s.authed(func(w http.ResponseWriter, r *http.Request) {
			s.handleUrgent(w, r, kind)
		}))
	}
}

// Urgents lists the urgent calls so far, oldest first.
func (s *Server) Urgents() []Urgent {
	return locked(s, func() []Urgent {
		out := slices.Clone(s.urgent.calls)
		for i := range out {
			out[i].Users = slices.Clone(out[i].Users)
		}
		return out
	})
}

// RefuseUrgent makes every later urgent call fail with code (CodeUrgentQuota,
// CodeUrgentRefused, …); 0 accepts them again.
func (s *Server) RefuseUrgent(code int) {
	s.mu.Lock()
	s.urgent.refuse = code
	s.mu.Unlock()
}

// SetNotInChat marks users as outside every chat for urgent calls: they
// come back in invalid_user_id_list.
func (s *Server) SetNotInChat(openIDs ...string) {
	s.mu.Lock()
	for _, id := range openIDs {
		s.urgent.notInChat[id] = true
	}
	s.mu.Unlock()
}

// RefuseDM makes direct messages to openID fail with code
// (CodeDMNotInScope, CodeDMBlocked); 0 delivers them again.
func (s *Server) RefuseDM(openID string, code int) {
	s.mu.Lock()
	if code == 0 {
		delete(s.dm.refuse, openID)
	} else {
		s.dm.refuse[openID] = code
	}
	s.mu.Unlock()
}

// DMs lists the direct messages sent (Sent of kind "dm"), oldest first.
func (s *Server) DMs() []Sent {
	return locked(s, func() []Sent {
		var out []Sent
		for _, m := range s.sent {
			if m.Kind == "dm" {
				out = append(out, m)
			}
		}
		return out
	})
}

func (s *Server) handleUrgent(w http.ResponseWriter, r *http.Request, kind string) {
	id := r.PathValue("id")
	if r.URL.Query().Get("user_id_type") == "" {
		apiError(w, 400, 99992402, "field validation failed: user_id_type is required")
		return
	}
	if r.URL.Query().Get("user_id_type") != "open_id" {
		apiError(w, 400, 230001, "the fake speaks open_id only")
		return
	}
	var b struct {
		UserIDList []string `json:"user_id_list"`
	}
	if err := readJSON(r, &b); err != nil || len(b.UserIDList) == 0 || len(b.UserIDList) > 200 {
		apiError(w, 400, 230001, "user_id_list: 1 to 200 required")
		return
	}
	s.mu.Lock()
	call := Urgent{MessageID: id, Kind: kind, Users: slices.Clone(b.UserIDList), At: time.Now()}
	_, known := s.msgChat[id]
	var invalid []string
	for _, u := range b.UserIDList {
		if s.urgent.notInChat[u] || !strings.HasPrefix(u, "ou_") {
			invalid = append(invalid, u)
		}
	}
	switch {
	case s.urgent.refuse != 0:
		call.Code = s.urgent.refuse
	case !known:
		call.Code = 230001 // not a message of this bot
	case len(invalid) == len(b.UserIDList):
		call.Code = 230001
	}
	s.urgent.calls = append(s.urgent.calls, call)
	s.mu.Unlock()
	if call.Code != 0 {
		apiError(w, 400, call.Code, "urgent refused: "+strconv.Itoa(call.Code))
		return
	}
	writeJSON(w, 200, map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"invalid_user_id_list": append([]string{}, invalid...),
	}})
}
