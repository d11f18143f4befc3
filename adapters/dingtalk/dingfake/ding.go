package dingfake

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// PathDingSend is the robot's DING (platforms-2.md §9).
const PathDingSend = "/v1.0/robot/ding/send"

// Ding is one DING that reached the fake.
type Ding struct {
	RobotCode  string
	RemindType int // 1 app, 2 SMS, 3 phone
	Receivers  []string
	Content    string
}

// dingFake is the Server's DING and 1:1 state, guarded by Server.mu.
type dingFake struct {
	dings          []Ding
	dingCalls      int
	dingQuotaOut   bool
	dingNonPremium bool
	invalidStaff   map[string]bool
	flowStaff      map[string]bool
}

func (s *Server) initDing(mux *http.ServeMux) {
	s.invalidStaff = map[string]bool{}
	s.flowStaff = map[string]bool{}
	mux.HandleFunc("POST "+PathDingSend, s.dingSend)
}

func (s *Server) dingSend(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if !s.todoAuth(w, r, PathDingSend, raw) {
		return
	}
	var req struct {
		RobotCode  string   `json:"robotCode"`
		RemindType int      `json:"remindType"`
		Receivers  []string `json:"receiverUserIdList"`
		Content    string   `json:"content"`
	}
	if err := json.Unmarshal(raw, &req); err != nil || req.RobotCode == "" || req.Content == "" || len(req.Receivers) == 0 {
		todoErr(w, http.StatusBadRequest, "invalidParameter", "robotCode, receiverUserIdList and content are required")
		return
	}
	max := 20
	switch req.RemindType {
	case 1:
		max = 200
	case 2, 3:
	default:
		todoErr(w, http.StatusBadRequest, "invalidParameter", "remindType must be 1, 2 or 3")
		return
	}
	if len(req.Receivers) > max {
		todoErr(w, http.StatusBadRequest, "invalidParameter", "too many receivers")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dingCalls++
	switch {
	case s.dingNonPremium:
		// DING is for 专业版/专属版 orgs; the code for any other org is not
		// documented: a permission refusal stands in for it.
		todoErr(w, http.StatusForbidden, "Forbidden.AccessDenied", "fake: DING needs a 专业版 or 专属版 org")
		return
	case s.dingQuotaOut:
		todoErr(w, http.StatusBadRequest, "ding.serverquota.insufficient", "fake: DING quota insufficient")
		return
	}
	s.dings = append(s.dings, Ding{RobotCode: req.RobotCode, RemindType: req.RemindType, Receivers: req.Receivers, Content: req.Content})
	writeJSON(w, http.StatusOK, map[string]any{"openDingId": randID("ding"), "failedList": []any{}})
}

// SetDingQuotaExhausted makes ding/send answer ding.serverquota.insufficient.
func (s *Server) SetDingQuotaExhausted(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dingQuotaOut = on
}

// SetDingNonPremium makes ding/send refuse as for an org without DING.
func (s *Server) SetDingNonPremium(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dingNonPremium = on
}

// Dings returns the DINGs sent, in order.
func (s *Server) Dings() []Ding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dings)
}

// DingCalls counts authorized ding/send calls, refused ones included.
func (s *Server) DingCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dingCalls
}

// SetInvalidStaff makes oToMessages/batchSend list these users in
// invalidStaffIdList (not sent to them).
func (s *Server) SetInvalidStaff(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.invalidStaff[id] = true
	}
}

// SetFlowControlled makes oToMessages/batchSend list these users in
// flowControlledStaffIdList (not sent to them), until cleared with no ids.
func (s *Server) SetFlowControlled(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ids) == 0 {
		s.flowStaff = map[string]bool{}
	}
	for _, id := range ids {
		s.flowStaff[id] = true
	}
}

// otoSplit splits batchSend's userIds into those who get the message and
// the two refusal lists.
func (s *Server) otoSplit(ids []string) (ok, invalid, flow []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	invalid, flow = []string{}, []string{}
	for _, id := range ids {
		switch {
		case s.invalidStaff[id]:
			invalid = append(invalid, id)
		case s.flowStaff[id]:
			flow = append(flow, id)
		default:
			ok = append(ok, id)
		}
	}
	return ok, invalid, flow
}
