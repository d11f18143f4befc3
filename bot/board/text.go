package board

import (
	"time"

	"collabbot/bot"
	"collabbot/store"
)

// labels are the board's words in one language.
type labels struct {
	HTMLLang, Board, ThisGroup, Updated, Other                string
	ID, Topic, Item, Request, Owner, Collaborators, Initiator string
	Tier, Status, Percent, Due, LastUpdate, Help, Risk        string
	Filter, Clear, Sort, Everyone, NoTasks, Shown, Back       string
	PageOf, Prev, Next                                        string
	ActiveN, OverdueN, AtRiskN, HelpN, ReviewN                string
	OverdueBy, NotAcked, DelayPending, ApprovalLate           string
	ReviewLate, DueSoon, NeedsHelp, Resolved                  string
	Accepted, Rejected, Created, Acked, OriginalDue, Deadline string
	Updates, HelpFlags, Risks, Delays, Reviews, History       string
	When, Who, What, Detail, Notes, ReadOnly                  string
	Groups, Group, Platform, Chat, Link, Issued, NoLink       string
	OverdueRow, RiskRow                                       string
	StatusFilter, TierFilter, SortBy                          map[string]string
	StatusWord                                                map[store.Status]string
	DelayState                                                map[store.DelayState]string
	Actions                                                   map[string]string
}

func (l labels) action(a string) string {
	if w, ok := l.Actions[a]; ok {
		return w
	}
	return a
}

var zh = labels{
	HTMLLang: "zh-CN", Board: "任务看板", ThisGroup: "本群", Updated: "更新于", Other: "English",
	ID: "编号", Topic: "主题", Item: "事项", Request: "需求", Owner: "负责人", Collaborators: "协作人", Initiator: "发起人",
	Tier: "级别", Status: "状态", Percent: "进度", Due: "截止", LastUpdate: "最近更新", Help: "协助", Risk: "风险",
	Filter: "筛选", Clear: "清除", Sort: "排序", Everyone: "全部负责人", NoTasks: "没有符合条件的任务。", Shown: "显示 %d / 共 %d 项", Back: "← 返回看板",
	PageOf: "第 %d–%d 项 · 符合条件 %d 项 · 共 %d 项", Prev: "← 上一页", Next: "下一页 →",
	ActiveN: "进行中", OverdueN: "已逾期", AtRiskN: "有风险", HelpN: "需协助", ReviewN: "待验收",
	OverdueBy: "已逾期", NotAcked: "未确认", DelayPending: "延期待批", ApprovalLate: "延期审批超时", ReviewLate: "验收超时",
	DueSoon: "临近截止", NeedsHelp: "需协助", Resolved: "已解决",
	Accepted: "验收通过", Rejected: "验收退回", Created: "创建", Acked: "确认接收", OriginalDue: "原截止", Deadline: "截止（原文）",
	Updates: "进度更新", HelpFlags: "协助请求", Risks: "风险预警", Delays: "延期申请", Reviews: "验收", History: "完整记录",
	When: "时间", Who: "人", What: "动作", Detail: "内容", Notes: "提示", ReadOnly: "只读看板 · 数据来自群内机器人 · 逾期按工作时间计算（节假日不计）",
	Groups: "所有群的看板", Group: "群", Platform: "平台", Chat: "会话 ID", Link: "看板链接", Issued: "生成于", NoLink: "尚未生成（在群里发送 /board）",
	OverdueRow: "逾期", RiskRow: "风险",
	StatusFilter: map[string]string{"active": "未关闭（进行中+待验收）", "open": "进行中", "review": "待验收", "overdue": "已逾期", "risk": "逾期或有风险", "closed": "已关闭", "all": "全部"},
	TierFilter:   map[string]string{"": "全部级别", "urgent": "紧急", "important": "重要", "routine": "常规"},
	SortBy:       map[string]string{"due": "按截止时间", "id": "按编号", "owner": "按负责人", "status": "按状态"},
	StatusWord:   map[store.Status]string{store.StatusOpen: "进行中", store.StatusDone: "待验收", store.StatusAccepted: "已完成", store.StatusCancelled: "已取消"},
	DelayState:   map[store.DelayState]string{store.DelayPending: "待批", store.DelayApproved: "已批准", store.DelayDenied: "已驳回"},
	Actions: map[string]string{"created": "创建", "ack": "确认接收", "update": "更新进度",
		"done": "标记完成", "accept": "验收通过", "reject": "验收退回",
		"assist": "请求协助", "resolve": "解除协助", "risk": "风险预警",
		"delay": "申请延期", "approve": "批准延期", "deny": "驳回延期",
		"assign": "转交", "cancel": "取消", "ack_default": "默认接受",
		"edit": "修改", "cc": "添加协作人", "uncc": "移除协作人",
		"nudge": "催办", "snooze": "暂停提醒至", "reminder": "提醒"},
}

