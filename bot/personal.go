package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// Personal delivery: the daily digest by direct message (/digest), the
// group switch that sends the 17:00 nudge to each owner privately
// (/config nudges dm), and the platform interrupt (Feishu 加急, DingTalk
// DING) on the top rung of an emergency.

func init() {
	registerFeature(feature{
		names: map[string]func(b *Bot, r *request, args string) ([]chat.Reply, error){
			"digest": (*Bot).cmdDigest, "日报": (*Bot).cmdDigest, "摘要": (*Bot).cmdDigest, "每日摘要": (*Bot).cmdDigest,
		},
		due:    (*Bot).digestsDue,
		direct: true,
	})
}

// interrupts reports whether o is the top rung of an emergency, where the
// platform's interrupt may follow the @-mention: an urgent task still
// unacknowledged, or overdue up to the lead.
func (b *Bot) interrupts(v *groupView, o rules.Owed) bool {
	t := v.byID[o.TaskID]
	if t == nil || t.Urgency != "urgent" {
		return false
	}
	return o.Kind == rules.RemindUrgent || (o.Kind == rules.RemindOverdue && o.Step == rules.StepEscalate)
}

// putNudgeDMs records the daily nudge as one direct message per owner, in
// place of the group message: same people, same tasks, same occasion, one
// key per owner so each goes out once.
func (b *Bot) putNudgeDMs(tx *store.Tx, v *groupView, key string, o rules.Owed, now time.Time) error {
	lang, set := v.set.Lang, v.set
	byOwner := map[string][]*store.Task{}
	for _, id := range o.Tasks {
		if t := v.byID[id]; t != nil {
			byOwner[t.Owner.ID] = append(byOwner[t.Owner.ID], t)
		}
	}
	group := groupLabel(v.group)
	for _, u := range v.who(o.Mentions) {
		ts := byOwner[u.ID]
		if len(ts) == 0 {
			continue
		}
		sortByDue(ts)
		var sb strings.Builder
		sb.WriteString(tr(lang, pdNudgeHead, group, len(ts)))
		b.writeLines(&sb, lang, set, ts, now)
		sb.WriteString("\n" + tr(lang, rmNudgeMore))
		text := sb.String()
		rep := chat.Reply{Platform: v.group.Key.Platform, ChatID: v.group.Key.ChatID, ToUser: u.ID, Text: text,
			Card: &chat.Card{Title: tr(lang, rmNudgeTitle), Template: "orange", Body: text, Buttons: doneButtons(lang, v.group.Key.ChatID, ts)},
			Key:  key + ":dm:" + u.ID, Urgent: o.Urgent}
		if err := b.addOwed(tx, v, rep.Key, o, rep, now); err != nil {
			return err
		}
	}
	return nil
}

// doneButtons are the buttons of a personal list: the first few tasks'
// 完成, pointing back at the group each task lives in.
func doneButtons(lang, group string, ts []*store.Task) []chat.Button {
	var out []chat.Button
	for _, t := range ts {
		if len(out) == 3 || t.Status != store.StatusOpen {
			continue
		}
		out = append(out, chat.Button{Label: fmt.Sprintf("#%d %s", t.ID, tr(lang, btnDone)), Action: chat.ActionDone, TaskID: t.ID, Group: group})
	}
	return out
}

func groupLabel(g *store.Group) string {
	if g.Name != "" {
		return chat.Escape(g.Name)
	}
	return g.Key.ChatID
}

