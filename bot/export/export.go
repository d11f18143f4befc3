// Package export lays a group's tasks out in the three tables of the seed
// guides, so that a project group can hand its record to people who work
// in spreadsheets:
//
//   - 跨平台任务跟踪表 (guide 000, 模板2; key "task"),
//   - 跨平台通讯协作记录表 (guide 000, 模板1; key "comm"),
//   - 沟通事项跟踪表 (guide 004; key "issue").
//
// It is pure over store data: Build takes a group, its tasks and their
// histories (Load reads them in one read transaction) and returns rows of
// text; WriteXLSX and WriteCSV only lay those rows out. The columns are
// the guides' own, in their order, without the hints in brackets
// (“完成情况(百分比)” is “完成情况”). The bot knows people, not departments,
// so where a guide asks for a department (发起部门, 参与方) the table names
// the people.
//
// Every table has one row per task of the group, in id order, cancelled
// tasks included (their status says so). A task was born of a request in
// the group, which is the collaboration the communication record notes;
// its later exchanges are in the 沟通记录 column of the issue table.
//
// Column by column (t is the task, h its history):
//
// 跨平台任务跟踪表
//
//	任务名称   "#id 主题-事项" (t.ID, t.Topic, t.Item)
//	来源       the initiator (t.Initiator), who asked in the group
//	负责人     t.Owner
//	协作平台   the group's platform: 飞书/Lark, 钉钉, 控制台, with the group name when known
//	关键节点   numbered milestones with dates, from h (发起, 确认接收, 默认接收, 转交,
//	           延期获批 with the new due date, 完成, 验收退回, 验收通过, 取消), then
//	           the due time while the task is open: "1.发起(3月5日) 2.确认接收(3月5日) 3.截止(3月9日 18:00)"
//	完成情况   "t.Percent%（状态：最近一次进展）", e.g. "60%（进行中，已逾期：接口开发中）"
//	备注       tier (紧急/重要), collaborators, open help flags, the latest risk,
//	           a pending delay request, the cancel reason ("；"-separated)
//
// 跨平台通讯协作记录表
//
//	协作主题   t.Topic
//	参与方     initiator, owner, collaborators: "李四（发起）、张三（负责）、王五"
//	沟通时间   t.CreatedAt, "2006-01-02 15:04" in the group's zone
//	沟通平台   as 协作平台 above
//	内容摘要   "需求：t.Request", then the decisions (决议): approved and denied delays,
//	           acceptance and rejection with comments
//	待办事项   t.Item
//	负责人     t.Owner
//	截止时间   t.Due, "2006-01-02 15:04"
//	完成状态   the guide's 进行中/已完成/延期: 进行中; 延期 when overdue at export
//	           time ("延期（已逾期）") or moved by an approved delay ("进行中（已延期）");
//	           已完成 when accepted, "已完成（待验收）" when done and awaiting review; 已取消
//
// 沟通事项跟踪表
//
//	协作编号   "#id"
//	发起部门   the initiator (no departments are known)
//	协作事项   "主题-事项"
//	对接人     "发起方 / 协作方": "李四 / 张三、王五"
//	需求背景与目标  t.Request
//	关键时间节点    the milestones as "3月5日：发起；3月9日 18:00：截止"
//	沟通记录   h, one line per human action (进度, 需协助, 解除协助, 风险, 延期申请,
//	           批准/驳回延期, 完成, 验收, 退回, 转交, 修改, 抄送, 催办, 取消):
//	           "3月6日 张三 进度：50% 接口联调"; the newest maxLogLines
//	当前进度   as 完成情况 above
//	反馈意见   reviews (验收通过/退回 with comments) and help flags with their state
//	负责人     t.Owner
//	备注       as the task table's 备注, without the help flags (they are feedback here)
//
// Cells are clipped to maxCell runes (Excel's limit is 32,767) and
// control characters other than newline and tab are dropped.
package export

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"collabbot/store"
)

// Table keys for the -table selector.
const (
	KeyTask  = "task"
	KeyComm  = "comm"
	KeyIssue = "issue"
)

// Keys are the tables in the order they are written.
var Keys = []string{KeyTask, KeyComm, KeyIssue}

