package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release, set at build time:
//
//	go build -ldflags "-X main.version=v1.2.0" ./cmd/collabbot
var version = "dev"

// versionLine is what `collabbot version` prints: the version, the commit
// and whether the tree had uncommitted changes (from the build's VCS
// stamp; "unknown" when built with -buildvcs=false or outside a checkout),
// and the Go toolchain.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	commit, modified := "unknown", ""
	goVersion := runtime.Version()
	if ok && bi != nil {
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if s.Value != "" {
					commit = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified: built with uncommitted changes)"
				}
			}
		}
	}
	return fmt.Sprintf("collabbot %s commit %s%s %s %s/%s", version, commit, modified, goVersion, runtime.GOOS, runtime.GOARCH)
}

func cmdVersion(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("usage: collabbot version")
	}
	bi, ok := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(bi, ok))
	return nil
}
