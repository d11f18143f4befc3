package board

import (
	"errors"
	"html/template"
	"net/http"

	"collabbot/bot"
	"collabbot/store"
)

// The stats page: /stats's figures for a period, per person and for the
// group, with a bar per person (on time, late, still open) drawn as inline
// SVG, where a picture reads better than the numbers. ?period= takes what
// /stats takes (本月, 上月, 30天, last week…).

type statsText struct {
	Heading, Person, Owned, OnTime, Late, LateDays, Ack, Rate, Help, Open, Back, Unknown, Periods string
}

var statsTexts = map[string]statsText{
	"zh": {"统计", "负责人", "负责", "按时完成", "逾期", "平均逾期（工作日）", "平均确认用时", "提醒日更新率", "未解决协助", "进行中",
		"← 返回看板", "不认识这个时间段", "本月 · 上月 · 本周 · 上周 · 30天"},
	"en": {"Stats", "Owner", "Owned", "On time", "Late", "Avg. late (working days)", "Avg. acknowledgement", "Update rate on nudge days",
		"Open help", "Still open", "← Back to the board", "Unknown period", "this month · last month · this week · last week · 30 days"},
}

type statsBar struct {
	Name                string
	Y                   int
	OnTimeW, LateW      int
	OpenW, LateX, OpenX int
	Owned               int
}

type statsPage struct {
	L       labels
	S       statsText
	Lang    string
	Title   string
	Back    string
	Report  bot.StatsReport
	From    string
	To      string
	Bars    []statsBar
	Height  int
	Unknown bool
	Periods []periodLink
}

type periodLink struct{ Label, URL string }

// barWidth is the chart's width for the largest count, in SVG units.
const barWidth = 360

func (h *Handler) serveStats(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	gd, _, err := h.loadGroup(token, 0)
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w)
		return
	}
	if err != nil {
		h.fail(w, "stats", err)
		return
	}
	q := parseQuery(r.URL.Query())
	lang := h.lang(gd, q)
	set := gd.set
	set.Lang = lang
	now := h.bot.Now()
	l := labelsFor(lang)
	page := statsPage{L: l, S: statsTexts[lang], Lang: lang, Title: groupTitle(l, gd.group), Back: "/b/" + token}
	for _, p := range []string{"本月", "上月", "本周", "30天"} {
		page.Periods = append(page.Periods, periodLink{p, "/b/" + token + "/stats?period=" + template.URLQueryEscaper(p)})
	}
	rep, ok := h.bot.Stats(set, gd.tasks, r.URL.Query().Get("period"), now)
	if !ok {
		page.Unknown = true
	} else {
		page.Report = rep
		page.From = fmtTime(lang, rep.From, set.Location, now)
		page.To = fmtTime(lang, rep.To, set.Location, now)
		most := 1
		for _, p := range rep.People {
			most = max(most, p.Owned)
		}
		for i, p := range rep.People {
			if i == 30 {
				break
			}
			b := statsBar{Name: p.Name, Y: i * 28, Owned: p.Owned,
				OnTimeW: p.OnTime * barWidth / most, LateW: p.Late * barWidth / most, OpenW: p.Open * barWidth / most}
			b.LateX = 120 + b.OnTimeW
			b.OpenX = b.LateX + b.LateW
			page.Bars = append(page.Bars, b)
		}
		page.Height = len(page.Bars)*28 + 8
	}
	securityHeaders(w)
	if err := statsTmpl.Execute(w, page); err != nil {
		h.log.Warn("board: writing the page failed", "err", err)
	}
}

var statsTmpl = template.Must(template.New("stats").Parse(head + `{{template "head" .}}</head>
<body>
<header>
<p class="meta"><a href="{{.Back}}">{{.S.Back}}</a> · {{.Title}}</p>
<h1>{{.S.Heading}}{{if not .Unknown}} · {{.Report.Label}}{{end}}</h1>
<p class="meta">{{range $i, $p := .Periods}}{{if $i}} · {{end}}<a href="{{$p.URL}}">{{$p.Label}}</a>{{end}}</p>
</header>
<main>
{{if .Unknown}}<p class="empty">{{.S.Unknown}}: {{.S.Periods}}</p>{{else}}
<p class="meta">{{.From}} — {{.To}}</p>
{{if .Bars}}<svg id="chart" role="img" width="100%" style="max-width:560px" viewBox="0 0 500 {{.Height}}" xmlns="http://www.w3.org/2000/svg">
{{- range .Bars}}
<text x="0" y="{{.Y}}" dy="18" font-size="13">{{.Name}}</text>
<rect x="120" y="{{.Y}}" width="{{.OnTimeW}}" height="20" fill="#1a7f37"><title>{{$.S.OnTime}}</title></rect>
<rect x="{{.LateX}}" y="{{.Y}}" width="{{.LateW}}" height="20" fill="#cf222e"><title>{{$.S.Late}}</title></rect>
<rect x="{{.OpenX}}" y="{{.Y}}" width="{{.OpenW}}" height="20" fill="#8c959f"><title>{{$.S.Open}}</title></rect>
<text x="{{.OpenX}}" dx="{{.OpenW}}" y="{{.Y}}" dy="15" font-size="12"> {{.Owned}}</text>
{{- end}}
</svg>
<p class="meta"><span style="color:#1a7f37">■</span> {{.S.OnTime}} <span style="color:#cf222e">■</span> {{.S.Late}} <span style="color:#8c959f">■</span> {{.S.Open}}</p>{{end}}
<div class="wrap"><table class="tasks" id="stats">
<thead><tr><th>{{.S.Person}}</th><th>{{.S.Owned}}</th><th>{{.S.OnTime}}</th><th>{{.S.Late}}</th><th>{{.S.LateDays}}</th><th>{{.S.Ack}}</th><th>{{.S.Rate}}</th><th>{{.S.Help}}</th></tr></thead>
<tbody>
<tr class="group"><td><b>{{.Report.Group.Name}}</b></td><td>{{.Report.Group.Owned}}</td><td>{{.Report.Group.OnTime}}</td><td>{{.Report.Group.Late}}</td><td>{{printf "%.1f" .Report.Group.LateDays}}</td><td>{{.Report.Group.AckText}}</td><td>{{.Report.Group.RateText}}</td><td>{{.Report.Group.Help}}</td></tr>
{{- range .Report.People}}
<tr><td>{{.Name}}</td><td>{{.Owned}}</td><td>{{.OnTime}}</td><td>{{.Late}}</td><td>{{printf "%.1f" .LateDays}}</td><td>{{.AckText}}</td><td>{{.RateText}}</td><td>{{.Help}}</td></tr>
{{- end}}
</tbody></table></div>{{end}}
</main>
<footer>{{.L.ReadOnly}}</footer>
</body></html>
`))
