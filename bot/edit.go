package bot

import (
	"strings"
	"unicode/utf8"

	"collabbot/bot/chat"
	"collabbot/rules"
	"collabbot/store"
)

// editField is a task field /edit can change.
type editField struct {
	key   string // history and message key
	limit int    // runes
}

// editFields maps what people type to the field. The deadline is its own
// case: the owner moves it with /delay, the initiator or lead directly.
var editFields = map[string]editField{
	"主题": {"topic", rules.MaxTopicRunes}, "topic": {"topic", rules.MaxTopicRunes},
	"事项": {"item", rules.MaxItemRunes}, "item": {"item", rules.MaxItemRunes},
	"需求": {"request", rules.MaxRequestRunes}, "request": {"request", rules.MaxRequestRunes},
	"截止": {"due", 0}, "截止时间": {"due", 0}, "deadline": {"due", 0}, "due": {"due", 0},
}

// cmdEdit changes a field of a task: "/edit #12 需求 新的需求". The
// initiator, the lead and admins may; the owner is told, and the history
// keeps the old value.
func (b *Bot) cmdEdit(r *request, args string) ([]chat.Reply, error) {
	const usage = "/edit #3 需求 需前端提供两套方案"
	t, rest, rep, err := b.findTask(r, args, usage)
	if t == nil {
		return rep, err
	}
	name, value, _ := strings.Cut(strings.TrimSpace(rest), " ")
	value = strings.TrimSpace(value)
	f, ok := editFields[strings.ToLower(strings.TrimRight(name, ":："))]
	if !ok || value == "" {
		return []chat.Reply{r.reply(tr(r.lang, msgEditUsage, t.ID, t.ID, t.ID))}, nil
	}
	if f.key == "due" && r.roles(t)&(roleInitiator|roleLead|roleAdmin) == 0 && r.roles(t)&roleOwner != 0 {
		// The seeds' rule: the owner asks, the initiator decides.
		return []chat.Reply{r.reply(tr(r.lang, msgEditDueUseDelay, t.ID))}, nil
	}
	if d := r.deny(t, roleInitiator|roleLead|roleAdmin, "/edit"); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	var old, shown string
	switch f.key {
	case "due":
		raw, due, extra, perr := rules.DeadlinePrefix(value, r.set.parseOptions(r.now, b.cal))
		if perr != nil || strings.TrimSpace(extra) != "" {
			problem := tr(r.lang, msgEditDueExtra, chat.Escape(extra))
			if perr != nil {
				problem = deadlineProblem(r.lang, perr)
			}
			return []chat.Reply{r.reply(tr(r.lang, msgEditBadDue, problem, t.ID))}, nil
		}
		old = fmtTime(r.lang, t.Due, r.set.Location, r.now)
		if due.Equal(t.Due) {
			return []chat.Reply{r.reply(tr(r.lang, msgEditUnchanged, t.ID))}, nil
		}
		t.Due, t.Deadline = due, raw
		shown = fmtTime(r.lang, due, r.set.Location, r.now)
	default:
		if n := utf8.RuneCountInString(value); n > f.limit {
			return []chat.Reply{r.reply(tr(r.lang, msgEditTooLong, fieldWord(r.lang, f.key), f.limit, n))}, nil
		}
		field := map[string]*string{"topic": &t.Topic, "item": &t.Item, "request": &t.Request}[f.key]
		if *field == value {
			return []chat.Reply{r.reply(tr(r.lang, msgEditUnchanged, t.ID))}, nil
		}
		old, *field = *field, value
		shown = value
	}
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, "edit", f.key+": "+old+" → "+shown); err != nil {
		return nil, err
	}
	notify := r.notify(t.Owner)
	return []chat.Reply{r.reply(tr(r.lang, msgEdited, t.ID, fieldWord(r.lang, f.key), chat.Escape(old), chat.Escape(shown), mentions(notify)), notify...)}, nil
}

func fieldWord(lang, key string) string {
	switch key {
	case "topic":
		return tr(lang, wordTopic)
	case "item":
		return tr(lang, wordItem)
	case "request":
		return tr(lang, wordRequest)
	}
	return tr(lang, wordDue)
}

// cmdCC adds (or removes) collaborators: "/cc #12 @王五 @赵六". The
// initiator, the lead and admins may; the owner and the people concerned
// are told.
func (b *Bot) cmdCC(r *request, args string, add bool) ([]chat.Reply, error) {
	verb := "/uncc"
	if add {
		verb = "/cc"
	}
	t, _, rep, err := b.findTask(r, args, verb+" #3 @王五")
	if t == nil {
		return rep, err
	}
	if d := r.deny(t, roleInitiator|roleLead|roleAdmin, verb); d != nil {
		return d, nil
	}
	if t.Status.Closed() {
		return []chat.Reply{r.reply(tr(r.lang, msgTaskClosed, t.ID, statusWord(r.lang, t.Status)))}, nil
	}
	if len(r.msg.Mentions) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgCCUsage, verb, t.ID))}, nil
	}
	var changed []store.User
	for _, m := range r.msg.Mentions {
		u := toStore(m)
		switch {
		case add && (u.ID == t.Owner.ID || containsUser(t.Collaborators, u.ID)):
		case add:
			t.Collaborators = append(t.Collaborators, u)
			changed = append(changed, u)
		case containsUser(t.Collaborators, u.ID):
			var keep []store.User
			for _, c := range t.Collaborators {
				if c.ID != u.ID {
					keep = append(keep, c)
				}
			}
			t.Collaborators = keep
			changed = append(changed, u)
		}
	}
	if len(changed) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, msgCCNothing, t.ID))}, nil
	}
	var names []string
	for _, u := range changed {
		names = append(names, u.Name)
	}
	action, key := "uncc", msgUncced
	if add {
		action, key = "cc", msgCCed
	}
	if err := r.tx.PutTask(t); err != nil {
		return nil, err
	}
	if err := r.history(t, action, strings.Join(names, tr(r.lang, wordListSep))); err != nil {
		return nil, err
	}
	notify := r.notify(append([]store.User{t.Owner}, changed...)...)
	return []chat.Reply{r.reply(tr(r.lang, key, t.ID, mentions(changed), mentions(r.notify(t.Owner))), notify...)}, nil
}
