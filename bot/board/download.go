package board

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"time"

	"collabbot/bot/export"
	"collabbot/store"
)

// serveExport is the board's download of the seeds' tables: /b/{token}/export.xlsx
// (all three sheets) or /b/{token}/export.csv?table=task|comm|issue. The
// same link that reads the board may take the table home; nothing else is
// served.
func (h *Handler) serveExport(w http.ResponseWriter, r *http.Request, format string) {
	token := r.PathValue("token")
	now := h.bot.Now()
	var in export.Input
	err := h.bot.Store().View(func(tx *store.Tx) error {
		k, err := tx.BoardGroup(token)
		if err != nil {
			return err
		}
		in, err = export.Load(tx, k, h.bot.Defaults().Location, now)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.log.Error("board: export", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	name := "collabbot-" + now.In(h.bot.Defaults().Location).Format("20060102")
	switch format {
	case "xlsx":
		err = export.WriteXLSX(&buf, export.Tables(in))
		name += ".xlsx"
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	default:
		key := r.URL.Query().Get("table")
		if key == "" {
			key = export.KeyTask
		}
		var t export.Table
		if t, err = export.Build(in, key); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		err = export.WriteCSV(&buf, t)
		name += "-" + key + ".csv"
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	if err != nil {
		h.log.Error("board: export", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(buf.Bytes()))
}