// Headers are the seed guides' column lists.
var Headers = map[string][]string{
	KeyTask:  {"任务名称", "来源", "负责人", "协作平台", "关键节点", "完成情况", "备注"},
	KeyComm:  {"协作主题", "参与方", "沟通时间", "沟通平台", "内容摘要", "待办事项", "负责人", "截止时间", "完成状态"},
	KeyIssue: {"协作编号", "发起部门", "协作事项", "对接人", "需求背景与目标", "关键时间节点", "沟通记录", "当前进度", "反馈意见", "负责人", "备注"},
}

// Titles are the tables' names (sheet names, ≤ 31 characters).
var Titles = map[string]string{
	KeyTask:  "跨平台任务跟踪表",
	KeyComm:  "跨平台通讯协作记录表",
	KeyIssue: "沟通事项跟踪表",
}

// widths are the column widths in the XLSX (Excel character units).
var widths = map[string][]float64{
	KeyTask:  {28, 12, 12, 16, 48, 30, 40},
	KeyComm:  {20, 28, 17, 14, 48, 20, 12, 17, 16},
	KeyIssue: {10, 12, 24, 24, 40, 40, 60, 30, 40, 12, 36},
}

const (
	maxCell     = 30000 // runes; Excel holds 32,767 characters in a cell
	maxLogLines = 50    // 沟通记录 keeps the newest lines
	maxSnippet  = 60    // quoted update texts in 完成情况 and 当前进度
)

// Table is one table: a title, the header row and the data rows.
type Table struct {
	Key    string
	Title  string
	Header []string
	Widths []float64
	Rows   [][]string
}

// Input is what the tables are built from.
type Input struct {
	Group   store.Group
	Tasks   []*store.Task                  // any order; rows come out in id order
	History map[int64][]store.HistoryEntry // by task id, oldest first; may be nil
	// Location renders times; nil = Asia/Shanghai (UTC+8).
	Location *time.Location
	// Now decides 已逾期 and whether dates need their year.
	Now time.Time
}

// Load reads group k's tasks and histories in tx. loc is the zone to
// render times in when the group has not chosen one.
func Load(tx *store.Tx, k store.GroupKey, loc *time.Location, now time.Time) (Input, error) {
	g, err := tx.Group(k)
	if err != nil {
		return Input{}, err
	}
	in := Input{Group: *g, History: map[int64][]store.HistoryEntry{}, Location: loc, Now: now}
	if tz := g.Settings.Timezone; tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			in.Location = l
		}
	}
	err = tx.Tasks(k, func(t *store.Task) error {
		in.Tasks = append(in.Tasks, t)
		h, err := tx.History(k, t.ID)
		in.History[t.ID] = h
		return err
	})
	return in, err
}

