package platform_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The layering the design promises, checked on the real import graph: the
// contract and every adapter link none of the store, the rules, bbolt,
// cron or the calendar, and the bot imports no adapter.
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	list := func(args ...string) []string {
		out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %v: %v", args, err)
		}
		return strings.Fields(string(out))
	}
	forbidden := []string{"go.etcd.io/bbolt", "github.com/robfig/cron", "github.com/6tail/lunar-go", "collabbot/store", "collabbot/rules", "collabbot/bot"}
	for _, pkg := range list("collabbot/adapters/...", "collabbot/bot/chat") {
		if strings.HasSuffix(pkg, "test") { // test helpers may run a real bot
			continue
		}
		for _, dep := range list("-deps", pkg) {
			for _, f := range forbidden {
				if dep == f || strings.HasPrefix(dep, f+"/") && !strings.HasPrefix(dep, "collabbot/bot/chat") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
	for _, dep := range list("-deps", "collabbot/bot/chat") {
		if strings.Contains(dep, ".") || strings.HasPrefix(dep, "collabbot/") && dep != "collabbot/bot/chat" {
			t.Errorf("collabbot/bot/chat must import only the standard library; it imports %s", dep)
		}
	}
	for _, pkg := range list("collabbot/bot/...", "collabbot/store/...", "collabbot/rules/...") {
		for _, dep := range list("-deps", pkg) {
			if strings.HasPrefix(dep, "collabbot/adapters") {
				t.Errorf("%s depends on adapter package %s", pkg, dep)
			}
		}
	}
}
