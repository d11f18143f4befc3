package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestDeadlineAlphabet keeps deadlineAlphabet in step with the parser: a
// rune of any word in deadline.go or english.go that the parser can see
// (one lowerNorm leaves alone) must be in it, or parseDeadlineExpr would
// reject deadlines holding that word without reading them.
func TestDeadlineAlphabet(t *testing.T) {
	missing := map[rune]bool{}
	check := func(r rune) {
		if lowerNorm(r) == r && !inDeadlineAlphabet(r) {
			missing[r] = true
		}
	}
	fs := token.NewFileSet()
	for _, name := range []string{"deadline.go", "english.go"} {
		f, err := parser.ParseFile(fs, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			switch {
			case !ok:
			case lit.Kind == token.STRING:
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("%s: %s: %v", fs.Position(lit.Pos()), lit.Value, err)
				}
				for _, r := range s {
					check(r)
				}
			case lit.Kind == token.CHAR:
				r, _, _, err := strconv.UnquoteChar(lit.Value[1:len(lit.Value)-1], '\'')
				if err != nil {
					t.Fatalf("%s: %s: %v", fs.Position(lit.Pos()), lit.Value, err)
				}
				check(r)
			}
			return true
		})
	}
	// num and weekdayNum read ASCII digits by range, not by literal.
	for r := '0'; r <= '9'; r++ {
		check(r)
	}
	if len(missing) > 0 {
		var s []rune
		for r := range missing {
			s = append(s, r)
		}
		t.Errorf("deadlineAlphabet lacks %q", string(s))
	}
}
