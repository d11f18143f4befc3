package bot

// Message keys of /meeting and /minutes; added to catalog at init so that
// i18n.go stays the lead's file.
const (
	mtUsage               = "mt_usage"
	mtBadRef              = "mt_bad_ref"
	mtNoSuch              = "mt_no_such"
	mtProbShape           = "mt_prob_shape"
	mtProbTopic           = "mt_prob_topic"
	mtProbTimeMissing     = "mt_prob_time_missing"
	mtProbAgenda          = "mt_prob_agenda"
	mtProbTooLong         = "mt_prob_too_long"
	mtProbEnd             = "mt_prob_end"
	mtProbClock           = "mt_prob_clock"
	mtProbBracket         = "mt_prob_bracket"
	mtProbAttendees       = "mt_prob_attendees"
	mtProbTooMany         = "mt_prob_too_many"
	mtWordTopic           = "mt_w_topic"
	mtWordTime            = "mt_w_time"
	mtWordAgenda          = "mt_w_agenda"
	mtWordMaterials       = "mt_w_materials"
	mtWordAttendees       = "mt_w_attendees"
	mtWordOrganizer       = "mt_w_organizer"
	mtWordReason          = "mt_w_reason"
	mtMalformed           = "mt_malformed"
	mtExampleLine         = "mt_example_line"
	mtCreated             = "mt_created"
	mtShortNotice         = "mt_short_notice"
	mtCardTitle           = "mt_card_title"
	mtOffDay              = "mt_off_day"
	mtNone                = "mt_none"
	mtPlan                = "mt_plan"
	mtStateCancelled      = "mt_state_cancelled"
	mtStateMinutes        = "mt_state_minutes"
	mtStateUpcoming       = "mt_state_upcoming"
	mtStateOngoing        = "mt_state_ongoing"
	mtStateNoMinutes      = "mt_state_no_minutes"
	mtShowTitle           = "mt_show_title"
	mtReason              = "mt_reason"
	mtCancelledLine       = "mt_cancelled_line"
	mtNoMinutesYet        = "mt_no_minutes_yet"
	mtMinutesHead         = "mt_minutes_head"
	mtMinutesMore         = "mt_minutes_more"
	mtDecisions           = "mt_decisions"
	mtActions             = "mt_actions"
	mtDueShort            = "mt_due_short"
	mtNotes               = "mt_notes"
	mtListEmpty           = "mt_list_empty"
	mtListTitle           = "mt_list_title"
	mtListMore            = "mt_list_more"
	mtListFooter          = "mt_list_footer"
	mtCancelDenied        = "mt_cancel_denied"
	mtAlreadyCancelled    = "mt_already_cancelled"
	mtCancelHasMinutes    = "mt_cancel_has_minutes"
	mtCancelled           = "mt_cancelled"
	mtMinutesUsage        = "mt_minutes_usage"
	mtMinutesDenied       = "mt_minutes_denied"
	mtMinutesCancelled    = "mt_minutes_cancelled"
	mtMinutesEarly        = "mt_minutes_early"
	mtMinutesTooLong      = "mt_minutes_too_long"
	mtMinutesTooManyLines = "mt_minutes_too_many_lines"
	mtMinutesTooManyTasks = "mt_minutes_too_many_tasks"
	mtLineProblem         = "mt_line_problem"
	mtLineTooLong         = "mt_line_too_long"
	mtLineEmptyDecision   = "mt_line_empty_decision"
	mtLineNoTask          = "mt_line_no_task"
	mtLineNoOwner         = "mt_line_no_owner"
	mtLineExample         = "mt_line_example"
	mtProblemSep          = "mt_problem_sep"
	mtMinutesRejected     = "mt_minutes_rejected"
	mtMinutesFormat       = "mt_minutes_format"
	mtMinutesSaved        = "mt_minutes_saved"
	mtMinutesAdded        = "mt_minutes_added"
	mtMinutesAck          = "mt_minutes_ack"
	mtStartReminder       = "mt_start_reminder"
	mtMinutesReminder     = "mt_minutes_reminder"
)

