package bot

// Emergencies (seed 002 紧急事务响应流程, 000 分级沟通 and 第三步):
//
//	/incident 问题；影响：…；措施：…   (/紧急 /应急) opens #I1 and @s the group
//	                                lead and the group's responders
//	/incident responders @甲 @乙     the responders (lead or admins)
//	/incident list · /incident #I1
//	/roles #I1 @甲 排查日志 @乙 联系云服务商   (/分工)
//	/status #I1 text                 (/进展)
//	/resolved #I1 原因：… 措施：…       (/解决 /恢复) closes it with the
//	                                《紧急事务处理报告》
//
// Decisions:
//   - The three parts of a report are labelled (问题：… 影响：… 措施：…, English
//     problem:/impact:/measures:; the problem's label is optional) or
//     separated by ；/;/| (anything after the second separator belongs to
//     the measures) or by - when there are exactly three parts. A missing
//     part is asked for with the sender's own text in the example; 暂无 is
//     a valid "no measures yet".
//   - Timers run in real time (emergencies do not wait for Monday) and
//     their messages are urgent, so quiet hours do not hold them: no
//     /roles 10 minutes after the report → @the group lead again, once; no
//     /status for 30 minutes (counted from the report, then from the
//     latest /status) → @the incident lead (the first person given a role,
//     else the group lead, else the reporter), every 30 minutes until
//     /resolved. A bot that was down sends only the latest re-ping owed.
//   - Each re-ping is decided once: its marker in the incident and its
//     outbox entry are written in one transaction.
//   - The reporter, the group lead, admins, the responders, those called
//     at the report and those given a role may assign roles, post status
//     and resolve; anyone may list and show.

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"collabbot/bot/chat"
	"collabbot/store"
)

// Bounds on what users type and on what a group keeps.
const (
	incMaxProblem    = 200
	incMaxImpact     = 200
	incMaxMeasures   = 300
	incMaxRoleTask   = 80
	incMaxStatus     = 500
	incMaxCause      = 300
	incMaxFix        = 300
	incMaxRoles      = 20
	incMaxResponders = 10
	incMaxOpen       = 20
	incMaxTimeline   = 300
	// incReportLines bounds the timeline printed in the report.
	incReportLines = 40
)

// The response rhythm of seed 002: roles within 10 minutes, a status
// every 30 minutes.
const (
	incRolesWithin  = 10 * time.Minute
	incStatusEvery  = 30 * time.Minute
	incMeetingWithn = 2 * time.Hour
)

const kindIncident = "incident"

func init() {
	open := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdIncident(r, args) }
	roles := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdIncidentRoles(r, args) }
	status := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdIncidentStatus(r, args) }
	resolved := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdIncidentResolved(r, args) }
	registerFeature(feature{
		names: map[string]func(*Bot, *request, string) ([]chat.Reply, error){
			"incident": open, "紧急": open, "应急": open, "紧急事务": open,
			"roles": roles, "分工": roles,
			"status": status, "进展": status,
			"resolved": resolved, "解决": resolved, "恢复": resolved,
		},
		due: func(b *Bot, now time.Time) ([]store.GroupKey, error) { return b.incidentsDue(now) },
	})
}

// ---- references and permissions -------------------------------------

var reIncidentRef = regexp.MustCompile(`^(?:[#＃]\s*[IiＩｉ]?\s*|[IiＩｉ])([0-9０-９]*)`)

// incidentRef takes "#I1" (also "#1", "I1") off the front of args. ok is
// false when args starts with something that looks like a reference but is
// not a valid one (bad is then that token). id 0 with ok: no reference.
func incidentRef(args string) (id int64, rest, bad string, ok bool) {
	a := strings.TrimSpace(args)
	m := reIncidentRef.FindStringSubmatch(a)
	if m == nil {
		return 0, a, "", true
	}
	after := a[len(m[0]):]
	next, _ := utf8.DecodeRuneInString(after)
	if m[1] == "" {
		if strings.HasPrefix(a, "#") || strings.HasPrefix(a, "＃") {
			tok, _, _ := strings.Cut(a, " ")
			return 0, a, tok, false
		}
		return 0, a, "", true // a word starting with I
	}
	n, err := strconv.ParseInt(toHalfWidth(m[1]), 10, 64)
	if err != nil || n < 1 || n > maxTaskID || (next < utf8.RuneSelf && next != utf8.RuneError && (isASCIIAlnum(next) || next == '.' || next == '-')) {
		tok, _, _ := strings.Cut(a, " ")
		return 0, a, tok, false
	}
	return n, strings.TrimSpace(after), "", true
}

