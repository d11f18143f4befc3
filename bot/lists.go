package bot

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/store"
)

// maxListLines keeps the weekly summary readable in a chat window; the
// footer says how many were left out.
const maxListLines = 30

// listPage is how many tasks one list reply shows; "/list 2" pages on.
const listPage = 10

// listQuery is what /list, /mine, /overdue, /assists and /search select.
type listQuery struct {
	which    string // the command: list, mine, overdue, assists, search
	statuses map[store.Status]bool
	overdue  bool
	people   []chat.User // owner or collaborator
	words    []string    // every word must appear in the title or request
	page     int
	// filtered: the user narrowed the list (status, overdue, person, word).
	filtered, byStatus bool
	late               func(t *store.Task) []string
}

// statusWords are the filters people type after /list.
var statusWords = map[string][]store.Status{
	"open": {store.StatusOpen}, "进行中": {store.StatusOpen}, "未完成": {store.StatusOpen},
	"review": {store.StatusDone}, "待验收": {store.StatusDone},
	"done": {store.StatusDone, store.StatusAccepted}, "完成": {store.StatusDone, store.StatusAccepted}, "已完成": {store.StatusDone, store.StatusAccepted},
	"closed": {store.StatusAccepted, store.StatusCancelled}, "已关闭": {store.StatusAccepted, store.StatusCancelled},
	"cancelled": {store.StatusCancelled}, "canceled": {store.StatusCancelled}, "已取消": {store.StatusCancelled}, "取消": {store.StatusCancelled},
	"all": {store.StatusOpen, store.StatusDone, store.StatusAccepted, store.StatusCancelled},
	"全部":  {store.StatusOpen, store.StatusDone, store.StatusAccepted, store.StatusCancelled},
	"所有":  {store.StatusOpen, store.StatusDone, store.StatusAccepted, store.StatusCancelled},
}

var reListPage = regexp.MustCompile(`^(?:第?([0-9０-９]{1,4})页?|[pP]([0-9]{1,4}))$`)

func (r *request) parseListQuery(which, args string) listQuery {
	q := listQuery{which: which, statuses: map[store.Status]bool{}, page: 1}
	for _, f := range strings.Fields(args) {
		lf := strings.ToLower(f)
		switch {
		case strings.HasPrefix(f, "@"):
			// The mention itself comes in msg.Mentions.
		case statusWords[lf] != nil:
			for _, st := range statusWords[lf] {
				q.statuses[st] = true
			}
			q.byStatus = true
		case lf == "overdue" || lf == "逾期" || lf == "已逾期":
			q.overdue, q.filtered = true, true
		case reListPage.MatchString(toHalfWidth(f)):
			m := reListPage.FindStringSubmatch(toHalfWidth(f))
			n, _ := strconv.Atoi(m[1] + m[2])
			q.page = max(n, 1)
		default:
			q.words = append(q.words, strings.ToLower(f))
		}
	}
	q.people = r.msg.Mentions
	q.filtered = q.filtered || q.byStatus || len(q.people) > 0 || len(q.words) > 0
	switch which {
	case "overdue":
		q.overdue = true
	case "search":
		if len(q.statuses) == 0 {
			q.statuses = map[store.Status]bool{store.StatusOpen: true, store.StatusDone: true, store.StatusAccepted: true, store.StatusCancelled: true}
		}
	}
	if len(q.statuses) == 0 {
		// By default a list shows what still needs someone: open and
		// awaiting review.
		q.statuses = map[store.Status]bool{store.StatusOpen: true, store.StatusDone: true}
	}
	return q
}

// waiting is set by cmdList: the decisions t waits for past their window.
func (q listQuery) waiting(r *request, t *store.Task) []string {
	if q.late == nil {
		return nil
	}
	return q.late(t)
}

func (q listQuery) match(r *request, t *store.Task) bool {
	uid := r.msg.Sender.ID
	switch q.which {
	case "mine":
		if !(t.Owner.ID == uid || containsUser(t.Collaborators, uid) || (t.Status == store.StatusDone || t.Unowned()) && t.Initiator.ID == uid) {
			return false
		}
	case "assists":
		if len(t.OpenHelp()) == 0 {
			return false
		}
	}
	if q.overdue && !t.Overdue(r.now) && len(q.waiting(r, t)) == 0 {
		return false
	}
	if len(q.people) > 0 {
		hit := false
		for _, u := range q.people {
			if t.Owner.ID == u.ID || containsUser(t.Collaborators, u.ID) {
				hit = true
			}
		}
		if !hit {
			return false
		}
	}
	if len(q.words) > 0 {
		hay := strings.ToLower(t.Topic + " " + t.Item + " " + t.Request)
		for _, w := range q.words {
			if !strings.Contains(hay, w) {
				return false
			}
		}
	}
	return true
}