const (
	mtExampleZh = "/meeting 【需求评审-9月30日14:00-15:30-议程：评审登录页；确认排期-材料：PRD V1.2】 @张三 @李四"
	mtExampleEn = "/meeting 【Design review-9月30日14:00-15:30-agenda: login page; schedule-materials: PRD v1.2】 @Zhang @Li"
	mtMinutesZh = "/minutes #M1\n决议：登录页采用方案A\n@张三 【登录页-开发-完成登录页开发-10月9日前】"
	mtMinutesEn = "/minutes #M1\ndecision: the login page uses design A\n@Zhang 【Login page-Build-build the login page-10月9日前】"
)

func init() {
	addMessages(map[string][2]string{
		mtUsage: {"📅 会议通知：/meeting 【主题-时间-议程：…-材料：…】 @参会人，例如：\n" + mtExampleZh + "\n" +
			"时间写开始时刻（9月30日14:00、明天 14:00、下周一 10:00），可加结束时刻（-15:30），默认 1 小时；议程必填，多项用“；”分隔；材料可省略。\n" +
			"会前 15 分钟提醒参会人；会后 2 小时（工作时间，周会 1 小时）内发送纪要：\n" + mtMinutesZh + "\n" +
			"查看：/meeting #M1 · 列表：/meeting list · 取消：/meeting cancel #M1 原因（发起人、组长或群管理员）",
			"📅 Meeting notice: /meeting 【topic-time-agenda: …-materials: …】 @attendees, e.g.\n" + mtExampleEn + "\n" +
				"The time is the start (9月30日14:00, 明天 14:00, 下周一 10:00), optionally with an end (-15:30); 1 hour by default. The agenda is required, items separated by “;”; materials may be left out.\n" +
				"Attendees are reminded 15 minutes before the start; minutes are due within 2 working hours of the end (1 hour for the weekly meeting):\n" + mtMinutesEn + "\n" +
				"Show: /meeting #M1 · list: /meeting list · cancel: /meeting cancel #M1 reason (organiser, lead or group admins)"},
		mtBadRef: {"“%s”不是有效的会议编号：会议编号形如 #M1，例如：%s\n（发送 /meeting list 查看会议编号）",
			"“%s” is not a meeting id: meeting ids look like #M1, e.g. %s\n(send /meeting list to see them)"},
		mtNoSuch:          {"本群没有会议 #M%d。发送 /meeting list 查看。", "This group has no meeting #M%d. Send /meeting list to see them."},
		mtProbShape:       {"会议内容要写成【主题-时间-议程：…-材料：…】，字段之间用“-”分隔", "write the meeting as 【topic-time-agenda: …-materials: …】, fields separated by “-”"},
		mtProbTopic:       {"缺少会议主题（第一个“-”之前）", "the topic (before the first “-”) is missing"},
		mtProbTimeMissing: {"缺少会议时间，如 9月30日14:00 或 明天 14:00-15:30", "the meeting time is missing, e.g. 9月30日14:00 or 明天 14:00-15:30"},
		mtProbAgenda:      {"缺少议程，请写“议程：议题一；议题二”", "the agenda is missing: write “agenda: item one; item two”"},
		mtProbTooLong:     {"%s太长（%d 字，最多 %d 字）", "the %s is too long (%d characters, at most %d)"},
		mtProbEnd:         {"结束时间“%s”不对：结束须晚于开始、在同一天，会议最长 12 小时，如 14:00-15:30", "the end time “%s” does not work: it must be after the start on the same day, 12 hours at most, e.g. 14:00-15:30"},
		mtProbClock:       {"时间“%s”没有写几点开会，请写具体时刻，如 9月30日14:00、明天下午3点", "the time “%s” has no time of day; write one, e.g. 9月30日14:00, 明天下午3点"},
		mtProbBracket:     {"缺少结尾的“】”", "the closing “】” is missing"},
		mtProbAttendees:   {"没有 @参会人：请在消息里 @ 每位参会人", "no attendees: @-mention each attendee in the message"},
		mtProbTooMany:     {"参会人太多（%d 人，最多 %d 人）", "too many attendees (%d, at most %d)"},
		mtWordTopic:       {"主题", "topic"},
		mtWordTime:        {"时间", "Time"},
		mtWordAgenda:      {"议程", "Agenda"},
		mtWordMaterials:   {"材料", "Materials"},
		mtWordAttendees:   {"参会人", "Attendees"},
		mtWordOrganizer:   {"发起人", "Organiser"},
		mtWordReason:      {"原因", "reason"},
		mtMalformed:       {"会议通知需要修改，未创建：", "The meeting notice needs fixing; nothing was created:"},
		mtExampleLine:     {"正确示例：" + mtExampleZh, "Example: " + mtExampleEn},
		mtCreated:         {"📅 已发布会议通知 #M%d %s", "📅 Meeting #M%d %s scheduled"},
		mtShortNotice: {"⚠️ 距开会只有 %s，不足24小时：会议通知应提前24小时发出，请确认参会人都能参加、材料来得及预读。",
			"⚠️ Only %s until the start, less than 24 hours: notices are due 24 hours ahead; make sure everyone can come and read the materials."},
		mtCardTitle:        {"📅 #M%d %s", "📅 #M%d %s"},
		mtOffDay:           {"（%s，非工作日）", " (%s, not a working day)"},
		mtNone:             {"无", "none"},
		mtPlan:             {"⏰ 会前%s提醒参会人；会后%s（工作时间）内请发送纪要：/minutes #M%d", "⏰ Attendees are reminded %s before; minutes are due within %s (working hours) of the end: /minutes #M%d"},
		mtStateCancelled:   {"已取消", "cancelled"},
		mtStateMinutes:     {"已有纪要", "minutes posted"},
		mtStateUpcoming:    {"待召开", "upcoming"},
		mtStateOngoing:     {"进行中", "in progress"},
		mtStateNoMinutes:   {"待纪要", "minutes due"},
		mtShowTitle:        {"📅 #M%d %s（%s）", "📅 #M%d %s (%s)"},
		mtReason:           {"，原因：%s", ", reason: %s"},
		mtCancelledLine:    {"❌ 已于 %s 由 %s 取消%s", "❌ Cancelled at %s by %s%s"},
		mtNoMinutesYet:     {"📝 还没有纪要：/minutes #M%d", "📝 No minutes yet: /minutes #M%d"},
		mtMinutesHead:      {"📝 纪要（%s，%s）", "📝 Minutes (%s, %s)"},
		mtMinutesMore:      {"📝 补充纪要（%s，%s）", "📝 More minutes (%s, %s)"},
		mtDecisions:        {"决议（%d）：", "Decisions (%d):"},
		mtActions:          {"待办（%d，已建为任务）：", "Action items (%d, created as tasks):"},
		mtDueShort:         {"截止 %s", "due %s"},
		mtNotes:            {"其他记录：", "Notes:"},
		mtListEmpty:        {"本群最近没有会议。发布会议通知：" + mtExampleZh, "No recent meetings in this group. Schedule one: " + mtExampleEn},
		mtListTitle:        {"📅 本群的会议（%d，含近 14 天）：", "📅 Meetings (%d, including the last 14 days):"},
		mtListMore:         {"……另有 %d 个更早的会议未列出", "… and %d earlier ones not shown"},
		mtListFooter:       {"查看详情：/meeting #M编号", "Details: /meeting #M<id>"},
		mtCancelDenied:     {"#M%[1]d：只有发起人 %[2]s、组长或群管理员可以取消会议。", "#M%[1]d: only the organiser %[2]s, the group lead or group admins may cancel it."},
		mtAlreadyCancelled: {"#M%d 已于 %s 取消。", "#M%d was already cancelled at %s."},
		mtCancelHasMinutes: {"#M%d 已有纪要，不能取消。", "#M%d has minutes; it can no longer be cancelled."},
		mtCancelled:        {"❌ 会议 #M%d %s（%s）已取消%s。%s", "❌ Meeting #M%d %s (%s) is cancelled%s. %s"},
		mtMinutesUsage: {"📝 会议纪要：/minutes #M编号，之后每行一条：\n“决议：…”是决议；\n“@负责人 【主题-事项-需求-截止时间】”是待办，会建为任务（第一个 @ 是负责人，其余为协作人）；\n其他行作为记录保存。例如：\n" + mtMinutesZh,
			"📝 Minutes: /minutes #M<id>, then one item a line:\n“decision: …” is a decision;\n“@owner 【topic-item-request-deadline】” is an action item and becomes a task (the first @ owns it, further ones collaborate);\nother lines are kept as notes. E.g.\n" + mtMinutesEn},
		mtMinutesDenied:       {"#M%[1]d：只有发起人 %[2]s、参会人、组长或群管理员可以提交纪要。", "#M%[1]d: only the organiser %[2]s, attendees, the group lead or group admins may post its minutes."},
		mtMinutesCancelled:    {"#M%d 已取消，不能提交纪要。", "#M%d was cancelled; it takes no minutes."},
		mtMinutesEarly:        {"#M%d 还没开始（%s 开始），会后再提交纪要。", "#M%d has not started yet (it starts %s); post the minutes after it."},
		mtMinutesTooLong:      {"纪要太长（%d 字，最多 %d 字），请精简或分两次提交。", "The minutes are too long (%d characters, at most %d); shorten them or post them in two parts."},
		mtMinutesTooManyLines: {"纪要行数太多（%d 行，最多 %d 行），请分两次提交。", "The minutes have too many lines (%d, at most %d); post them in two parts."},
		mtMinutesTooManyTasks: {"待办太多（%d 条，一次最多 %d 条），请分两次提交。", "Too many action items (%d, at most %d at once); post them in two parts."},
		mtLineProblem:         {"第%d行：%s", "line %d: %s"},
		mtLineTooLong:         {"太长（%d 字，最多 %d 字）", "too long (%d characters, at most %d)"},
		mtLineEmptyDecision:   {"“决议：”后面没有内容", "nothing after “decision:”"},
		mtLineNoTask:          {"不是完整的任务【主题-事项-需求-截止时间】", "not a whole task 【topic-item-request-deadline】"},
		mtLineNoOwner:         {"没有 @负责人", "no @owner"},
		mtLineExample:         {"。示例：%s", ". Example: %s"},
		mtProblemSep:          {"；", "; "},
		mtMinutesRejected: {"纪要未保存，也没有创建任何任务。请修改以下 %d 处后重新发送整份纪要（第1行是 /minutes 所在行）：",
			"The minutes were not saved and no task was created. Problems found: %d. Fix them and send the whole minutes again (line 1 is the /minutes line):"},
		mtMinutesFormat: {"格式：/minutes #M%d，之后每行一条：“决议：…”或“@负责人 【主题-事项-需求-截止时间】”",
			"Format: /minutes #M%d, then one item a line: “decision: …” or “@owner 【topic-item-request-deadline】”"},
		mtMinutesSaved:  {"📝 #M%d %s 的纪要已保存", "📝 Minutes of #M%d %s saved"},
		mtMinutesAdded:  {"📝 #M%d %s 的补充纪要已保存", "📝 More minutes of #M%d %s saved"},
		mtMinutesAck:    {"请各负责人发送 /ack #编号 确认接收任务。", "Owners, please confirm with /ack #<id>."},
		mtStartReminder: {"⏰ 会议提醒：#M%d %s 将在 %s 后开始，请准时参加。", "⏰ Meeting reminder: #M%d %s starts in %s."},
		mtMinutesReminder: {"📝 会议 #M%[1]d %[2]s 已于 %[3]s 结束，还没有纪要。%[4]s 请在会后%[5]s（工作时间）内发送纪要：\n/minutes #M%[1]d\n决议：…\n@负责人 【主题-事项-需求-截止时间】\n（第 %[6]d 次提醒，共 %[7]d 次）",
			"📝 Meeting #M%[1]d %[2]s ended %[3]s and has no minutes yet. %[4]s, minutes are due within %[5]s (working hours) of the end:\n/minutes #M%[1]d\ndecision: …\n@owner 【topic-item-request-deadline】\n(reminder %[6]d of %[7]d)"},
	})
	historyWords["minutes"] = [2]string{"来自会议纪要", "from the minutes of"}
}