func isASCIIAlnum(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// findIncident resolves the incident a command is about; without a
// reference, the group's only open incident. A nil incident comes with the
// reply that says what is missing.
func (b *Bot) findIncident(r *request, args, usage string) (*store.Incident, string, []chat.Reply, error) {
	id, rest, bad, ok := incidentRef(args)
	if !ok {
		return nil, "", []chat.Reply{r.reply(tr(r.lang, incBadRef, chat.Escape(clip(bad, 30)), usage))}, nil
	}
	if id == 0 {
		var open []*store.Incident
		if err := r.tx.Incidents(r.key(), func(i *store.Incident) error {
			if i.Open() {
				open = append(open, i)
			}
			return nil
		}); err != nil {
			return nil, "", nil, err
		}
		if len(open) == 1 {
			return open[0], rest, nil, nil
		}
		if len(open) == 0 {
			return nil, "", []chat.Reply{r.reply(tr(r.lang, incNoneOpen))}, nil
		}
		return nil, "", []chat.Reply{r.reply(tr(r.lang, incNeedRef, len(open), usage))}, nil
	}
	inc, err := r.tx.Incident(r.key(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", []chat.Reply{r.reply(tr(r.lang, incNoSuch, id))}, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	return inc, rest, nil, nil
}

// incidentMember: who may act on an incident.
func (r *request) incidentMember(inc *store.Incident, cfg *store.IncidentConfig) bool {
	id := r.msg.Sender.ID
	if r.admin || (r.set.Lead != nil && r.set.Lead.ID == id) || inc.Reporter.ID == id ||
		containsUser(cfg.Responders, id) || containsUser(inc.Notified, id) {
		return true
	}
	for _, ro := range inc.Roles {
		if ro.User.ID == id {
			return true
		}
	}
	return false
}

func (r *request) incidentDeny(inc *store.Incident, cfg *store.IncidentConfig, cmd string) []chat.Reply {
	if r.incidentMember(inc, cfg) {
		return nil
	}
	return []chat.Reply{r.reply(tr(r.lang, incNotAllowed, inc.ID, cmd, chat.Escape(inc.Reporter.Name)))}
}

// incidentLead is who answers for the response: the first person given a
// role, else the group lead, else the reporter.
func incidentLead(inc *store.Incident, lead *store.User) store.User {
	if len(inc.Roles) > 0 {
		return inc.Roles[0].User
	}
	if lead != nil && !lead.IsZero() {
		return *lead
	}
	return inc.Reporter
}

func incidentClosedReply(r *request, inc *store.Incident) []chat.Reply {
	return []chat.Reply{r.reply(tr(r.lang, incAlreadyResolved, inc.ID, fmtTime(r.lang, inc.ResolvedAt, r.set.Location, r.now)))}
}

func tooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// ---- /incident ---------------------------------------------------------

func (b *Bot) cmdIncident(r *request, args string) ([]chat.Reply, error) {
	args = strings.TrimSpace(args)
	first, rest, _ := strings.Cut(args, " ")
	switch strings.ToLower(first) {
	case "", "help", "帮助", "?", "？":
		return []chat.Reply{r.reply(tr(r.lang, incUsage))}, nil
	case "list", "ls", "列表", "全部":
		return b.incidentList(r)
	case "responders", "responder", "响应人", "应急人员", "响应":
		return b.incidentResponders(r, rest)
	}
	id, more, bad, ok := incidentRef(args)
	if !ok {
		return []chat.Reply{r.reply(tr(r.lang, incBadRef, chat.Escape(clip(bad, 30)), "/incident #I1"))}, nil
	}
	// "/incident #I1" shows it (anything after "#I1" is ignored); "I1" alone
	// too, but "I2 servers down - …" is a report.
	if id > 0 && (more == "" || strings.HasPrefix(args, "#") || strings.HasPrefix(args, "＃")) {
		return b.incidentShow(r, id)
	}
	return b.incidentOpen(r, args)
}

// incidentField names the three parts of a report.
type incidentField int

const (
	incProblem incidentField = iota
	incImpact
	incMeasures
	incCause
	incFix
)

var reIncidentLabel = regexp.MustCompile(`(?i)(问题简述|问题描述|问题|现象|problem|issue|影响范围|影响|impact|scope|已采取措施|已采取的措施|临时措施|初步处理|采取措施|措施|measures taken|measures|actions taken|actions|taken)\s*[:：]`)

var reResolveLabel = regexp.MustCompile(`(?i)(根本原因|问题原因|故障原因|原因|root cause|cause|解决措施|处理措施|措施|解决方案|fix|resolution|measures|actions)\s*[:：]`)

func incidentLabelField(label string) incidentField {
	l := strings.ToLower(label)
	switch {
	case strings.Contains(l, "影响") || l == "impact" || l == "scope":
		return incImpact
	case strings.Contains(l, "措施") || strings.Contains(l, "处理") || strings.HasPrefix(l, "measures") ||
		strings.HasPrefix(l, "actions") || l == "taken":
		return incMeasures
	}
	return incProblem
}

// resolveLabelField: a /resolved label is the cause's or else the fix's.
func resolveLabelField(label string) incidentField {
	if l := strings.ToLower(label); strings.Contains(l, "原因") || strings.Contains(l, "cause") {
		return incCause
	}
	return incFix
}

// trimPart trims spaces and the separators a part may end or start with.
func trimPart(s string) string {
	return strings.Trim(s, " \t\n\u00a0\u3000；;|｜,，、-－—–。")
}

// splitLabelled splits "X 影响：Y 措施：Z" by its labels; ok is false
// when there is no label. The text before the first label belongs to
// first.
func splitLabelled(s string, re *regexp.Regexp, first incidentField, field func(string) incidentField) (map[incidentField]string, bool) {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return nil, false
	}
	out := map[incidentField]string{}
	add := func(f incidentField, v string) {
		v = trimPart(v)
		if v == "" {
			return
		}
		if out[f] != "" {
			out[f] += "；" + v
			return
		}
		out[f] = v
	}
	add(first, s[:locs[0][0]])
	for i, l := range locs {
		end := len(s)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		add(field(s[l[2]:l[3]]), s[l[1]:end])
	}
	return out, true
}

var reSemi = regexp.MustCompile(`[；;|｜]`)
var reDash = regexp.MustCompile(`\s*[-－—–]\s*`)

// splitParts splits s into at most n parts: by ；;| (the last part takes
// the rest), else by dashes when there are at most n. many is true when
// dashes gave more than n parts.
func splitParts(s string, n int) (parts []string, many bool) {
	var raw []string
	if reSemi.MatchString(s) {
		raw = reSemi.Split(s, n)
	} else {
		raw = reDash.Split(s, -1)
		if len(raw) > n {
			return nil, true
		}
	}
	for _, p := range raw {
		parts = append(parts, trimPart(p))
	}
	return parts, false
}

func unwrapBrackets(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range [][2]string{{"【", "】"}, {"[", "]"}, {"［", "］"}} {
		if strings.HasPrefix(s, p[0]) && strings.HasSuffix(s, p[1]) {
			return strings.TrimSpace(s[len(p[0]) : len(s)-len(p[1])])
		}
	}
	return s
}

func (b *Bot) incidentOpen(r *request, args string) ([]chat.Reply, error) {
	text := unwrapBrackets(args)
	f, labelled := splitLabelled(text, reIncidentLabel, incProblem, incidentLabelField)
	if !labelled {
		parts, many := splitParts(text, 3)
		if many {
			return []chat.Reply{r.reply(tr(r.lang, incTooManyParts))}, nil
		}
		f = map[incidentField]string{}
		for i, p := range parts {
			f[incidentField(i)] = p
		}
	}
	var missing []string
	for _, k := range []incidentField{incProblem, incImpact, incMeasures} {
		if f[k] == "" {
			missing = append(missing, incFieldName(r.lang, k))
		}
	}
	if len(missing) > 0 {
		ex := func(k incidentField, placeholder string) string {
			if f[k] != "" {
				return chat.Escape(clip(f[k], 60))
			}
			return tr(r.lang, placeholder)
		}
		return []chat.Reply{r.reply(tr(r.lang, incMissing, strings.Join(missing, tr(r.lang, wordListSep)),
			ex(incProblem, incExProblem), ex(incImpact, incExImpact), ex(incMeasures, incExMeasures)))}, nil
	}
	for _, c := range []struct {
		k   incidentField
		max int
	}{{incProblem, incMaxProblem}, {incImpact, incMaxImpact}, {incMeasures, incMaxMeasures}} {
		if tooLong(f[c.k], c.max) {
			return []chat.Reply{r.reply(tr(r.lang, incTooLong, incFieldName(r.lang, c.k), c.max))}, nil
		}
	}
	open := 0
	if err := r.tx.Incidents(r.key(), func(i *store.Incident) error {
		if i.Open() {
			open++
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if open >= incMaxOpen {
		return []chat.Reply{r.reply(tr(r.lang, incTooManyOpen, open))}, nil
	}
	cfg, err := r.tx.IncidentConfig(r.key())
	if err != nil {
		return nil, err
	}
	var notified []store.User
	add := func(u store.User) {
		if !u.IsZero() && !containsUser(notified, u.ID) {
			notified = append(notified, u)
		}
	}
	add(r.lead())
	for _, u := range cfg.Responders {
		add(u)
	}
	for _, u := range r.msg.Mentions {
		add(toStore(u))
	}
	inc := &store.Incident{
		Group: r.key(), Problem: f[incProblem], Impact: f[incImpact], Measures: f[incMeasures],
		Reporter: r.sender(), Notified: notified, StartedAt: r.now, MessageID: r.msg.MessageID,
		Timeline: []store.IncidentEvent{{At: r.now, By: r.sender(), Kind: "open", Text: f[incProblem]}},
	}
	if err := r.tx.NewIncident(inc); err != nil {
		return nil, err
	}
	call := r.notify(notified...)
	var sb strings.Builder
	sb.WriteString(tr(r.lang, incOpened, inc.ID, chat.Escape(r.sender().Name), fmtTime(r.lang, r.now, r.set.Location, r.now),
		chat.Escape(inc.Problem), chat.Escape(inc.Impact), chat.Escape(inc.Measures)))
	sb.WriteString("\n")
	if len(call) > 0 {
		sb.WriteString(tr(r.lang, incCall, mentions(call)) + "\n")
	}
	if r.set.Lead == nil {
		sb.WriteString(tr(r.lang, incNoLead) + "\n")
	}
	if len(cfg.Responders) == 0 {
		sb.WriteString(tr(r.lang, incNoResponders) + "\n")
	}
	sb.WriteString(tr(r.lang, incNext, inc.ID, fmtTime(r.lang, r.now.Add(incRolesWithin), r.set.Location, r.now)))
	return []chat.Reply{r.reply(sb.String(), call...)}, nil
}

func incFieldName(lang string, k incidentField) string {
	return tr(lang, [...]string{incWordProblem, incWordImpact, incWordMeasures, incWordCause, incWordFix}[k])
}

// incidentResponders shows or sets the group's responders.
func (b *Bot) incidentResponders(r *request, args string) ([]chat.Reply, error) {
	cfg, err := r.tx.IncidentConfig(r.key())
	if err != nil {
		return nil, err
	}
	args = strings.TrimSpace(args)
	clear := false
	switch strings.ToLower(args) {
	case "":
		if len(cfg.Responders) == 0 {
			return []chat.Reply{r.reply(tr(r.lang, incRespondersNone))}, nil
		}
		var names []string
		for _, u := range cfg.Responders {
			names = append(names, chat.Escape(u.Name))
		}
		return []chat.Reply{r.reply(tr(r.lang, incRespondersAre, strings.Join(names, tr(r.lang, wordListSep))))}, nil
	case "clear", "off", "none", "清空", "无", "取消":
		clear = true
	}
	if !r.admin && (r.set.Lead == nil || r.set.Lead.ID != r.msg.Sender.ID) {
		return []chat.Reply{r.reply(tr(r.lang, incRespondersDenied))}, nil
	}
	var us []store.User
	if !clear {
		for _, m := range r.msg.Mentions {
			if u := toStore(m); !containsUser(us, u.ID) {
				us = append(us, u)
			}
		}
		if len(us) == 0 {
			return []chat.Reply{r.reply(tr(r.lang, incRespondersUsage))}, nil
		}
		if len(us) > incMaxResponders {
			return []chat.Reply{r.reply(tr(r.lang, incRespondersTooMany, incMaxResponders))}, nil
		}
	}
	cfg.Responders, cfg.SetBy, cfg.SetAt = us, r.sender(), r.now
	if err := r.tx.PutIncidentConfig(r.key(), cfg); err != nil {
		return nil, err
	}
	if clear {
		return []chat.Reply{r.reply(tr(r.lang, incRespondersCleared))}, nil
	}
	var names []string
	for _, u := range us {
		names = append(names, chat.Escape(u.Name))
	}
	return []chat.Reply{r.reply(tr(r.lang, incRespondersSet, strings.Join(names, tr(r.lang, wordListSep))))}, nil
}

// ---- /roles --------------------------------------------------------------

const incRolesUsage = "/roles #I1 @甲 排查服务器日志 @乙 联系云服务商"

// splitByMentions cuts s into runs: each @-mention of the message (longest
// name first where names overlap) and the text between them.
type mentionRun struct {
	user *store.User
	text string
}

func splitByMentions(s string, ms []chat.User) []mentionRun {
	users := make([]store.User, 0, len(ms))
	for _, m := range ms {
		users = append(users, toStore(m))
	}
	slices.SortStableFunc(users, func(a, b store.User) int { return len(b.Name) - len(a.Name) })
	var out []mentionRun
	var text strings.Builder
	flush := func() {
		if t := strings.TrimSpace(text.String()); t != "" {
			out = append(out, mentionRun{text: t})
		}
		text.Reset()
	}
	for i := 0; i < len(s); {
		rest := s[i:]
		at := ""
		switch {
		case strings.HasPrefix(rest, "@"):
			at = "@"
		case strings.HasPrefix(rest, "＠"):
			at = "＠"
		}
		matched := false
		if at != "" {
			for _, u := range users {
				if u.Name != "" && strings.HasPrefix(rest[len(at):], u.Name) {
					flush()
					out = append(out, mentionRun{user: &u})
					i += len(at) + len(u.Name)
					matched = true
					break
				}
			}
		}
		if !matched {
			_, n := utf8.DecodeRuneInString(rest)
			text.WriteString(rest[:n])
			i += n
		}
	}
	flush()
	return out
}

func (b *Bot) cmdIncidentRoles(r *request, args string) ([]chat.Reply, error) {
	inc, rest, rep, err := b.findIncident(r, args, incRolesUsage)
	if inc == nil {
		return rep, err
	}
	cfg, err := r.tx.IncidentConfig(r.key())
	if err != nil {
		return nil, err
	}
	if d := r.incidentDeny(inc, cfg, "/roles"); d != nil {
		return d, nil
	}
	if !inc.Open() {
		return incidentClosedReply(r, inc), nil
	}
	runs := splitByMentions(rest, r.msg.Mentions)
	type role struct {
		u    store.User
		task string
	}
	var got []role
	var waiting []store.User
	for _, run := range runs {
		if run.user != nil {
			waiting = append(waiting, *run.user)
			continue
		}
		if len(waiting) == 0 {
			return []chat.Reply{r.reply(tr(r.lang, incRolesBad, chat.Escape(clip(run.text, 30)), inc.ID))}, nil
		}
		if tooLong(run.text, incMaxRoleTask) {
			return []chat.Reply{r.reply(tr(r.lang, incRoleTooLong, incMaxRoleTask, inc.ID))}, nil
		}
		for _, u := range waiting {
			got = append(got, role{u, run.text})
		}
		waiting = nil
	}
	if len(waiting) > 0 || len(got) == 0 {
		who := ""
		if len(waiting) > 0 {
			who = chat.Escape(waiting[0].Name)
		}
		return []chat.Reply{r.reply(tr(r.lang, incRolesNeedTask, who, inc.ID))}, nil
	}
	var lines []string
	var assigned []store.User
	for _, g := range got {
		idx := slices.IndexFunc(inc.Roles, func(x store.IncidentRole) bool { return x.User.ID == g.u.ID })
		if idx >= 0 {
			inc.Roles[idx].Task, inc.Roles[idx].At, inc.Roles[idx].By = g.task, r.now, r.sender()
		} else {
			if len(inc.Roles) >= incMaxRoles {
				return []chat.Reply{r.reply(tr(r.lang, incRolesTooMany, incMaxRoles))}, nil
			}
			inc.Roles = append(inc.Roles, store.IncidentRole{User: g.u, Task: g.task, At: r.now, By: r.sender()})
		}
		if !containsUser(assigned, g.u.ID) {
			assigned = append(assigned, g.u)
		}
		lines = append(lines, g.u.Name+" "+g.task)
	}
	if len(inc.Timeline) >= incMaxTimeline {
		return []chat.Reply{r.reply(tr(r.lang, incTimelineFull, inc.ID, inc.ID))}, nil
	}
	inc.Timeline = append(inc.Timeline, store.IncidentEvent{At: r.now, By: r.sender(), Kind: "roles", Text: strings.Join(lines, " / ")})
	if err := r.tx.PutIncident(inc); err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, incRolesSet, inc.ID, chat.Escape(clip(inc.Problem, 40))))
	for _, ro := range inc.Roles {
		sb.WriteString("\n" + tr(r.lang, incRoleLine, mention(ro.User), chat.Escape(ro.Task)))
	}
	lead := incidentLead(inc, r.set.Lead)
	sb.WriteString("\n" + tr(r.lang, incRolesFooter, chat.Escape(lead.Name), inc.ID))
	return []chat.Reply{r.reply(sb.String(), assigned...)}, nil
}

// ---- /status -------------------------------------------------------------

func (b *Bot) cmdIncidentStatus(r *request, args string) ([]chat.Reply, error) {
	const usage = "/status #I1 初步判断为数据库连接池溢出，正在扩容"
	inc, rest, rep, err := b.findIncident(r, args, usage)
	if inc == nil {
		return rep, err
	}
	cfg, err := r.tx.IncidentConfig(r.key())
	if err != nil {
		return nil, err
	}
	if d := r.incidentDeny(inc, cfg, "/status"); d != nil {
		return d, nil
	}
	if !inc.Open() {
		return incidentClosedReply(r, inc), nil
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return []chat.Reply{r.reply(tr(r.lang, incStatusUsage, inc.ID))}, nil
	}
	if tooLong(rest, incMaxStatus) {
		return []chat.Reply{r.reply(tr(r.lang, incStatusTooLong, incMaxStatus))}, nil
	}
	if len(inc.Timeline) >= incMaxTimeline {
		return []chat.Reply{r.reply(tr(r.lang, incTimelineFull, inc.ID, inc.ID))}, nil
	}
	inc.Timeline = append(inc.Timeline, store.IncidentEvent{At: r.now, By: r.sender(), Kind: "status", Text: rest})
	inc.LastStatusAt = r.now
	if err := r.tx.PutIncident(inc); err != nil {
		return nil, err
	}
	n := 0
	for _, e := range inc.Timeline {
		if e.Kind == "status" {
			n++
		}
	}
	return []chat.Reply{r.reply(tr(r.lang, incStatusRecorded, inc.ID, n, chat.Escape(rest),
		incDuration(r.lang, r.now.Sub(inc.StartedAt)), fmtTime(r.lang, r.now.Add(incStatusEvery), r.set.Location, r.now)))}, nil
}

// ---- /resolved -----------------------------------------------------------

func (b *Bot) cmdIncidentResolved(r *request, args string) ([]chat.Reply, error) {
	inc, rest, rep, err := b.findIncident(r, args, "/resolved #I1 原因：数据库连接池溢出；措施：扩容并限流")
	if inc == nil {
		return rep, err
	}
	cfg, err := r.tx.IncidentConfig(r.key())
	if err != nil {
		return nil, err
	}
	if d := r.incidentDeny(inc, cfg, "/resolved"); d != nil {
		return d, nil
	}
	if !inc.Open() {
		return incidentClosedReply(r, inc), nil
	}
	rest = strings.TrimSpace(rest)
	f, labelled := splitLabelled(rest, reResolveLabel, incCause, resolveLabelField)
	if !labelled {
		parts, many := splitParts(rest, 2)
		if many {
			return []chat.Reply{r.reply(tr(r.lang, incResolveUsage, inc.ID, inc.ID))}, nil
		}
		f = map[incidentField]string{}
		for i, p := range parts {
			f[incCause+incidentField(i)] = p
		}
	}
	if f[incCause] == "" || f[incFix] == "" {
		var missing []string
		for _, k := range []incidentField{incCause, incFix} {
			if f[k] == "" {
				missing = append(missing, incFieldName(r.lang, k))
			}
		}
		return []chat.Reply{r.reply(tr(r.lang, incResolveMissing, strings.Join(missing, tr(r.lang, wordListSep)), inc.ID, inc.ID))}, nil
	}
	if tooLong(f[incCause], incMaxCause) || tooLong(f[incFix], incMaxFix) {
		return []chat.Reply{r.reply(tr(r.lang, incResolveTooLong, incMaxCause))}, nil
	}
	inc.ResolvedAt, inc.ResolvedBy, inc.Cause, inc.Fix = r.now, r.sender(), f[incCause], f[incFix]
	inc.Timeline = append(inc.Timeline, store.IncidentEvent{At: r.now, By: r.sender(), Kind: "resolved", Text: f[incCause] + " / " + f[incFix]})
	if err := r.tx.PutIncident(inc); err != nil {
		return nil, err
	}
	who := append(append([]store.User{}, inc.Notified...), inc.Reporter)
	for _, ro := range inc.Roles {
		who = append(who, ro.User)
	}
	notify := r.notify(who...)
	text := tr(r.lang, incResolvedHead, inc.ID, incDuration(r.lang, inc.ResolvedAt.Sub(inc.StartedAt))) + "\n" +
		b.incidentReport(r.lang, r.set, inc, r.now)
	if len(notify) > 0 {
		text += "\n" + tr(r.lang, incReportNotify, mentions(notify))
	}
	return []chat.Reply{r.reply(text, notify...)}, nil
}

// incidentReport is the 《紧急事务处理报告》.
func (b *Bot) incidentReport(lang string, set Effective, inc *store.Incident, now time.Time) string {
	loc := set.Location
	var sb strings.Builder
	sb.WriteString(tr(lang, incReportTitle, inc.ID))
	sb.WriteString("\n" + tr(lang, incReportBody,
		chat.Escape(inc.Problem), chat.Escape(inc.Impact), chat.Escape(inc.Measures),
		chat.Escape(inc.Cause), chat.Escape(inc.Fix),
		fmtTime(lang, inc.StartedAt, loc, now), fmtTime(lang, inc.ResolvedAt, loc, now),
		incDuration(lang, inc.ResolvedAt.Sub(inc.StartedAt)),
		chat.Escape(inc.Reporter.Name), chat.Escape(inc.ResolvedBy.Name)))
	sb.WriteString("\n" + tr(lang, incReportRoles))
	if len(inc.Roles) == 0 {
		sb.WriteString(tr(lang, incReportNoRoles))
	}
	for _, ro := range inc.Roles {
		sb.WriteString("\n" + tr(lang, incReportRoleLine, chat.Escape(ro.User.Name), chat.Escape(ro.Task)))
	}
	sb.WriteString("\n" + tr(lang, incReportTimeline))
	events := inc.Timeline
	if len(events) > incReportLines {
		sb.WriteString("\n" + tr(lang, incReportOmitted, len(events)-incReportLines))
		events = events[len(events)-incReportLines:]
	}
	for _, e := range events {
		sb.WriteString("\n" + incEventLine(lang, e, inc.StartedAt, loc))
	}
	return sb.String()
}

func incEventLine(lang string, e store.IncidentEvent, start time.Time, loc *time.Location) string {
	return tr(lang, incEventFmt, incClock(lang, e.At, start, loc), tr(lang, "inc_ev_"+e.Kind),
		chat.Escape(e.By.Name), chat.Escape(clip(e.Text, 120)))
}

// incClock is "21:05", with the date when it is not start's date.
func incClock(lang string, t, start time.Time, loc *time.Location) string {
	t, start = t.In(loc), start.In(loc)
	if t.YearDay() == start.YearDay() && t.Year() == start.Year() {
		return t.Format("15:04")
	}
	if lang == "en" {
		return t.Format("Jan 2 15:04")
	}
	return fmt.Sprintf("%d月%d日 %s", t.Month(), t.Day(), t.Format("15:04"))
}

// incDuration is real elapsed time: "2小时5分钟" / "2h 5m".
func incDuration(lang string, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	mins := int(d / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	var parts []string
	if lang == "en" {
		if days > 0 {
			parts = append(parts, fmt.Sprintf("%dd", days))
		}
		if hours > 0 {
			parts = append(parts, fmt.Sprintf("%dh", hours))
		}
		if m > 0 || len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%dm", m))
		}
		return strings.Join(parts, " ")
	}
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%d天", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%d小时", hours))
	}
	if m > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d分钟", m))
	}
	return strings.Join(parts, "")
}