// cmdDigest: /digest on [HH:MM] · /digest off · /digest (status). It works
// in a group and in a 1:1 chat with the bot; the subscription is the
// person's, not the group's.
func (b *Bot) cmdDigest(r *request, args string) ([]chat.Reply, error) {
	f := strings.Fields(args)
	p, u := r.msg.Platform, r.sender()
	cur, err := r.tx.Digest(p, u.ID)
	if err != nil {
		return nil, err
	}
	if r.group == nil && cur != nil && cur.Lang != "" {
		r.lang = cur.Lang // a 1:1 chat answers in the subscription's language
	}
	if len(f) == 0 {
		if cur == nil {
			return []chat.Reply{r.reply(tr(r.lang, pdOff) + "\n" + tr(r.lang, pdUsage))}, nil
		}
		return []chat.Reply{r.reply(tr(r.lang, pdOn, cur.Hour, cur.Minute))}, nil
	}
	switch strings.ToLower(f[0]) {
	case "on", "开启", "打开", "订阅":
		d := &store.DigestSub{Platform: p, User: u, Hour: 9, Minute: 0, Lang: r.lang, Since: r.now}
		if cur != nil {
			d.LastDate = cur.LastDate
		}
		if len(f) > 1 {
			c, err := ParseClock(toHalfWidth(f[1]))
			if err != nil {
				return []chat.Reply{r.reply(tr(r.lang, pdBadTime, chat.Escape(clip(f[1], 20))) + "\n" + tr(r.lang, pdUsage))}, nil
			}
			d.Hour, d.Minute = c.Hour, c.Minute
		}
		if err := r.tx.PutDigest(d); err != nil {
			return nil, err
		}
		return []chat.Reply{r.reply(tr(r.lang, pdOn, d.Hour, d.Minute))}, nil
	case "off", "关闭", "退订":
		if err := r.tx.DeleteDigest(p, u.ID); err != nil {
			return nil, err
		}
		return []chat.Reply{r.reply(tr(r.lang, pdOff))}, nil
	}
	return []chat.Reply{r.reply(tr(r.lang, pdUsage))}, nil
}

// digestsDue records each subscriber's digest once per working day, at or
// after their time. Only subscribers are read on an idle tick; the task
// scan happens only when at least one digest is due.
func (b *Bot) digestsDue(now time.Time) ([]store.GroupKey, error) {
	loc := b.def.Location
	local := now.In(loc)
	if !b.cal.IsWorkday(local) {
		return nil, nil
	}
	today := local.Format(time.DateOnly)
	var due []store.DigestSub
	err := b.db.View(func(tx *store.Tx) error {
		return tx.Digests(func(d *store.DigestSub) error {
			at := time.Date(local.Year(), local.Month(), local.Day(), d.Hour, d.Minute, 0, 0, loc)
			if d.LastDate != today && !local.Before(at) {
				due = append(due, *d)
			}
			return nil
		})
	})
	if err != nil || len(due) == 0 {
		return nil, err
	}
	var touched []store.GroupKey
	defer b.releaseMapped()
	// The scan reads every task: in a read transaction, so it never holds
	// the store's one writer (and with it every ack) for its duration.
	var mine map[string][]personalItem
	if err := b.db.View(func(tx *store.Tx) error {
		var err error
		mine, err = b.personalTasks(tx, due)
		return err
	}); err != nil {
		return nil, err
	}
	err = b.db.Update(func(tx *store.Tx) error {
		for _, d := range due {
			cur, err := tx.Digest(d.Platform, d.User.ID)
			if err != nil || cur == nil || cur.LastDate == today {
				continue // unsubscribed or decided meanwhile
			}
			cur.LastDate = today
			if err := tx.PutDigest(cur); err != nil {
				return err
			}
			items := mine[d.Platform+"\x00"+d.User.ID]
			if len(items) == 0 {
				continue // nothing open: no message is the kindest digest
			}
			g := store.GroupKey{Platform: d.Platform, ChatID: "dm:" + d.User.ID}
			rep := b.renderDigest(cur, items, now)
			key := "digest:" + d.Platform + ":" + d.User.ID + ":" + today
			at := time.Date(local.Year(), local.Month(), local.Day(), d.Hour, d.Minute, 0, 0, loc)
			fresh, err := b.recordScheduled(tx, g, "digest", key, rep, false, at, now)
			if err != nil {
				return err
			}
			if fresh {
				touched = append(touched, g)
			}
		}
		return nil
	})
	return touched, err
}

