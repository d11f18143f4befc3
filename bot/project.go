package bot

// /project (/项目), /announce (/公告) and /retro (/复盘): the group's
// project card, its single announcer, the close and the retrospective
// (seed 000 第一步/第四步, 001, 002, 003 步骤五).
//
// Decisions:
//   - One project per group. Whoever first sets any field is its
//     initiator; afterwards only the initiator, the group lead and group
//     admins change it or close it. A closed project is read-only (the
//     retrospective window may still be changed until the reminder went).
//   - Each milestone (/project 节点 需求评审 9月30日) is a real task created
//     by the same code path as 【…】 (createFromResult): topic 里程碑 /
//     Milestone, owner the announcer (else the lead, else the sender),
//     initiator the sender, due the milestone date. Warnings, the overdue
//     ladder, the daily nudge and the weekly summary apply unchanged; the
//     card shows each milestone with its task's status.
//   - The announcer is the one set with /project 发布人 @someone, else the
//     group lead, else the project's initiator. /announce from anyone else
//     is answered with a polite redirect naming the announcer. Announcements
//     ask to be pinned (chat.Reply.Pin): Lark pins them, best effort.
//   - The retrospective reminder goes to the initiator at the start of the
//     working day (the group's workday start, 09:00 by default) of the
//     N-th working day after the close date (N = 3 unless /project 复盘 N),
//     the close date itself not counted: closed Tue 2026-09-29 → Fri
//     2026-10-09 09:00 (National Day off). The start of the day, rather
//     than the close's clock time, keeps it inside working hours on that
//     day whenever the project was closed. It is recorded once: the
//     project's RetroRemindedAt commits with the outbox entry, so neither a
//     restart nor outbox pruning repeats it; a bot down at that time sends
//     it once, late; a retrospective report compiled already makes it
//     unnecessary (skipped). Quiet hours hold it like any reminder.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// Bounds on what users type into the project.
const (
	pjMaxGoal          = 200
	pjMaxResult        = 100
	pjMaxResults       = 10
	pjMaxDept          = 20
	pjMaxDepts         = 15
	pjMaxMilestoneName = 40
	pjMaxMilestones    = 20
	pjMaxAnnounce      = 1000
	pjMaxSummary       = 200
	rtMaxLine          = 300
	rtMaxLines         = 200
	pjDefaultRetroDays = 3
	pjMaxRetroDays     = 10
)

// kindRetro is the outbox kind of the retrospective reminder.
const kindRetro = "retro"

func init() {
	project := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdProject(r, args) }
	announce := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdAnnounce(r, args) }
	retro := func(b *Bot, r *request, args string) ([]chat.Reply, error) { return b.cmdRetro(r, args) }
	registerFeature(feature{
		names: map[string]func(*Bot, *request, string) ([]chat.Reply, error){
			"project": project, "项目": project,
			"announce": announce, "公告": announce,
			"retro": retro, "复盘": retro,
		},
		due: func(b *Bot, now time.Time) ([]store.GroupKey, error) { return b.dueRetro(now) },
	})
}

// pjKeyword splits "目标：Q3新产品上线" or "goal Q3 launch" into the
// keyword and the rest.
func pjKeyword(args string) (string, string) {
	args = strings.TrimSpace(args)
	i := strings.IndexAny(args, " \t\n:：\u3000")
	if i < 0 {
		return strings.ToLower(args), ""
	}
	rest := strings.TrimSpace(args[i:])
	rest = strings.TrimSpace(strings.TrimLeft(rest, ":："))
	return strings.ToLower(args[:i]), rest
}

// listColon is the label colon before a list on the next lines: no
// trailing space.
func listColon(colon string, n int) string {
	if n > 0 {
		return strings.TrimRight(colon, " ")
	}
	return colon
}

func pjRunes(s string) int { return utf8.RuneCountInString(s) }

