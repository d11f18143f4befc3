package board

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium or Chrome binary; .ci/run installs
// Debian's chromium when it is missing.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBoardInChromium loads the board of a group seeded through the real
// bot in headless Chromium: the rows, a filter, a task page, a task title
// with a script tag shown as text (and never run), and screenshots of the
// desktop and phone layouts (kept in $BOARD_SCREENSHOTS too when set).
func TestBoardInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("SKIPPED: no chromium binary found (apt-get install -y chromium; .ci/run does this): the web board was NOT tested in a browser")
	}
	f := seed(t)
	srv := httptest.NewServer(New(f.b, Options{}))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Listen starts the browser; every later step runs under a timeout.
	var dialogs atomic.Int32
	err := chromedp.Listen(bctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	})
	if err != nil {
		t.Fatalf("starting Chromium (%s): %v", bin, err)
	}
	ctx, cancelTime := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTime()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v (JavaScript dialogs: %d)", what, err, dialogs.Load())
		}
	}
	eval := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		must(expr, err)
		return n
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		must("text of "+sel, err)
		return s
	}

	board := srv.URL + "/b/" + f.token
	must("loading the board", chromedp.Do(ctx, chromedp.Navigate(board), chromedp.WaitVisible(chromedp.CSS("#tasks"))))
	if rows := eval(`document.querySelectorAll('#tasks tbody tr').length`); rows != 3 {
		t.Errorf("Chromium shows %d rows, want 3", rows)
	}
	if shown := text("#shown"); !strings.Contains(shown, "3 / 共 3") {
		t.Errorf("count line %q", shown)
	}
	if item := text("#t3 td:nth-child(3)"); item != xssTitle {
		t.Errorf("the typed script tag shows as %q, want the text %q", item, xssTitle)
	}
	if n := eval(`document.querySelectorAll('script').length`); n != 0 {
		t.Errorf("the page has %d script elements, want 0", n)
	}
	cls, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#t2"), "class"))
	must("class of #t2", err)
	if cls.Value != "overdue" {
		t.Errorf("#2 has class %q, want overdue", cls.Value)
	}
	shot(t, ctx, "board-desktop.png")

	// Filter by owner through the form, as a reader would.
	must("filtering", chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("select[name=owner]"), "id-张三"),
		chromedp.Click(chromedp.CSS("form.filters button"))))
	waitURL(t, ctx, "owner=")
	must("filtered page", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#tasks"))))
	if rows := eval(`document.querySelectorAll('#tasks tbody tr').length`); rows != 1 {
		t.Errorf("owner filter shows %d rows, want 1", rows)
	}
	if owner := text("#t1 td.owner"); owner != "张三" {
		t.Errorf("filtered row's owner %q", owner)
	}

	// Open the task page from its row.
	must("task link", chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#t1 a"))))
	waitURL(t, ctx, "/t/1")
	must("task page", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#title"))))
	if title := text("#title"); !strings.Contains(title, "#1 产品研发-需求确认") {
		t.Errorf("task page title %q", title)
	}
	if n := eval(`document.querySelectorAll('table.stack tbody tr').length`); n < 4 {
		t.Errorf("task page has %d history rows, want at least 4", n)
	}
	shot(t, ctx, "task-desktop.png")

	// The script-tag task's own page shows it as text too.
	must("task 3", chromedp.Do(ctx, chromedp.Navigate(board+"/t/3"), chromedp.WaitVisible(chromedp.CSS("#title"))))
	if title := text("#title"); !strings.Contains(title, xssTitle) {
		t.Errorf("task 3 title %q lacks the script tag as text", title)
	}

	// The stats page draws its bars.
	must("stats", chromedp.Do(ctx, chromedp.Navigate(board+"/stats"), chromedp.WaitVisible(chromedp.CSS("#chart"))))
	shot(t, ctx, "stats-desktop.png")

	// A phone: the table becomes stacked rows.
	must("phone layout", chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)),
		chromedp.Navigate(board),
		chromedp.WaitVisible(chromedp.CSS("#tasks"))))
	display, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('#tasks thead')).display`))
	must("thead display", err)
	if display != "none" {
		t.Errorf("on a phone the table head is %q, want the stacked rows (none)", display)
	}
	shot(t, ctx, "board-phone.png")
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: user text ran as script", n)
	}
}

// waitURL waits for a navigation the page started (a form submit, a
// click) to reach a URL containing part.
func waitURL(t *testing.T, ctx context.Context, part string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "|" + document.readyState`))
		if err == nil && strings.Contains(loc, part) && strings.HasSuffix(loc, "|complete") {
			return
		}
		last = loc
	}
	t.Fatalf("no navigation to %q; the page is at %q", part, last)
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(buf) < 1000 {
		t.Errorf("screenshot %s is only %d bytes", name, len(buf))
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("BOARD_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), buf, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("screenshot %s: %d bytes", name, len(buf))
}
