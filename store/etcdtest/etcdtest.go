// Package etcdtest runs a real etcd cluster (one or several members) in
// the test process, in temp dirs on loopback ports, for the tests of the
// store's etcd backend and of leader election. Only tests import it, so
// the bot's binary does not carry an etcd server.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// MaxTxnOps is the members' --max-txn-ops: above etcd's default (128), as
// the README advises for production, so that a batch of messages fits.
const MaxTxnOps = 1024

// Cluster is a running embedded cluster.
type Cluster struct {
	Members   []*embed.Etcd
	Endpoints []string
	dir       string
}

// Start starts an n-member cluster and waits until it serves. The caller
// must Close it. tb may be nil (TestMain), in which case errors are
// returned only.
func Start(dir string, n int) (*Cluster, error) {
	type ports struct{ peer, client string }
	var ps []ports
	var lns []net.Listener
	for range n {
		var p ports
		for _, dst := range []*string{&p.peer, &p.client} {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			lns = append(lns, ln)
			*dst = "http://" + ln.Addr().String()
		}
		ps = append(ps, p)
	}
	// The ports are free again once closed; etcd binds them at once.
	for _, ln := range lns {
		ln.Close()
	}
	var initial []string
	for i, p := range ps {
		initial = append(initial, fmt.Sprintf("m%d=%s", i, p.peer))
	}
	c := &Cluster{dir: dir}
	for i, p := range ps {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = filepath.Join(dir, cfg.Name)
		pu, _ := url.Parse(p.peer)
		cu, _ := url.Parse(p.client)
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "collabbot-test"
		cfg.ClusterState = embed.ClusterStateFlagNew
		cfg.TickMs, cfg.ElectionMs = 20, 200
		cfg.MaxTxnOps = MaxTxnOps
		cfg.LogLevel = "panic" // shutdown logs errors that are not
		cfg.Logger = "zap"
		cfg.LogOutputs = []string{"stderr"}
		cfg.ListenMetricsUrls = nil
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("etcd member %d: %w", i, err)
		}
		c.Members = append(c.Members, e)
		c.Endpoints = append(c.Endpoints, p.client)
	}
	for i, e := range c.Members {
		select {
		case <-e.Server.ReadyNotify():
		case <-time.After(30 * time.Second):
			c.Close()
			return nil, fmt.Errorf("etcd member %d did not become ready", i)
		}
	}
	return c, nil
}

// New starts an n-member cluster in a temp dir closed with the test.
func New(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c, err := Start(tb.TempDir(), n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// Client returns a client of every member, closed with the test.
func (c *Cluster) Client(tb testing.TB) *clientv3.Client {
	tb.Helper()
	cli, err := c.NewClient()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cli.Close() })
	return cli
}

// NewClient returns a client of every member; the caller closes it.
func (c *Cluster) NewClient() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: c.Endpoints, DialTimeout: 5 * time.Second})
}

// Close stops every member.
func (c *Cluster) Close() {
	for _, e := range c.Members {
		e.Close()
	}
	c.Members = nil
}

// TempDir makes a directory for Start outside a test (TestMain); remove
// it with os.RemoveAll.
func TempDir() (string, error) { return os.MkdirTemp("", "collabbot-etcd-") }
