package bot

import (
	"path"
	"regexp"
	"strings"

	"collabbot/bot/chat"
)

// The seeds (000 第二步, 001 版本控制) ask that shared files carry a
// version and a date, named 项目名称-日期-类型. A file without either gets
// one gentle hint with a suggested name: once per file name, never twice a
// day for the same person, and never when the group turned it off.

var (
	reFileVersion = regexp.MustCompile(`(?i)(^|[^a-z])v\d+(\.\d+)*`)
	reFileDate    = regexp.MustCompile(`(19|20)\d{2}[-_.年]?(0[1-9]|1[0-2])[-_.月]?(0[1-9]|[12]\d|3[01])`)
)

// fileNeedsHint: a name with a version or a date is fine.
func fileNeedsHint(name string) bool {
	return !reFileVersion.MatchString(name) && !reFileDate.MatchString(name)
}

// suggestFileName writes name in the seeds' shape: base-YYYYMMDD-V1.0.ext.
func suggestFileName(name, date string) string {
	ext := path.Ext(name)
	base := strings.TrimSpace(strings.TrimSuffix(name, ext))
	if base == "" {
		base = "文件"
	}
	return base + "-" + strings.ReplaceAll(date, "-", "") + "-V1.0" + ext
}

// fileHint answers a message that shared files.
func (b *Bot) fileHint(r *request) ([]chat.Reply, error) {
	if r.group.Settings.FileNameHints != nil && !*r.group.Settings.FileNameHints {
		return nil, nil
	}
	date := r.now.In(r.set.Location).Format("2006-01-02")
	for _, f := range r.msg.Files {
		f = clip(strings.TrimSpace(f), 120)
		if f == "" || !fileNeedsHint(f) {
			continue
		}
		done, err := r.tx.FileHinted(r.key(), f, r.msg.Sender.ID, date)
		if err != nil || done {
			return nil, err
		}
		if err := r.tx.MarkFileHinted(r.key(), f, r.msg.Sender.ID, date, r.now); err != nil {
			return nil, err
		}
		return []chat.Reply{r.reply(tr(r.lang, msgFileHint, chat.Escape(f), chat.Escape(suggestFileName(f, date))))}, nil
	}
	return nil, nil
}

func init() {
	addMessages(map[string][2]string{
		msgFileHint: {"📎 小提示：项目文件请带上日期和版本号，方便大家找到最新版，例如“%[2]s”（收到的是“%[1]s”）。本群关闭此提示：/config filenames off",
			"📎 Tip: name project files with a date and a version so everyone finds the latest, e.g. “%[2]s” (this one is “%[1]s”). To turn these tips off: /config filenames off"},
	})
}

const msgFileHint = "file_hint"