func (b *Bot) releaseMapped() {
	if err := b.db.ReleaseMapped(); err != nil {
		b.log.Debug("release mapped store pages", "err", err)
	}
}

// personalItem is one line of a digest: a task someone owns, or one
// waiting for their acceptance.
type personalItem struct {
	task   *store.Task
	group  *store.Group
	review bool // waiting for this person's acceptance
}

// personalTasks reads every group once and returns, for each subscriber
// (platform\x00user), their open tasks and the deliveries waiting for
// their review, across all groups the bot serves — on every platform
// where the person is linked (SetPeople).
func (b *Bot) personalTasks(tx *store.Tx, subs []store.DigestSub) (map[string][]personalItem, error) {
	want := map[string][]string{} // identity → subscribers it feeds
	for _, d := range subs {
		self := d.Platform + "\x00" + d.User.ID
		for _, id := range b.identities(d.Platform, d.User.ID) {
			want[id] = append(want[id], self)
		}
	}
	out := map[string][]personalItem{}
	err := tx.Groups(func(g *store.Group) error {
		gg := g
		return tx.Tasks(g.Key, func(t *store.Task) error {
			switch t.Status {
			case store.StatusOpen:
				for _, s := range want[g.Key.Platform+"\x00"+t.Owner.ID] {
					out[s] = append(out[s], personalItem{task: t, group: gg})
				}
			case store.StatusDone:
				for _, s := range want[g.Key.Platform+"\x00"+t.Initiator.ID] {
					out[s] = append(out[s], personalItem{task: t, group: gg, review: true})
				}
			}
			return nil
		})
	})
	for _, items := range out {
		slices.SortStableFunc(items, func(a, b personalItem) int {
			if a.review != b.review { // own work first, then what waits on you
				if a.review {
					return 1
				}
				return -1
			}
			return a.task.Due.Compare(b.task.Due)
		})
	}
	return out, err
}

// renderDigest writes one person's digest: due soonest first, the group
// each task lives in, overdue ones marked; buttons for the first few.
func (b *Bot) renderDigest(d *store.DigestSub, items []personalItem, now time.Time) chat.Reply {
	lang := d.Lang
	if lang == "" {
		lang = b.def.Lang
	}
	loc := b.def.Location
	var sb strings.Builder
	own := 0
	for _, it := range items {
		if !it.review {
			own++
		}
	}
	sb.WriteString(tr(lang, pdHead, own, len(items)-own))
	var buttons []chat.Button
	for i, it := range items {
		if i == maxListLines {
			sb.WriteString("\n" + tr(lang, msgListMore, len(items)-maxListLines))
			break
		}
		t := it.task
		mark := ""
		switch {
		case it.review:
			mark = tr(lang, pdReview)
		case t.Overdue(now):
			mark = tr(lang, pdLate)
		}
		sb.WriteString("\n" + tr(lang, pdLine, t.ID, chat.Escape(taskTitle(t)), groupLabel(it.group), fmtTime(lang, t.Due, loc, now), mark))
		if !it.review && len(buttons) < 3 {
			buttons = append(buttons, chat.Button{Label: fmt.Sprintf("#%d %s", t.ID, tr(lang, btnDone)), Action: chat.ActionDone, TaskID: t.ID, Group: it.group.Key.ChatID})
		}
	}
	sb.WriteString("\n" + tr(lang, pdFoot))
	text := sb.String()
	return chat.Reply{ToUser: d.User.ID, Text: text,
		Card: &chat.Card{Title: tr(lang, pdTitle), Template: "blue", Body: text, Buttons: buttons}}
}

