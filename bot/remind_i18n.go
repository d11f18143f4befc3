package bot

// Message keys of the reminder engine; added to catalog at init so that
// i18n.go stays the lead's file.
const (
	rmNudge        = "rm_nudge"
	rmNudgeTitle   = "rm_nudge_title"
	rmOpenHelp     = "rm_open_help"
	rmWarn         = "rm_warn"
	rmAckDefault   = "rm_ack_default"
	rmOverdue1     = "rm_overdue_1"
	rmOverdue2     = "rm_overdue_2"
	rmOverdue3     = "rm_overdue_3"
	rmUrgent       = "rm_urgent"
	rmImportant    = "rm_important"
	rmHelp         = "rm_help"
	rmDigest       = "rm_digest"
	rmDigestHead   = "rm_digest_title"
	rmWeekly       = "rm_weekly_title"
	rmReview       = "rm_review"
	rmReviewLead   = "rm_review_lead"
	rmApproval     = "rm_approval"
	rmApprovalLead = "rm_approval_lead"
	rmNudgeLine    = "rm_nudge_line"
	rmNudgeMore    = "rm_nudge_more"
)

func init() {
	addMessages(map[string][2]string{
		rmNudge: {"⏰ 今日进度提醒：以下负责人今天还没有更新进度，请发送 /update #编号 进度 说明（在任务消息下回复也可以）：",
			"⏰ Daily progress check: these owners have not posted an update today. Send /update #id 80%% what changed (a reply in the task's thread works too):"},
		rmNudgeTitle: {"今日进度提醒", "Daily progress check"},
		rmOpenHelp:   {"🆘 未解决的协助请求（%d）：", "🆘 Open help requests (%d):"},
		rmWarn: {"⚠️ #%[1]d %[2]s 将于 %[3]s 截止（还剩 %[4]d 个工作日）。%[5]s 如有风险，请现在发送 /delay #%[1]d 新截止时间 原因。",
			"⚠️ #%[1]d %[2]s is due %[3]s (%[4]d working days left). %[5]s, if it is at risk, send /delay #%[1]d <new deadline> <reason> now."},
		rmAckDefault: {"📌 #%[1]d %[2]s：%[3]s 未在%[4]s内确认接收，视为默认接受。截止 %[5]s。",
			"📌 #%[1]d %[2]s: %[3]s did not acknowledge within %[4]s, so the task is accepted by default. Due %[5]s."},
		rmOverdue1: {"⏰ #%[1]d %[2]s 已逾期（截止 %[3]s）。%[4]s 请更新进度；如需更多时间，请发送 /delay #%[1]d 新截止时间 原因。",
			"⏰ #%[1]d %[2]s is overdue (due %[3]s). %[4]s, please post an update, or send /delay #%[1]d <new deadline> <reason>."},
		rmOverdue2: {"🚨 #%[1]d %[2]s 已逾期 %[3]s，仍没有风险预警或延期申请。%[4]s 需发起风险预警：/risk #%[1]d 原因和应对方案，或 /delay #%[1]d 申请延期。",
			"🚨 #%[1]d %[2]s is overdue %[3]s with no risk warning or delay request. %[4]s: a risk warning is needed: /risk #%[1]d <cause and plan>, or /delay #%[1]d."},
		rmOverdue3: {"🚨 #%[1]d %[2]s 已逾期 %[3]s（负责人 %[4]s），仍没有风险预警或延期申请，请 %[5]s 介入处理。",
			"🚨 #%[1]d %[2]s is overdue %[3]s (owner %[4]s) with no risk warning or delay request. %[5]s, please step in."},
		rmUrgent: {"🔥【紧急】#%[1]d %[2]s 发布%[3]s后负责人 %[4]s 仍未确认接收，请 %[5]s 跟进。",
			"🔥 [Urgent] #%[1]d %[2]s: the owner %[4]s has not acknowledged it %[3]s after it was posted. %[5]s, please follow up."},
		rmImportant: {"❗【重要】#%[1]d %[2]s 发布已超过%[3]s仍未确认接收，请 %[4]s 发送 /ack #%[1]d 确认。",
			"❗ [Important] #%[1]d %[2]s was posted more than %[3]s ago and is still not acknowledged. %[4]s, please send /ack #%[1]d."},
		rmHelp: {"🆘 #%[1]d %[2]s 的协助请求已超过%[3]s未解决：%[4]s\n请 %[5]s 协助处理，解决后发送 /resolve #%[1]d。",
			"🆘 #%[1]d %[2]s has asked for help for more than %[3]s: %[4]s\n%[5]s, please help; send /resolve #%[1]d when it is sorted."},
		rmDigest:     {"🌅 以下提醒在非工作时间到期，现合并发送：", "🌅 These reminders fell due outside working hours:"},
		rmDigestHead: {"非工作时间的提醒", "Reminders from outside working hours"},
		rmWeekly:     {"项目周报", "Weekly summary"},
		rmReview: {"🔍 #%[1]d %[2]s 由 %[3]s 完成已 %[4]s，仍未验收。%[5]s 请验收：/accept #%[1]d 通过，或 /reject #%[1]d 意见 退回。",
			"🔍 #%[1]d %[2]s was finished by %[3]s %[4]s ago and still waits for review. %[5]s, please review: /accept #%[1]d, or /reject #%[1]d <comments>."},
		rmReviewLead: {"🔍 #%[1]d %[2]s 由 %[3]s 完成已 %[4]s，多次提醒后仍未验收，请 %[5]s 跟进验收。",
			"🔍 #%[1]d %[2]s was finished by %[3]s %[4]s ago and is still not reviewed after reminders. %[5]s, please see that it is reviewed."},
		rmApproval: {"⏳ #%[1]d %[2]s：%[3]s 申请延期到 %[4]s（原截止 %[5]s），原因：%[6]s。%[7]s 请在原截止时间前审批：/approve #%[1]d 或 /deny #%[1]d。",
			"⏳ #%[1]d %[2]s: %[3]s asked to move the deadline to %[4]s (now %[5]s), because: %[6]s. %[7]s, please decide before the current deadline: /approve #%[1]d or /deny #%[1]d."},
		rmApprovalLead: {"⏳ #%[1]d %[2]s：%[3]s 的延期申请（%[5]s → %[4]s，原因：%[6]s）仍未审批，请 %[7]s 处理：/approve #%[1]d 或 /deny #%[1]d。",
			"⏳ #%[1]d %[2]s: %[3]s's delay request (%[5]s → %[4]s, because: %[6]s) is still undecided. %[7]s, please decide: /approve #%[1]d or /deny #%[1]d."},
		rmNudgeLine: {"%[1]s：%[2]d 项，最急 #%[3]d %[4]s（截止 %[5]s）", "%[1]s: %[2]d task(s), most urgent #%[3]d %[4]s (due %[5]s)"},
		rmNudgeMore: {"发送 /mine 查看自己的全部任务。", "Send /mine to see all of yours."},
	})
}
