package rules

import (
	"strings"
	"testing"
	"time"
	"unicode"
)

// The parser's hand-written scans must agree with the plain forms they
// replace; these are those forms.

func properSepsByRange(body string) []span {
	var seps []span
	for i, c := range body {
		if !isSep(c) {
			continue
		}
		if c == '—' && len(seps) > 0 {
			if last := &seps[len(seps)-1]; last.at+last.w == i && body[last.at:last.at+3] == "—" {
				last.w += 3
				continue
			}
		}
		seps = append(seps, span{i, len(string(c))})
	}
	return seps
}

func wrongSeparatorByRange(body string) (rune, bool) {
	count := map[rune]int{}
	first := map[rune]int{}
	var best rune
	for i, c := range body {
		if !strings.ContainsRune(string(wrongSeps[:]), c) {
			continue
		}
		if count[c] == 0 {
			first[c] = i
		}
		if count[c]++; count[c] == 3 && (best == 0 || first[c] < first[best]) {
			best = c
		}
	}
	return best, best != 0
}

func TestSeparatorScans(t *testing.T) {
	for _, body := range []string{
		"", "a-b-c-d", "产品研发-需求确认-需前端提供A-B两套方案-9月15日 下午5点前", "a——b——c——d", "a—b–c－d",
		"a/b/c/d", "a／b／c／d", "a、b、c、d", "a｜b|c｜d|e", "a，b,c，d,e_f_g_h", "——", "—", "-",
		"\xe2\x80", "\xe2—\xef－", "\xff\xfe-\x80—", "a\xe2\x80\x94\x94b", "、\xe3\x80、、", "“—”", "ｆ／ｇ／ｈ／ｉ",
	} {
		if got, want := properSeps(body, nil), properSepsByRange(body); !slicesEqual(got, want) {
			t.Errorf("properSeps(%q) = %v, want %v", body, got, want)
		}
		gs, gok := wrongSeparator(body)
		ws, wok := wrongSeparatorByRange(body)
		if gs != ws || gok != wok {
			t.Errorf("wrongSeparator(%q) = %q %v, want %q %v", body, gs, gok, ws, wok)
		}
	}
}

func slicesEqual(a, b []span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRuneHelpers checks the deadline parser's per-rune helpers against
// the library functions and the replacer they stand for, on every rune.
func TestRuneHelpers(t *testing.T) {
	pairs := []string{
		"：", ":", "／", "/", "．", ".", "－", "-", "（", "(", "）", ")", "\u3000", " ",
		"點", "点", "後", "后", "週", "周", "禮", "礼", "號", "号", "時", "时", "個", "个",
		"內", "内", "這", "这", "兩", "两", "鐘", "钟", "夠", "够", "為", "为", "畫", "画",
	}
	for d := '０'; d <= '９'; d++ {
		pairs = append(pairs, string(d), string('0'+d-'０'))
	}
	normalize := strings.NewReplacer(pairs...)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // not a rune a string decodes to
		}
		s := string(r)
		if got, want := string(lowerNorm(r)), strings.ToLower(normalize.Replace(s)); got != want {
			t.Fatalf("lowerNorm(%U) = %q, want %q", r, got, want)
		}
		if isSpace(r) != unicode.IsSpace(r) {
			t.Fatalf("isSpace(%U) = %v", r, isSpace(r))
		}
		for _, w := range []string{s, s + "x", s + "点", "x", "点", ""} {
			if n, ok := hasRunePrefix(w, r); ok != strings.HasPrefix(w, s) || ok && n != len(s) {
				t.Fatalf("hasRunePrefix(%q, %U) = %d, %v", w, r, n, ok)
			}
		}
	}
}

func TestValidDate(t *testing.T) {
	for _, y := range []int{-401, -400, -100, -4, -1, 0, 1, 1900, 2000, 2023, 2024, 2026, 2100, 2400, 9999} {
		for m := -1; m <= 14; m++ {
			for d := -1; d <= 33; d++ {
				want := m >= 1 && m <= 12 && d >= 1 && d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
				if got := validDate(y, m, d); got != want {
					t.Fatalf("validDate(%d, %d, %d) = %v", y, m, d, got)
				}
			}
		}
	}
}

func TestTrimSpace(t *testing.T) {
	spaces := []string{" ", "\t", "\n", "\v", "\f", "\r", "\u0085", "\u00a0", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"}
	others := []string{"", "a", "需求", "【", "】", "—", "\u200b", "\xff", "\xc2", "\xe3\x80", "\x80", "é", "ア", "😀", "\x7f"}
	for _, a := range append(spaces, others...) {
		for _, mid := range []string{"", "x", "需 求", "\xe3"} {
			for _, b := range append(spaces, others...) {
				s := a + mid + b
				if got, want := trimSpace(s), strings.TrimSpace(s); got != want {
					t.Fatalf("trimSpace(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
}