// SetPeople links one person's accounts on several platforms, each
// written "platform:id" (lark:ou_…, dingtalk:<staffId>), so their digest
// lists their tasks from every platform. Call before Start.
func (b *Bot) SetPeople(people [][]string) {
	m := map[string][]string{}
	for _, ids := range people {
		var keys []string
		for _, id := range ids {
			p, u, ok := strings.Cut(id, ":")
			if ok && p != "" && u != "" {
				keys = append(keys, p+"\x00"+u)
			}
		}
		for _, k := range keys {
			m[k] = keys
		}
	}
	b.mu.Lock()
	b.people = m
	b.mu.Unlock()
}

func (b *Bot) identities(platform, user string) []string {
	self := platform + "\x00" + user
	b.mu.RLock()
	linked := b.people[self]
	b.mu.RUnlock()
	if len(linked) == 0 {
		return []string{self}
	}
	return linked
}

// nudgeRoute is the settings line of /config nudges, shown only when it
// differs from the default (in the group).
func nudgeRoute(lang string, e Effective) string {
	if !e.NudgeDM {
		return ""
	}
	return "\n" + tr(lang, pdNudgeDM)
}

const (
	pdNudgeDM   = "pd_nudge_dm"
	pdUsage     = "pd_usage"
	pdOn        = "pd_on"
	pdOff       = "pd_off"
	pdBadTime   = "pd_bad_time"
	pdTitle     = "pd_title"
	pdHead      = "pd_head"
	pdLine      = "pd_line"
	pdLate      = "pd_late"
	pdReview    = "pd_review"
	pdFoot      = "pd_foot"
	pdNudgeHead = "pd_nudge_head"
)

func init() {
	addMessages(map[string][2]string{
		pdNudgeDM: {"每日进度提醒方式：私信各负责人（改回群内：/config nudges group）", "Daily check-in: by direct message to each owner (back to the group: /config nudges group)"},
		pdUsage: {"📋 每日摘要：每个工作日私信你一次，列出你在所有项目群里未完成的任务（先到期的在前）和待你验收的交付。\n开启：/digest on 09:00（时间可省略，默认 09:00）· 关闭：/digest off · 查看：/digest",
			"📋 Daily digest: one direct message each working day listing your open tasks in every project group (due soonest first) and deliveries waiting for your acceptance.\nOn: /digest on 09:00 (time optional, default 09:00) · Off: /digest off · Status: /digest"},
		pdOn:      {"✅ 已开启每日摘要：每个工作日 %02[1]d:%02[2]d 私信你。关闭：/digest off", "✅ Daily digest on: a direct message each working day at %02[1]d:%02[2]d. Turn off: /digest off"},
		pdOff:     {"每日摘要已关闭。", "Daily digest is off."},
		pdBadTime: {"❌ 时间“%s”看不懂，请写成 HH:MM，例如 /digest on 09:30", "❌ Cannot read the time “%s”: write HH:MM, e.g. /digest on 09:30"},
		pdTitle:   {"📋 今日任务摘要", "📋 Your tasks today"},
		pdHead:    {"你负责的未完成任务 %d 项，待你验收 %d 项：", "%d open tasks you own, %d deliveries waiting for your acceptance:"},
		pdLine:    {"#%[1]d %[2]s · %[3]s · 截止 %[4]s%[5]s", "#%[1]d %[2]s · %[3]s · due %[4]s%[5]s"},
		pdLate:    {" · ⚠️已逾期", " · ⚠️overdue"},
		pdReview:  {" · 待你验收", " · waiting for your acceptance"},
		pdFoot:    {"在对应群里更新进度：/update #编号 内容 · 关闭摘要：/digest off", "Update progress in the task's group: /update #id text · Turn off: /digest off"},
		pdNudgeHead: {"⏰ 今日进度提醒 · %[1]s：你有 %[2]d 项任务今天还没有更新进度：",
			"⏰ Daily check-in · %[1]s: %[2]d of your tasks have no update today:"},
	})
}
