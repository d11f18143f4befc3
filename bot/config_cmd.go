package bot

import (
	"strconv"
	"strings"
	"time"

	"collabbot/bot/chat"
	"collabbot/store"
)

// configKeys maps every accepted key spelling to the canonical one.
var configKeys = map[string]string{
	"lang": "lang", "语言": "lang",
	"lead": "lead", "组长": "lead", "负责人": "lead",
	"admin": "admin", "管理员": "admin",
	"nudge": "nudge", "提醒": "nudge", "每日提醒": "nudge",
	"weekly": "weekly", "周报": "weekly",
	"workday": "workday", "工作时间": "workday",
	"acceptance": "acceptance", "验收": "acceptance",
	"ack": "ack", "确认时限": "ack",
	"urgent": "urgent", "紧急": "urgent",
	"important": "important", "重要": "important",
	"help": "help", "协助": "help",
	"warn": "warn", "预警": "warn",
	"timezone": "timezone", "时区": "timezone",
	"ladder": "ladder", "升级间隔": "ladder",
	"scope": "scope", "提醒范围": "scope",
	"filenames": "filenames", "文件命名": "filenames",
	"nudges": "nudges", "催办方式": "nudges", "提醒方式": "nudges",
}

func (b *Bot) cmdConfig(r *request, args string) ([]chat.Reply, error) {
	f := strings.Fields(args)
	if len(f) == 0 {
		return []chat.Reply{r.reply(b.showConfig(r))}, nil
	}
	if !r.admin {
		return []chat.Reply{r.reply(tr(r.lang, msgConfigAdminsOnly))}, nil
	}
	key, ok := configKeys[strings.ToLower(f[0])]
	if !ok {
		return []chat.Reply{r.reply(tr(r.lang, msgConfigUnknownKey, chat.Escape(f[0])) + "\n" + tr(r.lang, msgConfigUsage))}, nil
	}
	val := strings.TrimSpace(strings.Join(f[1:], " "))
	s := &r.group.Settings
	bad := func(example string) ([]chat.Reply, error) {
		return []chat.Reply{r.reply(tr(r.lang, msgConfigBadValue, key, chat.Escape(val), example))}, nil
	}
	switch key {
	case "lang":
		switch strings.ToLower(val) {
		case "zh", "cn", "中文":
			s.Lang = "zh"
		case "en", "english", "英文":
			s.Lang = "en"
		default:
			return bad("/lang en")
		}
		r.lang = s.Lang
	case "lead":
		switch {
		case len(r.msg.Mentions) > 0:
			u := toStore(r.msg.Mentions[0])
			s.Lead = &u
		case val == "off" || val == "无":
			s.Lead = nil
		default:
			return bad("/config lead @王五")
		}
	case "admin":
		if len(f) < 2 || len(r.msg.Mentions) == 0 {
			return bad("/config admin add @王五")
		}
		switch f[1] {
		case "add", "添加":
			for _, m := range r.msg.Mentions {
				if !containsUser(s.Admins, m.ID) {
					s.Admins = append(s.Admins, toStore(m))
				}
			}
		case "remove", "删除":
			var keep []store.User
			for _, a := range s.Admins {
				gone := false
				for _, m := range r.msg.Mentions {
					gone = gone || m.ID == a.ID
				}
				if !gone {
					keep = append(keep, a)
				}
			}
			s.Admins = keep
		default:
			return bad("/config admin add @王五")
		}
	case "nudge":
		switch strings.ToLower(val) {
		case "off", "关闭":
			s.NudgeEnabled = ptr(false)
		case "on", "开启":
			s.NudgeEnabled = ptr(true)
		default:
			c, err := ParseClock(val)
			if err != nil {
				return bad("/config nudge 17:30")
			}
			s.DailyNudge, s.NudgeEnabled = FormatClock(c), ptr(true)
		}
	case "weekly":
		wd, c, err := ParseWeekly(val)
		if err != nil {
			return bad("/config weekly Mon 10:00")
		}
		s.WeeklySummary = FormatWeekly(wd, c)
	case "workday":
		from, to, ok := strings.Cut(strings.ReplaceAll(toHalfWidth(val), "～", "-"), "-")
		cf, err1 := ParseClock(from)
		ct, err2 := ParseClock(to)
		if !ok || err1 != nil || err2 != nil || ct.Hour*60+ct.Minute <= cf.Hour*60+cf.Minute {
			return bad("/config workday 09:00-18:00")
		}
		s.WorkdayStart, s.WorkdayEnd = FormatClock(cf), FormatClock(ct)
	case "acceptance":
		switch strings.ToLower(val) {
		case "on", "开启", "true":
			s.RequireAcceptance = ptr(true)
		case "off", "关闭", "false":
			s.RequireAcceptance = ptr(false)
		default:
			return bad("/config acceptance off")
		}
	case "ack", "urgent", "important", "help":
		d, err := parseDuration(val)
		if err != nil || d <= 0 {
			return bad("/config " + key + " 24h")
		}
		switch key {
		case "ack":
			s.AckWindow = &d
		case "urgent":
			s.UrgentAck = &d
		case "important":
			s.ImportantAck = &d
		case "help":
			s.HelpReping = &d
		}
	case "warn":
		n, err := strconv.Atoi(toHalfWidth(val))
		if err != nil || n < 0 || n > 30 {
			return bad("/config warn 2")
		}
		s.WarnWorkdays = &n
	case "ladder":
		d, err := parseDuration(val)
		if err != nil || d < time.Hour || d > 7*24*time.Hour {
			return bad("/config ladder 24h")
		}
		s.LadderStep = &d
	case "filenames":
		switch strings.ToLower(val) {
		case "on", "开启":
			s.FileNameHints = ptr(true)
		case "off", "关闭":
			s.FileNameHints = ptr(false)
		default:
			return bad("/config filenames off")
		}
	case "nudges":
		// Some teams want nudges in public, some in private; the group
		// decides, and the rules (who, when) stay the same.
		switch strings.ToLower(val) {
		case "dm", "private", "私信", "私聊":
			s.NudgeDM = ptr(true)
		case "group", "public", "群", "群内":
			s.NudgeDM = ptr(false)
		default:
			return bad("/config nudges dm")
		}
	case "scope":
		switch strings.ToLower(val) {
		case "all", "全部":
			s.NudgeScope = ptr(0)
		default:
			n, err := strconv.Atoi(toHalfWidth(strings.TrimSuffix(strings.TrimSuffix(val, "个工作日"), "d")))
			if err != nil || n < 1 || n > 30 {
				return bad("/config scope 3")
			}
			s.NudgeScope = &n
		}
	case "timezone":
		if _, err := time.LoadLocation(val); err != nil || val == "" {
			return bad("/config timezone Asia/Shanghai")
		}
		s.Timezone = val
	}
	if err := r.tx.PutGroup(r.group); err != nil {
		return nil, err
	}
	r.set = b.effective(r.group)
	return []chat.Reply{r.reply(tr(r.lang, msgConfigSaved) + "\n" + b.showConfig(r))}, nil
}

