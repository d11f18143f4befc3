package bot

// /every (/重复, /recurring): tasks created again on a schedule that
// follows the China working calendar, and DueRecurrences, which the
// reminder engine calls every minute to create the occurrences due.
//
// Decisions (see rules/recur.go for how schedules meet the calendar):
//   - Anyone in the group may create a recurrence; the initiator, the group
//     lead and group admins may stop it. Stopping leaves created tasks be.
//   - An occurrence is the task a user creating the 【…】 would get: the
//     owner is the first @-mention of the /every message (else its
//     sender), further mentions are collaborators, the initiator is the
//     sender, 【紧急】/【重要】 set the tier. The deadline is parsed on each
//     occurrence with Now = the occurrence time (the group's start of the
//     working day on that date), so 17:00前 is 17:00 that day.
//   - It is created at the start of the working day, or, if the bot was
//     down then, once late on the same date while the working day lasts
//     (before the group's end of workday) and its deadline is still ahead;
//     otherwise that date is skipped. An occurrence of an earlier date is
//     never created late.
//   - Each occurrence is decided once: the store's done marker for
//     (recurrence, date) is written in the transaction that creates the
//     task, its "created" history entry and the announcement in the outbox
//     (key every:<group>:<recurrence id>:<date>).
//   - A task text that no longer parses on an occurrence (say a fixed date
//     that has passed) skips that date, stops the recurrence and tells the
//     initiator, once.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// maxActiveRecurrences bounds one group's active recurrences: each is
// looked at on every engine tick.
const maxActiveRecurrences = 50

// recurrenceMarkerDays is how long occurrence markers are kept; only the
// current date's occurrence can still be created.
const recurrenceMarkerDays = 62

func (b *Bot) cmdEvery(r *request, args string) ([]chat.Reply, error) {
	args = strings.TrimSpace(args)
	first, rest, _ := strings.Cut(args, " ")
	switch strings.ToLower(first) {
	case "", "help", "帮助", "?", "？":
		return []chat.Reply{r.reply(b.everyUsage(r))}, nil
	case "list", "ls", "列表", "查看", "全部":
		return b.everyList(r)
	case "stop", "cancel", "delete", "remove", "rm", "停止", "取消", "删除", "停":
		return b.everyStop(r, rest)
	}
	return b.everyCreate(r, args)
}

func (b *Bot) everyUsage(r *request) string {
	return tr(r.lang, evUsage, rules.AcceptedSchedules(r.lang), FormatClock(r.set.WorkdayStart))
}

