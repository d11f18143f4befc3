// Package board serves the read-only web board: each group's tasks as a
// table anyone with the group's link can open (no login), a page per task
// with its full history, and an index of all groups for the admin.
//
// Pages are rendered on the server with html/template (which escapes
// everything users typed) and a little inline CSS: no script, no external
// resource, so it works on an intranet and on a phone. The store is only
// read.
package board

import (
	"bufio"
	"cmp"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"collabbot/bot"
	"collabbot/rules"
	"collabbot/store"
)

// Handler serves the board pages.
type Handler struct {
	bot  *bot.Bot
	log  *slog.Logger
	base string
}

// Options tune New.
type Options struct {
	// BaseURL is where the board is reached from outside (http.public_url);
	// the admin index links to <BaseURL>/b/<token>. Empty: relative links.
	BaseURL string
	Log     *slog.Logger
}

// New makes a board over the bot's store, calendar, settings and clock.
func New(b *bot.Bot, o Options) *Handler {
	h := &Handler{bot: b, log: o.Log, base: strings.TrimRight(o.BaseURL, "/")}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Register adds the public routes to mux:
//
//	GET /b/{token}          the group's task table
//	GET /b/{token}/t/{id}   one task with its full history
//
// An unknown or revoked token is a plain 404, the same as any unknown path.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /b/{token}", h.serveBoard)
	mux.HandleFunc("GET /b/{token}/t/{id}", h.serveTask)
	mux.HandleFunc("GET /b/{token}/stats", h.serveStats)
	mux.HandleFunc("GET /b/{token}/export.xlsx", func(w http.ResponseWriter, r *http.Request) { h.serveExport(w, r, "xlsx") })
	mux.HandleFunc("GET /b/{token}/export.csv", func(w http.ResponseWriter, r *http.Request) { h.serveExport(w, r, "csv") })
}

// RegisterAdmin adds GET /admin/board (every group with its link) to mux,
// which the caller guards with the admin token.
func (h *Handler) RegisterAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/board", h.serveAdmin)
}

// ServeHTTP serves the public routes; handy for tests and for mounting
// under a prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mux := http.NewServeMux()
	h.Register(mux)
	h.RegisterAdmin(mux)
	mux.ServeHTTP(w, r)
}

// maxQuery bounds a filter value: anything longer matches nothing anyway.
const maxQuery = 200

// query is what the reader chose in the filter form.
type query struct {
	Owner, Status, Tier, Sort, Lang string
	Page                            int // 1-based; pageSize rows a page
}

// pageSize bounds a page: a phone stays usable and a page of a group with
// thousands of tasks renders in tens of milliseconds.
const pageSize = 500

// maxPage bounds page=: no group has half a billion tasks.
const maxPage = 1_000_000

func parseQuery(v url.Values) query {
	get := func(k string) string {
		s := strings.TrimSpace(v.Get(k))
		if len(s) > maxQuery {
			s = s[:maxQuery]
		}
		return s
	}
	q := query{Owner: get("owner"), Status: get("status"), Tier: get("tier"), Sort: get("sort"), Lang: get("lang")}
	if !slices.Contains(statusFilters, q.Status) {
		q.Status = "active"
	}
	if !slices.Contains([]string{"", "urgent", "important", "routine"}, q.Tier) {
		q.Tier = ""
	}
	if !slices.Contains(sortKeys, q.Sort) {
		q.Sort = "due"
	}
	if q.Lang != "en" && q.Lang != "zh" {
		q.Lang = ""
	}
	q.Page = 1
	if n, err := strconv.Atoi(get("page")); err == nil && n > 1 && n <= maxPage {
		q.Page = n
	}
	return q
}

// statusFilters are the status= values; "active" (open or awaiting
// review) is the default, as in /list.
var statusFilters = []string{"active", "open", "review", "overdue", "risk", "closed", "all"}

var sortKeys = []string{"due", "id", "owner", "status"}