// Build returns the table named by key (see Keys).
func Build(in Input, key string) (Table, error) {
	row, ok := map[string]func(*builder, *store.Task) []string{
		KeyTask: (*builder).taskRow, KeyComm: (*builder).commRow, KeyIssue: (*builder).issueRow,
	}[key]
	if !ok {
		return Table{}, fmt.Errorf("unknown table %q: use %s", key, strings.Join(Keys, ", "))
	}
	b := newBuilder(in)
	t := Table{Key: key, Title: Titles[key], Header: Headers[key], Widths: widths[key]}
	for _, task := range b.tasks {
		cells := row(b, task)
		for i, c := range cells {
			cells[i] = clean(c)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t, nil
}

// Tables returns all three tables, in Keys order.
func Tables(in Input) []Table {
	var out []Table
	for _, k := range Keys {
		t, _ := Build(in, k)
		out = append(out, t)
	}
	return out
}

type builder struct {
	in    Input
	loc   *time.Location
	tasks []*store.Task
}

func newBuilder(in Input) *builder {
	b := &builder{in: in, loc: in.Location}
	if b.loc == nil {
		b.loc = time.FixedZone("CST", 8*3600)
	}
	b.tasks = append(b.tasks, in.Tasks...)
	sort.Slice(b.tasks, func(i, j int) bool { return b.tasks[i].ID < b.tasks[j].ID })
	return b
}

// ---- the three row builders ----

func (b *builder) taskRow(t *store.Task) []string {
	var ms []string
	for i, m := range b.milestones(t) {
		ms = append(ms, fmt.Sprintf("%d.%s(%s)", i+1, m.what, m.when))
	}
	return []string{
		fmt.Sprintf("#%d %s-%s", t.ID, t.Topic, t.Item),
		name(t.Initiator),
		name(t.Owner),
		b.platform(),
		strings.Join(ms, " "),
		b.completion(t),
		strings.Join(b.remarks(t, true), "；"),
	}
}

func (b *builder) commRow(t *store.Task) []string {
	summary := []string{"需求：" + t.Request}
	summary = append(summary, b.decisions(t)...)
	return []string{
		t.Topic,
		participants(t),
		b.stamp(t.CreatedAt),
		b.platform(),
		strings.Join(summary, "；"),
		t.Item,
		name(t.Owner),
		b.stamp(t.Due),
		b.commStatus(t),
	}
}

func (b *builder) issueRow(t *store.Task) []string {
	var ms []string
	for _, m := range b.milestones(t) {
		ms = append(ms, m.when+"："+m.what)
	}
	var side []string
	side = append(side, name(t.Owner))
	for _, c := range t.Collaborators {
		side = append(side, name(c))
	}
	var feedback []string
	for _, r := range t.Reviews {
		w := "验收退回"
		if r.Accepted {
			w = "验收通过"
		}
		s := fmt.Sprintf("%s %s（%s）", b.day(r.At), w, name(r.By))
		if c := strings.TrimSpace(r.Comment); c != "" {
			s += "：" + c
		}
		feedback = append(feedback, s)
	}
	for _, h := range t.Help {
		state := "未解决"
		if !h.Open() {
			state = "已解决"
		}
		to := "组长"
		if !h.Helper.IsZero() {
			to = name(h.Helper)
		}
		feedback = append(feedback, fmt.Sprintf("%s 需协助（%s→%s，%s）：%s", b.day(h.At), name(h.By), to, state, h.Text))
	}
	return []string{
		fmt.Sprintf("#%d", t.ID),
		name(t.Initiator),
		t.Topic + "-" + t.Item,
		name(t.Initiator) + " / " + strings.Join(side, "、"),
		t.Request,
		strings.Join(ms, "；"),
		b.log(t),
		b.completion(t),
		strings.Join(feedback, "\n"),
		name(t.Owner),
		strings.Join(b.remarks(t, false), "；"),
	}
}

// ---- shared pieces ----

type milestone struct {
	at         time.Time
	what, when string
}

// milestoneWords name the history actions that are milestones.
var milestoneWords = map[string]string{
	"created": "发起", "ack": "确认接收", "ack_default": "默认接收", "assign": "转交",
	"approve": "延期获批", "done": "完成", "reject": "验收退回", "accept": "验收通过", "cancel": "取消",
}

// milestones are the task's key dates, oldest first, then its due time
// while it is still owed. Without a history they come from the task's
// own fields.
func (b *builder) milestones(t *store.Task) []milestone {
	var ms []milestone
	h := b.in.History[t.ID]
	if len(h) == 0 {
		h = synthesize(t)
	}
	for _, e := range h {
		w, ok := milestoneWords[e.Action]
		if !ok {
			continue
		}
		switch e.Action {
		case "approve":
			for _, d := range t.Delays {
				if d.State == store.DelayApproved && d.DecidedAt.Equal(e.At) {
					w = "延期至" + b.day(d.NewDue)
				}
			}
		case "assign":
			if e.Detail != "" {
				w += " " + e.Detail
			}
		}
		ms = append(ms, milestone{at: e.At, what: w, when: b.day(e.At)})
	}
	if !t.Status.Closed() && t.Status != store.StatusDone {
		ms = append(ms, milestone{at: t.Due, what: "截止", when: b.dayTime(t.Due)})
	}
	return ms
}

// synthesize stands in for a missing history with what the task records.
func synthesize(t *store.Task) []store.HistoryEntry {
	h := []store.HistoryEntry{{At: t.CreatedAt, Action: "created"}}
	if !t.AckedAt.IsZero() {
		a := "ack"
		if t.AckDefaulted {
			a = "ack_default"
		}
		h = append(h, store.HistoryEntry{At: t.AckedAt, Action: a})
	}
	for _, d := range t.Delays {
		if d.State == store.DelayApproved {
			h = append(h, store.HistoryEntry{At: d.DecidedAt, Action: "approve"})
		}
	}
	if !t.DoneAt.IsZero() {
		h = append(h, store.HistoryEntry{At: t.DoneAt, Action: "done"})
	}
	if !t.AcceptedAt.IsZero() && !t.AcceptedAt.Equal(t.DoneAt) {
		h = append(h, store.HistoryEntry{At: t.AcceptedAt, Action: "accept"})
	}
	sort.SliceStable(h, func(i, j int) bool { return h[i].At.Before(h[j].At) })
	return h
}

// logWords name the history actions that are exchanges between people.
var logWords = map[string]string{
	"update": "进度", "assist": "需协助", "resolve": "解除协助", "risk": "风险", "delay": "申请延期",
	"approve": "批准延期", "deny": "驳回延期", "done": "完成", "accept": "验收通过", "reject": "验收退回",
	"assign": "转交", "edit": "修改", "cc": "抄送", "uncc": "移除协作人", "nudge": "催办", "cancel": "取消",
}

// log is the 沟通记录: one line per exchange, the newest maxLogLines.
func (b *builder) log(t *store.Task) string {
	var lines []string
	for _, e := range b.in.History[t.ID] {
		w, ok := logWords[e.Action]
		if !ok {
			continue
		}
		s := fmt.Sprintf("%s %s %s", b.day(e.At), name(e.By), w)
		if d := strings.TrimSpace(e.Detail); d != "" {
			s += "：" + d
		}
		lines = append(lines, s)
	}
	if n := len(lines) - maxLogLines; n > 0 {
		lines = append([]string{fmt.Sprintf("（更早的 %d 条略）", n)}, lines[n:]...)
	}
	return strings.Join(lines, "\n")
}

// decisions are the 决议 of the communication record.
func (b *builder) decisions(t *store.Task) []string {
	type dated struct {
		at time.Time
		s  string
	}
	var ds []dated
	for _, d := range t.Delays {
		switch d.State {
		case store.DelayApproved:
			ds = append(ds, dated{d.DecidedAt, fmt.Sprintf("决议：延期至%s（%s批准）", b.dayTime(d.NewDue), name(d.DecidedBy))})
		case store.DelayDenied:
			ds = append(ds, dated{d.DecidedAt, fmt.Sprintf("决议：延期申请未获批（%s）", name(d.DecidedBy))})
		}
	}
	for _, r := range t.Reviews {
		s := "决议：验收退回"
		if r.Accepted {
			s = "决议：验收通过"
		}
		s += "（" + name(r.By) + "）"
		if c := strings.TrimSpace(r.Comment); c != "" {
			s += "：" + c
		}
		ds = append(ds, dated{r.At, s})
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].at.Before(ds[j].at) })
	var out []string
	for _, d := range ds {
		out = append(out, d.s)
	}
	return out
}

