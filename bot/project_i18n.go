package bot

// Message keys of /project, /announce and /retro; added to catalog at init
// so that i18n.go stays the lead's file.
const (
	pjNone                 = "pj_none"
	pjUsage                = "pj_usage"
	pjUnknown              = "pj_unknown"
	pjClosedAlready        = "pj_closed_already"
	pjYouInitiate          = "pj_you_initiate"
	pjDenied               = "pj_denied"
	pjTooLong              = "pj_too_long"
	pjGoalUsage            = "pj_goal_usage"
	pjGoalSet              = "pj_goal_set"
	pjResultUsage          = "pj_result_usage"
	pjResultsCleared       = "pj_results_cleared"
	pjResultsFull          = "pj_results_full"
	pjResultAdded          = "pj_result_added"
	pjDeptUsage            = "pj_dept_usage"
	pjDeptTooMany          = "pj_dept_too_many"
	pjDeptSet              = "pj_dept_set"
	pjMilestoneUsage       = "pj_milestone_usage"
	pjMilestoneBadDate     = "pj_milestone_bad_date"
	pjMilestoneDup         = "pj_milestone_dup"
	pjMilestonesFull       = "pj_milestones_full"
	pjMilestoneTopic       = "pj_milestone_topic"
	pjMilestoneRequest     = "pj_milestone_request"
	pjMilestoneAdded       = "pj_milestone_added"
	pjWhyLead              = "pj_why_lead"
	pjWhyInitiator         = "pj_why_initiator"
	pjAnnouncerDefault     = "pj_announcer_default"
	pjAnnouncerUsage       = "pj_announcer_usage"
	pjAnnouncerSet         = "pj_announcer_set"
	pjRetroDaysUsage       = "pj_retro_days_usage"
	pjRetroAlreadyReminded = "pj_retro_already_reminded"
	pjRetroDaysSet         = "pj_retro_days_set"
	pjRetroWhen            = "pj_retro_when"
	pjCloseUsage           = "pj_close_usage"
	pjCloseTitle           = "pj_close_title"
	pjCloseOpenMilestones  = "pj_close_open_milestones"
	pjClosedLine           = "pj_closed_line"
	pjOpenLine             = "pj_open_line"
	pjCardTitle            = "pj_card_title"
	pjUnset                = "pj_unset"
	pjUnsetHint            = "pj_unset_hint"
	pjExampleResult        = "pj_example_result"
	pjExampleDept          = "pj_example_dept"
	pjExampleMilestone     = "pj_example_milestone"
	pjTaskGone             = "pj_task_gone"
	pjOverdue              = "pj_overdue"
	pjWordGoal             = "pj_word_goal"
	pjWordResult           = "pj_word_result"
	pjWordResults          = "pj_word_results"
	pjWordDept             = "pj_word_dept"
	pjWordDepts            = "pj_word_depts"
	pjWordMilestone        = "pj_word_milestone"
	pjWordMilestones       = "pj_word_milestones"
	pjWordAnnouncer        = "pj_word_announcer"
	pjWordSummary          = "pj_word_summary"
	pjWordInitiator        = "pj_word_initiator"
	rtBy                   = "rt_by"

	anNoAnnouncer = "an_no_announcer"
	anRedirect    = "an_redirect"
	anUsage       = "an_usage"
	anWordText    = "an_word_text"
	anFooter      = "an_footer"
	anTitle       = "an_title"

	rtUsage        = "rt_usage"
	rtHowTo        = "rt_how_to"
	rtCounts       = "rt_counts"
	rtNoProject    = "rt_no_project"
	rtUnknown      = "rt_unknown"
	rtNeedText     = "rt_need_text"
	rtWordLine     = "rt_word_line"
	rtFull         = "rt_full"
	rtAdded        = "rt_added"
	rtEmpty        = "rt_empty"
	rtNone         = "rt_none"
	rtReportTitle  = "rt_report_title"
	rtReportFooter = "rt_report_footer"
	rtRemindTitle  = "rt_remind_title"
	rtRemind       = "rt_remind"
)