// everyCreate handles "/every 每周五 @张三 【…】".
func (b *Bot) everyCreate(r *request, args string) ([]chat.Reply, error) {
	phrase, text := args, ""
	if i := strings.IndexAny(args, "【[［"); i >= 0 {
		phrase, text = args[:i], strings.TrimSpace(args[i:])
	}
	phrase = everyStripMentions(phrase, r.msg.Mentions)
	sched, err := rules.ParseSchedule(phrase)
	if err != nil {
		var se *rules.ScheduleError
		if errors.As(err, &se) {
			if se.Code == rules.ScheduleMissing && text == "" {
				return []chat.Reply{r.reply(b.everyUsage(r))}, nil
			}
			return []chat.Reply{r.reply(tr(r.lang, evBadSchedule, chat.Escape(se.Message(r.lang))))}, nil
		}
		return nil, err
	}
	if text == "" {
		return []chat.Reply{r.reply(tr(r.lang, evNeedTask, chat.Escape(phrase), chat.Escape(phrase)))}, nil
	}
	active := 0
	err = r.tx.Recurrences(r.key(), func(rec *store.Recurrence) error {
		if rec.Active() {
			active++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if active >= maxActiveRecurrences {
		return []chat.Reply{r.reply(tr(r.lang, evTooMany, active))}, nil
	}
	loc, start := r.set.Location, r.set.WorkdayStart
	next := rules.Occurrences(b.cal, sched, r.now, 3, loc, start)
	if len(next) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, evNoOccurrence, chat.Escape(sched.Describe(r.lang))))}, nil
	}
	// The task is checked as it will be parsed on its first occurrence.
	res := rules.Parse(text, r.set.parseOptions(next[0], b.cal))
	if res.Kind != rules.KindTask && res.Kind != rules.KindNearMiss {
		return []chat.Reply{r.reply(tr(r.lang, evNeedTask, chat.Escape(phrase), chat.Escape(phrase)))}, nil
	}
	if len(res.Errors) > 0 || res.Task == nil {
		return []chat.Reply{r.reply(formatErrors(r.lang, res))}, nil
	}
	if !res.Task.Due.After(next[0]) {
		return []chat.Reply{r.reply(tr(r.lang, evDueAtStart, chat.Escape(res.Task.Deadline), FormatClock(start)))}, nil
	}
	owner, collab, fromMention := r.sender(), []store.User(nil), false
	for i, u := range r.msg.Mentions {
		su := toStore(u)
		if i == 0 {
			owner, fromMention = su, true
			continue
		}
		if su.ID != owner.ID && !containsUser(collab, su.ID) {
			collab = append(collab, su)
		}
	}
	rec := &store.Recurrence{
		Group: r.key(), Schedule: sched.String(), Phrase: strings.TrimSpace(phrase), Text: text,
		Owner: owner, OwnerMention: fromMention, Collaborators: collab, Initiator: r.sender(),
		CreatedAt: r.now, MessageID: r.msg.MessageID,
	}
	if err := r.tx.NewRecurrence(rec); err != nil {
		return nil, err
	}
	var dates []string
	for _, t := range next {
		dates = append(dates, b.occurrenceDate(r.lang, sched, t, loc, r.now))
	}
	var cs []string
	for _, c := range collab {
		cs = append(cs, mention(c))
	}
	collabText := ""
	if len(cs) > 0 {
		collabText = tr(r.lang, evCollaborators, strings.Join(cs, " "))
	}
	task := "【" + res.Task.Topic + "-" + res.Task.Item + "-" + res.Task.Request + "-" + res.Task.Deadline + "】"
	if u := res.Task.Urgency; u == rules.Urgent || u == rules.Important {
		task = "【" + urgencyWord(r.lang, string(u)) + "】" + task
	}
	msg := tr(r.lang, evCreated, rec.ID, chat.Escape(sched.Describe(r.lang)), FormatClock(start), chat.Escape(task),
		mention(owner), collabText, strings.Join(dates, tr(r.lang, evDateSep)), fmtTime(r.lang, res.Task.Due, loc, r.now))
	if !fromMention {
		msg += "\n" + tr(r.lang, msgOwnerIsSender)
	}
	return []chat.Reply{r.reply(msg, append([]store.User{owner}, collab...)...)}, nil
}

// everyStripMentions removes the message's @-mentions, and any other
// "@word", from a schedule phrase.
func everyStripMentions(s string, mentions []chat.User) string {
	for _, u := range mentions {
		if u.Name != "" {
			s = strings.ReplaceAll(s, "@"+u.Name, " ")
		}
	}
	var keep []string
	for _, w := range strings.Fields(s) {
		if !strings.HasPrefix(w, "@") && !strings.HasPrefix(w, "＠") {
			keep = append(keep, w)
		}
	}
	return strings.Join(keep, " ")
}

// everyDate renders a date for a reply: "9月30日(周三)" / "Wed Sep 30", with
// the year when it differs from now's.
func everyDate(lang string, t time.Time, loc *time.Location, now time.Time) string {
	t = t.In(loc)
	sameYear := t.Year() == now.In(loc).Year()
	if lang == "en" {
		if sameYear {
			return t.Format("Mon Jan 2")
		}
		return t.Format("Mon Jan 2 2006")
	}
	s := fmt.Sprintf("%d月%d日(%s)", t.Month(), t.Day(), zhWeekdays[t.Weekday()])
	if !sameYear {
		s = fmt.Sprintf("%d年", t.Year()) + s
	}
	return s
}

