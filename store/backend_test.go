package store

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"collabbot/store/etcdtest"
)

// The suite runs twice: on bbolt in this process, then, if that passed,
// on etcd in a child process (the same test binary, the same flags, with
// testBackendEnv=etcd) against a one-member etcd embedded in it. Tests that
// open their store with openTest run on both; tests about the bbolt file
// itself (damage, locks, schema, backups) open a file and stay bbolt-only.
const testBackendEnv = "COLLABBOT_STORE_TEST_BACKEND"

var (
	testEtcd     *clientv3.Client
	testPrefixes atomic.Int64
)

func TestMain(m *testing.M) {
	switch os.Getenv(testBackendEnv) {
	case "etcd":
		os.Exit(runOnEtcd(m))
	case "bbolt":
		os.Exit(m.Run())
	}
	if code := m.Run(); code != 0 {
		os.Exit(code)
	}
	var args []string
	for _, a := range os.Args[1:] {
		// The go tool's own bookkeeping files belong to the first run.
		if strings.HasPrefix(a, "-test.testlogfile") || strings.Contains(a, "profile") || strings.HasPrefix(a, "-test.gocoverdir") {
			continue
		}
		args = append(args, a)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), testBackendEnv+"=etcd")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "store suite on etcd: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runOnEtcd(m *testing.M) int {
	dir, err := etcdtest.TempDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	c, err := etcdtest.Start(dir, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	testEtcd, err = c.NewClient()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testEtcd.Close()
	fmt.Println("store suite: etcd backend")
	return m.Run()
}

// openTestDB opens an empty store on the backend under test: a file in a
// temp dir, or a fresh key prefix of the embedded etcd.
func openTestDB(t *testing.T) (*DB, error) {
	if testEtcd == nil {
		return Open(filepath.Join(t.TempDir(), "test.db"), nil)
	}
	return OpenEtcd(testEtcd, &EtcdOptions{Prefix: fmt.Sprintf("/test/%d", testPrefixes.Add(1)), MaxTxnOps: etcdtest.MaxTxnOps})
}