// encode is the query string for q with one field changed (for links).
func (q query) encode() string {
	v := url.Values{}
	for k, s := range map[string]string{"owner": q.Owner, "tier": q.Tier, "lang": q.Lang} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Status != "active" {
		v.Set("status", q.Status)
	}
	if q.Sort != "due" {
		v.Set("sort", q.Sort)
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (h *Handler) notFound(w http.ResponseWriter) {
	http.NotFound(w, nil)
}

func (h *Handler) fail(w http.ResponseWriter, where string, err error) {
	// Never the token or the path: the token is the link's secret.
	h.log.Error("board: reading the store failed", "page", where, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// securityHeaders: no script may run, nothing is framed or cached, and no
// Referer carries the token anywhere.
func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Robots-Tag", "noindex, nofollow")
}

// groupData is one group as the pages need it, read in one transaction.
type groupData struct {
	group *store.Group
	set   bot.Effective
	tasks []*store.Task
}

func (h *Handler) loadGroup(token string, id int64) (*groupData, []store.HistoryEntry, error) {
	var gd groupData
	var hist []store.HistoryEntry
	err := h.bot.Store().View(func(tx *store.Tx) error {
		k, err := tx.BoardGroup(token)
		if err != nil {
			return err
		}
		if gd.group, err = tx.Group(k); err != nil {
			return err
		}
		if id > 0 {
			t, err := tx.Task(k, id)
			if err != nil {
				return err
			}
			gd.tasks = []*store.Task{t}
			hist, err = tx.History(k, id)
			return err
		}
		return tx.Tasks(k, func(t *store.Task) error {
			gd.tasks = append(gd.tasks, t)
			return nil
		})
	})
	if err != nil {
		return nil, nil, err
	}
	gd.set = h.bot.Effective(gd.group)
	return &gd, hist, nil
}

func (h *Handler) serveBoard(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	gd, _, err := h.loadGroup(token, 0)
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w)
		return
	}
	if err != nil {
		h.fail(w, "board", err)
		return
	}
	q := parseQuery(r.URL.Query())
	page := h.boardPage(gd, q, token, h.bot.Now())
	securityHeaders(w)
	// A big board is thousands of small writes: buffer them.
	bw := bufio.NewWriterSize(w, 64<<10)
	err = boardTmpl.Execute(bw, page)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		h.log.Warn("board: writing the page failed", "err", err)
	}
}

func (h *Handler) serveTask(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		h.notFound(w)
		return
	}
	gd, hist, err := h.loadGroup(token, id)
	if errors.Is(err, store.ErrNotFound) {
		h.notFound(w)
		return
	}
	if err != nil {
		h.fail(w, "task", err)
		return
	}
	q := parseQuery(r.URL.Query())
	page := h.taskPage(gd, hist, q, token, h.bot.Now())
	securityHeaders(w)
	if err := taskTmpl.Execute(w, page); err != nil {
		h.log.Warn("board: writing the page failed", "err", err)
	}
}

func (h *Handler) serveAdmin(w http.ResponseWriter, r *http.Request) {
	now := h.bot.Now()
	lang := h.bot.Defaults().Lang
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		lang = l
	}
	page := adminPage{L: labelsFor(lang), Lang: lang, Title: labelsFor(lang).Groups}
	err := h.bot.Store().View(func(tx *store.Tx) error {
		return tx.Groups(func(g *store.Group) error {
			row := adminRow{Name: g.Name, Platform: g.Key.Platform, ChatID: g.Key.ChatID}
			if l, err := tx.BoardLink(g.Key); err == nil {
				row.Link = h.base + "/b/" + l.Token
				if h.base == "" {
					row.Link = "../b/" + l.Token
				}
				row.Issued = fmtTime(lang, l.IssuedAt, h.bot.Effective(g).Location, now)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			err := tx.Tasks(g.Key, func(t *store.Task) error {
				if !t.Status.Closed() {
					row.Active++
				}
				if t.Overdue(now) {
					row.Overdue++
				}
				return nil
			})
			page.Groups = append(page.Groups, row)
			return err
		})
	})
	if err != nil {
		h.fail(w, "admin", err)
		return
	}
	securityHeaders(w)
	if err := adminTmpl.Execute(w, page); err != nil {
		h.log.Warn("board: writing the page failed", "err", err)
	}
}

// --- what the pages show ---