func ptr[T any](v T) *T { return &v }

// parseDuration accepts Go durations (24h, 15m) and 24小时, 15分钟, 2天.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(toHalfWidth(s))
	for suffix, unit := range map[string]time.Duration{"天": 24 * time.Hour, "d": 24 * time.Hour, "小时": time.Hour, "分钟": time.Minute} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				return 0, err
			}
			return time.Duration(v) * unit, nil
		}
	}
	return time.ParseDuration(s)
}

func (b *Bot) showConfig(r *request) string {
	e := r.set
	lead := tr(r.lang, wordNotSet)
	if e.Lead != nil {
		lead = chat.Escape(e.Lead.Name)
	}
	var admins []string
	for _, a := range r.group.Settings.Admins {
		admins = append(admins, chat.Escape(a.Name))
	}
	adm := tr(r.lang, wordPlatformAdmins)
	if len(admins) > 0 {
		adm += " + " + strings.Join(admins, "、")
	}
	nudge := FormatClock(e.DailyNudge)
	if !e.NudgeEnabled {
		nudge = tr(r.lang, wordOff)
	}
	onoff := func(v bool) string {
		if v {
			return tr(r.lang, wordOn)
		}
		return tr(r.lang, wordOff)
	}
	scope := tr(r.lang, wordScopeAll)
	if e.NudgeScope > 0 {
		scope = tr(r.lang, wordScopeDays, e.NudgeScope)
	}
	return tr(r.lang, msgConfigShow, e.Lang, lead, adm, nudge, FormatWeekly(e.WeeklyDay, e.WeeklyAt),
		FormatClock(e.WorkdayStart), FormatClock(e.WorkdayEnd), onoff(e.RequireAcceptance),
		humanDuration(r.lang, e.AckWindow), humanDuration(r.lang, e.UrgentAck), humanDuration(r.lang, e.ImportantAck),
		humanDuration(r.lang, e.HelpReping), e.WarnWorkdays, humanDuration(r.lang, e.LadderStep), scope, e.Location.String()) + nudgeRoute(r.lang, e) + "\n" + tr(r.lang, msgConfigUsage)
}
