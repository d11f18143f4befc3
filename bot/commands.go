package bot

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// command is a parsed slash command: name (canonical), and the rest.
type command struct {
	name  string
	typed string // as the user wrote it, for "unknown command" replies
	args  string
}

// commandNames maps every accepted spelling to the canonical name.
var commandNames = map[string]string{
	"task": "task", "new": "task", "新建": "task", "任务创建": "task",
	"ack": "ack", "确认": "ack", "收到": "ack",
	"update": "update", "进度": "update", "更新": "update",
	"done": "done", "完成": "done",
	"accept": "accept", "验收": "accept", "通过": "accept",
	"reject": "reject", "驳回": "reject", "退回": "reject",
	"assist": "assist", "协助": "assist", "需协助": "assist",
	"resolve": "resolve", "解除": "resolve", "已解决": "resolve",
	"risk": "risk", "风险": "risk",
	"delay": "delay", "延期": "delay",
	"approve": "approve", "批准": "approve", "同意": "approve",
	"deny": "deny", "拒绝": "deny", "不同意": "deny",
	"list": "list", "任务": "list", "列表": "list",
	"mine": "mine", "我的": "mine",
	"overdue": "overdue", "逾期": "overdue",
	"assists": "assists", "协助列表": "assists",
	"search": "search", "搜索": "search", "查找": "search", "find": "search",
	"edit": "edit", "修改": "edit", "编辑": "edit",
	"cc": "cc", "抄送": "cc", "加协作": "cc", "添加协作人": "cc",
	"uncc": "uncc", "取消抄送": "uncc", "移除协作人": "uncc",
	"nudge": "nudge", "催办": "nudge", "催": "nudge", "remind": "nudge",
	"leave": "leave", "请假": "leave", "休假": "leave",
	"snooze": "snooze", "稍后提醒": "snooze", "暂停提醒": "snooze",
	"weekly": "weekly", "周报": "weekly",
	"show": "show", "查看": "show", "详情": "show",
	"assign": "assign", "转交": "assign",
	"cancel": "cancel", "取消": "cancel",
	"config": "config", "配置": "config", "设置": "config",
	"lang": "lang", "语言": "lang",
	"help": "help", "帮助": "help",
	"every": "every", "重复": "every", "recurring": "every",
}

// splitCommand recognises "/name args" (also full-width ／).
func splitCommand(text string) (command, bool) {
	t := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(t, "/"):
		t = t[1:]
	case strings.HasPrefix(t, "／"):
		t = t[len("／"):]
	default:
		return command{}, false
	}
	name, args, _ := strings.Cut(t, " ")
	// "/进度#3" and "/ack#3" are common without the space.
	if i := strings.IndexAny(name, "#＃【"); i > 0 {
		args = name[i:] + " " + args
		name = name[:i]
	}
	c := command{typed: name, args: strings.TrimSpace(args)}
	c.name = commandNames[strings.ToLower(name)]
	if c.name == "" && featureCommand(strings.ToLower(name)) != nil {
		c.name = "feature:" + strings.ToLower(name)
	}
	return c, true
}

func (b *Bot) command(r *request, c command) ([]chat.Reply, error) {
	switch c.name {
	case "task":
		return b.createFromText(r, c.args)
	case "ack":
		return b.cmdAck(r, c.args)
	case "update":
		return b.cmdUpdate(r, c.args)
	case "done":
		return b.cmdDone(r, c.args)
	case "accept":
		return b.cmdAccept(r, c.args)
	case "reject":
		return b.cmdReject(r, c.args)
	case "assist":
		return b.cmdAssist(r, c.args)
	case "resolve":
		return b.cmdResolve(r, c.args)
	case "risk":
		return b.cmdRisk(r, c.args)
	case "delay":
		return b.cmdDelay(r, c.args)
	case "approve":
		return b.cmdDecideDelay(r, c.args, true)
	case "deny":
		return b.cmdDecideDelay(r, c.args, false)
	case "list", "mine", "overdue", "assists", "search":
		return b.cmdList(r, c.name, c.args)
	case "edit":
		return b.cmdEdit(r, c.args)
	case "nudge":
		return b.cmdNudge(r, c.args)
	case "leave":
		return b.cmdLeave(r, c.args)
	case "snooze":
		return b.cmdSnooze(r, c.args)
	case "cc":
		return b.cmdCC(r, c.args, true)
	case "uncc":
		return b.cmdCC(r, c.args, false)
	case "weekly":
		return b.cmdWeekly(r)
	case "show":
		return b.cmdShow(r, c.args)
	case "assign":
		return b.cmdAssign(r, c.args)
	case "cancel":
		return b.cmdCancel(r, c.args)
	case "config":
		return b.cmdConfig(r, c.args)
	case "lang":
		return b.cmdConfig(r, "lang "+c.args)
	case "help":
		return []chat.Reply{r.reply(helpText(r.lang))}, nil
	case "every":
		return b.cmdEvery(r, c.args)
	}
	if h := featureCommand(strings.TrimPrefix(c.name, "feature:")); h != nil && strings.HasPrefix(c.name, "feature:") {
		return h(b, r, c.args)
	}
	return []chat.Reply{r.reply(tr(r.lang, msgUnknownCommand, chat.Escape(c.typed)))}, nil
}