// ---- list and show -----------------------------------------------------

func (b *Bot) incidentList(r *request) ([]chat.Reply, error) {
	var open, closed []*store.Incident
	if err := r.tx.Incidents(r.key(), func(i *store.Incident) error {
		if i.Open() {
			open = append(open, i)
		} else {
			closed = append(closed, i)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if len(open) == 0 && len(closed) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, incListEmpty))}, nil
	}
	var sb strings.Builder
	if len(open) == 0 {
		sb.WriteString(tr(r.lang, incListNoneOpen))
	} else {
		sb.WriteString(tr(r.lang, incListOpen, len(open)))
	}
	for _, i := range open {
		last := tr(r.lang, incListNoStatus)
		if !i.LastStatusAt.IsZero() {
			last = fmtTime(r.lang, i.LastStatusAt, r.set.Location, r.now)
		}
		sb.WriteString("\n" + tr(r.lang, incListLine, i.ID, chat.Escape(clip(i.Problem, 40)),
			incDuration(r.lang, r.now.Sub(i.StartedAt)), chat.Escape(incidentLead(i, r.set.Lead).Name), last))
	}
	if len(closed) > 0 {
		// The latest five resolved.
		slices.SortFunc(closed, func(a, b *store.Incident) int { return b.ResolvedAt.Compare(a.ResolvedAt) })
		sb.WriteString("\n" + tr(r.lang, incListResolved))
		for _, i := range closed[:min(5, len(closed))] {
			sb.WriteString("\n" + tr(r.lang, incListResolvedLine, i.ID, chat.Escape(clip(i.Problem, 40)),
				fmtTime(r.lang, i.ResolvedAt, r.set.Location, r.now), incDuration(r.lang, i.ResolvedAt.Sub(i.StartedAt))))
		}
	}
	sb.WriteString("\n" + tr(r.lang, incListFooter))
	return []chat.Reply{r.reply(sb.String())}, nil
}