// remarks are the 备注: what someone reading the row should know.
func (b *builder) remarks(t *store.Task, withHelp bool) []string {
	var out []string
	switch t.Urgency {
	case "urgent":
		out = append(out, "紧急")
	case "important":
		out = append(out, "重要")
	}
	if len(t.Collaborators) > 0 {
		var cs []string
		for _, c := range t.Collaborators {
			cs = append(cs, name(c))
		}
		out = append(out, "协作："+strings.Join(cs, "、"))
	}
	if withHelp {
		for _, h := range t.OpenHelp() {
			out = append(out, "需协助："+h.Text)
		}
	}
	if n := len(t.Risks); n > 0 {
		out = append(out, "风险："+t.Risks[n-1].Text)
	}
	if i := t.PendingDelay(); i >= 0 {
		d := t.Delays[i]
		s := "延期申请待批：至" + b.dayTime(d.NewDue)
		if r := strings.TrimSpace(d.Reason); r != "" {
			s += "，" + r
		}
		out = append(out, s)
	}
	if t.Status == store.StatusCancelled {
		s := "已取消"
		for _, e := range b.in.History[t.ID] {
			if e.Action == "cancel" && strings.TrimSpace(e.Detail) != "" {
				s = "已取消：" + strings.TrimSpace(e.Detail)
			}
		}
		out = append(out, s)
	}
	return out
}

