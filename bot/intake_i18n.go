package bot

// Message keys of intake (/decline, /needinfo, the daily reassign prompt)
// and acceptance (delivery note, 《协作成果确认表》, 整改); added to catalog
// at init so that i18n.go stays the lead's file.
const (
	iaNoOwner          = "ia_no_owner"
	iaUnowned          = "ia_unowned"
	iaTooLong          = "ia_too_long"
	iaWordReason       = "ia_word_reason"
	iaWordAlternative  = "ia_word_alternative"
	iaWordQuestion     = "ia_word_question"
	iaWordNote         = "ia_word_note"
	iaWordVersion      = "ia_word_version"
	iaWordTestReport   = "ia_word_test_report"
	iaWordStandard     = "ia_word_standard"
	iaWordResult       = "ia_word_result"
	iaWordItems        = "ia_word_items"
	iaNotGiven         = "ia_not_given"
	iaDeclineUsage     = "ia_decline_usage"
	iaDeclineAcked     = "ia_decline_acked"
	iaDeclined         = "ia_declined"
	iaNeedInfoUsage    = "ia_needinfo_usage"
	iaNeedInfo         = "ia_needinfo"
	iaNeedInfoAck      = "ia_needinfo_ack"
	iaReassignTitle    = "ia_reassign_title"
	iaReassignHead     = "ia_reassign_head"
	iaReassignLine     = "ia_reassign_line"
	iaReassignHow      = "ia_reassign_how"
	iaShowDecline      = "ia_show_decline"
	iaDeliveryHead     = "ia_delivery_head"
	iaAcceptEntry      = "ia_accept_entry"
	iaRejectNeedsItems = "ia_reject_needs_items"
	iaRejectBadDue     = "ia_reject_bad_due"
	iaDueExtra         = "ia_due_extra"
	iaDuePast          = "ia_due_past"
	iaRejectedFix      = "ia_rejected_fix"
	iaNewDue           = "ia_new_due"
	iaShowRectify      = "ia_show_rectify"
)

