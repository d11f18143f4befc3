package bot

// /export (/导出): what the group's exported tables hold and how to get the
// file. The file itself is made off-line by `collabbot export` (see
// cmd/collabbot/export.go and bot/export), from the same rows: a chat
// reply cannot carry a workbook on every platform, and the tables hold
// the whole group's record, which the operator hands out.

import (
	"strings"

	"collabbot/bot/chat"
	"collabbot/bot/export"
	"collabbot/store"
)

func init() {
	registerFeature(feature{names: map[string]func(*Bot, *request, string) ([]chat.Reply, error){
		"export": (*Bot).cmdExport, "导出": (*Bot).cmdExport,
	}})
}

func (b *Bot) cmdExport(r *request, _ string) ([]chat.Reply, error) {
	in, err := export.Load(r.tx, r.key(), r.set.Location, r.now)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 {
		return []chat.Reply{r.reply(tr(r.lang, exEmpty))}, nil
	}
	var open, overdue, done, accepted, cancelled, help int
	for _, t := range in.Tasks {
		switch t.Status {
		case store.StatusOpen:
			open++
			if t.Overdue(r.now) {
				overdue++
			}
		case store.StatusDone:
			done++
		case store.StatusAccepted:
			accepted++
		case store.StatusCancelled:
			cancelled++
		}
		help += len(t.OpenHelp())
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, exSummary, len(in.Tasks), open, overdue, done, accepted, cancelled, help))
	for i, k := range export.Keys {
		sb.WriteString("\n" + tr(r.lang, exTable, i+1, export.Titles[k], k, strings.Join(export.Headers[k], "、")))
	}
	sb.WriteString("\n" + tr(r.lang, exHow, chat.Escape(r.key().String())))
	return []chat.Reply{r.reply(sb.String())}, nil
}
