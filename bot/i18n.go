package bot

import (
	"fmt"
	"strings"
)

// tr looks a message up in lang ("en" or Chinese for anything else) and
// formats it. A missing key is a programming error the catalog test
// catches; at run time it shows the key rather than nothing.
// addMessages adds a feature's messages to the catalog, from its file's
// init; a key defined twice is a programming error.
func addMessages(m map[string][2]string) {
	for k, v := range m {
		if _, dup := catalog[k]; dup {
			panic("bot: message key " + k + " defined twice")
		}
		catalog[k] = v
	}
}

func tr(lang, key string, args ...any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	f := m[0]
	if lang == "en" {
		f = m[1]
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// Message keys. Each has a Chinese and an English text in catalog.
const (
	msgInternalError         = "internal_error"
	msgDirectIntro           = "direct_intro"
	msgUnknownCommand        = "unknown_command"
	msgNeedTaskID            = "need_task_id"
	msgNoSuchTask            = "no_such_task"
	msgNotAllowed            = "not_allowed"
	msgTaskUsage             = "task_usage"
	msgCreated               = "created"
	msgOwnerIsSender         = "owner_is_sender"
	msgHelpRaisedInline      = "help_raised_inline"
	msgAskAck                = "ask_ack"
	msgTaskClosed            = "task_closed"
	msgAlreadyAcked          = "already_acked"
	msgAcked                 = "acked"
	msgUpdateUsage           = "update_usage"
	msgUpdated               = "updated"
	msgHintDone              = "hint_done"
	msgAlreadyDone           = "already_done"
	msgDoneAwaitAccept       = "done_await_accept"
	msgDoneClosed            = "done_closed"
	msgNotAwaitingAccept     = "not_awaiting_accept"
	msgAccepted              = "accepted"
	msgRejectNeedsReason     = "reject_needs_reason"
	msgRejected              = "rejected"
	msgAssistUsage           = "assist_usage"
	msgAssistNoHelper        = "assist_no_helper"
	msgAssistRaised          = "assist_raised"
	msgAssistFromCard        = "assist_from_card"
	msgNoOpenHelp            = "no_open_help"
	msgResolved              = "resolved"
	msgRiskUsage             = "risk_usage"
	msgRiskRecorded          = "risk_recorded"
	msgDelayPending          = "delay_pending"
	msgDelayBadDeadline      = "delay_bad_deadline"
	msgDelayNotLater         = "delay_not_later"
	msgDelayNeedsReason      = "delay_needs_reason"
	msgDelayRequested        = "delay_requested"
	msgNoPendingDelay        = "no_pending_delay"
	msgDelayApproved         = "delay_approved"
	msgDelayDenied           = "delay_denied"
	msgAssignUsage           = "assign_usage"
	msgAssigned              = "assigned"
	msgCancelled             = "cancelled"
	msgNearMiss              = "near_miss"
	msgMalformed             = "malformed"
	msgExample               = "example"
	msgListTitle             = "list_title"
	msgMineTitle             = "mine_title"
	msgOverdueTitle          = "overdue_title"
	msgAssistsTitle          = "assists_title"
	msgListEmpty             = "list_empty"
	msgMineEmpty             = "mine_empty"
	msgOverdueEmpty          = "overdue_empty"
	msgAssistsEmpty          = "assists_empty"
	msgListMore              = "list_more"
	msgListNoMatch           = "list_no_match"
	msgListShowAll           = "list_show_all"
	msgListFiltered          = "list_filtered"
	msgListNoPage            = "list_no_page"
	msgListPageOf            = "list_page_of"
	msgListNext              = "list_next"
	msgSearchTitle           = "search_title"
	msgSearchEmpty           = "search_empty"
	msgSearchUsage           = "search_usage"
	msgEditUsage             = "edit_usage"
	msgEditDueUseDelay       = "edit_due_use_delay"
	msgEditBadDue            = "edit_bad_due"
	msgEditDueExtra          = "edit_due_extra"
	msgEditUnchanged         = "edit_unchanged"
	msgEditTooLong           = "edit_too_long"
	msgEdited                = "edited"
	msgCCUsage               = "cc_usage"
	msgCCNothing             = "cc_nothing"
	msgCCed                  = "cced"
	msgUncced                = "uncced"
	msgWeeklyTitle           = "weekly_title"
	msgWeeklyOwners          = "weekly_owners"
	msgConfigAdminsOnly      = "config_admins_only"
	msgConfigUnknownKey      = "config_unknown_key"
	msgConfigBadValue        = "config_bad_value"
	msgConfigSaved           = "config_saved"
	msgConfigShow            = "config_show"
	msgConfigUsage           = "config_usage"
	msgActionDuplicate       = "action_duplicate"
	msgActionUnknown         = "action_unknown"
	msgProgressToast         = "progress_toast"
	msgProgressPrefill       = "progress_prefill"
	msgBadTaskRef            = "bad_task_ref"
	msgAlreadyAccepted       = "already_accepted"
	msgDelayUsage            = "delay_usage"
	msgDeadlineForms         = "deadline_forms"
	msgAlreadyOwner          = "already_owner"
	msgAskAckUrgent          = "ask_ack_urgent"
	msgNudgeTooSoon          = "nudge_too_soon"
	msgNudged                = "nudged"
	msgNudgedMany            = "nudged_many"
	msgNudgeHow              = "nudge_how"
	msgNudgeNone             = "nudge_none"
	msgNudgeSkipped          = "nudge_skipped"
	msgOwnerAway             = "owner_away"
	msgLeaveNotAllowed       = "leave_not_allowed"
	msgLeaveUsage            = "leave_usage"
	msgLeaveSet              = "leave_set"
	msgLeaveNone             = "leave_none"
	msgLeaveListTitle        = "leave_list_title"
	msgLeaveCancelled        = "leave_cancelled"
	msgSnoozeUsage           = "snooze_usage"
	msgSnoozeOncePerDay      = "snooze_once_per_day"
	msgSnoozeCapped          = "snooze_capped"
	msgSnoozePastDue         = "snooze_past_due"
	msgSnoozed               = "snoozed"
	msgAskAckImportant       = "ask_ack_important"
	msgDueOnHoliday          = "due_on_holiday"
	msgDueOnHolidayNoEarlier = "due_on_holiday_no_earlier"
	msgBadPercent            = "bad_percent"

	wordOwner           = "w_owner"
	wordCollaborators   = "w_collaborators"
	wordInitiator       = "w_initiator"
	wordInitiatorOrLead = "w_initiator_or_lead"
	wordLead            = "w_lead"
	wordAdmins          = "w_admins"
	wordListSep         = "w_list_sep"
	wordRequest         = "w_request"
	wordDue             = "w_due"
	wordTier            = "w_tier"
	wordStatus          = "w_status"
	wordStatusOpen      = "w_status_open"
	wordStatusDone      = "w_status_done"
	wordStatusAccepted  = "w_status_accepted"
	wordStatusCancelled = "w_status_cancelled"
	wordUrgent          = "w_urgent"
	wordImportant       = "w_important"
	wordRoutine         = "w_routine"
	wordOverdueBy       = "w_overdue_by"
	wordNeedsHelp       = "w_needs_help"
	wordDelayPending    = "w_delay_pending"
	wordDelayed         = "w_delayed"
	wordNotAcked        = "w_not_acked"
	wordAcked           = "w_acked"
	wordRisk            = "w_risk"
	wordHistory         = "w_history"
	wordNone            = "w_none"
	wordWeeklyDone      = "w_weekly_done"
	wordWeeklyPlan      = "w_weekly_plan"
	wordWeeklyRisk      = "w_weekly_risk"
	wordNotSet          = "w_not_set"
	wordPlatformAdmins  = "w_platform_admins"
	wordOn              = "w_on"
	wordTheBot          = "w_the_bot"
	wordWeekend         = "w_weekend"
	wordLeadUnset       = "w_lead_unset"
	wordOnLeave         = "w_on_leave"
	wordReviewLate      = "w_review_late"
	wordScopeAll        = "w_scope_all"
	wordScopeDays       = "w_scope_days"
	wordApprovalLate    = "w_approval_late"
	wordTopic           = "w_topic"
	wordItem            = "w_item"
	wordReason          = "w_reason"
	wordOff             = "w_off"
	btnAck              = "b_ack"
	btnProgress         = "b_progress"
	btnDone             = "b_done"
	btnAssist           = "b_assist"
)

var catalog = map[string][2]string{
	msgInternalError: {"抱歉，处理这条消息时出错了，请稍后重试；如果一直出错，请联系管理员。",
		"Sorry, something went wrong handling that message. Please try again; if it keeps failing, tell an admin."},
	msgDirectIntro: {"我是项目群协作机器人，请把我拉进项目群使用。群里的每个请求都按【主题-事项-需求-截止时间】写，我会把它记成任务并跟进。",
		"I am a project-group collaboration bot: add me to a project group. Write every request there as 【topic-item-request-deadline】 and I will track it."},
	msgUnknownCommand: {"没有 /%s 这个命令。发送 /help 查看全部命令和示例。", "There is no /%s command. Send /help for every command with examples."},
	msgNeedTaskID:     {"请写明任务编号，例如：%s\n（发送 /mine 查看你的任务编号）", "Please name the task, e.g. %s\n(send /mine to see your task ids)"},
	msgNoSuchTask:     {"本群没有任务 #%d。发送 /list 查看进行中的任务。", "This group has no task #%d. Send /list to see open tasks."},
	msgNotAllowed:     {"#%[1]d：只有%[3]s可以执行 %[2]s。", "#%[1]d: only %[3]s may use %[2]s."},
	msgTaskUsage:      {"请按【主题-事项-需求-截止时间】写任务，例如：\n/task %s", "Write the task as 【topic-item-request-deadline】, e.g.\n/task %s"},
	msgCreated:        {"✅ 已创建任务 #%d %s", "✅ Task #%d created: %s"},
	msgOwnerIsSender:  {"（消息里没有 @ 负责人，负责人记为发起人本人；如需指定，请在消息中 @ 对方）", "(Nobody was @-mentioned, so you own this task; @-mention someone to make them the owner.)"},
	msgHelpRaisedInline: {"🆘 已标记需协助。",
		"🆘 Marked as needing help."},
	msgAskAck:            {"请 %[1]s 在%[3]s（按工作日计）内发送 /ack #%[2]d 确认接收，逾时视为默认接受。", "%[1]s, please send /ack #%[2]d within %[3]s of working days to confirm; silence counts as accepted."},
	msgTaskClosed:        {"#%d 已%s，无需再操作。", "#%d is %s; nothing more to do."},
	msgAlreadyAcked:      {"#%d 已于 %s 确认接收。", "#%d was already acknowledged at %s."},
	msgAcked:             {"👌 #%[1]d 已确认接收，截止 %[3]s。%[2]s", "👌 #%[1]d acknowledged, due %[3]s. %[2]s"},
	msgUpdateUsage:       {"请写上进展，例如：/update #%d 80%% 已完成接口联调，剩余测试", "Say what changed, e.g. /update #%d 80%% API integration done, testing left"},
	msgUpdated:           {"📝 #%d 进度已更新（%d%%）。", "📝 #%d progress recorded (%d%%)."},
	msgHintDone:          {"进度已到 100%%，完成后请发送 /done #%d。", "That is 100%%: send /done #%d when it is finished."},
	msgAlreadyDone:       {"#%d 已标记完成，正在等待 %s 验收（/accept 或 /reject）。", "#%d is already done and waits for %s to review (/accept or /reject)."},
	msgDoneAwaitAccept:   {"🎉 #%d 已标记完成，请 %s 验收：/accept #%d 通过，或 /reject #%d 意见 退回。", "🎉 #%d is done. %s, please review: /accept #%d, or /reject #%d <comments>."},
	msgDoneClosed:        {"🎉 #%d 已完成并关闭。", "🎉 #%d is done and closed."},
	msgNotAwaitingAccept: {"#%d 当前状态为“%s”，不在待验收状态。负责人发送 /done 后才能验收。", "#%d is %s, not awaiting review; the owner sends /done first."},
	msgAccepted:          {"✅ #%d 验收通过，任务关闭。辛苦了 %s！", "✅ #%d accepted and closed. Thanks, %s!"},
	msgRejectNeedsReason: {"退回时请写明意见，例如：/reject #%d 登录页在 iOS 上错位", "Say why, e.g. /reject #%d login page misaligned on iOS"},
	msgRejected:          {"↩️ #%d 验收未通过，已退回 %s。意见：%s", "↩️ #%d sent back to %s. Comments: %s"},
	msgAssistUsage:       {"请写明需要什么协助，例如：【需协助】#%d 需要法务确认合同条款 @李四", "Say what help you need, e.g. 【需协助】#%d need legal to check the contract @Li Si"},
	msgAssistNoHelper:    {"🆘 #%d 已标记需协助：%s\n本群还没有设置组长，管理员可发送 /config lead @某人 设置；也可以在消息里 @ 能协助的人。", "🆘 #%d needs help: %s\nThis group has no lead yet: an admin can send /config lead @someone, or @-mention who can help."},
	msgAssistRaised:      {"🆘 #%[1]d %[3]s 需要协助：%[4]s\n请 %[2]s 协助处理，解决后发送 /resolve #%[5]d。", "🆘 #%[1]d %[3]s needs help: %[4]s\n%[2]s, please help; send /resolve #%[5]d when it is sorted."},
	msgAssistFromCard:    {"（通过卡片按钮请求协助）", "(help requested from the card)"},
	msgNoOpenHelp:        {"#%d 没有未解决的协助请求。", "#%d has no open help request."},
	msgResolved:          {"✅ #%d 的 %d 个协助请求已解除。", "✅ Cleared %[2]d help request(s) on #%[1]d."},
	msgRiskUsage:         {"风险预警请写明原因和应对方案，例如：/risk #%d 第三方接口文档未到，计划周三前改用备用方案", "Give the cause and your plan, e.g. /risk #%d vendor docs missing, switching to plan B by Wednesday"},
	msgRiskRecorded:      {"⚠️ #%[1]d %[2]s 风险预警：%[3]s\n%[4]s 请关注。如需调整截止时间，负责人可发送 /delay。", "⚠️ #%[1]d %[2]s risk: %[3]s\n%[4]s please take note. The owner can send /delay to move the deadline."},
	msgDelayPending:      {"#%d 已有一个待审批的延期申请，请发起人或组长发送 /approve #%d 或 /deny #%d。", "#%d already has a delay request waiting: the initiator or lead sends /approve #%d or /deny #%d."},
	msgDelayBadDeadline:  {"新的截止时间有误：%s\n示例：/delay #%d 9月20日 等待第三方接口文档", "The new deadline is wrong: %s\nExample: /delay #%d 9月20日 waiting for vendor docs"},
	msgDelayNotLater:     {"新的截止时间 %s 不晚于当前截止时间 %s", "the new deadline %s is not later than the current one, %s"},
	msgDelayNeedsReason:  {"请写明延期原因", "give a reason for the delay"},
	msgDelayRequested:    {"⏳ #%[1]d 申请延期：%[2]s → %[3]s，原因：%[4]s\n请 %[5]s 审批：/approve #%[6]d 同意，/deny #%[7]d 驳回。", "⏳ #%[1]d asks for a delay: %[2]s → %[3]s, because: %[4]s\n%[5]s, please decide: /approve #%[6]d or /deny #%[7]d."},
	msgNoPendingDelay:    {"#%d 没有待审批的延期申请。", "#%d has no delay request waiting."},
	msgDelayApproved:     {"✅ #%[1]d 延期已批准，%[2]s 新的截止时间：%[4]s（原 %[3]s）。", "✅ #%[1]d delay approved. %[2]s new deadline: %[4]s (was %[3]s)."},
	msgDelayDenied:       {"❌ #%[1]d 延期未获批准，%[2]s 截止时间仍为 %[3]s。%[4]s", "❌ #%[1]d delay denied. %[2]s the deadline stays %[3]s. %[4]s"},
	msgAssignUsage:       {"请 @ 新的负责人，例如：/assign #%d @李四", "@-mention the new owner, e.g. /assign #%d @Li Si"},
	msgAssigned:          {"🔁 #%[1]d 负责人由 %[2]s 转为 %[3]s，请发送 /ack #%[4]d 确认接收。", "🔁 #%[1]d moved from %[2]s to %[3]s; please send /ack #%[4]d to confirm."},
	msgCancelled:         {"🚫 #%d 已取消。%s", "🚫 #%d cancelled. %s"},
	msgNearMiss:          {"看起来是一条任务，但要用中文方括号【】：", "This looks like a task, but it needs the 【】 brackets:"},
	msgMalformed:         {"这条任务的格式需要修改：", "This task request needs fixing:"},
	msgExample:           {"正确示例：%s", "Corrected example: %s"},
	msgListTitle:         {"📋 进行中的任务（%d）：", "📋 Open tasks (%d):"},
	msgMineTitle:         {"📋 你的任务（%d）：", "📋 Your tasks (%d):"},
	msgOverdueTitle:      {"⏰ 已逾期的任务（%d）：", "⏰ Overdue tasks (%d):"},
	msgAssistsTitle:      {"🆘 需协助的任务（%d）：", "🆘 Tasks needing help (%d):"},
	msgListEmpty:         {"本群没有进行中的任务。", "No open tasks in this group."},
	msgMineEmpty:         {"你没有进行中的任务。", "You have no open tasks."},
	msgOverdueEmpty:      {"没有逾期的任务 👍", "Nothing is overdue 👍"},
	msgAssistsEmpty:      {"没有待协助的任务。", "No open help requests."},
	msgListMore:          {"……另有 %d 项未列出", "…and %d more"},
	msgListFiltered:      {"📋 符合条件的任务（%d）：", "📋 Matching tasks (%d):"},
	msgListShowAll:       {"（全部：%s）", " (all: %s)"},
	msgListNoMatch:       {"没有符合条件的任务。", "No task matches."},
	msgListNoPage:        {"没有第 %d 页，共 %d 页。", "There is no page %d; there are %d."},
	msgListPageOf:        {"第 %d/%d 页", "page %d/%d"},
	msgListNext:          {"，下一页：%s", "; next: %s"},
	msgSearchTitle:       {"🔎 找到 %d 个任务：", "🔎 %d tasks found:"},
	msgSearchEmpty:       {"没有找到相关任务。", "Nothing found."},
	msgEditUsage:         {"修改任务请写字段和新内容，例如：\n/edit #%d 需求 需前端提供两套方案\n/edit #%d 主题 官网改版\n/edit #%d 截止 9月20日\n可改的字段：主题、事项、需求、截止", "Name the field and the new text, e.g.\n/edit #%d request two design options\n/edit #%d topic website redesign\n/edit #%d due Sep 20\nFields: topic, item, request, due"},
	msgEditDueUseDelay:   {"负责人修改截止时间请申请延期，由发起人或组长审批：/delay #%d 新截止时间 原因", "Owners move a deadline by asking for a delay, which the initiator or lead decides: /delay #%d <new deadline> <reason>"},
	msgEditBadDue:        {"新的截止时间有误：%s\n示例：/edit #%d 截止 9月20日", "The new deadline is wrong: %s\nExample: /edit #%d due Sep 20"},
	msgEditDueExtra:      {"截止时间后面多了“%s”", "there is extra text after the deadline: “%s”"},
	msgEditUnchanged:     {"#%d 没有变化。", "#%d is unchanged."},
	msgEditTooLong:       {"%s最多 %d 个字，这次写了 %d 个。", "The %s may be at most %d characters; this one has %d."},
	msgEdited:            {"✏️ #%[1]d %[2]s已修改：%[3]s → %[4]s %[5]s", "✏️ #%[1]d %[2]s changed: %[3]s → %[4]s %[5]s"},
	msgCCUsage:           {"请 @ 要添加或移除的协作人，例如：%s #%d @王五", "@-mention the collaborators, e.g. %s #%d @Wang Wu"},
	msgCCNothing:         {"#%d 的协作人没有变化。", "#%d's collaborators are unchanged."},
	msgCCed:              {"👥 #%[1]d 已添加协作人 %[2]s。%[3]s", "👥 #%[1]d: added %[2]s as collaborators. %[3]s"},
	msgUncced:            {"👥 #%[1]d 已移除协作人 %[2]s。%[3]s", "👥 #%[1]d: removed %[2]s from the collaborators. %[3]s"},
	msgSearchUsage:       {"请写要找的词，例如：/search 接口 或 /search @张三", "Say what to look for, e.g. /search API or /search @Zhang San"},
	msgWeeklyTitle:       {"📊 项目周报（%s ~ %s）", "📊 Weekly summary (%s ~ %s)"},
	msgWeeklyOwners:      {"本周任务分布：%s", "Due this week by owner: %s"},
	msgConfigAdminsOnly:  {"只有群管理员可以修改本群设置（群主、群管理员或配置文件里的管理员）。发送 /config 可查看当前设置。", "Only group admins may change settings (the group owner, managers, or admins in the bot's config). Send /config to view them."},
	msgConfigUnknownKey:  {"没有“%s”这个设置项。", "There is no setting called “%s”."},
	msgConfigBadValue:    {"设置 %s 的值“%s”无效，例如：%s", "%s cannot be set to “%s”; example: %s"},
	msgConfigSaved:       {"✅ 设置已保存。", "✅ Saved."},
	msgConfigShow: {"⚙️ 本群设置\n语言：%s\n组长：%s\n管理员：%s\n每日进度提醒：%s\n周报：%s\n工作时间：%s-%s\n完成后需验收：%s\n确认接收时限：%s\n【紧急】响应时限：%s\n【重要】响应时限：%s\n协助请求再提醒：%s\n截止前预警：%d 个工作日\n逾期升级间隔：%s（按工作日计）\n每日提醒范围：%s\n时区：%s",
		"⚙️ Group settings\nlanguage: %s\nlead: %s\nadmins: %s\ndaily nudge: %s\nweekly summary: %s\nworking hours: %s-%s\nacceptance after done: %s\nacknowledge within: %s\n【紧急】 response: %s\n【重要】 response: %s\nhelp re-ping after: %s\npre-deadline warning: %d working days\nescalation step: %s of working days\ndaily nudge covers: %s\ntime zone: %s"},
	msgConfigUsage: {"修改：/config lead @王五 · /config nudge 17:30|off · /config weekly Mon 10:00 · /config workday 09:00-18:00 · /config acceptance on|off · /config ack 24h · /config urgent 15m · /config important 48h · /config help 24h · /config warn 2 · /config ladder 24h · /config scope all|3 · /config admin add|remove @某人 · /lang en|zh",
		"Change: /config lead @someone · /config nudge 17:30|off · /config weekly Mon 10:00 · /config workday 09:00-18:00 · /config acceptance on|off · /config ack 24h · /config urgent 15m · /config important 48h · /config help 24h · /config warn 2 · /config ladder 24h · /config scope all|3 · /config admin add|remove @someone · /lang en|zh"},
	msgActionDuplicate:       {"已处理", "Already done"},
	msgActionUnknown:         {"这个按钮已失效", "This button no longer works"},
	msgProgressToast:         {"已在群里给出进度命令，复制后补充内容发送即可", "The update command is in the group: copy it, fill it in, send it"},
	msgProgressPrefill:       {"%s 请复制下面这行，改好百分比和进展后发送：\n/update #%d 50%% 今天完成了……", "%s copy the line below, set the percentage and what changed, and send it:\n/update #%d 50%% today I finished…"},
	msgBadTaskRef:            {"“%s”不是有效的任务编号：编号是 # 后面的正整数，例如：%s\n（发送 /list 查看任务编号）", "“%s” is not a task id: an id is # and a whole number, e.g. %s\n(send /list to see task ids)"},
	msgAlreadyAccepted:       {"#%d 已于 %s 验收通过并关闭，不能再验收或退回。如需返工，请新建任务。", "#%d was accepted and closed at %s; it cannot be reviewed again. Create a new task for further work."},
	msgDelayUsage:            {"请写明新的截止时间和原因，例如：/delay #%d 9月20日 等待第三方接口文档", "Give the new deadline and the reason, e.g. /delay #%d 9月20日 waiting for vendor docs"},
	msgDeadlineForms:         {"可以这样写截止时间：%s", "Deadlines can be written as: %s"},
	msgNudgeTooSoon:          {"#%d 已在 %s 催办过，一小时内不再重复（%s 之后可以再催）。", "#%d was chased at %s; once an hour is enough (you can again after %s)."},
	msgNudged:                {"📣 %s 催办：%s 请关注这个任务：", "📣 %s is chasing: %s, please look at this task:"},
	msgNudgedMany:            {"📣 %s 催办：%s 请关注你的 %d 个任务：", "📣 %s is chasing: %s, please look at your %d tasks:"},
	msgNudgeHow:              {"请发送 /update #%d 进度 说明；如有困难，发送【需协助】或 /delay。", "Send /update #%d 80%% what changed; if stuck, 【需协助】 or /delay."},
	msgNudgeNone:             {"%s 没有你可以催办的进行中任务（%d 个任务一小时内已催办过，或你不是其发起人）。", "%s has no open task you can chase now (%d were chased within the hour or are not yours to chase)."},
	msgNudgeSkipped:          {"（另有 %d 个任务一小时内已催办过或不归你催办）", "(%d more were chased within the hour or are not yours to chase)"},
	msgOwnerAway:             {"（负责人 %s 休假中，由代理人跟进）", "(the owner %s is away; the stand-in follows up)"},
	msgLeaveNotAllowed:       {"只有本人、组长或群管理员可以登记或取消休假。", "Only the person, the lead or an admin may record or cancel a leave."},
	msgLeaveUsage:            {"登记休假，例如：\n/leave 3天\n/leave @张三 12月3日-12月5日 代理 @李四\n/leave list 查看 · /leave cancel @张三 取消", "Record time away, e.g.\n/leave 3 days\n/leave @Zhang San 12月3日-12月5日 delegate @Li Si\n/leave list · /leave cancel @Zhang San"},
	msgLeaveSet:              {"🏖️ %s 休假 %s–%s：期间不再提醒本人，相关提醒和升级交给 %s。", "🏖️ %s is away %s–%s: no reminders reach them; their reminders and escalations go to %s."},
	msgLeaveNone:             {"没有登记中的休假。", "No leave on record."},
	msgLeaveListTitle:        {"🏖️ 休假：", "🏖️ Away:"},
	msgLeaveCancelled:        {"✅ 已取消 %s 的休假。", "✅ %s's leave is cancelled."},
	msgSnoozeUsage:           {"写明暂停提醒到什么时候，例如：/snooze #%d 明天", "Say until when, e.g. /snooze #%d tomorrow"},
	msgSnoozeOncePerDay:      {"#%d 今天已经暂停过一次提醒了，明天可以再用。", "#%d was snoozed once today already; you can again tomorrow."},
	msgSnoozeCapped:          {"\n（暂停不会超过截止时间）", "\n(a snooze never runs past the deadline)"},
	msgSnoozePastDue:         {"#%d 已到截止时间，不能再暂停提醒。", "#%d is at its deadline; it cannot be snoozed."},
	msgSnoozed:               {"😴 #%d 在 %s 之前不再有进度提醒（截止 %s 不变）。", "😴 #%d: no progress reminders until %s (still due %s)."},
	msgAskAckUrgent:          {"【紧急】请 %[1]s 在%[3]s内发送 /ack #%[2]d 确认接收，逾时将通知组长跟进。", "[Urgent] %[1]s, please send /ack #%[2]d within %[3]s; after that the lead is told."},
	msgAskAckImportant:       {"【重要】请 %[1]s 在%[3]s（按工作日计）内发送 /ack #%[2]d 确认接收，逾时会再次提醒。", "[Important] %[1]s, please send /ack #%[2]d within %[3]s of working days; you will be reminded again after that."},
	msgDueOnHoliday:          {"📅 截止时间 %[1]s 是%[2]s（休息日）。如需改到前一个工作日 %[3]s：发起人发送 /edit #%[4]d 截止 %[5]s，负责人可发送 /delay。", "📅 The deadline %[1]s falls on %[2]s (a day off). To move it to the working day before, %[3]s: the initiator sends /edit #%[4]d due %[5]s; the owner can send /delay."},
	msgDueOnHolidayNoEarlier: {"📅 截止时间 %[1]s 是%[2]s（休息日），请确认。", "📅 The deadline %[1]s falls on %[2]s (a day off); please check it is meant."},
	msgAlreadyOwner:          {"#%d 的负责人已经是 %s，无需转交。", "%[2]s already owns #%[1]d; nothing to hand over."},
	msgBadPercent:            {"进度百分比要写 0%% 到 100%% 之间的整数，收到的是“%s”。例如：/update #%d 80%% 已完成接口联调", "Progress must be a whole percentage from 0%% to 100%%, not “%s”. E.g. /update #%d 80%% API integration done"},

	wordOwner:           {"负责人", "owner"},
	wordCollaborators:   {"协作人", "collaborators"},
	wordInitiator:       {"发起人", "initiator"},
	wordInitiatorOrLead: {"发起人或组长", "the initiator or lead"},
	wordLead:            {"组长", "lead"},
	wordAdmins:          {"群管理员", "group admins"},
	wordListSep:         {"、", ", "},
	wordRequest:         {"需求", "request"},
	wordDue:             {"截止", "due"},
	wordTier:            {"级别", "tier"},
	wordStatus:          {"状态", "status"},
	wordStatusOpen:      {"进行中", "open"},
	wordStatusDone:      {"待验收", "awaiting review"},
	wordStatusAccepted:  {"完成", "closed"},
	wordStatusCancelled: {"取消", "cancelled"},
	wordUrgent:          {"紧急", "urgent"},
	wordImportant:       {"重要", "important"},
	wordRoutine:         {"日常", "routine"},
	wordOverdueBy:       {"已逾期 %s", "overdue %s"},
	wordNeedsHelp:       {"需协助", "needs help"},
	wordDelayPending:    {"延期待批", "delay pending"},
	wordDelayed:         {"已延期", "delayed"},
	wordNotAcked:        {"未确认", "not acknowledged"},
	wordAcked:           {"已确认", "acknowledged"},
	wordRisk:            {"风险", "risk"},
	wordHistory:         {"记录", "history"},
	wordNone:            {"（无）", "(none)"},
	wordWeeklyDone:      {"【上周成果】", "[Done last week]"},
	wordWeeklyPlan:      {"【本周计划】", "[Due this week]"},
	wordWeeklyRisk:      {"【风险卡点】", "[Risks and blockers]"},
	wordNotSet:          {"未设置", "not set"},
	wordPlatformAdmins:  {"群主和群管理员", "group owner and managers"},
	wordOn:              {"开启", "on"},
	wordTheBot:          {"（机器人）", "(bot)"},
	wordWeekend:         {"周末", "a weekend"},
	wordLeadUnset:       {"组长（未设置）", "the lead (not set)"},
	wordOnLeave:         {"休假至 %s", "away until %s"},
	wordScopeAll:        {"全部进行中的任务", "every open task"},
	wordScopeDays:       {"%d 个工作日内到期或已逾期的任务", "tasks due within %d working days, or overdue"},
	wordReviewLate:      {"验收已等 %s", "review waiting %s"},
	wordApprovalLate:    {"延期待批 %s", "delay undecided %s"},
	wordTopic:           {"主题", "topic"},
	wordItem:            {"事项", "item"},
	wordReason:          {"原因", "reason"},
	wordOff:             {"关闭", "off"},
	btnAck:              {"确认接收", "Acknowledge"},
	btnProgress:         {"更新进度", "Update progress"},
	btnDone:             {"完成", "Done"},
	btnAssist:           {"需协助", "Need help"},
}

// helpText is /help: every command with an example.
func helpText(lang string) string {
	if lang == "en" {
		return strings.TrimSpace(`
📖 collabbot commands
New task: 【topic-item-request-deadline】, @-mention the owner
  e.g. @Alice 【Website-Homepage-Draft the new homepage-Friday 17:00】
  deadlines: tomorrow · Friday · next Monday · Dec 15 · 2026-12-15 · in 3 days · within 2 working days · 48 hours · end of month · EOD (no ASAP)
  tags: 【紧急】 urgent · 【重要】 important · 【需协助】 help needed
/ack #3 confirm you have it · /decline #3 reason: … alternative: … · /needinfo #3 question
/update #3 80% text progress; replying in the task's thread counts too
/done #3 finished → the initiator reviews
/accept #3 · /reject #3 comments review
【需协助】#3 text @someone or /assist #3 text ask for help · /resolve #3 clear it
/risk #3 cause and plan risk warning
/delay #3 next Friday reason ask for more time · /approve #3 · /deny #3
/edit #3 request|topic|item|due new text (initiator, lead) · /cc #3 @someone · /uncc #3 @someone
/list [open|done|all|overdue] [@someone] [word] [page] · /mine · /overdue · /assists · /search word
/show #3 details and history · /assign #3 @someone · /cancel #3 reason
/weekly this week's summary · /board read-only web board · /stats [this month|30 days] · /export
/project goal|result|dept|milestone|announcer|close … project card · /announce text (the announcer) · /retro highlight|gap|suggestion text · /retro report
/meeting 【topic-time-agenda: …-materials: …】 @attendees · /minutes #M1 (next lines: decision: … and @owner 【…】 tasks) · /meeting list
/incident problem; impact: …; measures: … · /roles #I1 @someone task · /status #I1 … · /resolved #I1 cause: …; fix: …
/every Friday 【…】 recurring task, created on working days (调休 included) · /every list · /every stop 1
/nudge #3 or /nudge @someone chase now · /leave 3 days or /leave @someone Dec 3-Dec 5 delegate @someone · /snooze #3 tomorrow
/digest on 09:00 your open tasks from every group by direct message each working day · /digest off
/config group settings (admins) · /lang zh|en
Every working day at 17:00 owners who have not updated are reminded; overdue tasks are escalated.`)
	}
	return strings.TrimSpace(`
📖 协作机器人命令
新建任务：【主题-事项-需求-截止时间】，并 @ 负责人
  例：@张三 【产品研发-需求确认-提供技术评估方案-周五17:00前】
  截止时间可写：2026-09-30 · 9月15日 · 9月15日17:00 · 明天 · 周五 · 下周一 · 3个工作日内 · 48小时内 · 月底 · 下班前（不接受“尽快”）
  标签：【紧急】【重要】【需协助】
/ack #3（/确认）确认接收 · /decline #3 原因：… 替代方案：…（/无法承接）· /needinfo #3 问题（/需补充）
/update #3 80% 进展（/进度）更新进度；在任务消息下回复也算
/done #3（/完成）标记完成，交发起人验收
/accept #3 · /reject #3 意见（/验收 /驳回）验收通过或退回
【需协助】#3 说明 @某人 或 /assist #3 说明（/协助）请求协助 · /resolve #3 解除
/risk #3 原因和方案（/风险）风险预警
/delay #3 下周五 原因（/延期）申请延期 · /approve #3 批准 · /deny #3 驳回
/edit #3 需求|主题|事项|截止 新内容（/修改，发起人或组长）· /cc #3 @某人（/抄送）添加协作人 · /uncc #3 @某人 移除
/list [进行中|完成|全部|逾期] [@某人] [关键词] [页码]（/任务）· /mine · /overdue · /assists · /search 关键词（/搜索，含已关闭）
/show #3（/查看）详情与记录 · /assign #3 @某人（/转交）· /cancel #3 原因（/取消）
/weekly（/周报）本周周报 · /board（/看板）网页看板 · /stats [本月|上月|30天]（/统计）· /export（/导出）
/项目 目标|成果|部门|节点|发布人|结项 …（/project）项目卡片 · /公告 内容（唯一信息发布人）· /复盘 亮点|不足|建议 内容 · /复盘 报告
/会议 【主题-时间-议程：…-材料：…】 @参会人 · /纪要 #M1（换行写 决议：… 和 @负责人 【…】 待办）· /会议 list
/紧急 问题；影响：…；措施：… · /分工 #I1 @某人 任务 · /进展 #I1 … · /解决 #I1 原因：…；措施：…
/every 每周五 【…】（/重复）周期任务，按工作日创建（含调休）· /every list · /every stop 1
/nudge #3 或 /nudge @某人（/催办）· /leave 3天 或 /leave @某人 12月3日-12月5日 代理 @某人（/请假）· /snooze #3 明天（/稍后提醒）
/digest on 09:00（/日报）每个工作日私信你所有群里的未完成任务 · /digest off
/config（/配置）本群设置（管理员）· /lang en|zh 切换语言
每个工作日 17:00 提醒未更新进度的负责人；逾期任务会逐级提醒。`)
}