// project loads the group's project; nil when there is none yet.
func (r *request) project() (*store.Project, error) {
	p, err := r.tx.Project(r.key())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return p, err
}

func (b *Bot) cmdProject(r *request, args string) ([]chat.Reply, error) {
	p, err := r.project()
	if err != nil {
		return nil, err
	}
	kw, rest := pjKeyword(args)
	switch kw {
	case "":
		if p == nil {
			return []chat.Reply{r.reply(tr(r.lang, pjNone) + "\n\n" + tr(r.lang, pjUsage))}, nil
		}
		return []chat.Reply{b.projectCard(r, p)}, nil
	case "help", "帮助", "?", "？":
		return []chat.Reply{r.reply(tr(r.lang, pjUsage))}, nil
	}
	var edit func(r *request, p *store.Project, rest string) ([]chat.Reply, error)
	switch kw {
	case "目标", "项目目标", "协作目标", "goal":
		edit = b.projectGoal
	case "成果", "关键成果", "result", "results", "kr":
		edit = b.projectResult
	case "部门", "参与部门", "参与方", "dept", "depts", "departments", "department":
		edit = b.projectDepartments
	case "节点", "关键节点", "里程碑", "时间节点", "milestone", "milestones":
		edit = b.projectMilestone
	case "发布人", "信息发布人", "唯一信息发布人", "announcer":
		edit = b.projectAnnouncer
	case "结项", "关闭", "完成", "close", "done":
		edit = b.projectClose
	case "复盘", "retro":
		edit = b.projectRetroDays
	default:
		return []chat.Reply{r.reply(tr(r.lang, pjUnknown, chat.Escape(clip(kw, 20))) + "\n\n" + tr(r.lang, pjUsage))}, nil
	}
	fresh := p == nil
	if fresh {
		p = &store.Project{Group: r.key(), Initiator: r.sender(), CreatedAt: r.now}
	} else if d := b.projectDeny(r, p); d != nil {
		return d, nil
	}
	if p.Closed() && kw != "复盘" && kw != "retro" {
		return []chat.Reply{r.reply(tr(r.lang, pjClosedAlready, fmtTime(r.lang, p.ClosedAt, r.set.Location, r.now)))}, nil
	}
	before, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	out, err := edit(r, p, rest)
	if err != nil || out == nil {
		return out, err
	}
	if after, err := json.Marshal(p); err != nil || bytes.Equal(before, after) {
		// A usage or refusal reply: nothing changed, nothing is stored.
		return out, err
	}
	p.UpdatedAt = r.now
	if err := r.tx.PutProject(p); err != nil {
		return nil, err
	}
	if fresh {
		out[0].Text += "\n" + tr(r.lang, pjYouInitiate, chat.Escape(p.Initiator.Name))
	}
	return out, nil
}

// projectDeny refuses a change from anyone but the initiator, the lead and
// admins; nil when allowed.
func (b *Bot) projectDeny(r *request, p *store.Project) []chat.Reply {
	id := r.msg.Sender.ID
	if r.admin || p.Initiator.ID == id || (r.set.Lead != nil && r.set.Lead.ID == id) {
		return nil
	}
	who := []string{tr(r.lang, wordInitiator) + " " + chat.Escape(p.Initiator.Name)}
	if r.set.Lead != nil {
		who = append(who, tr(r.lang, wordLead)+" "+chat.Escape(r.set.Lead.Name))
	} else {
		who = append(who, tr(r.lang, wordLead))
	}
	who = append(who, tr(r.lang, wordAdmins))
	return []chat.Reply{r.reply(tr(r.lang, pjDenied, strings.Join(who, tr(r.lang, wordListSep))))}
}

// tooLong is the reply for a field over its bound.
func pjTooLongReply(r *request, what string, n int) []chat.Reply {
	return []chat.Reply{r.reply(tr(r.lang, pjTooLong, what, n))}
}

