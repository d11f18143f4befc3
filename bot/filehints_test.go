package bot_test

import (
	"testing"
	"time"

	"collabbot/bot/bottest"
)

// A shared file without a version or a date gets one hint with a name in
// the seeds' shape; never twice for the same file, never twice a day for
// the same person; off per group.
func TestFileNameHints(t *testing.T) {
	g := newGroup(t, bottest.Options{Admins: []string{"id-管理员"}})
	file := func(from, name string) {
		m := g.msg(from, "")
		m.Files = []string{name}
		g.send(m)
	}
	file("张三", "需求文档.docx")       // hint
	file("张三", "需求文档.docx")       // same file: quiet
	file("李四", "排期表-V1.2.xlsx")   // versioned: fine
	file("李四", "周报_20260305.pdf") // dated: fine
	file("张三", "接口说明.pdf")        // same person, same day: quiet
	file("李四", "会议纪要.docx")       // hint
	g.advance(24 * time.Hour)
	file("张三", "接口说明.pdf") // the next day
	g.say("管理员", "/config filenames off")
	file("王五", "预算.xlsx") // off
	g.golden("file_hints")
}