// freeText handles a message that is not a slash command: a task request,
// a near miss, a tagged message (【需协助】#3 …), or a reply in a task's
// thread.
func (b *Bot) freeText(r *request) ([]chat.Reply, error) {
	if !rules.Recognisable(r.text) {
		return b.threadReply(r)
	}
	res := rules.Parse(r.text, r.set.parseOptions(r.now, b.cal))
	switch res.Kind {
	case rules.KindTask, rules.KindNearMiss:
		return b.createFromResult(r, res)
	case rules.KindTagged:
		return b.tagged(r, res)
	}
	return b.threadReply(r)
}

// tagged handles 【需协助】/【风险】/【延期】 messages about an existing task.
func (b *Bot) tagged(r *request, res rules.Result) ([]chat.Reply, error) {
	args := res.Rest
	if res.Ref > 0 {
		args = "#" + strconv.FormatInt(res.Ref, 10) + " " + args
	}
	switch {
	case res.Tags.Assist:
		return b.cmdAssist(r, args)
	case res.Tags.Risk:
		return b.cmdRisk(r, args)
	case res.Tags.Delay:
		return b.cmdDelay(r, args)
	}
	// A tier tag alone says nothing the bot can act on.
	return nil, nil
}

// threadReply records a plain reply in a task's thread as a progress update.
func (b *Bot) threadReply(r *request) ([]chat.Reply, error) {
	id := r.tx.ThreadTask(r.key(), r.msg.ReplyTo)
	if id == 0 {
		id = r.tx.ThreadTask(r.key(), r.msg.RootID)
	}
	if id == 0 || strings.TrimSpace(r.text) == "" {
		return nil, nil
	}
	t, err := r.tx.Task(r.key(), id)
	if err != nil || t.Status.Closed() {
		return nil, nil
	}
	return b.recordUpdate(r, t, r.text, true)
}

var (
	reTaskRef = regexp.MustCompile(`^[#＃]\s*([0-9０-９]*)`)
	rePercent = regexp.MustCompile(`([-－−负]?)\s*([0-9０-９]+(?:[.．][0-9０-９]+)?)\s*[%％]`)
)

// maxTaskID bounds a task reference: ids count up per group, so anything
// larger is a typo, and it keeps "#99999999999999999999" from overflowing.
const maxTaskID = 1_000_000_000

// taskRef takes "#12" off the front of args. Without one it falls back to
// the thread the message replies to. A "#" that is not followed by a valid
// id ("#0", "#-1", "#abc", a number past any id) comes back in bad, so the
// command refuses it instead of guessing another task.
func (r *request) taskRef(args string) (id int64, rest, bad string) {
	a := strings.TrimSpace(args)
	if m := reTaskRef.FindStringSubmatch(a); m != nil {
		after := a[len(m[0]):]
		n, err := strconv.ParseInt(toHalfWidth(m[1]), 10, 64)
		next, _ := utf8.DecodeRuneInString(after)
		if m[1] == "" || err != nil || n < 1 || n > maxTaskID || next == '%' || next == '％' ||
			next < utf8.RuneSelf && (unicode.IsLetter(next) || next == '.' || next == '-') {
			tok, _, _ := strings.Cut(a, " ")
			return 0, a, tok
		}
		return n, strings.TrimSpace(after), ""
	}
	if id := r.tx.ThreadTask(r.key(), r.msg.ReplyTo); id != 0 {
		return id, a, ""
	}
	if id := r.tx.ThreadTask(r.key(), r.msg.RootID); id != 0 {
		return id, a, ""
	}
	return 0, a, ""
}