func init() {
	addMessages(map[string][2]string{
		pjNone: {"本群还没有记录项目。", "This group has no project yet."},
		pjUsage: {"📋 项目（/project 或 /项目）：记录目标、关键成果、参与部门、关键节点和唯一信息发布人。\n" +
			"/项目 目标 Q3新产品上线\n" +
			"/项目 成果 功能测试通过率≥95%（每次一条；/项目 成果 清空）\n" +
			"/项目 部门 产品部 研发部 市场部\n" +
			"/项目 节点 需求评审 9月30日（每个关键节点建一个任务跟踪，负责人为信息发布人）\n" +
			"/项目 发布人 @王五（不设则为组长）\n" +
			"/项目 结项 一句话总结（目标达成后）\n" +
			"/项目 复盘 3（结项后第几个工作日提醒发起人组织复盘，默认 3）\n" +
			"/项目 查看项目卡片 · /公告 内容 发布项目公告 · /复盘 亮点|不足|建议 内容 · /复盘 报告\n" +
			"最先设置项目的人是发起人；发起人、组长和群管理员可以修改和结项。",
			"📋 Project (/project): the goal, key results, departments, milestones and the group's single announcer.\n" +
				"/project goal Q3 product launch\n" +
				"/project result test pass rate ≥95% (one per command; /project result clear)\n" +
				"/project dept Product R&D Marketing\n" +
				"/project milestone Requirements-review 2026-09-30 (each milestone is tracked as a task owned by the announcer)\n" +
				"/project announcer @Wang (default: the group lead)\n" +
				"/project close one-line summary (when the goal is reached)\n" +
				"/project retro 3 (working days after the close when the initiator is reminded to hold the retrospective; default 3)\n" +
				"/project shows the card · /announce text posts an announcement · /retro highlight|gap|suggestion text · /retro report\n" +
				"Whoever first sets the project is its initiator; the initiator, the group lead and group admins may change or close it."},
		pjUnknown:       {"不认识的项目字段“%s”。", "Unknown project field “%s”."},
		pjClosedAlready: {"项目已于 %s 结项，不能再修改。发送 /项目 查看项目卡片。", "The project was closed on %s and can no longer be changed. Send /project to see its card."},
		pjYouInitiate:   {"（%s 是本项目的发起人：发起人、组长和群管理员可以修改和结项。）", "(%s is the project's initiator: the initiator, the group lead and group admins may change or close it.)"},
		pjDenied:        {"只有%s可以修改项目。如需调整，请联系他们。", "Only %s may change the project; please ask them."},
		pjTooLong:       {"%s太长了：最多 %d 个字，请精简后再发。", "The %s is too long: at most %d characters, please shorten it."},
		pjGoalUsage:     {"请写上项目目标，例如：/项目 目标 Q3新产品上线", "Write the goal, e.g. /project goal Q3 product launch"},
		pjGoalSet:       {"🎯 项目目标：%s", "🎯 Project goal: %s"},
		pjResultUsage: {"请写上一条关键成果，例如：/项目 成果 功能测试通过率≥95%（清空：/项目 成果 清空）",
			"Write one key result, e.g. /project result test pass rate ≥95% (clear them: /project result clear)"},
		pjResultsCleared: {"已清空关键成果。", "Key results cleared."},
		pjResultsFull:    {"关键成果最多 %d 条，请先清空（/项目 成果 清空）再重新添加。", "At most %d key results; clear them first (/project result clear)."},
		pjResultAdded:    {"✅ 关键成果 %d：%s", "✅ Key result %d: %s"},
		pjDeptUsage:      {"请列出参与部门，用空格或顿号隔开，例如：/项目 部门 产品部 研发部 市场部", "List the departments, separated by spaces or commas, e.g. /project dept Product R&D Marketing"},
		pjDeptTooMany:    {"参与部门最多 %d 个。", "At most %d departments."},
		pjDeptSet:        {"🏢 参与部门：%s", "🏢 Departments: %s"},
		pjMilestoneUsage: {"请写上关键节点名称和日期，用空格隔开，例如：/项目 节点 需求评审 9月30日",
			"Write the milestone's name and date, separated by a space, e.g. /project milestone Requirements-review 2026-09-30"},
		pjMilestoneBadDate: {"关键节点的日期有问题：%s\n例如：/项目 节点 需求评审 9月30日",
			"The milestone's date: %s\nExample: /project milestone Requirements-review 2026-09-30"},
		pjMilestoneDup:     {"已有关键节点“%s”（任务 #%d）。改期请用 /延期 或 /修改 该任务。", "There is already a milestone “%s” (task #%d). Move it with /delay or /edit on that task."},
		pjMilestonesFull:   {"关键节点最多 %d 个。", "At most %d milestones."},
		pjMilestoneTopic:   {"里程碑", "Milestone"},
		pjMilestoneRequest: {"按期完成关键节点：%s", "reach the milestone: %s"},
		pjMilestoneAdded: {"📍 已添加关键节点“%s”（%s），由任务 #%d 跟踪：截止提醒、逾期升级和周报照常适用。",
			"📍 Milestone “%s” (%s) added, tracked as task #%d: deadline warnings, the overdue ladder and the weekly summary apply."},
		pjWhyLead:          {"（组长）", " (the group lead)"},
		pjWhyInitiator:     {"（项目发起人，未设组长）", " (the project's initiator; no group lead is set)"},
		pjAnnouncerDefault: {"📣 唯一信息发布人恢复为默认：%s", "📣 The single announcer is back to the default: %s"},
		pjAnnouncerUsage:   {"请 @ 一位成员作为唯一信息发布人，例如：/项目 发布人 @王五（恢复默认：/项目 发布人 组长）", "@-mention one member as the single announcer, e.g. /project announcer @Wang (back to the lead: /project announcer default)"},
		pjAnnouncerSet: {"📣 本群唯一信息发布人：%s。项目公告统一由其发送 /公告 内容，避免多人重复发布。",
			"📣 The group's single announcer: %s. Project announcements are posted by them with /announce text, so that nobody posts the same news twice."},
		pjRetroDaysUsage:       {"请写 1 到 %d 之间的工作日数，例如：/项目 复盘 3（当前：%d）", "Write a number of working days from 1 to %d, e.g. /project retro 3 (now: %d)"},
		pjRetroAlreadyReminded: {"复盘提醒已于 %s 发出，不能再调整。", "The retrospective reminder went out on %s; it can no longer be changed."},
		pjRetroDaysSet:         {"🗓 复盘提醒：结项后第 %d 个工作日上班时提醒发起人组织复盘。", "🗓 Retrospective reminder: at the start of the %d-th working day after the close, the initiator is reminded."},
		pjRetroWhen:            {"🗓 复盘提醒：%s 提醒 %s 组织复盘会。", "🗓 Retrospective: %[2]s is reminded on %[1]s to hold it."},
		pjCloseUsage:           {"请写上一句结项总结，例如：/项目 结项 Q3新产品已按期上线，测试通过率97%", "Write a one-line summary, e.g. /project close launched on time, test pass rate 97%"},
		pjCloseTitle:           {"🏁 项目已结项", "🏁 Project closed"},
		pjCloseOpenMilestones:  {"⚠️ 还有 %d 个关键节点任务未关闭，请负责人 /完成 或发起人 /取消。", "⚠️ Milestone tasks still open: %d; their owners send /done, or the initiator /cancel."},
		pjClosedLine:           {"结项：%s（%s）", "Closed: %s (%s)"},
		pjOpenLine:             {"状态：进行中（目标达成后：/项目 结项 一句话总结）", "Status: open (when the goal is reached: /project close one-line summary)"},
		pjCardTitle:            {"📋 项目", "📋 Project"},
		pjUnset:                {"（未设置）", "(not set)"},
		pjUnsetHint:            {"（未设置，例如 %s）", "(not set, e.g. %s)"},
		pjExampleResult:        {"/项目 成果 功能测试通过率≥95%", "/project result test pass rate ≥95%"},
		pjExampleDept:          {"/项目 部门 产品部 研发部", "/project dept Product R&D"},
		pjExampleMilestone:     {"/项目 节点 需求评审 9月30日", "/project milestone Review 2026-09-30"},
		pjTaskGone:             {"任务不存在", "task missing"},
		pjOverdue:              {"已逾期", "overdue"},
		pjWordGoal:             {"目标", "Goal"},
		pjWordResult:           {"关键成果", "key result"},
		pjWordResults:          {"关键成果", "Key results"},
		pjWordDept:             {"部门名称", "department name"},
		pjWordDepts:            {"参与部门", "Departments"},
		pjWordMilestone:        {"关键节点名称", "milestone name"},
		pjWordMilestones:       {"关键节点", "Milestones"},
		pjWordAnnouncer:        {"唯一信息发布人", "Single announcer"},
		pjWordInitiator:        {"发起人", "Initiator"},
		rtBy:                   {"%d. %s —— %s", "%d. %s — %s"},
		pjWordSummary:          {"总结", "Summary"},

		anNoAnnouncer: {"本群还没有信息发布人：请组长或群管理员发送 /项目 发布人 @某人（或 /config lead @某人 设定组长）。",
			"This group has no announcer yet: the lead or an admin sends /project announcer @someone (or /config lead @someone)."},
		anRedirect: {"为避免信息混乱，本群项目公告统一由唯一信息发布人 %s 发布。请把要公告的内容发给 %s，由其发送 /公告。谢谢配合！",
			"To keep news in one place, project announcements in this group are posted by the single announcer, %s. Please send what you would like announced to %s, who posts it with /announce. Thank you!"},
		anUsage:    {"请写上公告内容，例如：/公告 需求评审会改到 9月30日 14:00，请各部门准时参加", "Write the announcement, e.g. /announce the requirements review moves to Sep 30 14:00"},
		anWordText: {"公告内容", "announcement"},
		anFooter:   {"—— 发布人：%s · %s", "— posted by %s · %s"},
		anTitle:    {"📢 项目公告", "📢 Project announcement"},

		rtUsage: {"📝 复盘（/retro 或 /复盘）：\n/复盘 亮点 每日进度同步机制提升了效率\n/复盘 不足 跨部门沟通工具混用导致信息遗漏\n/复盘 建议 统一使用飞书作为核心协作工具\n/复盘 报告 —— 汇总成《协作复盘报告》并发到群里",
			"📝 Retrospective (/retro):\n/retro highlight the daily progress sync made us faster\n/retro gap mixing chat tools lost information\n/retro suggestion use one collaboration tool\n/retro report — compile the retrospective report and post it"},
		rtHowTo: {"成员可发送 /复盘 亮点|不足|建议 内容，然后 /复盘 报告 生成《协作复盘报告》。",
			"Members add lines with /retro highlight|gap|suggestion text; /retro report compiles the retrospective report."},
		rtCounts:                {"当前复盘内容：亮点 %d · 不足 %d · 建议 %d", "Retrospective so far: highlights %d · gaps %d · suggestions %d"},
		rtNoProject:             {"本群还没有项目：先用 /项目 目标 … 记录项目。", "This group has no project yet: start with /project goal …"},
		rtUnknown:               {"不认识的复盘类别“%s”：请用 亮点、不足 或 建议。", "Unknown retrospective kind “%s”: use highlight, gap or suggestion."},
		rtNeedText:              {"请在“%s”后面写上一句具体内容，例如：/复盘 %s 需求变更要提前同步各部门", "Write one line after “%s”, e.g. /retro %s requirement changes need earlier notice"},
		rtWordLine:              {"复盘内容", "retrospective line"},
		rtFull:                  {"复盘内容已有 %d 条，已满。请发送 /复盘 报告 汇总。", "The retrospective already has %d lines, the most it takes. Send /retro report."},
		rtAdded:                 {"📝 已记录%s：%s —— %s", "📝 Recorded %s: %s — %s"},
		rtEmpty:                 {"还没有复盘内容：先发送 /复盘 亮点 …、/复盘 不足 …、/复盘 建议 …", "Nothing to report yet: add lines with /retro highlight …, /retro gap …, /retro suggestion …"},
		rtNone:                  {"（暂无）", "(none)"},
		"rt_kind_highlight":     {"亮点", "highlight"},
		"rt_kind_gap":           {"不足", "gap"},
		"rt_kind_suggestion":    {"建议", "suggestion"},
		"rt_section_highlight":  {"一、成功经验", "What worked:"},
		"rt_section_gap":        {"二、不足之处", "What fell short:"},
		"rt_section_suggestion": {"三、优化建议", "Suggestions:"},
		rtReportTitle:           {"📘 《协作复盘报告》", "📘 Collaboration retrospective report"},
		rtReportFooter:          {"—— 由 %s 于 %s 汇总。请按优化建议更新协作规范。", "— compiled by %s on %s. Please update the team's working rules with the suggestions."},
		rtRemindTitle:           {"🗓 复盘提醒", "🗓 Retrospective reminder"},
		rtRemind: {"项目“%s”已于 %s 结项，按约定应在结项后 %d 个工作日内组织复盘会。\n%s 请组织复盘，输出《协作复盘报告》（成功经验 · 不足之处 · 优化建议）。",
			"The project “%s” was closed on %s; the retrospective is due within %d working days of the close.\n%s, please hold the retrospective and publish its report (what worked · what fell short · suggestions)."},
	})
}