// occurrenceDate is everyDate plus, for a weekly or monthly date moved off a
// holiday or weekend, where it was moved from.
func (b *Bot) occurrenceDate(lang string, s rules.Schedule, occ time.Time, loc *time.Location, now time.Time) string {
	d := everyDate(lang, occ, loc, now)
	occ = occ.In(loc)
	y, m, day := occ.Date()
	var nominal time.Time
	switch s.Kind {
	case rules.RecurWeekly:
		monday := day - (int(occ.Weekday())+6)%7
		nominal = time.Date(y, m, monday+(int(s.Weekday)+6)%7, 12, 0, 0, 0, loc)
	case rules.RecurMonthDay:
		last := time.Date(y, m+1, 0, 12, 0, 0, 0, loc).Day()
		nominal = time.Date(y, m, min(s.Day, last), 12, 0, 0, 0, loc)
	default:
		return d
	}
	if nominal.Day() == day && nominal.Month() == m {
		return d
	}
	why := b.cal.DayName(nominal)
	switch {
	case why != "":
	case lang == "en":
		why = "a day off"
	default:
		why = "休息日"
	}
	return d + tr(lang, evMoved, everyDate(lang, nominal, loc, now), why)
}

// everyList is "/every list": the group's active recurrences with their
// next occurrence.
func (b *Bot) everyList(r *request) ([]chat.Reply, error) {
	var recs []*store.Recurrence
	err := r.tx.Recurrences(r.key(), func(rec *store.Recurrence) error {
		if rec.Active() {
			recs = append(recs, rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, evListEmpty))}, nil
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, evListTitle, len(recs)))
	for _, rec := range recs {
		desc, next := rec.Phrase, tr(r.lang, evListNever)
		if s, err := rules.ParseScheduleSpec(rec.Schedule); err == nil {
			desc = s.Describe(r.lang)
			if t := rules.Next(b.cal, s, r.now, r.set.Location, r.set.WorkdayStart); !t.IsZero() {
				next = fmtTime(r.lang, t, r.set.Location, r.now)
			}
		}
		sb.WriteString("\n" + tr(r.lang, evListLine, rec.ID, chat.Escape(desc), chat.Escape(clip(rec.Text, 60)),
			chat.Escape(rec.Owner.Name), next))
	}
	sb.WriteString("\n" + tr(r.lang, evListFooter))
	return []chat.Reply{r.reply(sb.String())}, nil
}

// everyStop is "/every stop 3" (also R3, #3).
func (b *Bot) everyStop(r *request, args string) ([]chat.Reply, error) {
	tok, _, _ := strings.Cut(strings.TrimSpace(toHalfWidth(args)), " ")
	tok = strings.TrimLeft(tok, "#Rr")
	id, err := strconv.ParseInt(tok, 10, 64)
	if err != nil || id < 1 || id > maxTaskID {
		return []chat.Reply{r.reply(tr(r.lang, evStopUsage))}, nil
	}
	rec, err := r.tx.Recurrence(r.key(), id)
	if errors.Is(err, store.ErrNotFound) {
		return []chat.Reply{r.reply(tr(r.lang, evNoSuch, id))}, nil
	}
	if err != nil {
		return nil, err
	}
	if !rec.Active() {
		return []chat.Reply{r.reply(tr(r.lang, evAlreadyStopped, id, fmtTime(r.lang, rec.StoppedAt, r.set.Location, r.now)))}, nil
	}
	isLead := r.set.Lead != nil && r.set.Lead.ID == r.msg.Sender.ID
	if rec.Initiator.ID != r.msg.Sender.ID && !isLead && !r.admin {
		return []chat.Reply{r.reply(tr(r.lang, evStopDenied, id, chat.Escape(rec.Initiator.Name)))}, nil
	}
	if _, _, err := r.tx.StopRecurrence(r.key(), id, r.sender(), r.now); err != nil {
		return nil, err
	}
	desc := rec.Phrase
	if s, err := rules.ParseScheduleSpec(rec.Schedule); err == nil {
		desc = s.Describe(r.lang)
	}
	return []chat.Reply{r.reply(tr(r.lang, evStopped, id, chat.Escape(desc), chat.Escape(clip(rec.Text, 60))))}, nil
}

