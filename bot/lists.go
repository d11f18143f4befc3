package bot

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/store"
)

// maxListLines keeps list replies readable in a chat window; the footer
// says how many were left out.
const maxListLines = 30

func (b *Bot) cmdList(r *request, which string) ([]chat.Reply, error) {
	var picked []*store.Task
	uid := r.msg.Sender.ID
	err := r.tx.Tasks(r.key(), func(t *store.Task) error {
		if t.Status.Closed() {
			return nil
		}
		keep := false
		switch which {
		case "list":
			keep = true
		case "mine":
			keep = t.Owner.ID == uid || containsUser(t.Collaborators, uid) ||
				(t.Status == store.StatusDone && t.Initiator.ID == uid)
		case "overdue":
			keep = t.Overdue(r.now)
		case "assists":
			keep = len(t.OpenHelp()) > 0
		}
		if keep {
			picked = append(picked, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortByDue(picked)
	titles := map[string]string{"list": msgListTitle, "mine": msgMineTitle, "overdue": msgOverdueTitle, "assists": msgAssistsTitle}
	empties := map[string]string{"list": msgListEmpty, "mine": msgMineEmpty, "overdue": msgOverdueEmpty, "assists": msgAssistsEmpty}
	if len(picked) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, empties[which]))}, nil
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, titles[which], len(picked)))
	for i, t := range picked {
		if i == maxListLines {
			sb.WriteString("\n" + tr(r.lang, msgListMore, len(picked)-maxListLines))
			break
		}
		sb.WriteString("\n" + b.listLine(r.lang, r.set, t, r.now))
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
	return []chat.Reply{r.reply(sb.String())}, nil
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
	if len(hist) > 0 {
		sb.WriteString("\n" + tr(r.lang, wordHistory) + colon)
		start := 0
		if len(hist) > 10 {
			start = len(hist) - 10
		}
		for _, h := range hist[start:] {
			line := fmt.Sprintf("\n· %s %s %s", fmtTime(r.lang, h.At, r.set.Location, r.now), chat.Escape(h.By.Name), historyWord(r.lang, h.Action))
			if h.Detail != "" && h.Action != "created" {
				line += colon + chat.Escape(h.Detail)
			}
			sb.WriteString(line)
		}
	}
	rep1 := r.reply(sb.String())
	rep1.Card = b.taskCard(r.lang, r.set, t, r.now, sb.String())
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
		if t.Status == store.StatusOpen && !t.Due.Before(thisMon) && t.Due.Before(nextMon) {
			plan = append(plan, t)
		}
		if t.Overdue(now) || t.PendingDelay() >= 0 || len(t.OpenHelp()) > 0 || hasRecentRisk(t) || delayedRecently(t, lastMon) {
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
			why = append(why, tr(lang, wordOverdueBy, overdueFor(lang, now.Sub(t.Due))))
		}
		if t.PendingDelay() >= 0 {
			why = append(why, tr(lang, wordDelayPending))
		} else if delayedRecently(t, lastMon) {
			why = append(why, tr(lang, wordDelayed))
		}
		if n := len(t.OpenHelp()); n > 0 {
			why = append(why, tr(lang, wordNeedsHelp))
		}
		if hasRecentRisk(t) {
			colon, _ := sep(lang)
			why = append(why, tr(lang, wordRisk)+colon+chat.Escape(t.Risks[len(t.Risks)-1].Text))
		}
		return fmt.Sprintf("#%d %s · %s · %s", t.ID, chat.Escape(taskTitle(t)), chat.Escape(t.Owner.Name), strings.Join(why, tr(lang, wordListSep)))
	})
	owners := map[string]int{}
	var order []string
	for _, t := range plan {
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