func (b *Bot) projectGoal(r *request, p *store.Project, rest string) ([]chat.Reply, error) {
	if rest == "" {
		return []chat.Reply{r.reply(tr(r.lang, pjGoalUsage))}, nil
	}
	if pjRunes(rest) > pjMaxGoal {
		return pjTooLongReply(r, tr(r.lang, pjWordGoal), pjMaxGoal), nil
	}
	p.Goal = rest
	return []chat.Reply{r.reply(tr(r.lang, pjGoalSet, chat.Escape(rest)))}, nil
}

func (b *Bot) projectResult(r *request, p *store.Project, rest string) ([]chat.Reply, error) {
	switch strings.ToLower(rest) {
	case "":
		return []chat.Reply{r.reply(tr(r.lang, pjResultUsage))}, nil
	case "清空", "clear":
		p.Results = nil
		return []chat.Reply{r.reply(tr(r.lang, pjResultsCleared))}, nil
	}
	if pjRunes(rest) > pjMaxResult {
		return pjTooLongReply(r, tr(r.lang, pjWordResult), pjMaxResult), nil
	}
	if len(p.Results) >= pjMaxResults {
		return []chat.Reply{r.reply(tr(r.lang, pjResultsFull, pjMaxResults))}, nil
	}
	p.Results = append(p.Results, rest)
	return []chat.Reply{r.reply(tr(r.lang, pjResultAdded, len(p.Results), chat.Escape(rest)))}, nil
}

func (b *Bot) projectDepartments(r *request, p *store.Project, rest string) ([]chat.Reply, error) {
	names := strings.FieldsFunc(rest, func(c rune) bool {
		return c == ' ' || c == '\t' || c == '\n' || c == '\u3000' || c == '、' || c == ',' || c == '，' || c == ';' || c == '；' || c == '/'
	})
	if len(names) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, pjDeptUsage))}, nil
	}
	var keep []string
	for _, n := range names {
		if pjRunes(n) > pjMaxDept {
			return pjTooLongReply(r, tr(r.lang, pjWordDept), pjMaxDept), nil
		}
		dup := false
		for _, k := range keep {
			dup = dup || k == n
		}
		if !dup {
			keep = append(keep, n)
		}
	}
	if len(keep) > pjMaxDepts {
		return []chat.Reply{r.reply(tr(r.lang, pjDeptTooMany, pjMaxDepts))}, nil
	}
	p.Departments = keep
	return []chat.Reply{r.reply(tr(r.lang, pjDeptSet, chat.Escape(strings.Join(keep, tr(r.lang, wordListSep)))))}, nil
}

// milestoneSplit reads "需求评审 9月30日": the name, then a deadline
// expression after a space. The longest deadline that resolves wins;
// when none does, the error is that of the last word, which is where a
// date usually is.
func (b *Bot) milestoneSplit(r *request, s string) (name, deadline string, due time.Time, err error) {
	opt := r.set.parseOptions(r.now, b.cal)
	words := strings.Fields(s)
	for i := 1; i < len(words); i++ {
		dl := strings.Join(words[i:], " ")
		if t, e := rules.ParseDeadline(dl, opt); e == nil {
			return strings.Join(words[:i], " "), dl, t, nil
		}
	}
	if len(words) < 2 {
		return "", "", time.Time{}, nil
	}
	_, err = rules.ParseDeadline(words[len(words)-1], opt)
	return strings.Join(words[:len(words)-1], " "), words[len(words)-1], time.Time{}, err
}