// row is one task in the table, every field already a display string.
type row struct {
	ID                              int64
	Link                            string
	Topic, Item, Request            string
	Owner, Collaborators, Initiator string
	Tier, TierClass                 string
	Status, StatusClass             string
	Percent                         int
	Due, LastUpdate                 string
	Help                            string
	Risk                            string
	Notes                           []string // overdue by, not acknowledged, delay pending, review late
	Overdue, AtRisk, Closed         bool
	Class                           string // overdue, risk or closed: how the row is marked
	sortDue                         time.Time
	sortOwner                       string
	sortStatus                      int
}

type option struct {
	Value, Label string
	Selected     bool
}

type boardPageData struct {
	L                   labels
	Lang                string
	Title               string
	Now                 string
	CellLabels          template.CSS
	Rows                []row
	Total, Shown        int
	First, Last         int    // the rows of this page, 1-based, when the matches need more than one page
	Prev, Next          string // links to the neighbouring pages, "" at the ends
	Active, Overdue     int
	AtRisk, Help        int
	Review              int
	Owners              []option
	Statuses            []option
	Tiers               []option
	Sorts               []option
	Q                   query
	Self                string // this page's link without a query
	OtherLang, OtherURL string
	Clear               string
}

type taskPageData struct {
	L         labels
	Lang      string
	Title     string
	Now       string
	Back      string
	Row       row
	Created   string
	Acked     string
	Original  string
	Deadline  string
	Updates   []entry
	HelpFlags []entry
	Risks     []entry
	Delays    []entry
	Reviews   []entry
	History   []entry
	OtherLang string
	OtherURL  string
}

type entry struct {
	At, By, What, Text string
}

type adminRow struct {
	Name, Platform, ChatID string
	Link, Issued           string
	Active, Overdue        int
}

type adminPage struct {
	L      labels
	Lang   string
	Title  string
	Groups []adminRow
}

func (h *Handler) lang(gd *groupData, q query) string {
	if q.Lang != "" {
		return q.Lang
	}
	if gd.set.Lang == "en" {
		return "en"
	}
	return "zh"
}

func groupTitle(l labels, g *store.Group) string {
	if g.Name != "" {
		return g.Name
	}
	return l.ThisGroup
}

func (h *Handler) boardPage(gd *groupData, q query, token string, now time.Time) boardPageData {
	lang := h.lang(gd, q)
	l := labelsFor(lang)
	p := boardPageData{L: l, Lang: lang, Q: q, Title: groupTitle(l, gd.group), Total: len(gd.tasks),
		Now: fmtTime(lang, now, gd.set.Location, now), Self: token, CellLabels: cellLabels(l)}
	owners := map[string]string{}
	rows := make([]row, 0, len(gd.tasks))
	for _, t := range gd.tasks {
		owners[t.Owner.ID] = t.Owner.Name
		rw := makeRow(lang, l, h.bot, gd.set, t, now)
		if !rw.Closed {
			p.Active++
		}
		if rw.Overdue {
			p.Overdue++
		}
		if rw.AtRisk {
			p.AtRisk++
		}
		if rw.Help != "" {
			p.Help++
		}
		if t.Status == store.StatusDone {
			p.Review++
		}
		if !q.match(t, rw) {
			continue
		}
		rw.Link = token + "/t/" + strconv.FormatInt(t.ID, 10) + langQuery(q.Lang)
		rows = append(rows, rw)
	}
	sortRows(rows, q.Sort)
	p.Shown = len(rows)
	if len(rows) > pageSize {
		pages := (len(rows) + pageSize - 1) / pageSize
		q.Page = min(q.Page, pages)
		p.First, p.Last = (q.Page-1)*pageSize+1, min(q.Page*pageSize, len(rows))
		rows = rows[p.First-1 : p.Last]
		if q.Page > 1 {
			pq := q
			pq.Page--
			p.Prev = token + pq.encode()
		}
		if q.Page < pages {
			nq := q
			nq.Page++
			p.Next = token + nq.encode()
		}
	}
	p.Rows = rows

	ids := make([]string, 0, len(owners))
	for id := range owners {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(owners[a], owners[b]), cmp.Compare(a, b)) })
	p.Owners = []option{{Value: "", Label: l.Everyone, Selected: q.Owner == ""}}
	for _, id := range ids {
		p.Owners = append(p.Owners, option{Value: id, Label: owners[id], Selected: q.Owner == id})
	}
	for _, s := range statusFilters {
		p.Statuses = append(p.Statuses, option{Value: s, Label: l.StatusFilter[s], Selected: q.Status == s})
	}
	for _, s := range []string{"", "urgent", "important", "routine"} {
		p.Tiers = append(p.Tiers, option{Value: s, Label: l.TierFilter[s], Selected: q.Tier == s})
	}
	for _, s := range sortKeys {
		p.Sorts = append(p.Sorts, option{Value: s, Label: l.SortBy[s], Selected: q.Sort == s})
	}
	other := "en"
	if lang == "en" {
		other = "zh"
	}
	oq := q
	oq.Lang = other
	p.OtherLang, p.OtherURL = l.Other, token+oq.encode()
	p.Clear = token + langQuery(q.Lang)
	return p
}