var en = labels{
	HTMLLang: "en", Board: "Task board", ThisGroup: "This group", Updated: "as of", Other: "中文",
	ID: "ID", Topic: "Topic", Item: "Item", Request: "Request", Owner: "Owner", Collaborators: "Collaborators", Initiator: "Initiator",
	Tier: "Tier", Status: "Status", Percent: "Progress", Due: "Due", LastUpdate: "Last update", Help: "Help", Risk: "Risk",
	Filter: "Filter", Clear: "Clear", Sort: "Sort", Everyone: "All owners", NoTasks: "No task matches.", Shown: "Showing %d of %d", Back: "← Back to the board",
	PageOf: "Rows %d–%d of %d matching · %d in all", Prev: "← Previous", Next: "Next →",
	ActiveN: "active", OverdueN: "overdue", AtRiskN: "at risk", HelpN: "need help", ReviewN: "awaiting review",
	OverdueBy: "Overdue", NotAcked: "Not acknowledged", DelayPending: "Delay pending", ApprovalLate: "Delay approval late", ReviewLate: "Review late",
	DueSoon: "Due soon", NeedsHelp: "Needs help", Resolved: "Resolved",
	Accepted: "Accepted", Rejected: "Sent back", Created: "Created", Acked: "Acknowledged", OriginalDue: "Originally due", Deadline: "Deadline (as written)",
	Updates: "Progress updates", HelpFlags: "Help requests", Risks: "Risk warnings", Delays: "Delay requests", Reviews: "Reviews", History: "Full history",
	When: "When", Who: "Who", What: "Action", Detail: "Detail", Notes: "Notes", ReadOnly: "Read-only board · from the group's bot · overdue counts working time (holidays excluded)",
	Groups: "Boards of all groups", Group: "Group", Platform: "Platform", Chat: "Chat ID", Link: "Board link", Issued: "Issued", NoLink: "none yet (send /board in the group)",
	OverdueRow: "overdue", RiskRow: "at risk",
	StatusFilter: map[string]string{"active": "Not closed (open + review)", "open": "Open", "review": "Awaiting review", "overdue": "Overdue", "risk": "Overdue or at risk", "closed": "Closed", "all": "All"},
	TierFilter:   map[string]string{"": "All tiers", "urgent": "Urgent", "important": "Important", "routine": "Routine"},
	SortBy:       map[string]string{"due": "By due date", "id": "By ID", "owner": "By owner", "status": "By status"},
	StatusWord:   map[store.Status]string{store.StatusOpen: "Open", store.StatusDone: "Awaiting review", store.StatusAccepted: "Done", store.StatusCancelled: "Cancelled"},
	DelayState:   map[store.DelayState]string{store.DelayPending: "pending", store.DelayApproved: "approved", store.DelayDenied: "denied"},
	Actions: map[string]string{"created": "created", "ack": "acknowledged", "update": "updated",
		"done": "marked done", "accept": "accepted", "reject": "sent back",
		"assist": "asked for help", "resolve": "resolved help", "risk": "raised a risk",
		"delay": "requested a delay", "approve": "approved the delay", "deny": "denied the delay",
		"assign": "reassigned", "cancel": "cancelled", "ack_default": "accepted by default",
		"edit": "edited", "cc": "added collaborators", "uncc": "removed collaborators",
		"nudge": "chased", "snooze": "snoozed until", "reminder": "reminder"},
}

func labelsFor(lang string) labels {
	if lang == "en" {
		return en
	}
	return zh
}

// fmtTime is the bot's own rendering of an instant.
func fmtTime(lang string, t time.Time, loc *time.Location, now time.Time) string {
	return bot.FmtTime(lang, t, loc, now)
}

// overdueFor is the bot's own rendering of a lateness.
func overdueFor(lang string, d time.Duration) string { return bot.OverdueFor(lang, d) }