func (b *Bot) projectMilestone(r *request, p *store.Project, rest string) ([]chat.Reply, error) {
	name, dl, due, err := b.milestoneSplit(r, rest)
	if name == "" {
		return []chat.Reply{r.reply(tr(r.lang, pjMilestoneUsage))}, nil
	}
	if err != nil {
		msg := err.Error()
		var re rules.Error
		if errors.As(err, &re) {
			msg = re.Message(r.lang)
		}
		return []chat.Reply{r.reply(tr(r.lang, pjMilestoneBadDate, chat.Escape(msg)))}, nil
	}
	if pjRunes(name) > pjMaxMilestoneName {
		return pjTooLongReply(r, tr(r.lang, pjWordMilestone), pjMaxMilestoneName), nil
	}
	if strings.ContainsAny(name, "【】[]") {
		return []chat.Reply{r.reply(tr(r.lang, pjMilestoneUsage))}, nil
	}
	for _, m := range p.Milestones {
		if m.Name == name {
			return []chat.Reply{r.reply(tr(r.lang, pjMilestoneDup, chat.Escape(name), m.TaskID))}, nil
		}
	}
	if len(p.Milestones) >= pjMaxMilestones {
		return []chat.Reply{r.reply(tr(r.lang, pjMilestonesFull, pjMaxMilestones))}, nil
	}
	owner, _ := b.announcer(r, p)
	if owner.IsZero() {
		owner = r.sender()
	}
	// The task is made exactly as a 【…】 request naming the owner would
	// make it.
	res := rules.Result{Kind: rules.KindTask, Task: &rules.Task{
		Topic: tr(r.lang, pjMilestoneTopic), Item: name, Request: tr(r.lang, pjMilestoneRequest, name),
		Deadline: dl, Due: due, Urgency: rules.Routine,
	}}
	as := *r
	as.msg.Mentions = []chat.User{fromStore(owner)}
	out, err := b.createFromResult(&as, res)
	if err != nil {
		return nil, err
	}
	id := r.tx.ThreadTask(r.key(), r.msg.MessageID)
	if id == 0 {
		return nil, fmt.Errorf("milestone %q: no task was created", name)
	}
	p.Milestones = append(p.Milestones, store.Milestone{Name: name, Deadline: dl, Due: due, TaskID: id,
		AddedAt: r.now, AddedBy: r.sender()})
	head := r.reply(tr(r.lang, pjMilestoneAdded, chat.Escape(name), fmtTime(r.lang, due, r.set.Location, r.now), id))
	return append([]chat.Reply{head}, out...), nil
}

// announcer is the group's single announcer and why: set explicitly, the
// group lead, else the project's initiator. Zero when none of these.
func (b *Bot) announcer(r *request, p *store.Project) (store.User, string) {
	switch {
	case p != nil && !p.Announcer.IsZero():
		return p.Announcer, ""
	case r.set.Lead != nil:
		return *r.set.Lead, tr(r.lang, pjWhyLead)
	case p != nil:
		return p.Initiator, tr(r.lang, pjWhyInitiator)
	}
	return store.User{}, ""
}

func (b *Bot) projectAnnouncer(r *request, p *store.Project, rest string) ([]chat.Reply, error) {
	switch strings.ToLower(rest) {
	case "组长", "默认", "lead", "default":
		p.Announcer = store.User{}
		u, why := b.announcer(r, p)
		return []chat.Reply{r.reply(tr(r.lang, pjAnnouncerDefault, chat.Escape(u.Name)+why))}, nil
	}
	if len(r.msg.Mentions) != 1 {
		return []chat.Reply{r.reply(tr(r.lang, pjAnnouncerUsage))}, nil
	}
	u := toStore(r.msg.Mentions[0])
	p.Announcer = u
	return []chat.Reply{r.reply(tr(r.lang, pjAnnouncerSet, mention(u)), u)}, nil
}

// retroDays is the project's retrospective window in working days.
func retroDays(p *store.Project) int {
	if p.RetroDays > 0 {
		return p.RetroDays
	}
	return pjDefaultRetroDays
}

// retroAt is when the retrospective reminder is due: the group's start
// of the working day, retroDays working days after the close date.
func (b *Bot) retroAt(set Effective, p *store.Project) time.Time {
	day := rules.AddWorkdays(b.cal, p.ClosedAt.In(set.Location), retroDays(p))
	return set.WorkdayStart.On(day)
}

