package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// BOM starts every CSV: without it Excel reads UTF-8 as the local code
// page and the Chinese comes out garbled.
const BOM = "\uFEFF"

// WriteXLSX writes the tables as one workbook, a sheet per table: a bold,
// shaded header row that stays in view (frozen) with a filter, the
// columns at sensible widths, text wrapped and aligned to the top.
func WriteXLSX(w io.Writer, tables []Table) error {
	if len(tables) == 0 {
		return fmt.Errorf("export: no table to write")
	}
	f := excelize.NewFile()
	defer f.Close()
	head, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	if err != nil {
		return err
	}
	body, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	first := f.GetSheetName(0)
	for i, t := range tables {
		sheet := t.Title
		if sheet == "" {
			sheet = t.Key
		}
		if i == 0 {
			if err := f.SetSheetName(first, sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		if err := writeSheet(f, sheet, t, head, body); err != nil {
			return fmt.Errorf("export: sheet %s: %w", sheet, err)
		}
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

func writeSheet(f *excelize.File, sheet string, t Table, head, body int) error {
	n := len(t.Header)
	last, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return err
	}
	if err := f.SetSheetRow(sheet, "A1", &t.Header); err != nil {
		return err
	}
	for i, row := range t.Rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, "A1", last+"1", head); err != nil {
		return err
	}
	if len(t.Rows) > 0 {
		end, _ := excelize.CoordinatesToCellName(n, len(t.Rows)+1)
		if err := f.SetCellStyle(sheet, "A2", end, body); err != nil {
			return err
		}
	}
	for i := range n {
		width := 16.0
		if i < len(t.Widths) {
			width = t.Widths[i]
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sheet, 1, 22); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	end, _ := excelize.CoordinatesToCellName(n, max(len(t.Rows)+1, 2))
	return f.AutoFilter(sheet, "A1:"+end, nil)
}

// WriteCSV writes one table as CSV: a UTF-8 byte-order mark, the header
// row, the rows, CRLF line ends (what Excel writes). A cell that Excel
// would take for a formula (starting with = + - @) gets a leading
// apostrophe, so a typed "=HYPERLINK(…)" stays text.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	for _, row := range t.Rows {
		safe := make([]string, len(row))
		for i, c := range row {
			safe[i] = defuse(c)
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t", rune(s[0])) {
		return "'" + s
	}
	return s
}