// DueRecurrences creates every recurring-task occurrence due at now and
// returns the groups that got new outbox messages (the announcements), for
// the send stage to be kicked. A read-only pass finds the groups with an
// occurrence not yet decided; then one write transaction per group decides
// them again on fresh state: the task, its history and the announcement
// commit with the occurrence's done marker, so a repeated tick, a restart
// or a concurrent caller never creates one twice. The reminder engine
// calls it every minute; an error in one group does not stop the others.
func (b *Bot) DueRecurrences(now time.Time) ([]store.GroupKey, error) {
	owes := func(tx *store.Tx, g *store.Group) (bool, error) {
		set := b.effective(g)
		owed := false
		err := tx.Recurrences(g.Key, func(rec *store.Recurrence) error {
			if !owed {
				_, _, owed = b.owedOccurrence(tx, set, rec, now)
			}
			return nil
		})
		return owed, err
	}
	return b.dueByGroup("recurring tasks", store.FeatureRecurring, owes, func(tx *store.Tx, g *store.Group) (bool, error) {
		return b.groupRecurrences(tx, g, now)
	})
}

// groupRecurrences decides one group's due occurrences in tx.
func (b *Bot) groupRecurrences(tx *store.Tx, g *store.Group, now time.Time) (bool, error) {
	k := g.Key
	set := b.effective(g)
	var recs []*store.Recurrence
	if err := tx.Recurrences(k, func(rec *store.Recurrence) error {
		recs = append(recs, rec)
		return nil
	}); err != nil {
		return false, err
	}
	posted := false
	for _, rec := range recs {
		occ, date, ok := b.owedOccurrence(tx, set, rec, now)
		if !ok {
			continue
		}
		rep, err := b.occur(tx, g, set, rec, occ, date, now)
		if err != nil {
			return false, fmt.Errorf("recurrence R%d on %s: %w", rec.ID, date, err)
		}
		if rep == nil {
			continue
		}
		if err := b.record(tx, k, kindReply, []chat.Reply{*rep}, now); err != nil {
			return false, err
		}
		posted = true
	}
	cutoff := now.In(set.Location).AddDate(0, 0, -recurrenceMarkerDays).Format(time.DateOnly)
	_, err := tx.PruneOccurrences(k, cutoff)
	return posted, err
}

// owedOccurrence returns the occurrence of rec on now's date when it is
// due (its time has come, it is after the recurrence was made) and not yet
// decided; date is its civil date in the group's zone.
func (b *Bot) owedOccurrence(tx *store.Tx, set Effective, rec *store.Recurrence, now time.Time) (time.Time, string, bool) {
	if !rec.Active() {
		return time.Time{}, "", false
	}
	s, err := rules.ParseScheduleSpec(rec.Schedule)
	if err != nil {
		return time.Time{}, "", false
	}
	occ, ok := rules.OccurrenceAt(b.cal, s, now, set.Location, set.WorkdayStart)
	if !ok || now.Before(occ) || !occ.After(rec.CreatedAt) {
		return time.Time{}, "", false
	}
	date := occ.In(set.Location).Format(time.DateOnly)
	if tx.OccurrenceDone(rec.Group, rec.ID, date) {
		return time.Time{}, "", false
	}
	return occ, date, true
}