func (b *Bot) projectRetroDays(r *request, p *store.Project, rest string) ([]chat.Reply, error) {
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(toHalfWidth(rest), "个工作日"), "天")))
	if err != nil || n < 1 || n > pjMaxRetroDays {
		return []chat.Reply{r.reply(tr(r.lang, pjRetroDaysUsage, pjMaxRetroDays, retroDays(p)))}, nil
	}
	if !p.RetroRemindedAt.IsZero() {
		return []chat.Reply{r.reply(tr(r.lang, pjRetroAlreadyReminded, fmtTime(r.lang, p.RetroRemindedAt, r.set.Location, r.now)))}, nil
	}
	p.RetroDays = n
	msg := tr(r.lang, pjRetroDaysSet, n)
	if p.Closed() {
		msg += "\n" + tr(r.lang, pjRetroWhen, fmtTime(r.lang, b.retroAt(r.set, p), r.set.Location, r.now), chat.Escape(p.Initiator.Name))
	}
	return []chat.Reply{r.reply(msg)}, nil
}

func (b *Bot) projectClose(r *request, p *store.Project, rest string) ([]chat.Reply, error) {
	if rest == "" {
		return []chat.Reply{r.reply(tr(r.lang, pjCloseUsage))}, nil
	}
	if pjRunes(rest) > pjMaxSummary {
		return pjTooLongReply(r, tr(r.lang, pjWordSummary), pjMaxSummary), nil
	}
	p.ClosedAt, p.ClosedBy, p.Summary = r.now, r.sender(), rest
	open := 0
	for _, m := range p.Milestones {
		if t, err := r.tx.Task(r.key(), m.TaskID); err == nil && !t.Status.Closed() {
			open++
		}
	}
	loc := r.set.Location
	var sb strings.Builder
	goal := p.Goal
	if goal == "" {
		goal = tr(r.lang, pjUnset)
	}
	colon, _ := sep(r.lang)
	fmt.Fprintf(&sb, "%s%s%s\n", tr(r.lang, pjWordGoal), colon, chat.Escape(goal))
	fmt.Fprintf(&sb, "%s", tr(r.lang, pjClosedLine, fmtTime(r.lang, r.now, loc, r.now), chat.Escape(r.sender().Name)))
	fmt.Fprintf(&sb, "\n%s%s%s", tr(r.lang, pjWordSummary), colon, chat.Escape(rest))
	if open > 0 {
		sb.WriteString("\n" + tr(r.lang, pjCloseOpenMilestones, open))
	}
	sb.WriteString("\n" + tr(r.lang, pjRetroWhen, fmtTime(r.lang, b.retroAt(r.set, p), loc, r.now), chat.Escape(p.Initiator.Name)))
	sb.WriteString("\n" + tr(r.lang, rtHowTo))
	title := tr(r.lang, pjCloseTitle)
	rep := r.reply(title + "\n" + sb.String())
	rep.Card = &chat.Card{Title: title, Template: "green", Body: sb.String()}
	return []chat.Reply{rep}, nil
}