func (b *Bot) incidentShow(r *request, id int64) ([]chat.Reply, error) {
	inc, err := r.tx.Incident(r.key(), id)
	if errors.Is(err, store.ErrNotFound) {
		return []chat.Reply{r.reply(tr(r.lang, incNoSuch, id))}, nil
	}
	if err != nil {
		return nil, err
	}
	if !inc.Open() {
		return []chat.Reply{r.reply(b.incidentReport(r.lang, r.set, inc, r.now))}, nil
	}
	loc := r.set.Location
	var sb strings.Builder
	sb.WriteString(tr(r.lang, incShowHead, inc.ID, chat.Escape(inc.Problem), chat.Escape(inc.Impact), chat.Escape(inc.Measures),
		fmtTime(r.lang, inc.StartedAt, loc, r.now), incDuration(r.lang, r.now.Sub(inc.StartedAt)),
		chat.Escape(inc.Reporter.Name), chat.Escape(incidentLead(inc, r.set.Lead).Name)))
	sb.WriteString("\n" + tr(r.lang, incReportRoles))
	if len(inc.Roles) == 0 {
		sb.WriteString(tr(r.lang, incShowNoRoles, inc.ID))
	}
	for _, ro := range inc.Roles {
		sb.WriteString("\n" + tr(r.lang, incReportRoleLine, chat.Escape(ro.User.Name), chat.Escape(ro.Task)))
	}
	sb.WriteString("\n" + tr(r.lang, incReportTimeline))
	events := inc.Timeline
	if len(events) > 10 {
		sb.WriteString("\n" + tr(r.lang, incReportOmitted, len(events)-10))
		events = events[len(events)-10:]
	}
	for _, e := range events {
		sb.WriteString("\n" + incEventLine(r.lang, e, inc.StartedAt, loc))
	}
	base := inc.StartedAt
	if !inc.LastStatusAt.IsZero() {
		base = inc.LastStatusAt
	}
	sb.WriteString("\n" + tr(r.lang, incShowNext, fmtTime(r.lang, base.Add(incStatusEvery), loc, r.now), inc.ID))
	return []chat.Reply{r.reply(sb.String())}, nil
}