func (b *Bot) cmdList(r *request, which, args string) ([]chat.Reply, error) {
	q := r.parseListQuery(which, args)
	q.late = func(t *store.Task) []string { return b.waiting(r.set, t, r.now) }
	if which == "search" && len(q.words) == 0 && len(q.people) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgSearchUsage))}, nil
	}
	var picked []*store.Task
	counts := map[store.Status]int{}
	err := r.tx.Tasks(r.key(), func(t *store.Task) error {
		if !q.match(r, t) {
			return nil
		}
		counts[t.Status]++
		if q.statuses[t.Status] {
			picked = append(picked, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortByDue(picked)
	if which == "list" && q.filtered {
		which = "filtered"
	}
	titles := map[string]string{"filtered": msgListFiltered, "list": msgListTitle, "mine": msgMineTitle, "overdue": msgOverdueTitle, "assists": msgAssistsTitle, "search": msgSearchTitle}
	empties := map[string]string{"filtered": msgListNoMatch, "list": msgListEmpty, "mine": msgMineEmpty, "overdue": msgOverdueEmpty, "assists": msgAssistsEmpty, "search": msgSearchEmpty}
	if len(picked) == 0 {
		text := tr(r.lang, empties[which])
		if q.filtered {
			text = tr(r.lang, msgListNoMatch)
		}
		if c := statusCounts(r.lang, counts); c != "" {
			text += "\n" + c
		}
		return []chat.Reply{r.reply(text)}, nil
	}
	pages := (len(picked) + listPage - 1) / listPage
	if q.page > pages {
		return []chat.Reply{r.reply(tr(r.lang, msgListNoPage, q.page, pages))}, nil
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, titles[which], len(picked)))
	hidden := 0
	for st, n := range counts {
		if !q.statuses[st] {
			hidden += n
		}
	}
	if len(counts) > 1 || hidden > 0 {
		sb.WriteString("\n" + statusCounts(r.lang, counts))
		if hidden > 0 && !q.byStatus {
			sb.WriteString(tr(r.lang, msgListShowAll, strings.Join(strings.Fields("/"+q.which+" all "+stripPage(args)), " ")))
		}
	}
	from := (q.page - 1) * listPage
	for _, t := range picked[from:min(from+listPage, len(picked))] {
		line := b.listLine(r.lang, r.set, t, r.now)
		if t.Status.Closed() {
			line += " · " + statusWord(r.lang, t.Status)
		}
		sb.WriteString("\n" + line)
		if which == "assists" {
			for _, h := range t.OpenHelp() {
				who := chat.Escape(h.Helper.Name)
				if who == "" {
					who = "-"
				}
				fmt.Fprintf(&sb, "\n　└ %s → %s：%s", chat.Escape(h.By.Name), who, chat.Escape(h.Text))
			}
		}
	}
	if pages > 1 {
		next := ""
		if q.page < pages {
			next = tr(r.lang, msgListNext, strings.Join(strings.Fields("/"+q.which+" "+stripPage(args)+" "+strconv.Itoa(q.page+1)), " "))
		}
		sb.WriteString("\n" + tr(r.lang, msgListPageOf, q.page, pages) + next)
	}
	return []chat.Reply{r.reply(sb.String())}, nil
}

// stripPage drops a page number from the arguments, to build the next
// page's command.
func stripPage(args string) string {
	var keep []string
	for _, f := range strings.Fields(args) {
		if !reListPage.MatchString(toHalfWidth(f)) {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// statusCounts is the header line: how many of the matching tasks are in
// each state.
func statusCounts(lang string, counts map[store.Status]int) string {
	var parts []string
	for _, st := range []store.Status{store.StatusOpen, store.StatusDone, store.StatusAccepted, store.StatusCancelled} {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", statusWord(lang, st), n))
		}
	}
	return strings.Join(parts, " · ")
}

// sortByDue orders oldest due first, then by id, so lists are stable.
func sortByDue(ts []*store.Task) {
	sort.SliceStable(ts, func(i, j int) bool {
		if !ts[i].Due.Equal(ts[j].Due) {
			return ts[i].Due.Before(ts[j].Due)
		}
		return ts[i].ID < ts[j].ID
	})
}

func (b *Bot) cmdShow(r *request, args string) ([]chat.Reply, error) {
	t, _, rep, err := b.findTask(r, args, "/show #3")
	if t == nil {
		return rep, err
	}
	hist, err := r.tx.History(t.Group, t.ID)
	if err != nil {
		return nil, err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "#%d %s\n", t.ID, chat.Escape(taskTitle(t)))
	sb.WriteString(b.cardText(r.lang, r.set, t, r.now))
	colon, _ := sep(r.lang)
	fmt.Fprintf(&sb, "\n%s%s%s · %s", tr(r.lang, wordInitiator), colon, chat.Escape(t.Initiator.Name), fmtTime(r.lang, t.CreatedAt, r.set.Location, r.now))
	b.writeAcceptanceFacts(&sb, r, t) // acceptance.go
	if len(hist) > 0 {
		sb.WriteString("\n" + tr(r.lang, wordHistory) + colon)
		start := 0
		if len(hist) > 10 {
			start = len(hist) - 10
		}
		for _, h := range hist[start:] {
			who := chat.Escape(h.By.Name)
			if who == "" {
				who = tr(r.lang, wordTheBot) // the reminder engine acts in no one's name
			}
			line := fmt.Sprintf("\n· %s %s %s", fmtTime(r.lang, h.At, r.set.Location, r.now), who, historyWord(r.lang, h.Action))
			if h.Detail != "" && h.Action != "created" {
				line += colon + chat.Escape(h.Detail)
			}
			sb.WriteString(line)
		}
	}
	rep1 := r.reply(sb.String())
	// The card's title is the task's title: the body starts below it.
	_, body, _ := strings.Cut(sb.String(), "\n")
	rep1.Card = b.taskCard(r.lang, r.set, t, r.now, body)
	return []chat.Reply{rep1}, nil
}

func historyWord(lang, action string) string {
	if w, ok := historyWords[action]; ok {
		if lang == "en" {
			return w[1]
		}
		return w[0]
	}
	return action
}

var historyWords = map[string][2]string{
	"created": {"创建", "created"}, "ack": {"确认接收", "acknowledged"}, "update": {"更新进度", "updated"},
	"done": {"标记完成", "marked done"}, "accept": {"验收通过", "accepted"}, "reject": {"验收退回", "sent back"},
	"assist": {"请求协助", "asked for help"}, "resolve": {"解除协助", "resolved help"}, "risk": {"风险预警", "raised a risk"},
	"delay": {"申请延期", "requested a delay"}, "approve": {"批准延期", "approved the delay"}, "deny": {"驳回延期", "denied the delay"},
	"assign": {"转交", "reassigned"}, "cancel": {"取消", "cancelled"}, "ack_default": {"默认接受", "accepted by default"},
	"edit": {"修改", "edited"}, "cc": {"添加协作人", "added collaborators"}, "uncc": {"移除协作人", "removed collaborators"},
	"nudge": {"催办", "chased"}, "snooze": {"暂停提醒至", "snoozed until"},
}

// weekBounds returns Monday 00:00 of now's week and of the week after.
func weekBounds(now time.Time, loc *time.Location) (time.Time, time.Time) {
	n := now.In(loc)
	offset := (int(n.Weekday()) + 6) % 7
	mon := time.Date(n.Year(), n.Month(), n.Day()-offset, 0, 0, 0, 0, loc)
	return mon, mon.AddDate(0, 0, 7)
}

func (b *Bot) cmdWeekly(r *request) ([]chat.Reply, error) {
	var all []*store.Task
	err := r.tx.Tasks(r.key(), func(t *store.Task) error {
		all = append(all, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	text := b.WeeklySummary(r.lang, r.set, all, r.now)
	return []chat.Reply{r.reply(text)}, nil
}

// WeeklySummary renders 上周成果 · 本周计划 · 风险卡点 for the week of now.
// Names are plain text: a summary informs, it does not page anyone.
func (b *Bot) WeeklySummary(lang string, set Effective, tasks []*store.Task, now time.Time) string {
	thisMon, nextMon := weekBounds(now, set.Location)
	lastMon := thisMon.AddDate(0, 0, -7)
	var done, plan, risk []*store.Task
	for _, t := range tasks {
		finished := t.AcceptedAt
		if finished.IsZero() && t.Status == store.StatusDone {
			finished = t.DoneAt
		}
		if t.Status != store.StatusCancelled && !finished.IsZero() && !finished.Before(lastMon) && finished.Before(thisMon) {
			done = append(done, t)
		}
		if t.Status.Closed() {
			continue
		}
		if t.Status == store.StatusDone {
			// Delivered: an achievement, and a blocker only when the
			// review is late.
			if len(b.waiting(set, t, now)) > 0 {
				risk = append(risk, t)
			}
			continue
		}
		if t.Status == store.StatusOpen && !t.Due.Before(thisMon) && t.Due.Before(nextMon) {
			plan = append(plan, t)
		}
		if t.Overdue(now) || t.PendingDelay() >= 0 || len(t.OpenHelp()) > 0 || hasRecentRisk(t) || delayedRecently(t, lastMon) || len(b.waiting(set, t, now)) > 0 {
			risk = append(risk, t)
		}
	}
	for _, s := range [][]*store.Task{done, plan, risk} {
		sortByDue(s)
	}
	var sb strings.Builder
	sb.WriteString(tr(lang, msgWeeklyTitle, thisMon.Format("2006-01-02"), nextMon.AddDate(0, 0, -1).Format("01-02")))
	section := func(title string, ts []*store.Task, line func(*store.Task) string) {
		fmt.Fprintf(&sb, "\n\n%s（%d）", title, len(ts))
		if len(ts) == 0 {
			sb.WriteString("\n" + tr(lang, wordNone))
		}
		for i, t := range ts {
			if i == maxListLines {
				sb.WriteString("\n" + tr(lang, msgListMore, len(ts)-maxListLines))
				break
			}
			sb.WriteString("\n" + line(t))
		}
	}
	section(tr(lang, wordWeeklyDone), done, func(t *store.Task) string {
		return fmt.Sprintf("#%d %s · %s", t.ID, chat.Escape(taskTitle(t)), chat.Escape(t.Owner.Name))
	})
	section(tr(lang, wordWeeklyPlan), plan, func(t *store.Task) string {
		return b.listLine(lang, set, t, now)
	})
	section(tr(lang, wordWeeklyRisk), risk, func(t *store.Task) string {
		var why []string
		if t.Overdue(now) {
			why = append(why, tr(lang, wordOverdueBy, overdueFor(lang, b.lateBy(set, t, now))))
		}
		late := b.waiting(set, t, now)
		if t.PendingDelay() >= 0 && len(late) == 0 {
			why = append(why, tr(lang, wordDelayPending))
		} else if t.PendingDelay() < 0 && delayedRecently(t, lastMon) {
			why = append(why, tr(lang, wordDelayed))
		}
		if n := len(t.OpenHelp()); n > 0 {
			why = append(why, tr(lang, wordNeedsHelp))
		}
		why = append(why, late...)
		if hasRecentRisk(t) {
			colon, _ := sep(lang)
			why = append(why, tr(lang, wordRisk)+colon+chat.Escape(t.Risks[len(t.Risks)-1].Text))
		}
		return fmt.Sprintf("#%d %s · %s · %s", t.ID, chat.Escape(taskTitle(t)), ownerName(lang, t), strings.Join(why, tr(lang, wordListSep)))
	})
	owners := map[string]int{}
	var order []string
	for _, t := range plan {
		if t.Unowned() {
			continue // intake.go: declined, waiting for /assign
		}
		if owners[t.Owner.Name] == 0 {
			order = append(order, t.Owner.Name)
		}
		owners[t.Owner.Name]++
	}
	if len(order) > 0 {
		var parts []string
		for _, o := range order {
			parts = append(parts, fmt.Sprintf("%s %d", chat.Escape(o), owners[o]))
		}
		sb.WriteString("\n\n" + tr(lang, msgWeeklyOwners, strings.Join(parts, "，")))
	}
	return sb.String()
}

// hasRecentRisk: an open task whose latest risk warning is still the last
// word (no update after it).
func hasRecentRisk(t *store.Task) bool {
	if len(t.Risks) == 0 {
		return false
	}
	return !t.Risks[len(t.Risks)-1].At.Before(t.LastUpdateAt)
}

func delayedRecently(t *store.Task, since time.Time) bool {
	for _, d := range t.Delays {
		if d.State == store.DelayApproved && !d.DecidedAt.Before(since) {
			return true
		}
	}
	return false
}
