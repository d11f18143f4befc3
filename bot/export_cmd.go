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

const (
	exDownload           = "ex_download"
	exDownloadAfterBoard = "ex_download_after_board"
)

func init() {
	catalog[exDownload] = [2]string{"⬇️ 下载：%s（三张表）· %s（单表 CSV，table=task|comm|issue）", "⬇️ Download: %s (all three tables) · %s (one table as CSV, table=task|comm|issue)"}
	catalog[exDownloadAfterBoard] = [2]string{"⬇️ 先发送 /board 获取本群看板链接，看板链接下即可下载表格。", "⬇️ Send /board first: the board's link also downloads the tables."}
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
	if base := b.BoardURL(); base != "" {
		// The board's link downloads the file; it is issued on /board.
		if l, err := r.tx.BoardLink(r.key()); err == nil && l != nil && l.Token != "" {
			link := BoardLink(base, l.Token)
			sb.WriteString("\n" + tr(r.lang, exDownload, link+"/export.xlsx", link+"/export.csv?table=task"))
		} else {
			sb.WriteString("\n" + tr(r.lang, exDownloadAfterBoard))
		}
	}
	sb.WriteString("\n" + tr(r.lang, exHow, chat.Escape(r.key().String())))
	return []chat.Reply{r.reply(sb.String())}, nil
}
