package bot

// Message keys of /incident, /roles, /status, /resolved and the /risk
// goal notice; added to catalog at init so that i18n.go stays the lead's.
const (
	incBadRef            = "inc_bad_ref"
	incNoneOpen          = "inc_none_open"
	incNeedRef           = "inc_need_ref"
	incNoSuch            = "inc_no_such"
	incNotAllowed        = "inc_not_allowed"
	incAlreadyResolved   = "inc_already_resolved"
	incUsage             = "inc_usage"
	incTooManyParts      = "inc_too_many_parts"
	incMissing           = "inc_missing"
	incExProblem         = "inc_ex_problem"
	incExImpact          = "inc_ex_impact"
	incExMeasures        = "inc_ex_measures"
	incTooLong           = "inc_too_long"
	incTooManyOpen       = "inc_too_many_open"
	incOpened            = "inc_opened"
	incCall              = "inc_call"
	incNoLead            = "inc_no_lead"
	incNoResponders      = "inc_no_responders"
	incNext              = "inc_next"
	incWordProblem       = "inc_word_problem"
	incWordImpact        = "inc_word_impact"
	incWordMeasures      = "inc_word_measures"
	incWordCause         = "inc_word_cause"
	incWordFix           = "inc_word_fix"
	incRespondersNone    = "inc_responders_none"
	incRespondersAre     = "inc_responders_are"
	incRespondersDenied  = "inc_responders_denied"
	incRespondersUsage   = "inc_responders_usage"
	incRespondersTooMany = "inc_responders_too_many"
	incRespondersCleared = "inc_responders_cleared"
	incRespondersSet     = "inc_responders_set"
	incRolesBad          = "inc_roles_bad"
	incRoleTooLong       = "inc_role_too_long"
	incRolesNeedTask     = "inc_roles_need_task"
	incRolesTooMany      = "inc_roles_too_many"
	incTimelineFull      = "inc_timeline_full"
	incRolesSet          = "inc_roles_set"
	incRoleLine          = "inc_role_line"
	incRolesFooter       = "inc_roles_footer"
	incStatusUsage       = "inc_status_usage"
	incStatusTooLong     = "inc_status_too_long"
	incStatusRecorded    = "inc_status_recorded"
	incResolveUsage      = "inc_resolve_usage"
	incResolveMissing    = "inc_resolve_missing"
	incResolveTooLong    = "inc_resolve_too_long"
	incReportNotify      = "inc_report_notify"
	incReportTitle       = "inc_report_title"
	incReportBody        = "inc_report_body"
	incReportRoles       = "inc_report_roles"
	incReportNoRoles     = "inc_report_no_roles"
	incReportRoleLine    = "inc_report_role_line"
	incReportTimeline    = "inc_report_timeline"
	incReportOmitted     = "inc_report_omitted"
	incEventFmt          = "inc_event_fmt"
	incListEmpty         = "inc_list_empty"
	incListOpen          = "inc_list_open"
	incListNoneOpen      = "inc_list_none_open"
	incResolvedHead      = "inc_resolved_head"
	incListNoStatus      = "inc_list_no_status"
	incListLine          = "inc_list_line"
	incListResolved      = "inc_list_resolved"
	incListResolvedLine  = "inc_list_resolved_line"
	incListFooter        = "inc_list_footer"
	incShowHead          = "inc_show_head"
	incShowNoRoles       = "inc_show_no_roles"
	incShowNext          = "inc_show_next"
	incPingRoles         = "inc_ping_roles"
	incPingNoStatusYet   = "inc_ping_no_status_yet"
	incPingStatus        = "inc_ping_status"
	incRiskGoal          = "inc_risk_goal"
)

const (
	incExampleZh = "/incident 官网无法访问；影响：全国用户，约1000+访问/分钟；措施：已重启服务器，无效"
	incExampleEn = "/incident Website down; impact: all users, ~1000 visits/min; measures: restarted the servers, no effect"
)