// ---- timed re-pings ----------------------------------------------------

// incidentOwed is a re-ping an open incident owes at now.
type incidentOwed struct {
	kind     string // "roles" or "status"
	occasion time.Time
}

func incidentOwedAt(inc *store.Incident, now time.Time) []incidentOwed {
	if !inc.Open() {
		return nil
	}
	var out []incidentOwed
	if len(inc.Roles) == 0 && inc.RolesPingedAt.IsZero() && !now.Before(inc.StartedAt.Add(incRolesWithin)) {
		out = append(out, incidentOwed{"roles", inc.StartedAt.Add(incRolesWithin)})
	}
	base := inc.StartedAt
	if !inc.LastStatusAt.IsZero() {
		base = inc.LastStatusAt
	}
	if k := now.Sub(base) / incStatusEvery; k >= 1 {
		occ := base.Add(k * incStatusEvery)
		if occ.After(inc.StatusPingFor) {
			out = append(out, incidentOwed{"status", occ})
		}
	}
	return out
}

// incidentsDue records the re-pings owed at now: a read pass finds the
// groups owing some, then one write transaction per group decides them
// again on fresh state.
func (b *Bot) incidentsDue(now time.Time) ([]store.GroupKey, error) {
	owes := func(tx *store.Tx, g *store.Group) (bool, error) {
		owed := false
		err := tx.Incidents(g.Key, func(i *store.Incident) error {
			owed = owed || len(incidentOwedAt(i, now)) > 0
			return nil
		})
		return owed, err
	}
	return b.dueByGroup("incident re-pings", store.FeatureIncidents, owes, func(tx *store.Tx, g *store.Group) (bool, error) {
		set := b.effective(g)
		var incs []*store.Incident
		if err := tx.Incidents(g.Key, func(i *store.Incident) error {
			incs = append(incs, i)
			return nil
		}); err != nil {
			return false, err
		}
		posted := false
		for _, inc := range incs {
			for _, o := range incidentOwedAt(inc, now) {
				p, err := b.incidentPing(tx, set, inc, o, now)
				if err != nil {
					return false, err
				}
				posted = posted || p
			}
		}
		return posted, nil
	})
}