func (b *builder) overdue(t *store.Task) bool { return t.Overdue(b.in.Now) }

// statusWord is the task's state in the guides' words.
func (b *builder) statusWord(t *store.Task) string {
	switch t.Status {
	case store.StatusDone:
		return "已完成，待验收"
	case store.StatusAccepted:
		return "已完成"
	case store.StatusCancelled:
		return "已取消"
	}
	if b.overdue(t) {
		return "进行中，已逾期"
	}
	return "进行中"
}

func (b *builder) completion(t *store.Task) string {
	s := b.statusWord(t)
	if u := lastUpdate(t); u != "" {
		s += "：" + u
	}
	return fmt.Sprintf("%d%%（%s）", t.Percent, s)
}

// commStatus is 模板1's 完成状态(进行中/已完成/延期).
func (b *builder) commStatus(t *store.Task) string {
	switch t.Status {
	case store.StatusDone:
		return "已完成（待验收）"
	case store.StatusAccepted:
		return "已完成"
	case store.StatusCancelled:
		return "已取消"
	}
	if b.overdue(t) {
		return "延期（已逾期）"
	}
	for _, d := range t.Delays {
		if d.State == store.DelayApproved {
			return "进行中（已延期）"
		}
	}
	return "进行中"
}

func (b *builder) platform() string {
	p := PlatformName(b.in.Group.Key.Platform)
	if n := strings.TrimSpace(b.in.Group.Name); n != "" {
		p += "群「" + n + "」"
	}
	return p
}

// PlatformName is how the tables name a platform.
func PlatformName(p string) string {
	switch p {
	case "lark":
		return "飞书/Lark"
	case "dingtalk":
		return "钉钉"
	case "console":
		return "控制台"
	}
	return p
}

// stamp is a full time for a column of its own.
func (b *builder) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(b.loc).Format("2006-01-02 15:04")
}

// day is a date inside a sentence: "3月5日", with the year when it is not
// the export's year.
func (b *builder) day(t time.Time) string {
	t = t.In(b.loc)
	s := fmt.Sprintf("%d月%d日", t.Month(), t.Day())
	if t.Year() != b.in.Now.In(b.loc).Year() {
		s = fmt.Sprintf("%d年", t.Year()) + s
	}
	return s
}

func (b *builder) dayTime(t time.Time) string {
	return b.day(t) + t.In(b.loc).Format(" 15:04")
}

// rePercentLead is the "60%" an update starts with, shown apart already.
var rePercentLead = regexp.MustCompile(`^\s*[0-9０-９]{1,3}\s*[%％]\s*`)

// lastUpdate is the newest update's words (without its percentage).
func lastUpdate(t *store.Task) string {
	for i := len(t.Updates) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(rePercentLead.ReplaceAllString(t.Updates[i].Text, "")); s != "" {
			return clip(s, maxSnippet)
		}
	}
	return ""
}

func participants(t *store.Task) string {
	seen := map[string]bool{}
	var out []string
	add := func(u store.User, role string) {
		if u.IsZero() || seen[u.ID] {
			return
		}
		seen[u.ID] = true
		out = append(out, name(u)+role)
	}
	add(t.Initiator, "（发起）")
	add(t.Owner, "（负责）")
	for _, c := range t.Collaborators {
		add(c, "")
	}
	return strings.Join(out, "、")
}

func name(u store.User) string {
	if n := strings.TrimSpace(u.Name); n != "" {
		return n
	}
	if u.ID != "" {
		return u.ID
	}
	return "（未指派）"
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// clean drops control characters (XML 1.0 cannot hold most of them) and
// clips the cell to maxCell runes.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r == utf8.RuneError || unicode.IsControl(r) || r == '\uFFFE' || r == '\uFFFF' {
			return -1
		}
		return r
	}, s)
	return clip(s, maxCell)
}
