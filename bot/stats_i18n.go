package bot

// Message keys of /stats and /export; added to catalog at init so that
// i18n.go stays the lead's file.
const (
	stUsage      = "st_usage"
	stThisMonth  = "st_this_month"
	stLastMonth  = "st_last_month"
	stThisWeek   = "st_this_week"
	stLastWeek   = "st_last_week"
	stToday      = "st_today"
	stLastDays   = "st_last_days"
	stTitle      = "st_title"
	stNone       = "st_none"
	stGroup      = "st_group"
	stByOwner    = "st_by_owner"
	stUnowned    = "st_unowned"
	stMore       = "st_more"
	stLine       = "st_line"
	stLateAvg    = "st_late_avg"
	stAckDefault = "st_ack_default"
	stRate       = "st_rate"
	stNotes      = "st_notes"

	exEmpty   = "ex_empty"
	exSummary = "ex_summary"
	exTable   = "ex_table"
	exHow     = "ex_how"
)

func init() {
	addMessages(map[string][2]string{
		stUsage: {"看不懂统计时段“%s”。可以写：/stats（本月）· /stats 上月 · /stats 本周 · /stats 上周 · /stats 今天 · /stats 30天（1–366 天）",
			"Unknown period “%s”. Try: /stats (this month) · /stats last month · /stats this week · /stats last week · /stats today · /stats 30 days (1–366)"},
		stThisMonth: {"本月", "this month"},
		stLastMonth: {"上月", "last month"},
		stThisWeek:  {"本周", "this week"},
		stLastWeek:  {"上周", "last week"},
		stToday:     {"今天", "today"},
		stLastDays:  {"近%d天", "last %d days"},
		stTitle:     {"📊 本群统计 · %s（%s — %s）", "📊 Group statistics · %s (%s – %s)"},
		stNone:      {"这段时间内没有任务（已取消的不计）。", "No tasks in this period (cancelled ones are not counted)."},
		stGroup:     {"全组", "Group"},
		stByOwner:   {"按负责人：", "By owner:"},
		stUnowned:   {"（未指派）", "(unassigned)"},
		stMore:      {"……另有 %d 人", "… and %d more"},
		stLine: {"%s：负责 %d 项 · 按时完成 %d · 逾期 %s · 平均确认用时 %s · 提醒日更新率 %s · 未解决协助 %d",
			"%s: %d owned · %d done on time · late %s · average acknowledgement %s · updated on nudge days %s · open help flags %d"},
		stLateAvg:    {"%d（平均 %.1f 个工作日）", "%d (average %.1f working days)"},
		stAckDefault: {"（另 %d 项逾时默认接收）", " (+%d accepted by silence)"},
		stRate:       {"%d%%（%d/%d 天）", "%d%% (%d/%d days)"},
		stNotes: {"口径：任务在时段内进行过即计入，按当前负责人统计，已取消的不计；逾期和确认用时按工作日计（周末、节假日不计）；提醒日更新率 = 有负责人或协作人更新的天数 ÷ 每日 %s 提醒时任务仍在进行的工作日数；未解决协助为当前状态。",
			"How it counts: a task counts when it was open during the period, for its current owner; cancelled tasks are left out. Lateness and acknowledgement time are working time (weekends and holidays excluded). Update rate = days with an update by the owner or a collaborator ÷ working days the task was open at the %s nudge. Open help flags are as of now."},

		exEmpty: {"本群还没有任务，暂无可导出的内容。新建任务：【主题-事项-需求-截止时间】",
			"This group has no tasks yet, so there is nothing to export. Create one: 【topic-item-request-deadline】"},
		exSummary: {"📤 本群的记录可导出为协作指南中的三张表，每项任务一行，共 %d 项（进行中 %d，其中逾期 %d · 待验收 %d · 已完成 %d · 已取消 %d · 未解决协助 %d）：",
			"📤 This group's record exports as the three tables of the collaboration guides, one row per task: %d tasks (%d open, %d of them overdue · %d awaiting review · %d accepted · %d cancelled · %d open help flags):"},
		exTable: {"%d. %s（-table %s）：%s", "%d. %s (-table %s): %s"},
		exHow: {"导出文件（Excel，一张表一页）：请管理机器人的同事在服务器上运行\ncollabbot export -config config.yaml -group %s -format xlsx -o 项目记录.xlsx\n单张表导出为 CSV（Excel 可直接打开）：-format csv -table task|comm|issue",
			"To get the file (Excel, one sheet per table), whoever runs the bot runs on its server:\ncollabbot export -config config.yaml -group %s -format xlsx -o records.xlsx\nOne table as CSV (opens in Excel): -format csv -table task|comm|issue"},
	})
}
