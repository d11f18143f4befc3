package board

import (
	"html/template"
	"strconv"
	"strings"
)

// The pages. html/template escapes every value by its context; nothing
// here is template.HTML, so a task titled <script>… shows as text.

const css = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2328;background:#f6f8fa}
header,main,footer{padding:.75rem 1rem;max-width:1600px;margin:0 auto}
h1{font-size:1.3rem;margin:.25rem 0}
h2{font-size:1.05rem;margin:1.25rem 0 .5rem}
a{color:#0969da}
.meta{color:#59636e;margin:.25rem 0;font-size:.9rem}
.stats{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0;padding:0;list-style:none}
.stats li{background:#fff;border:1px solid #d1d9e0;border-radius:999px;padding:.1rem .7rem;font-size:.9rem}
.stats .n-overdue{border-color:#cf222e;color:#a40e26}
.stats .n-risk{border-color:#bf8700;color:#7d4e00}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:end;background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:.6rem .75rem}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#59636e}
select,button{font:inherit;padding:.3rem .4rem;border:1px solid #d1d9e0;border-radius:6px;background:#fff;min-height:2.2rem}
button{background:#1f883d;color:#fff;border-color:#1a7f37;padding:.3rem 1rem;cursor:pointer}
.shown{color:#59636e;font-size:.9rem;margin:.5rem 0}
.pager{display:flex;gap:1.5rem;justify-content:center;margin:.75rem 0}
.wrap{overflow-x:auto;background:#fff;border:1px solid #d1d9e0;border-radius:8px}
table{border-collapse:collapse;width:100%}
th,td{padding:.45rem .55rem;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-size:.85rem;color:#59636e;white-space:nowrap;position:sticky;top:0}
td.req{min-width:14em;max-width:26em}
td.nowrap,td.owner,td.tier{white-space:nowrap}
td.topic,td.item{min-width:5.5em}
td.status{min-width:6.5em}
table.log td:last-child{width:55%}
tr.overdue td{background:#ffebe9}
tr.overdue td:first-child{box-shadow:inset 4px 0 #cf222e}
tr.risk td{background:#fff8c5}
tr.risk td:first-child{box-shadow:inset 4px 0 #bf8700}
tr.closed td{color:#59636e}
.flag{display:inline-block;font-size:.75rem;border-radius:4px;padding:0 .35rem;margin:.1rem .2rem 0 0;white-space:nowrap}
.f-overdue{background:#cf222e;color:#fff}
.f-risk{background:#bf8700;color:#fff}
.note{display:block;font-size:.8rem;color:#a40e26}
.tier-urgent{color:#cf222e;font-weight:600}
.tier-important{color:#9a6700;font-weight:600}
progress{width:4.5em;vertical-align:middle}
.empty{color:#59636e;padding:1rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:.75rem 1rem;margin:0}
dl.facts dt{color:#59636e}
dl.facts dd{margin:0;overflow-wrap:anywhere}
td{overflow-wrap:anywhere}
footer{color:#59636e;font-size:.8rem}
@media (max-width:760px){
 header,main,footer{padding:.5rem .6rem}
 .wrap{background:none;border:none}
 table.stack thead{display:none}
 table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:auto}
 table.stack tr{background:#fff;border:1px solid #d1d9e0;border-radius:8px;margin:0 0 .6rem;padding:.35rem .6rem}
 table.stack td{border:none;padding:.15rem 0;display:flex;gap:.6rem;max-width:none;min-width:0;background:none!important;box-shadow:none!important}
 table.stack td::before{content:attr(data-label);flex:0 0 5.5em;color:#59636e;font-size:.85rem}
 table.stack td:empty{display:none}
 table.stack tr.overdue{border-left:5px solid #cf222e;background:#ffebe9}
 table.stack tr.risk{border-left:5px solid #bf8700;background:#fff8c5}
 dl.facts{grid-template-columns:1fr}
 dl.facts dd{margin-bottom:.4rem}
}
`

const head = `{{define "head"}}<!doctype html>
<html lang="{{.L.HTMLLang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex, nofollow">
<title>{{.Title}} · {{.L.Board}}</title>
<style>` + css + `</style>{{end}}`

var boardTmpl = template.Must(template.New("board").Parse(head + `{{template "head" .}}
<style>{{.CellLabels}}</style></head>
<body>
<header>
<h1>{{.Title}} · {{.L.Board}}</h1>
<p class="meta">{{.L.Updated}} {{.Now}} · <a href="{{.OtherURL}}" hreflang="{{if eq .Lang "en"}}zh{{else}}en{{end}}">{{.OtherLang}}</a> · <a href="{{.Self}}/stats{{if eq .Lang "en"}}?lang=en{{end}}">{{if eq .Lang "en"}}Stats{{else}}统计{{end}}</a> · <a href="{{.Self}}/export.xlsx">{{if eq .Lang "en"}}Download (XLSX){{else}}下载表格{{end}}</a></p>
<ul class="stats"><li>{{.Active}} {{.L.ActiveN}}</li><li class="n-overdue">{{.Overdue}} {{.L.OverdueN}}</li><li class="n-risk">{{.AtRisk}} {{.L.AtRiskN}}</li><li>{{.Help}} {{.L.HelpN}}</li><li>{{.Review}} {{.L.ReviewN}}</li></ul>
</header>
<main>
<form class="filters" method="get" action="{{.Self}}">
{{- if .Q.Lang}}<input type="hidden" name="lang" value="{{.Q.Lang}}">{{end}}
<label>{{.L.Owner}}<select name="owner">{{range .Owners}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<label>{{.L.Status}}<select name="status">{{range .Statuses}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<label>{{.L.Tier}}<select name="tier">{{range .Tiers}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<label>{{.L.Sort}}<select name="sort">{{range .Sorts}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select></label>
<button type="submit">{{.L.Filter}}</button> <a href="{{.Clear}}">{{.L.Clear}}</a>
</form>
<p class="shown" id="shown">{{if .First}}{{printf .L.PageOf .First .Last .Shown .Total}}{{else}}{{printf .L.Shown .Shown .Total}}{{end}}</p>
{{- define "pager"}}{{if or .Prev .Next}}<p class="pager">{{if .Prev}}<a href="{{.Prev}}" rel="prev">{{.L.Prev}}</a>{{end}} {{if .Next}}<a href="{{.Next}}" rel="next">{{.L.Next}}</a>{{end}}</p>{{end}}{{end}}
{{if .Rows}}<div class="wrap"><table class="tasks stack" id="tasks">
<thead><tr><th>{{.L.ID}}</th><th>{{.L.Topic}}</th><th>{{.L.Item}}</th><th>{{.L.Request}}</th><th>{{.L.Owner}}</th><th>{{.L.Collaborators}}</th><th>{{.L.Initiator}}</th><th>{{.L.Tier}}</th><th>{{.L.Status}}</th><th>{{.L.Percent}}</th><th>{{.L.Due}}</th><th>{{.L.LastUpdate}}</th><th>{{.L.Help}}</th><th>{{.L.Risk}}</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr id="t{{.ID}}" class="{{.Class}}">
<td class="nowrap"><a href="{{.Link}}">#{{.ID}}</a>{{if .Overdue}} <span class="flag f-overdue">{{$.L.OverdueRow}}</span>{{else if .AtRisk}} <span class="flag f-risk">{{$.L.RiskRow}}</span>{{end}}</td>
<td class="topic">{{.Topic}}</td><td class="item">{{.Item}}</td><td class="req">{{.Request}}</td>
<td class="owner">{{.Owner}}</td><td>{{.Collaborators}}</td><td>{{.Initiator}}</td>
<td class="tier {{.TierClass}}">{{.Tier}}</td>
<td class="status">{{.Status}}{{range .Notes}}<span class="note">{{.}}</span>{{end}}</td>
<td class="nowrap"><progress max="100" value="{{.Percent}}"></progress> {{.Percent}}%</td>
<td class="nowrap">{{.Due}}</td><td class="nowrap">{{.LastUpdate}}</td><td>{{.Help}}</td><td>{{.Risk}}</td>
</tr>
{{- end}}
</tbody></table></div>
{{template "pager" .}}
{{else}}<p class="empty">{{.L.NoTasks}}</p>{{end}}
</main>
<footer>{{.L.ReadOnly}}</footer>
</body></html>
`))

var taskTmpl = template.Must(template.New("task").Funcs(template.FuncMap{"list": func(v ...any) []any { return v }}).Parse(head + `{{template "head" .}}</head>
<body>
<header>
<p class="meta"><a href="{{.Back}}">{{.L.Back}}</a> · {{.Title}} · {{.L.Updated}} {{.Now}} · <a href="{{.OtherURL}}">{{.OtherLang}}</a></p>
<h1 id="title">#{{.Row.ID}} {{.Row.Topic}}-{{.Row.Item}}{{if .Row.Overdue}} <span class="flag f-overdue">{{.L.OverdueRow}}</span>{{else if .Row.AtRisk}} <span class="flag f-risk">{{.L.RiskRow}}</span>{{end}}</h1>
</header>
<main>
<dl class="facts">
<dt>{{.L.Topic}}</dt><dd>{{.Row.Topic}}</dd>
<dt>{{.L.Item}}</dt><dd>{{.Row.Item}}</dd>
<dt>{{.L.Request}}</dt><dd>{{.Row.Request}}</dd>
<dt>{{.L.Owner}}</dt><dd>{{.Row.Owner}}</dd>
{{- if .Row.Collaborators}}<dt>{{.L.Collaborators}}</dt><dd>{{.Row.Collaborators}}</dd>{{end}}
<dt>{{.L.Initiator}}</dt><dd>{{.Row.Initiator}}</dd>
<dt>{{.L.Tier}}</dt><dd class="{{.Row.TierClass}}">{{.Row.Tier}}</dd>
<dt>{{.L.Status}}</dt><dd>{{.Row.Status}}{{range .Row.Notes}} <span class="note">{{.}}</span>{{end}}</dd>
<dt>{{.L.Percent}}</dt><dd><progress max="100" value="{{.Row.Percent}}"></progress> {{.Row.Percent}}%</dd>
<dt>{{.L.Due}}</dt><dd>{{.Row.Due}}{{if .Original}} ({{.L.OriginalDue}} {{.Original}}){{end}}</dd>
{{- if .Deadline}}<dt>{{.L.Deadline}}</dt><dd>{{.Deadline}}</dd>{{end}}
<dt>{{.L.Created}}</dt><dd>{{.Created}}</dd>
{{- if .Acked}}<dt>{{.L.Acked}}</dt><dd>{{.Acked}}</dd>{{end}}
<dt>{{.L.LastUpdate}}</dt><dd>{{.Row.LastUpdate}}</dd>
{{- if .Row.Help}}<dt>{{.L.Help}}</dt><dd>{{.Row.Help}}</dd>{{end}}
{{- if .Row.Risk}}<dt>{{.L.Risk}}</dt><dd>{{.Row.Risk}}</dd>{{end}}
</dl>
{{template "entries" (list .L .L.Updates .Updates)}}
{{template "entries" (list .L .L.HelpFlags .HelpFlags)}}
{{template "entries" (list .L .L.Risks .Risks)}}
{{template "entries" (list .L .L.Delays .Delays)}}
{{template "entries" (list .L .L.Reviews .Reviews)}}
{{template "entries" (list .L .L.History .History)}}
</main>
<footer>{{.L.ReadOnly}}</footer>
</body></html>
{{define "entries"}}{{$l := index . 0}}{{$title := index . 1}}{{$es := index . 2}}{{if $es}}
<h2>{{$title}}</h2>
<div class="wrap"><table class="stack log">
<thead><tr><th>{{$l.When}}</th><th>{{$l.Who}}</th><th>{{$l.What}}</th><th>{{$l.Detail}}</th></tr></thead>
<tbody>{{range $es}}
<tr><td data-label="{{$l.When}}" class="nowrap">{{.At}}</td><td data-label="{{$l.Who}}">{{.By}}</td><td data-label="{{$l.What}}">{{.What}}</td><td data-label="{{$l.Detail}}">{{.Text}}</td></tr>{{end}}
</tbody></table></div>{{end}}{{end}}
`))

var adminTmpl = template.Must(template.New("admin").Parse(head + `{{template "head" .}}</head>
<body>
<header><h1>{{.L.Groups}}</h1></header>
<main>
<div class="wrap"><table class="stack" id="groups">
<thead><tr><th>{{.L.Group}}</th><th>{{.L.Platform}}</th><th>{{.L.Chat}}</th><th>{{.L.ActiveN}}</th><th>{{.L.OverdueN}}</th><th>{{.L.Link}}</th><th>{{.L.Issued}}</th></tr></thead>
<tbody>{{range .Groups}}
<tr><td data-label="{{$.L.Group}}">{{.Name}}</td><td data-label="{{$.L.Platform}}">{{.Platform}}</td><td data-label="{{$.L.Chat}}">{{.ChatID}}</td><td data-label="{{$.L.ActiveN}}">{{.Active}}</td><td data-label="{{$.L.OverdueN}}">{{.Overdue}}</td>
<td data-label="{{$.L.Link}}">{{if .Link}}<a href="{{.Link}}">{{.Link}}</a>{{else}}{{$.L.NoLink}}{{end}}</td><td data-label="{{$.L.Issued}}">{{.Issued}}</td></tr>{{end}}
</tbody></table></div>
</main>
</body></html>
`))

// cellLabels labels the stacked cells of the task table on a phone, one
// CSS rule per column rather than an attribute per cell (5,000 rows are
// 70,000 cells). The labels are the board's own words, never user text.
func cellLabels(l labels) template.CSS {
	var sb strings.Builder
	sb.WriteString("@media (max-width:760px){")
	for i, name := range []string{l.ID, l.Topic, l.Item, l.Request, l.Owner, l.Collaborators, l.Initiator,
		l.Tier, l.Status, l.Percent, l.Due, l.LastUpdate, l.Help, l.Risk} {
		sb.WriteString("table.tasks td:nth-child(" + strconv.Itoa(i+1) + ")::before{content:" + cssString(name) + "}")
	}
	sb.WriteString("}")
	return template.CSS(sb.String())
}

// cssString quotes s as a CSS string.
func cssString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' || r == '<' || r == '>' || r < 0x20 {
			sb.WriteString("\\" + strconv.FormatInt(int64(r), 16) + " ")
			continue
		}
		sb.WriteRune(r)
	}
	sb.WriteByte('"')
	return sb.String()
}