func init() {
	addMessages(map[string][2]string{
		incBadRef: {"“%s”不是有效的紧急事务编号，请写 #I1 这样的编号，例如：%s（/incident list 查看编号）",
			"“%s” is not a valid incident id; write it like #I1, e.g. %s (/incident list shows the ids)"},
		incNoneOpen: {"本群没有进行中的紧急事务。上报：" + incExampleZh, "No incident is open in this group. Report one: " + incExampleEn},
		incNeedRef: {"本群有 %d 个进行中的紧急事务，请写明编号，例如：%s（/incident list 查看）",
			"%d incidents are open in this group; name one, e.g. %s (/incident list shows them)"},
		incNoSuch:          {"本群没有紧急事务 #I%d。发送 /incident list 查看。", "This group has no incident #I%d. Send /incident list to see them."},
		incNotAllowed:      {"#I%[1]d：只有上报人 %[3]s、组长、应急响应人、分工成员或群管理员可以执行 %[2]s。", "#I%[1]d: only the reporter %[3]s, the group lead, responders, people with a role or group admins may use %[2]s."},
		incAlreadyResolved: {"#I%[1]d 已于 %[2]s 解决。发送 /incident #I%[1]d 查看处理报告。", "#I%[1]d was resolved at %[2]s. Send /incident #I%[1]d for the report."},
		incUsage: {"🚨 紧急事务（系统故障、客户重大投诉等）：\n" +
			"上报：/incident 问题简述；影响：影响范围；措施：已采取的措施（也可写 /紧急 问题-影响范围-已采取措施），例如：\n" + incExampleZh + "\n" +
			"上报后 @组长和应急响应人；10分钟内分工：/roles #I1 @甲 排查服务器日志 @乙 联系云服务商\n" +
			"每30分钟更新进展：/status #I1 初步判断为数据库连接池溢出，正在扩容\n" +
			"解决后：/resolved #I1 原因：数据库连接池溢出；措施：扩容并限流（生成《紧急事务处理报告》）\n" +
			"查看：/incident list · /incident #I1 · 响应人：/incident responders @甲 @乙（组长或管理员）\n" +
			"紧急事务按实际时间计时，夜间、周末和节假日也会提醒。",
			"🚨 Incidents (outages, major customer complaints…):\n" +
				"Report: /incident problem; impact: who is affected; measures: what was tried (or problem - impact - measures), e.g.\n" + incExampleEn + "\n" +
				"The group lead and responders are called; roles within 10 minutes: /roles #I1 @A check the server logs @B call the cloud provider\n" +
				"A status every 30 minutes: /status #I1 looks like the DB connection pool is exhausted, scaling up\n" +
				"When fixed: /resolved #I1 cause: connection pool exhausted; measures: scaled up and rate-limited (posts the incident report)\n" +
				"See: /incident list · /incident #I1 · responders: /incident responders @A @B (lead or admins)\n" +
				"Incidents run on real time: reminders go out at night, at weekends and on holidays."},
		incTooManyParts: {"分不清问题、影响范围和已采取措施：用“-”分隔时只能有三段。请用“；”分隔或加标签，例如：\n" + incExampleZh,
			"Cannot tell the problem, impact and measures apart: with “-” there must be exactly three parts. Separate them with “;” or labels, e.g.\n" + incExampleEn},
		incMissing: {"紧急事务需要写清三项：问题简述、影响范围、已采取措施（还没有措施就写“暂无”）。还缺：%[1]s。请这样发送：\n/incident %[2]s；影响：%[3]s；措施：%[4]s",
			"An incident report needs three parts: the problem, its impact, and the measures taken (write “none yet” if there are none). Missing: %[1]s. Send it like this:\n/incident %[2]s; impact: %[3]s; measures: %[4]s"},
		incExProblem:    {"〈问题简述，如 官网无法访问〉", "<the problem, e.g. website down>"},
		incExImpact:     {"〈影响范围，如 全国用户，约1000+访问/分钟〉", "<who is affected, e.g. all users, ~1000 visits/min>"},
		incExMeasures:   {"〈已采取的措施，如 已重启服务器，无效；没有就写 暂无〉", "<what was tried, e.g. restarted the servers, no effect; or: none yet>"},
		incTooLong:      {"%s太长了（最多 %d 字），请简述，细节可以稍后用 /status 补充。", "The %s is too long (at most %d characters); keep it short and add details with /status."},
		incTooManyOpen:  {"本群已有 %d 个进行中的紧急事务，请先处理并 /resolved 关闭（/incident list 查看）。", "%d incidents are already open in this group; resolve some first (/incident list)."},
		incOpened:       {"🚨 紧急事务 #I%[1]d（%[2]s 上报于 %[3]s）\n问题：%[4]s\n影响范围：%[5]s\n已采取措施：%[6]s", "🚨 Incident #I%[1]d (reported by %[2]s at %[3]s)\nProblem: %[4]s\nImpact: %[5]s\nMeasures taken: %[6]s"},
		incCall:         {"%s 请立即响应。", "%s please respond now."},
		incNoLead:       {"（本群未设置组长，请管理员发送 /config lead @某人）", "(This group has no lead: an admin sends /config lead @someone)"},
		incNoResponders: {"（本群未设置应急响应人，组长或管理员可发送 /incident responders @甲 @乙）", "(No responders set: the lead or an admin sends /incident responders @A @B)"},
		incNext: {"请在 %[2]s 前（10分钟内）明确分工：/roles #I%[1]d @甲 排查服务器日志 @乙 联系云服务商\n之后每30分钟更新进展：/status #I%[1]d 进展；解决后：/resolved #I%[1]d 原因：…；措施：…",
			"Assign roles by %[2]s (within 10 minutes): /roles #I%[1]d @A check the server logs @B call the cloud provider\nThen a status every 30 minutes: /status #I%[1]d text; when fixed: /resolved #I%[1]d cause: …; measures: …"},
		incWordProblem:       {"问题简述", "problem"},
		incWordImpact:        {"影响范围", "impact"},
		incWordMeasures:      {"已采取措施", "measures taken"},
		incWordCause:         {"原因", "cause"},
		incWordFix:           {"解决措施", "measures"},
		incRespondersNone:    {"本群未设置应急响应人。组长或管理员可设置：/incident responders @甲 @乙", "No responders are set. The lead or an admin sets them: /incident responders @A @B"},
		incRespondersAre:     {"本群应急响应人：%s（上报紧急事务时与组长一起被 @）", "Responders: %s (called with the lead when an incident is reported)"},
		incRespondersDenied:  {"只有组长或群管理员可以设置应急响应人。", "Only the group lead or group admins may set the responders."},
		incRespondersUsage:   {"请 @ 应急响应人，例如：/incident responders @甲 @乙（清空：/incident responders clear）", "@-mention the responders, e.g. /incident responders @A @B (clear: /incident responders clear)"},
		incRespondersTooMany: {"应急响应人最多 %d 位。", "At most %d responders."},
		incRespondersCleared: {"已清空应急响应人。", "Responders cleared."},
		incRespondersSet:     {"✅ 应急响应人已设为：%s。上报紧急事务时会 @ 他们和组长。", "✅ Responders set: %s. They are called with the lead when an incident is reported."},
		incRolesBad: {"分工要先 @ 人，再写其任务，“%[1]s”前面没有 @。例如：/roles #I%[2]d @甲 排查服务器日志 @乙 联系云服务商",
			"Each role is an @-mention followed by the job; “%[1]s” has no @ before it. E.g. /roles #I%[2]d @A check the server logs @B call the cloud provider"},
		incRoleTooLong: {"每项分工最多 %[1]d 字。例如：/roles #I%[2]d @甲 排查服务器日志", "A role is at most %[1]d characters, e.g. /roles #I%[2]d @A check the server logs"},
		incRolesNeedTask: {"请在 @%[1]s 后写明任务，例如：/roles #I%[2]d @甲 排查服务器日志 @乙 联系云服务商",
			"Write the job after @%[1]s, e.g. /roles #I%[2]d @A check the server logs @B call the cloud provider"},
		incRolesTooMany:   {"一个紧急事务最多 %d 项分工。", "At most %d roles per incident."},
		incTimelineFull:   {"#I%d 的记录已满，请尽快处理并 /resolved #I%d 关闭。", "#I%d has too many entries; resolve it with /resolved #I%d."},
		incRolesSet:       {"👷 #I%[1]d（%[2]s）应急分工：", "👷 #I%[1]d (%[2]s) roles:"},
		incRoleLine:       {"%s：%s", "%s: %s"},
		incRolesFooter:    {"应急负责人：%[1]s。请各位30分钟内到位并反馈准备情况，每30分钟更新进展：/status #I%[2]d 进展", "Incident lead: %[1]s. Everyone: be ready within 30 minutes and say so; a status every 30 minutes: /status #I%[2]d text"},
		incStatusUsage:    {"请写明当前进展，例如：/status #I%d 初步判断为数据库连接池溢出，正在扩容", "Write the current status, e.g. /status #I%d looks like the DB connection pool is exhausted, scaling up"},
		incStatusTooLong:  {"进展最多 %d 字，请分几次发送。", "A status is at most %d characters; send it in parts."},
		incStatusRecorded: {"📝 #I%[1]d 第 %[2]d 次进展：%[3]s\n已持续 %[4]s。下次请在 %[5]s 前更新。", "📝 #I%[1]d status %[2]d: %[3]s\nOngoing for %[4]s. Next status by %[5]s."},
		incResolveUsage: {"请写明原因和解决措施，用“；”分隔或加标签，例如：/resolved #I%d 原因：数据库连接池溢出；措施：扩容并限流\n（/resolved #I%d 原因-措施 也可以）",
			"Write the cause and the measures, separated by “;” or labelled, e.g. /resolved #I%d cause: connection pool exhausted; measures: scaled up and rate-limited\n(/resolved #I%d cause - measures works too)"},
		incResolveMissing: {"关闭紧急事务需要写明原因和解决措施，还缺：%[1]s。例如：/resolved #I%[2]d 原因：数据库连接池溢出；措施：扩容并限流\n（/resolved #I%[3]d 原因-措施 也可以）",
			"To close an incident write its cause and the measures; missing: %[1]s. E.g. /resolved #I%[2]d cause: connection pool exhausted; measures: scaled up and rate-limited\n(/resolved #I%[3]d cause - measures works too)"},
		incResolveTooLong: {"原因和措施各最多 %d 字，细节请放在复盘报告里。", "Cause and measures are at most %d characters each; keep details for the retrospective."},
		incReportNotify:   {"请知悉：%s", "FYI: %s"},
		incResolvedHead:   {"✅ #I%d 问题已解决（持续 %s），以下为处理报告。", "✅ #I%d is resolved (after %s); here is the report."},
		incListNoneOpen:   {"🚨 没有进行中的紧急事务。", "🚨 No open incidents."},
		incReportTitle:    {"📋《紧急事务处理报告》#I%d", "📋 Incident report #I%d"},
		incReportBody: {"问题：%[1]s\n影响范围：%[2]s\n初始措施：%[3]s\n原因：%[4]s\n解决措施：%[5]s\n开始：%[6]s\n结束：%[7]s\n持续：%[8]s\n上报人：%[9]s · 宣布解决：%[10]s",
			"Problem: %[1]s\nImpact: %[2]s\nInitial measures: %[3]s\nCause: %[4]s\nMeasures: %[5]s\nStart: %[6]s\nEnd: %[7]s\nDuration: %[8]s\nReported by %[9]s · resolved by %[10]s"},
		incReportRoles:      {"分工：", "Roles:"},
		incReportNoRoles:    {"无", "none"},
		incReportRoleLine:   {"· %s：%s", "· %s: %s"},
		incReportTimeline:   {"时间线：", "Timeline:"},
		incReportOmitted:    {"（更早的 %d 条略）", "(%d earlier entries left out)"},
		incEventFmt:         {"%[1]s %[2]s（%[3]s）：%[4]s", "%[1]s %[2]s (%[3]s): %[4]s"},
		"inc_ev_open":       {"上报", "reported"},
		"inc_ev_roles":      {"分工", "roles"},
		"inc_ev_status":     {"进展", "status"},
		"inc_ev_resolved":   {"解决", "resolved"},
		incListEmpty:        {"本群还没有紧急事务。上报：" + incExampleZh, "No incidents in this group yet. Report one: " + incExampleEn},
		incListOpen:         {"🚨 进行中的紧急事务（%d）：", "🚨 Open incidents (%d):"},
		incListNoStatus:     {"尚无", "none yet"},
		incListLine:         {"#I%[1]d %[2]s · 已持续 %[3]s · 负责人 %[4]s · 上次进展 %[5]s", "#I%[1]d %[2]s · ongoing %[3]s · lead %[4]s · last status %[5]s"},
		incListResolved:     {"最近解决：", "Recently resolved:"},
		incListResolvedLine: {"#I%[1]d %[2]s · 解决于 %[3]s（持续 %[4]s）", "#I%[1]d %[2]s · resolved %[3]s (took %[4]s)"},
		incListFooter:       {"查看详情：/incident #I编号", "Details: /incident #I<id>"},
		incShowHead: {"🚨 紧急事务 #I%[1]d（进行中）\n问题：%[2]s\n影响范围：%[3]s\n已采取措施：%[4]s\n开始：%[5]s · 已持续 %[6]s\n上报人：%[7]s · 应急负责人：%[8]s",
			"🚨 Incident #I%[1]d (open)\nProblem: %[2]s\nImpact: %[3]s\nMeasures taken: %[4]s\nStarted %[5]s · ongoing for %[6]s\nReported by %[7]s · incident lead %[8]s"},
		incShowNoRoles:     {"尚未分工（/roles #I%d @某人 任务）", "none yet (/roles #I%d @someone job)"},
		incShowNext:        {"下次进展请在 %[1]s 前发送：/status #I%[2]d 进展", "Next status due by %[1]s: /status #I%[2]d text"},
		incPingRoles:       {"🚨 #I%[1]d（%[2]s）已上报 %[3]s，还没有明确应急分工。%[4]s 请立即分工：/roles #I%[5]d @甲 排查服务器日志 @乙 联系云服务商", "🚨 #I%[1]d (%[2]s) was reported %[3]s ago and nobody has a role yet. %[4]s please assign roles now: /roles #I%[5]d @A check the server logs @B call the cloud provider"},
		incPingNoStatusYet: {"尚无", "none yet"},
		incPingStatus:      {"⏰ #I%[1]d（%[2]s）已超过30分钟没有进展更新（上次：%[3]s，已持续 %[4]s）。%[5]s 请更新处理状态：/status #I%[6]d 进展；已解决请发送 /resolved #I%[6]d 原因：…；措施：…", "⏰ #I%[1]d (%[2]s) has had no status for 30 minutes or more (last: %[3]s; ongoing for %[4]s). %[5]s please post one: /status #I%[6]d text; if fixed: /resolved #I%[6]d cause: …; measures: …"},
		incRiskGoal:        {"🚨 该风险影响整体目标：请发起人 %[1]s 在 %[2]s 前（2小时内）组织召开紧急会议，调整计划或资源。", "🚨 This risk affects the overall goal: initiator %[1]s, please call an emergency meeting by %[2]s (within 2 hours) to adjust the plan or resources."},
	})
}