// projectCard is /project alone: everything about the project.
func (b *Bot) projectCard(r *request, p *store.Project) chat.Reply {
	lang, loc := r.lang, r.set.Location
	colon, _ := sep(lang)
	unset := func(example string) string { return tr(lang, pjUnsetHint, example) }
	var sb strings.Builder
	goal := unset("/project 目标 Q3新产品上线")
	if lang == "en" {
		goal = unset("/project goal Q3 product launch")
	}
	if p.Goal != "" {
		goal = chat.Escape(p.Goal)
	}
	fmt.Fprintf(&sb, "%s%s%s\n", tr(lang, pjWordGoal), colon, goal)
	fmt.Fprintf(&sb, "%s%s", tr(lang, pjWordResults), listColon(colon, len(p.Results)))
	if len(p.Results) == 0 {
		sb.WriteString(unset(tr(lang, pjExampleResult)))
	}
	for i, kr := range p.Results {
		fmt.Fprintf(&sb, "\n　%d. %s", i+1, chat.Escape(kr))
	}
	depts := unset(tr(lang, pjExampleDept))
	if len(p.Departments) > 0 {
		depts = chat.Escape(strings.Join(p.Departments, tr(lang, wordListSep)))
	}
	fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, pjWordDepts), colon, depts)
	fmt.Fprintf(&sb, "\n%s%s", tr(lang, pjWordMilestones), listColon(colon, len(p.Milestones)))
	if len(p.Milestones) == 0 {
		sb.WriteString(unset(tr(lang, pjExampleMilestone)))
	}
	for _, m := range p.Milestones {
		status := tr(lang, pjTaskGone)
		if t, err := r.tx.Task(r.key(), m.TaskID); err == nil {
			status = statusWord(lang, t.Status)
			if t.Overdue(r.now) {
				status = tr(lang, pjOverdue)
			}
			m.Due = t.Due
		}
		fmt.Fprintf(&sb, "\n　· %s %s · #%d %s", chat.Escape(m.Name), fmtTime(lang, m.Due, loc, r.now), m.TaskID, status)
	}
	u, why := b.announcer(r, p)
	fmt.Fprintf(&sb, "\n%s%s%s%s", tr(lang, pjWordAnnouncer), colon, chat.Escape(u.Name), why)
	fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, pjWordInitiator), colon, chat.Escape(p.Initiator.Name))
	tmpl := "blue"
	if p.Closed() {
		tmpl = "grey"
		sb.WriteString("\n" + tr(lang, pjClosedLine, fmtTime(lang, p.ClosedAt, loc, r.now), chat.Escape(p.ClosedBy.Name)))
		fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, pjWordSummary), colon, chat.Escape(p.Summary))
		if p.RetroRemindedAt.IsZero() {
			sb.WriteString("\n" + tr(lang, pjRetroWhen, fmtTime(lang, b.retroAt(r.set, p), loc, r.now), chat.Escape(p.Initiator.Name)))
		}
		if n := len(p.Retro); n > 0 {
			sb.WriteString("\n" + tr(lang, rtCounts, retroCount(p, "highlight"), retroCount(p, "gap"), retroCount(p, "suggestion")))
		}
	} else {
		sb.WriteString("\n" + tr(lang, pjOpenLine))
	}
	title := tr(lang, pjCardTitle)
	if p.Goal != "" {
		title += " · " + chat.Escape(clip(p.Goal, 30))
	}
	rep := r.reply(title + "\n" + sb.String())
	rep.Card = &chat.Card{Title: title, Template: tmpl, Body: sb.String()}
	return rep
}

// cmdAnnounce is /announce text: the announcer's formatted announcement,
// or a polite redirect to them.
func (b *Bot) cmdAnnounce(r *request, args string) ([]chat.Reply, error) {
	p, err := r.project()
	if err != nil {
		return nil, err
	}
	u, _ := b.announcer(r, p)
	if u.IsZero() {
		return []chat.Reply{r.reply(tr(r.lang, anNoAnnouncer))}, nil
	}
	if u.ID != r.msg.Sender.ID {
		return []chat.Reply{r.reply(tr(r.lang, anRedirect, chat.Escape(u.Name), chat.Escape(u.Name)))}, nil
	}
	text := strings.TrimSpace(args)
	if text == "" {
		return []chat.Reply{r.reply(tr(r.lang, anUsage))}, nil
	}
	if pjRunes(text) > pjMaxAnnounce {
		return pjTooLongReply(r, tr(r.lang, anWordText), pjMaxAnnounce), nil
	}
	body := chat.Escape(text) + "\n\n" + tr(r.lang, anFooter, chat.Escape(u.Name), fmtTime(r.lang, r.now, r.set.Location, r.now))
	title := tr(r.lang, anTitle)
	if p != nil && p.Goal != "" {
		title += " · " + chat.Escape(clip(p.Goal, 30))
	}
	rep := r.reply(title + "\n" + body)
	rep.Card = &chat.Card{Title: title, Template: "blue", Body: body}
	rep.Pin = true // pinned where the platform can (Lark); see chat.Reply.Pin
	return []chat.Reply{rep}, nil
}