func langQuery(lang string) string {
	if lang == "" {
		return ""
	}
	return "?lang=" + lang
}

func (q query) match(t *store.Task, rw row) bool {
	if q.Owner != "" && t.Owner.ID != q.Owner {
		return false
	}
	if q.Tier != "" && cmp.Or(t.Urgency, "routine") != q.Tier {
		return false
	}
	switch q.Status {
	case "active":
		return !t.Status.Closed()
	case "open":
		return t.Status == store.StatusOpen
	case "review":
		return t.Status == store.StatusDone
	case "overdue":
		return rw.Overdue
	case "risk":
		return rw.AtRisk || rw.Overdue
	case "closed":
		return t.Status.Closed()
	}
	return true
}

var statusOrder = map[store.Status]int{store.StatusOpen: 1, store.StatusDone: 2, store.StatusAccepted: 3, store.StatusCancelled: 4}

func sortRows(rows []row, by string) {
	slices.SortStableFunc(rows, func(a, b row) int {
		switch by {
		case "id":
			return cmp.Compare(a.ID, b.ID)
		case "owner":
			if c := cmp.Compare(a.sortOwner, b.sortOwner); c != 0 {
				return c
			}
		case "status":
			// Overdue first, then at risk, then by status.
			if c := cmp.Compare(a.sortStatus, b.sortStatus); c != 0 {
				return c
			}
		}
		return cmp.Or(a.sortDue.Compare(b.sortDue), cmp.Compare(a.ID, b.ID))
	})
}

func userNames(us []store.User) string {
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Name
	}
	return strings.Join(names, ", ")
}

// makeRow describes t as /list does: overdue is counted in working time
// (weekends and holidays are nobody's fault), and a task is at risk when
// it is not overdue but someone raised a risk with no update since, asked
// for help, asked for a delay, waits for a review or approval past its
// window, or is due within the group's warning window (warn_workdays).
func makeRow(lang string, l labels, b *bot.Bot, set bot.Effective, t *store.Task, now time.Time) row {
	cal := b.Calendar()
	rw := row{ID: t.ID, Topic: t.Topic, Item: t.Item, Request: t.Request,
		Owner: t.Owner.Name, Collaborators: userNames(t.Collaborators), Initiator: t.Initiator.Name,
		Percent: t.Percent, Closed: t.Status.Closed(),
		Due:     fmtTime(lang, t.Due, set.Location, now),
		sortDue: t.Due, sortOwner: t.Owner.Name}
	tier := cmp.Or(t.Urgency, "routine")
	rw.Tier, rw.TierClass = l.TierFilter[tier], "tier-"+tier
	rw.Status, rw.StatusClass = l.StatusWord[t.Status], "st-"+string(t.Status)
	last := t.LastUpdateAt
	if last.IsZero() {
		last = t.CreatedAt
	}
	rw.LastUpdate = fmtTime(lang, last, set.Location, now)
	if open := t.OpenHelp(); len(open) > 0 && !rw.Closed {
		rw.Help = cmp.Or(open[len(open)-1].Text, l.NeedsHelp)
	}
	if rw.Overdue = t.Overdue(now); rw.Overdue {
		rw.Notes = append(rw.Notes, l.OverdueBy+" "+overdueFor(lang, rules.WorkingDuration(cal, set.Location, t.Due, now)))
	}
	if t.Status == store.StatusOpen && t.AckedAt.IsZero() {
		rw.Notes = append(rw.Notes, l.NotAcked)
	}
	risky := false
	if n := len(t.Risks); n > 0 && !rw.Closed && !t.Risks[n-1].At.Before(t.LastUpdateAt) {
		rw.Risk, risky = t.Risks[n-1].Text, true
	}
	if rw.Help != "" {
		risky = true
	}
	wait := b.Waits(set, t, now)
	if t.PendingDelay() >= 0 && t.Status == store.StatusOpen {
		risky = true
		note := l.DelayPending
		if wait.ApprovalLate {
			note = l.ApprovalLate + " " + overdueFor(lang, wait.Approval)
		}
		rw.Notes = append(rw.Notes, note)
	}
	if wait.ReviewLate {
		risky = true
		rw.Notes = append(rw.Notes, l.ReviewLate+" "+overdueFor(lang, wait.Review))
	}
	if t.Status == store.StatusOpen && !rw.Overdue && set.WarnWorkdays > 0 &&
		t.Due.Sub(now) <= time.Duration(2*set.WarnWorkdays+14)*24*time.Hour {
		warnAt := set.WorkdayStart.On(rules.AddWorkdays(cal, t.Due.In(set.Location), -set.WarnWorkdays))
		if !now.Before(warnAt) {
			risky = true
			rw.Notes = append(rw.Notes, l.DueSoon)
		}
	}
	rw.AtRisk = risky && !rw.Overdue && !rw.Closed
	switch {
	case rw.Overdue:
		rw.Class = "overdue"
	case rw.AtRisk:
		rw.Class = "risk"
	case rw.Closed:
		rw.Class = "closed"
	}
	switch {
	case rw.Overdue:
		rw.sortStatus = 0
	case rw.AtRisk:
		rw.sortStatus = 1
	default:
		rw.sortStatus = 1 + statusOrder[t.Status]
	}
	return rw
}

