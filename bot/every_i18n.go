package bot

// Message keys of /every (recurring tasks); added to catalog at init so
// that i18n.go stays the lead's file.
const (
	evUsage          = "ev_usage"
	evNeedTask       = "ev_need_task"
	evBadSchedule    = "ev_bad_schedule"
	evNoOccurrence   = "ev_no_occurrence"
	evTooMany        = "ev_too_many"
	evDueAtStart     = "ev_due_at_start"
	evCreated        = "ev_created"
	evCollaborators  = "ev_collaborators"
	evMoved          = "ev_moved"
	evListTitle      = "ev_list_title"
	evListLine       = "ev_list_line"
	evListNever      = "ev_list_never"
	evListFooter     = "ev_list_footer"
	evListEmpty      = "ev_list_empty"
	evStopUsage      = "ev_stop_usage"
	evNoSuch         = "ev_no_such"
	evAlreadyStopped = "ev_already_stopped"
	evStopDenied     = "ev_stop_denied"
	evStopped        = "ev_stopped"
	evOccurrence     = "ev_occurrence"
	evLate           = "ev_late"
	evFailed         = "ev_failed"
	evDateSep        = "ev_date_sep"
)

const evExample = "【周报-本周进展-各组长提交周报-17:00前】"

func init() {
	addMessages(map[string][2]string{
		evUsage: {"🔁 重复任务：按周期自动创建任务（遵循法定节假日和调休）。\n" +
			"创建：/every 周期 【主题-事项-需求-截止时间】，可 @ 负责人，例如：\n" +
			"/every 每周五 @张三 " + evExample + "\n" +
			"周期可写：%s\n" +
			"每次在当天上班时（%s）创建任务，截止时间按当天计算（如 17:00前、下班前、3个工作日内）。遇节假日改为本周（本月）内之前的最后一个工作日，没有则跳过。\n" +
			"查看：/every list · 停止：/every stop 编号（发起人、组长或群管理员）",
			"🔁 Recurring tasks: a task created on a schedule that follows the China working calendar (holidays and make-up days).\n" +
				"Create: /every <schedule> 【topic-item-request-deadline】, @-mention the owner, e.g.\n" +
				"/every every Friday @Zhang 【Weekly-Progress-send the weekly report-17:00前】\n" +
				"Schedules: %s\n" +
				"Each task is created at the start of the working day (%s) and its deadline counts from that day (17:00前, 下班前, 3个工作日内). A date that is off moves to the last working day before it in the same week (month), else that week (month) is skipped.\n" +
				"List: /every list · stop: /every stop <id> (initiator, lead or group admins)"},
		evNeedTask: {"请在周期“%s”后面写上任务【主题-事项-需求-截止时间】，例如：\n/every %s " + evExample,
			"Write the task 【topic-item-request-deadline】 after the schedule “%s”, e.g.\n/every %s 【Weekly-Progress-send the weekly report-17:00前】"},
		evBadSchedule: {"%s\n例如：/every 每周五 " + evExample,
			"%s\nExample: /every every Friday 【Weekly-Progress-send the weekly report-17:00前】"},
		evNoOccurrence: {"“%s”在今后两年内没有落在工作日上的日期，无法创建。", "“%s” has no date on a working day in the next two years; nothing was created."},
		evTooMany:      {"本群已有 %d 个进行中的重复任务，请先停止不用的（/every list 查看，/every stop 编号 停止）。", "This group already has %d active recurring tasks; stop some first (/every list, /every stop <id>)."},
		evDueAtStart: {"截止时间“%s”在每次创建任务时（当天 %s）就已到期，请写当天更晚的时间或更长的期限，例如：17:00前、下班前、3个工作日内",
			"the deadline “%s” is already due when each task is created (%s that day); write a later time or a longer span, e.g. 17:00前, 下班前 (end of day), 3个工作日内 (3 working days)"},
		evCreated: {"🔁 已创建重复任务 R%[1]d：%[2]s %[3]s\n任务：%[4]s\n负责人：%[5]s%[6]s\n接下来三次：%[7]s\n每次在当天 %[3]s 创建任务，截止时间按当天计算（首次截止 %[8]s）。\n查看：/every list · 停止：/every stop %[1]d",
			"🔁 Recurring task R%[1]d created: %[2]s at %[3]s\nTask: %[4]s\nOwner: %[5]s%[6]s\nNext three: %[7]s\nEach is created at %[3]s that day, with the deadline counted from that day (first due %[8]s).\nList: /every list · stop: /every stop %[1]d"},
		evCollaborators:  {"　协作人：%s", "   collaborators: %s"},
		evMoved:          {"（%s为%s，提前）", " (moved from %s, %s)"},
		evListTitle:      {"🔁 本群的重复任务（%d）：", "🔁 Recurring tasks (%d):"},
		evListLine:       {"R%[1]d %[2]s · %[3]s · 负责人 %[4]s · 下次 %[5]s", "R%[1]d %[2]s · %[3]s · owner %[4]s · next %[5]s"},
		evListNever:      {"两年内无", "none within two years"},
		evListFooter:     {"停止：/every stop 编号", "Stop one: /every stop <id>"},
		evListEmpty:      {"本群没有重复任务。创建示例：/every 每周五 " + evExample, "No recurring tasks in this group. Create one: /every every Friday 【Weekly-Progress-send the weekly report-17:00前】"},
		evStopUsage:      {"请写明要停止的重复任务编号，例如：/every stop 1（发送 /every list 查看编号）", "Name the recurring task to stop, e.g. /every stop 1 (send /every list for the ids)"},
		evNoSuch:         {"本群没有重复任务 R%d。发送 /every list 查看。", "This group has no recurring task R%d. Send /every list to see them."},
		evAlreadyStopped: {"R%d 已于 %s 停止。", "R%d was already stopped at %s."},
		evStopDenied:     {"R%[1]d：只有发起人 %[2]s、组长或群管理员可以停止。", "R%[1]d: only the initiator %[2]s, the group lead or group admins may stop it."},
		evStopped:        {"⏹ 已停止重复任务 R%[1]d（%[2]s %[3]s）。已创建的任务不受影响。", "⏹ Stopped recurring task R%[1]d (%[2]s %[3]s). Tasks already created stay as they are."},
		evOccurrence:     {"🔁 重复任务 R%d（%s）", "🔁 Recurring task R%d (%s)"},
		evLate:           {"（本次应于 %s 创建，机器人当时未运行，现补建）", "(due to be created at %s while the bot was down; created now)"},
		evFailed: {"⚠️ 重复任务 R%[1]d（%[2]s）今天没有创建任务：%[3]s\n这条重复任务已自动停止，%[4]s 请修改后重新创建：/every 周期 【主题-事项-需求-截止时间】",
			"⚠️ Recurring task R%[1]d (%[2]s) created no task today: %[3]s\nIt has been stopped. %[4]s, please fix it and create it again: /every <schedule> 【topic-item-request-deadline】"},
		evDateSep: {"、", ", "},
	})
}
