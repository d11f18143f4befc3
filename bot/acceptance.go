package bot

// Acceptance as the seeds define it (002 步骤4, 004 第四步, 000 第四步):
//
//   - /done #12 may carry the 《成果交付说明》 as free text after the id;
//     "版本 V1.2" (version V1.2) and "测试报告 https://…" (test report
//     https://…) are picked out of it. It is stored on the task, shown in
//     the review request (the /done reply that @s the initiator) and in
//     /show.
//   - /accept #12 标准：… 结果：… records a 《协作成果确认表》 entry (also
//     验收标准/验收结果; English standard: … result: …), shown in /show.
//     Plain /accept #12 works as before.
//   - /reject #12 整改项：… 新截止：下周三 records what to fix and moves the
//     due time (through the deadline parser; the history keeps old → new,
//     as an approved delay does), and goes back to the owner. Plain
//     /reject #12 意见 works as before; without 整改项： the comment is the
//     list of fixes.

import (
	"fmt"
	"regexp"
	"strings"

	"collabbot/bot/chat"
	"collabbot/store"
)

// Bounds of what users type into these commands (runes).
const (
	maxDeliveryNote = 1000
	maxVersion      = 40
	maxReportURL    = 500
	maxReviewField  = 500
)

var (
	reVersionLabel = regexp.MustCompile(`(?i)(?:版本号?|\bversion\b|\bver\b\.?)\s*[:：]?\s*([0-9A-Za-z][0-9A-Za-z._\-]*)`)
	reVersionBare  = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([Vv][0-9]+(?:\.[0-9]+)+)`)
	reTestReport   = regexp.MustCompile(`(?i)(?:测试报告|\btest\s+report\b|\breport\b)\s*[:：]?\s*(https?://[^\s　，,；;）)】]+)`)
	reAcceptLabel  = regexp.MustCompile(`(?i)(验收标准|标准|\bstandard\b|\bcriteria\b|验收结果|结果|\bresult\b)\s*[:：]`)
	reRejectLabel  = regexp.MustCompile(`(?i)(整改项|整改内容|整改|\bfix(?:es)?\b|\bitems\b|新截止时间|新截止|整改期限|\bnew\s+due\b|\bdue\b)\s*[:：]`)
)

// parseDelivery reads a /done note: nil when there is none; the refusal
// when a part is too long.
func (r *request) parseDelivery(note string) (*store.Delivery, []chat.Reply) {
	note = trimSeps(note)
	if note == "" {
		return nil, nil
	}
	if d := r.tooLong(iaWordNote, note, maxDeliveryNote); d != nil {
		return nil, d
	}
	d := &store.Delivery{At: r.now, By: r.sender(), Text: note}
	if m := reVersionLabel.FindStringSubmatch(note); m != nil {
		d.Version = m[1]
	} else if m := reVersionBare.FindStringSubmatch(note); m != nil {
		d.Version = m[1]
	}
	if m := reTestReport.FindStringSubmatch(note); m != nil {
		d.TestReport = m[1]
	}
	if rep := r.tooLong(iaWordVersion, d.Version, maxVersion); rep != nil {
		return nil, rep
	}
	if rep := r.tooLong(iaWordTestReport, d.TestReport, maxReportURL); rep != nil {
		return nil, rep
	}
	return d, nil
}

// deliveryText renders a delivery note: the version and report on the
// first line, the note as written below.
func deliveryText(lang string, d *store.Delivery) string {
	colon, _ := sep(lang)
	var facts []string
	if d.Version != "" {
		facts = append(facts, tr(lang, iaWordVersion)+colon+chat.Escape(d.Version))
	}
	if d.TestReport != "" {
		facts = append(facts, tr(lang, iaWordTestReport)+colon+chat.Escape(d.TestReport))
	}
	head := tr(lang, iaDeliveryHead)
	if len(facts) > 0 {
		if lang == "en" {
			head += " "
		}
		head += strings.Join(facts, " · ")
	}
	return head + "\n" + tr(lang, iaWordNote) + colon + chat.Escape(d.Text)
}

// parseAcceptance reads "标准：… 结果：…"; nil when neither label is there.
func parseAcceptance(s string) (*store.Acceptance, string) {
	lead, parts := labelled(s, reAcceptLabel, func(l string) string {
		switch l {
		case "验收结果", "结果", "result":
			return "result"
		}
		return "standard"
	})
	if len(parts) == 0 {
		return nil, lead
	}
	return &store.Acceptance{Standard: parts["standard"], Result: parts["result"]}, lead
}

func acceptanceText(lang string, a store.Acceptance, loc func(store.Acceptance) string) string {
	none := tr(lang, iaNotGiven)
	std, res := chat.Escape(a.Standard), chat.Escape(a.Result)
	if std == "" {
		std = none
	}
	if res == "" {
		res = none
	}
	return tr(lang, iaAcceptEntry, std, res, chat.Escape(a.By.Name), loc(a))
}

// parseRectification reads "整改项：… 新截止：…": the fixes (or the plain
// comment) and the deadline text, "" when none was given.
func parseRectification(s string) (items, deadline string, labelledForm bool) {
	lead, parts := labelled(s, reRejectLabel, func(l string) string {
		switch {
		case strings.Contains(l, "截止"), strings.Contains(l, "期限"), strings.Contains(l, "due"):
			return "due"
		}
		return "items"
	})
	if len(parts) == 0 {
		return lead, "", false
	}
	items = parts["items"]
	if lead != "" {
		items = strings.TrimSpace(lead + " " + items)
	}
	return items, parts["due"], true
}

// writeAcceptanceFacts adds to /show what intake and acceptance recorded:
// the latest decline of an unowned task, the latest delivery note, the
// rectification the task is being worked on, and the acceptance entries.
func (b *Bot) writeAcceptanceFacts(sb *strings.Builder, r *request, t *store.Task) {
	at := func(x store.Acceptance) string { return fmtTime(r.lang, x.At, r.set.Location, r.now) }
	if d := t.LastDecline(); d != nil && t.Unowned() {
		sb.WriteString("\n" + tr(r.lang, iaShowDecline, chat.Escape(d.By.Name), fmtTime(r.lang, d.At, r.set.Location, r.now),
			chat.Escape(d.Reason), chat.Escape(d.Alternative)))
	}
	if d := t.LastDelivery(); d != nil {
		sb.WriteString("\n" + deliveryText(r.lang, d))
	}
	if n := len(t.Rectifications); n > 0 && t.Status == store.StatusOpen {
		x := t.Rectifications[n-1]
		line := tr(r.lang, iaShowRectify, chat.Escape(x.By.Name), fmtTime(r.lang, x.At, r.set.Location, r.now), chat.Escape(x.Items))
		if !x.NewDue.IsZero() {
			line += "\n" + tr(r.lang, iaNewDue, fmtTime(r.lang, x.NewDue, r.set.Location, r.now), fmtTime(r.lang, x.OldDue, r.set.Location, r.now))
		}
		sb.WriteString("\n" + line)
	}
	for _, a := range t.Acceptances {
		sb.WriteString("\n" + acceptanceText(r.lang, a, at))
	}
}

// rectifyDueHistory is the history detail of a moved due time.
func (r *request) rectifyDueHistory(x store.Rectification) string {
	return fmt.Sprintf("%s → %s", fmtTime(r.lang, x.OldDue, r.set.Location, r.now), fmtTime(r.lang, x.NewDue, r.set.Location, r.now))
}