func (h *Handler) taskPage(gd *groupData, hist []store.HistoryEntry, q query, token string, now time.Time) taskPageData {
	lang := h.lang(gd, q)
	l := labelsFor(lang)
	t := gd.tasks[0]
	loc := gd.set.Location
	ft := func(at time.Time) string {
		if at.IsZero() {
			return ""
		}
		return fmtTime(lang, at, loc, now)
	}
	p := taskPageData{L: l, Lang: lang, Title: groupTitle(l, gd.group), Now: ft(now),
		Back:    "../../" + token + langQuery(q.Lang),
		Row:     makeRow(lang, l, h.bot, gd.set, t, now),
		Created: ft(t.CreatedAt), Acked: ft(t.AckedAt), Deadline: t.Deadline}
	if !t.OriginalDue.IsZero() && !t.OriginalDue.Equal(t.Due) {
		p.Original = ft(t.OriginalDue)
	}
	for _, u := range t.Updates {
		e := entry{At: ft(u.At), By: u.By.Name, Text: u.Text}
		if u.Percent >= 0 {
			e.What = strconv.Itoa(u.Percent) + "%"
		}
		p.Updates = append(p.Updates, e)
	}
	for _, hf := range t.Help {
		e := entry{At: ft(hf.At), By: hf.By.Name, Text: hf.Text}
		if hf.Open() {
			e.What = l.NeedsHelp
		} else {
			e.What = l.Resolved + " " + ft(hf.ResolvedAt)
		}
		p.HelpFlags = append(p.HelpFlags, e)
	}
	for _, r := range t.Risks {
		p.Risks = append(p.Risks, entry{At: ft(r.At), By: r.By.Name, Text: r.Text})
	}
	for _, d := range t.Delays {
		p.Delays = append(p.Delays, entry{At: ft(d.At), By: d.By.Name, What: l.DelayState[d.State] + " → " + ft(d.NewDue), Text: d.Reason})
	}
	for _, r := range t.Reviews {
		what := l.Rejected
		if r.Accepted {
			what = l.Accepted
		}
		p.Reviews = append(p.Reviews, entry{At: ft(r.At), By: r.By.Name, What: what, Text: r.Comment})
	}
	for _, e := range hist {
		p.History = append(p.History, entry{At: ft(e.At), By: e.By.Name, What: l.action(e.Action), Text: e.Detail})
	}
	other := "en"
	if lang == "en" {
		other = "zh"
	}
	p.OtherLang, p.OtherURL = l.Other, strconv.FormatInt(t.ID, 10)+"?lang="+other
	return p
}