func init() {
	addMessages(map[string][2]string{
		iaNoOwner: {"（无负责人，待重新指派）", "(no owner: to be reassigned)"},
		iaUnowned: {"#%[1]d 目前没有负责人（%[2]s 已拒绝承接）。请发起人、组长或群管理员先重新指派：/assign #%[1]d @新负责人",
			"#%[1]d has no owner (%[2]s declined it). The initiator, the lead or an admin reassigns it first: /assign #%[1]d @new-owner"},
		iaTooLong:         {"%[1]s太长（%[3]d 字），最多 %[2]d 字，请精简后再发。", "The %[1]s is too long (%[3]d characters; at most %[2]d). Please shorten it."},
		iaWordReason:      {"原因", "reason"},
		iaWordAlternative: {"替代方案", "alternative"},
		iaWordQuestion:    {"问题", "question"},
		iaWordNote:        {"说明", "note"},
		iaWordVersion:     {"版本", "version"},
		iaWordTestReport:  {"测试报告", "test report"},
		iaWordStandard:    {"验收标准", "standard"},
		iaWordResult:      {"验收结果", "result"},
		iaWordItems:       {"整改项", "fixes"},
		iaNotGiven:        {"（未填写）", "(not given)"},
		iaDeclineUsage: {"无法承接时请写明原因和建议的替代方案，例如：\n/decline #%[1]d 原因：本周排满发布任务 替代方案：建议由李四承接，或下周一后开始",
			"Say why you cannot take it and suggest an alternative, e.g.\n/decline #%[1]d reason: busy with the release this week alternative: ask Li Si, or start next Monday"},
		iaDeclineAcked: {"#%[1]d 已于 %[2]s 确认接收（含逾时默认接受），不能再拒绝承接。如确实无法按时完成，请 /risk #%[1]d 说明原因和方案，或与发起人沟通后由其 /assign 转交。",
			"#%[1]d was acknowledged at %[2]s (silence past the window counts), so it can no longer be declined. If you cannot deliver, send /risk #%[1]d with the cause and plan, or ask the initiator to /assign it."},
		iaDeclined: {"🙅 %[1]s 无法承接 #%[2]d %[3]s。\n原因：%[4]s\n替代方案：%[5]s\n%[6]s 请重新指派负责人：/assign #%[2]d @新负责人（或 /cancel #%[2]d 原因）。指派前该任务无人负责，不催办、不升级，每个工作日上班时提醒发起人一次。",
			"🙅 %[1]s cannot take #%[2]d %[3]s.\nReason: %[4]s\nAlternative: %[5]s\n%[6]s, please reassign it: /assign #%[2]d @new-owner (or /cancel #%[2]d <reason>). Until then nobody owns it: no nudges or escalations, and the initiator is reminded once each working morning."},
		iaNeedInfoUsage: {"请写明需要发起人补充的信息，例如：/needinfo #%d 请提供接口文档和测试账号",
			"Say what the initiator should add, e.g. /needinfo #%d please share the API docs and a test account"},
		iaNeedInfo: {"❓ #%[1]d %[2]s：%[3]s 需要补充信息：%[4]s\n%[5]s 请在任务消息下回复，或发送 /update #%[1]d 补充说明。",
			"❓ #%[1]d %[2]s: %[3]s needs more information: %[4]s\n%[5]s, please reply in the task's thread or send /update #%[1]d <answer>."},
		iaNeedInfoAck: {"（负责人仍需在确认期限内发送 /ack #%d 确认接收，或 /decline #%d 原因 替代方案。）",
			"(The owner still confirms within the acknowledgement window: /ack #%d, or /decline #%d <reason> <alternative>.)"},
		iaReassignTitle: {"待重新指派的任务", "Tasks to reassign"},
		iaReassignHead:  {"📋 以下任务的负责人已拒绝承接，目前无人负责，请发起人重新指派：", "📋 The owners of these tasks declined them and nobody owns them now; initiators, please reassign:"},
		iaReassignLine: {"%[1]s：#%[2]d %[3]s（%[4]s 于 %[5]s 拒绝承接，原因：%[6]s；替代方案：%[7]s）",
			"%[1]s: #%[2]d %[3]s (%[4]s declined it %[5]s; reason: %[6]s; alternative: %[7]s)"},
		iaReassignHow:  {"发送 /assign #编号 @新负责人 重新指派，或 /cancel #编号 原因 取消。", "Send /assign #id @new-owner to reassign, or /cancel #id <reason>."},
		iaShowDecline:  {"拒绝承接：%[1]s · %[2]s · 原因：%[3]s · 替代方案：%[4]s", "Declined: %[1]s · %[2]s · reason: %[3]s · alternative: %[4]s"},
		iaDeliveryHead: {"《成果交付说明》", "Delivery note:"},
		iaAcceptEntry: {"《协作成果确认表》验收标准：%[1]s · 验收结果：%[2]s · 验收人 %[3]s · %[4]s",
			"Acceptance record: standard: %[1]s · result: %[2]s · by %[3]s · %[4]s"},
		iaRejectNeedsItems: {"请写明整改项，例如：/reject #%d 整改项：登录页在 iOS 上错位 新截止：下周三",
			"Say what to fix, e.g. /reject #%d fixes: login page misaligned on iOS new due: 下周三"},
		iaRejectBadDue: {"新截止时间有误：%s\n示例：/reject #%d 整改项：登录页在 iOS 上错位 新截止：下周三",
			"The new due time is wrong: %s\nExample: /reject #%d fixes: login page misaligned on iOS new due: 下周三"},
		iaDueExtra: {"截止时间后面多了“%s”，请把整改项写在“新截止：”前面", "there is “%s” after the deadline; put the fixes before “new due:”"},
		iaDuePast:  {"“%s”已经过去，请写一个将来的时间", "“%s” has passed; write a time in the future"},
		iaRejectedFix: {"↩️ #%[1]d 验收未通过，已退回 %[2]s 整改。\n整改项：%[3]s%[4]s\n整改完成后请再发送 /done #%[1]d 提交验收。",
			"↩️ #%[1]d sent back to %[2]s to fix.\nFixes: %[3]s%[4]s\nWhen fixed, send /done #%[1]d again for review."},
		iaNewDue:      {"新截止：%s（原 %s）", "New due: %s (was %s)"},
		iaShowRectify: {"整改中：%[1]s %[2]s 退回 · 整改项：%[3]s", "Being fixed: sent back by %[1]s %[2]s · fixes: %[3]s"},
	})
}