// occur decides rec's occurrence at occ (on date): it creates the task
// and returns its announcement, or skips the date (late; or a task text
// that no longer parses, which stops the recurrence and is announced to
// the initiator). A nil reply means nothing is posted.
func (b *Bot) occur(tx *store.Tx, g *store.Group, set Effective, rec *store.Recurrence, occ time.Time, date string, now time.Time) (*chat.Reply, error) {
	k, lang := g.Key, set.Lang
	s, _ := rules.ParseScheduleSpec(rec.Schedule)
	key := fmt.Sprintf("every:%s:%d:%s", k, rec.ID, date)
	// Late only within the same working day: after its end the task
	// would be announced in quiet hours for a day that is over.
	if !now.Before(set.WorkdayEnd.On(occ.In(set.Location))) {
		_, err := tx.SkipOccurrence(k, rec.ID, date, "late", now)
		return nil, err
	}
	res := rules.Parse(rec.Text, set.parseOptions(occ, b.cal))
	problem := ""
	switch {
	case res.Kind != rules.KindTask || len(res.Errors) > 0 || res.Task == nil:
		problem = strings.Join(res.Errors.Messages(lang), tr(lang, wordListSep))
		if problem == "" {
			problem = rec.Text
		}
	case !res.Task.Due.After(occ):
		// Possible when the group's workday start moved after /every.
		problem = tr(lang, evDueAtStart, res.Task.Deadline, FormatClock(set.WorkdayStart))
	}
	if problem != "" {
		// Such a text stays broken (a fixed date that has passed): stop
		// rather than complain on every occurrence. StoppedBy stays zero:
		// the bot stopped it.
		if _, err := tx.SkipOccurrence(k, rec.ID, date, "bad_task", now); err != nil {
			return nil, err
		}
		if _, _, err := tx.StopRecurrence(k, rec.ID, store.User{}, now); err != nil {
			return nil, err
		}
		return &chat.Reply{Platform: k.Platform, ChatID: k.ChatID, Key: key,
			Text:     tr(lang, evFailed, rec.ID, chat.Escape(s.Describe(lang)), chat.Escape(problem), mention(rec.Initiator)),
			Mentions: fromStoreUsers([]store.User{rec.Initiator})}, nil
	}
	p := res.Task
	if !p.Due.After(now) {
		// Created this late, the task would be overdue at birth.
		_, err := tx.SkipOccurrence(k, rec.ID, date, "late", now)
		return nil, err
	}
	urg := string(p.Urgency)
	if urg == "" {
		urg = string(rules.Routine)
	}
	t := &store.Task{
		Group: k, Topic: p.Topic, Item: p.Item, Request: p.Request, Deadline: p.Deadline,
		Due: p.Due, Urgency: urg, Owner: rec.Owner, Collaborators: rec.Collaborators, Initiator: rec.Initiator,
		Status: store.StatusOpen, CreatedAt: now,
	}
	if t.Owner.ID == t.Initiator.ID {
		t.AckedAt = now
	}
	created, err := tx.NewOccurrenceTask(t, rec.ID, date)
	if err != nil || !created {
		return nil, err
	}
	r := &request{now: now, group: g, set: set, lang: lang, tx: tx}
	head := tr(lang, evOccurrence, rec.ID, chat.Escape(s.Describe(lang)))
	if now.Sub(occ) > 5*time.Minute {
		head += "\n" + tr(lang, evLate, fmtTime(lang, occ, set.Location, now))
	}
	text := b.createdText(r, t, true)
	_, body, _ := strings.Cut(text, "\n")
	rep := &chat.Reply{Platform: k.Platform, ChatID: k.ChatID, Key: key, Text: head + "\n" + text,
		Mentions: fromStoreUsers(append([]store.User{t.Owner}, t.Collaborators...))}
	rep.Card = b.taskCard(lang, set, t, now, head+"\n"+body)
	return rep, nil
}