// retroKinds maps what users type to a line's kind.
var retroKinds = map[string]string{
	"亮点": "highlight", "成功经验": "highlight", "经验": "highlight", "highlight": "highlight", "highlights": "highlight", "good": "highlight",
	"不足": "gap", "不足之处": "gap", "问题": "gap", "gap": "gap", "gaps": "gap",
	"建议": "suggestion", "优化建议": "suggestion", "改进": "suggestion", "suggestion": "suggestion", "suggestions": "suggestion", "suggest": "suggestion",
}

func retroCount(p *store.Project, kind string) int {
	n := 0
	for _, l := range p.Retro {
		if l.Kind == kind {
			n++
		}
	}
	return n
}

// cmdRetro is /retro 亮点|不足|建议 text, and /retro report.
func (b *Bot) cmdRetro(r *request, args string) ([]chat.Reply, error) {
	p, err := r.project()
	if err != nil {
		return nil, err
	}
	kw, rest := pjKeyword(args)
	if kw == "" || kw == "help" || kw == "帮助" {
		msg := tr(r.lang, rtUsage)
		if p != nil {
			msg += "\n" + tr(r.lang, rtCounts, retroCount(p, "highlight"), retroCount(p, "gap"), retroCount(p, "suggestion"))
		}
		return []chat.Reply{r.reply(msg)}, nil
	}
	if p == nil {
		return []chat.Reply{r.reply(tr(r.lang, rtNoProject))}, nil
	}
	switch kw {
	case "report", "报告", "汇总", "复盘报告":
		return b.retroReport(r, p)
	}
	kind, ok := retroKinds[kw]
	if !ok {
		return []chat.Reply{r.reply(tr(r.lang, rtUnknown, chat.Escape(clip(kw, 20))) + "\n" + tr(r.lang, rtUsage))}, nil
	}
	if rest == "" {
		return []chat.Reply{r.reply(tr(r.lang, rtNeedText, kw, kw))}, nil
	}
	if pjRunes(rest) > rtMaxLine {
		return pjTooLongReply(r, tr(r.lang, rtWordLine), rtMaxLine), nil
	}
	if len(p.Retro) >= rtMaxLines {
		return []chat.Reply{r.reply(tr(r.lang, rtFull, rtMaxLines))}, nil
	}
	p.Retro = append(p.Retro, store.RetroLine{Kind: kind, Text: rest, By: r.sender(), At: r.now})
	p.UpdatedAt = r.now
	if err := r.tx.PutProject(p); err != nil {
		return nil, err
	}
	msg := tr(r.lang, rtAdded, tr(r.lang, "rt_kind_"+kind), chat.Escape(rest), chat.Escape(r.sender().Name)) + "\n" +
		tr(r.lang, rtCounts, retroCount(p, "highlight"), retroCount(p, "gap"), retroCount(p, "suggestion"))
	return []chat.Reply{r.reply(msg)}, nil
}