// incidentPing records one re-ping and its marker.
func (b *Bot) incidentPing(tx *store.Tx, set Effective, inc *store.Incident, o incidentOwed, now time.Time) (bool, error) {
	lang, loc := set.Lang, set.Location
	var to store.User
	var text, key string
	switch o.kind {
	case "roles":
		inc.RolesPingedAt = now
		key = fmt.Sprintf("incident:%s:I%d:roles", inc.Group, inc.ID)
		to = inc.Reporter
		if set.Lead != nil && !set.Lead.IsZero() {
			to = *set.Lead
		}
		text = tr(lang, incPingRoles, inc.ID, chat.Escape(clip(inc.Problem, 40)), incDuration(lang, now.Sub(inc.StartedAt)), mention(to), inc.ID)
	default:
		inc.StatusPingFor = o.occasion
		inc.StatusPings++
		key = fmt.Sprintf("incident:%s:I%d:status:%d", inc.Group, inc.ID, o.occasion.Unix())
		to = incidentLead(inc, set.Lead)
		last := tr(lang, incPingNoStatusYet)
		if !inc.LastStatusAt.IsZero() {
			last = fmtTime(lang, inc.LastStatusAt, loc, now)
		}
		text = tr(lang, incPingStatus, inc.ID, chat.Escape(clip(inc.Problem, 40)), last, incDuration(lang, now.Sub(inc.StartedAt)), mention(to), inc.ID)
	}
	if err := tx.PutIncident(inc); err != nil {
		return false, err
	}
	rep := chat.Reply{Text: text, Mentions: fromStoreUsers([]store.User{to})}
	if o.kind == "status" && (inc.StatusPings == 2 || (inc.StatusPings > 2 && inc.StatusPings%4 == 0)) {
		// An hour of silence in an emergency: the top rung may use the
		// platform's interrupt (加急/DING), then every two hours at most.
		rep.Interrupt = rep.Mentions
	}
	return b.recordScheduled(tx, inc.Group, kindIncident, key, rep, true, o.occasion, now)
}

// ---- 000 第三步: a risk that threatens the project goal ---------------------

var goalPhrases = []string{"影响整体目标", "影响项目整体目标", "影响总体目标", "影响项目目标",
	"affects the overall goal", "affect the overall goal", "affecting the overall goal", "threatens the overall goal"}

// riskGoalNotice is what /risk adds when the risk text says it affects the
// project's overall goal: the task's initiator is asked to call an
// emergency meeting within 2 hours. Empty and nil otherwise.
func riskGoalNotice(r *request, t *store.Task, text string) (string, []store.User) {
	low := strings.ToLower(text)
	hit := false
	for _, p := range goalPhrases {
		if strings.Contains(low, p) {
			hit = true
			break
		}
	}
	if !hit || t.Initiator.IsZero() {
		return "", nil
	}
	by := fmtTime(r.lang, r.now.Add(incMeetingWithn), r.set.Location, r.now)
	return "\n" + tr(r.lang, incRiskGoal, mention(t.Initiator), by), []store.User{t.Initiator}
}