// findTask resolves the task a command is about. When no id is given and
// the sender owns exactly one open task, that one is meant. A nil task
// comes with the reply that explains what is missing.
func (b *Bot) findTask(r *request, args, usage string) (*store.Task, string, []chat.Reply, error) {
	id, rest, bad := r.taskRef(args)
	if bad != "" {
		return nil, "", []chat.Reply{r.reply(tr(r.lang, msgBadTaskRef, chat.Escape(clip(bad, 30)), usage))}, nil
	}
	if id == 0 {
		var mine []*store.Task
		err := r.tx.Tasks(r.key(), func(t *store.Task) error {
			if !t.Status.Closed() && t.Owner.ID == r.msg.Sender.ID {
				mine = append(mine, t)
			}
			return nil
		})
		if err != nil {
			return nil, "", nil, err
		}
		if len(mine) == 1 {
			return mine[0], rest, nil, nil
		}
		return nil, "", []chat.Reply{r.reply(tr(r.lang, msgNeedTaskID, usage))}, nil
	}
	t, err := r.tx.Task(r.key(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", []chat.Reply{r.reply(tr(r.lang, msgNoSuchTask, id))}, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	return t, rest, nil, nil
}

// role names who may do something, for permission checks and for the
// reply that says who may.
type role int

const (
	roleOwner role = 1 << iota
	roleCollaborator
	roleInitiator
	roleLead
	roleAdmin
)

func (r *request) roles(t *store.Task) role {
	id := r.msg.Sender.ID
	var got role
	if t.Owner.ID == id {
		got |= roleOwner
	}
	if t.Initiator.ID == id {
		got |= roleInitiator
	}
	for _, c := range t.Collaborators {
		if c.ID == id {
			got |= roleCollaborator
		}
	}
	if r.set.Lead != nil && r.set.Lead.ID == id {
		got |= roleLead
	}
	if r.admin {
		got |= roleAdmin
	}
	return got
}

// deny returns the "only … may" reply when the sender has none of want.
func (r *request) deny(t *store.Task, want role, action string) []chat.Reply {
	if r.roles(t)&want != 0 {
		return nil
	}
	var who []string
	if want&roleOwner != 0 {
		who = append(who, tr(r.lang, wordOwner)+" "+t.Owner.Name)
	}
	if want&roleCollaborator != 0 && len(t.Collaborators) > 0 {
		who = append(who, tr(r.lang, wordCollaborators))
	}
	if want&roleInitiator != 0 {
		who = append(who, tr(r.lang, wordInitiator)+" "+t.Initiator.Name)
	}
	if want&roleLead != 0 {
		if r.set.Lead != nil {
			who = append(who, tr(r.lang, wordLead)+" "+r.set.Lead.Name)
		} else {
			who = append(who, tr(r.lang, wordLead))
		}
	}
	if want&roleAdmin != 0 {
		who = append(who, tr(r.lang, wordAdmins))
	}
	return []chat.Reply{r.reply(tr(r.lang, msgNotAllowed, t.ID, action, strings.Join(who, tr(r.lang, wordListSep))))}
}

func (r *request) history(t *store.Task, action, detail string) error {
	return r.tx.AppendHistory(t.Group, t.ID, store.HistoryEntry{At: r.now, By: r.sender(), Action: action, Detail: detail})
}

// parsePercent finds "80%" in text: -1 when there is none; bad is the
// offending text when a percentage is out of 0–100, negative or not whole,
// which is refused rather than bent into range.
func parsePercent(text string) (pct int, bad string) {
	pct = -1
	for _, m := range rePercent.FindAllStringSubmatch(text, -1) {
		n, err := strconv.Atoi(toHalfWidth(m[2]))
		if m[1] != "" || err != nil || n > 100 {
			return -1, strings.TrimSpace(m[0])
		}
		pct = n
	}
	return pct, ""
}

// clip shortens s to n runes for quoting it back.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