// retroReport compiles 《协作复盘报告》 and posts it.
func (b *Bot) retroReport(r *request, p *store.Project) ([]chat.Reply, error) {
	if len(p.Retro) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, rtEmpty))}, nil
	}
	lang, loc := r.lang, r.set.Location
	colon, _ := sep(lang)
	var sb strings.Builder
	goal := p.Goal
	if goal == "" {
		goal = tr(lang, pjUnset)
	}
	fmt.Fprintf(&sb, "%s%s%s", tr(lang, pjWordGoal), colon, chat.Escape(goal))
	if p.Closed() {
		sb.WriteString("\n" + tr(lang, pjClosedLine, fmtTime(lang, p.ClosedAt, loc, r.now), chat.Escape(p.ClosedBy.Name)))
		fmt.Fprintf(&sb, "\n%s%s%s", tr(lang, pjWordSummary), colon, chat.Escape(p.Summary))
	}
	for _, kind := range []string{"highlight", "gap", "suggestion"} {
		sb.WriteString("\n\n" + tr(lang, "rt_section_"+kind))
		n := 0
		for _, l := range p.Retro {
			if l.Kind != kind {
				continue
			}
			n++
			sb.WriteString("\n" + tr(lang, rtBy, n, chat.Escape(l.Text), chat.Escape(l.By.Name)))
		}
		if n == 0 {
			sb.WriteString("\n" + tr(lang, rtNone))
		}
	}
	sb.WriteString("\n\n" + tr(lang, rtReportFooter, chat.Escape(r.sender().Name), fmtTime(lang, r.now, loc, r.now)))
	if p.RetroReportAt.IsZero() {
		p.RetroReportAt = r.now
		if err := r.tx.PutProject(p); err != nil {
			return nil, err
		}
	}
	title := tr(lang, rtReportTitle)
	rep := r.reply(title + "\n" + sb.String())
	rep.Card = &chat.Card{Title: title, Template: "green", Body: sb.String()}
	return []chat.Reply{rep}, nil
}

// retroOwed reports whether the project's retrospective reminder is due
// at now and not yet decided.
func (b *Bot) retroOwed(set Effective, p *store.Project, now time.Time) bool {
	return p.Closed() && p.RetroRemindedAt.IsZero() && !now.Before(b.retroAt(set, p))
}

// dueRetro records every retrospective reminder due at now, once per
// project close. A read-only pass finds the groups; one write transaction
// per group decides again on fresh state.
func (b *Bot) dueRetro(now time.Time) ([]store.GroupKey, error) {
	owes := func(tx *store.Tx, g *store.Group) (bool, error) {
		p, err := tx.Project(g.Key)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			b.log.Error("retro reminder", "group", g.Key.String(), "err", err)
			return false, nil
		}
		return b.retroOwed(b.effective(g), p, now), nil
	}
	return b.dueByGroup("retro reminder", store.FeatureProject, owes, func(tx *store.Tx, g *store.Group) (bool, error) {
		k := g.Key
		p, err := tx.Project(k)
		if err != nil {
			return false, err
		}
		set := b.effective(g)
		if !b.retroOwed(set, p, now) {
			return false, nil
		}
		p.RetroRemindedAt = now
		if !p.RetroReportAt.IsZero() && !p.RetroReportAt.Before(p.ClosedAt) {
			// The report is out already: nothing to remind of.
			p.RetroSkipped = "report_done"
			return false, tx.PutProject(p)
		}
		if err := tx.PutProject(p); err != nil {
			return false, err
		}
		lang, loc := set.Lang, set.Location
		goal := p.Goal
		if goal == "" {
			goal = tr(lang, pjUnset)
		}
		body := tr(lang, rtRemind, chat.Escape(goal), fmtTime(lang, p.ClosedAt, loc, now), retroDays(p), mention(p.Initiator)) +
			"\n" + tr(lang, rtHowTo)
		if n := len(p.Retro); n > 0 {
			body += "\n" + tr(lang, rtCounts, retroCount(p, "highlight"), retroCount(p, "gap"), retroCount(p, "suggestion"))
		}
		title := tr(lang, rtRemindTitle)
		rep := chat.Reply{Text: title + "\n" + body, Mentions: fromStoreUsers([]store.User{p.Initiator}),
			Card: &chat.Card{Title: title, Template: "orange", Body: body}}
		key := fmt.Sprintf("%s:%s:%d", kindRetro, k, p.ClosedAt.Unix())
		return b.recordScheduled(tx, k, kindRetro, key, rep, false, b.retroAt(set, p), now)
	})
}
