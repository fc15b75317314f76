// Package testcluster runs a real etcd and kube-apiserver on loopback for
// integration tests and for trying meshctl by hand. Nothing else runs (no
// controllers, scheduler or kubelet): objects are stored, validated and
// authorized for real, but a Deployment becomes "ready" only when a test
// writes its status, as a controller would.
package testcluster

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Users known to the test API server.
const (
	AdminUser = "admin"     // member of system:masters
	DevUser   = "developer" // no RBAC bindings at all: every request is forbidden
)

// Cluster is a running etcd + kube-apiserver pair.
type Cluster struct {
	// Host is the API server URL, https://127.0.0.1:PORT.
	Host string
	// Dir holds data, certificates, logs and the kubeconfig files.
	Dir string
	// AdminKubeconfig and DevKubeconfig are kubeconfig files for the two users.
	AdminKubeconfig string
	DevKubeconfig   string

	caData     []byte
	adminToken string
	devToken   string
	procs      []*process
	stopOnce   sync.Once
	mu         sync.Mutex // guards procs: istiod starts after the servers
	keepDir    bool
	bin        string
}

// Options tune Start.
type Options struct {
	// BinDir holds the etcd and kube-apiserver binaries; empty means
	// $MESHCTL_TEST_BIN or .cache/bin at the repository root.
	BinDir string
	// Dir is where to keep state; empty means a new temporary directory that
	// Stop removes.
	Dir string
	// ReadyTimeout bounds the wait for /readyz (default 90s).
	ReadyTimeout time.Duration
}

// AdminConfig is a rest.Config for the admin user.
func (c *Cluster) AdminConfig() *rest.Config { return c.config(c.adminToken) }

// DevConfig is a rest.Config for the unprivileged user.
func (c *Cluster) DevConfig() *rest.Config { return c.config(c.devToken) }

func (c *Cluster) config(token string) *rest.Config {
	return &rest.Config{
		Host:            c.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.caData},
		QPS:             200,
		Burst:           400,
	}
}

// errPortTaken is a server that could not bind the port it was given: a
// free port found by another process at the same moment (go test runs
// packages in parallel), which a new set of ports mends.
var errPortTaken = errors.New("a port was taken before the server bound it")

// Start launches etcd and kube-apiserver on free loopback ports and waits
// until the API server reports ready. A port taken between choosing it and
// binding it is retried with new ports, up to three times.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	for attempt := 1; ; attempt++ {
		c, err := start(ctx, opts)
		if err == nil || attempt == 3 || !errors.Is(err, errPortTaken) {
			return c, err
		}
	}
}

func start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	bin := opts.BinDir
	if bin == "" {
		if bin, err = DefaultBinDir(); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			return nil, fmt.Errorf("%s not found in %s: build it with `make testbed` (hack/build-testbed.sh)", name, bin)
		}
	}
	c := &Cluster{Dir: opts.Dir, keepDir: opts.Dir != "", bin: bin}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "meshctl-apiserver-"); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	if err := os.MkdirAll(filepath.Join(c.Dir, "certs"), 0o755); err != nil {
		return nil, err
	}
	c.adminToken, c.devToken = randomToken(), randomToken()
	if err := c.writeAuthFiles(); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	// A name of its own tells this etcd from another test's on the port.
	member := "meshctl-" + randomToken()[:12]
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	if err := c.spawn(filepath.Join(bin, "etcd"), "etcd.log",
		"--data-dir", filepath.Join(c.Dir, "etcd"), "--unsafe-no-fsync",
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--name", member, "--initial-cluster", member+"="+peerURL,
		"--quota-backend-bytes", strconv.Itoa(4<<30),
	); err != nil {
		return nil, err
	}
	// The API server starts only once this etcd answers: one that failed
	// to bind would otherwise leave it talking to another test's etcd on
	// the same port.
	if err := c.waitEtcd(ctx, c.procs[0], etcdURL, member, 60*time.Second); err != nil {
		return nil, err
	}
	if err := c.spawn(filepath.Join(bin, "kube-apiserver"), "kube-apiserver.log",
		"--etcd-servers="+etcdURL,
		"--secure-port="+strconv.Itoa(apiPort), "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(c.Dir, "certs"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(c.Dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(c.Dir, "sa.key"),
		"--token-auth-file="+filepath.Join(c.Dir, "tokens.csv"),
		"--authorization-mode=RBAC", "--allow-privileged=true",
		"--enable-priority-and-fairness=false",
	); err != nil {
		return nil, err
	}
	c.Host = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	timeout := opts.ReadyTimeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	if err := c.waitReady(ctx, timeout); err != nil {
		return nil, err
	}
	if err := c.writeKubeconfigs(); err != nil {
		return nil, err
	}
	return c, nil
}

// PIDs are the process IDs of etcd and kube-apiserver, for tests that check
// they are gone.
func (c *Cluster) PIDs() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pids []int
	for _, p := range c.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// Stop kills both processes and removes the temporary directory. It is safe
// to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		procs := c.procs
		c.mu.Unlock()
		for i := len(procs) - 1; i >= 0; i-- {
			stopProcess(procs[i])
		}
		if !c.keepDir && c.Dir != "" {
			_ = os.RemoveAll(c.Dir)
		}
	})
}

// process is a server the cluster started; done closes when it exits.
type process struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// earlyExit is the error for a server that stopped before it was ready.
func (c *Cluster) earlyExit(p *process) error {
	data, _ := os.ReadFile(p.log)
	err := fmt.Errorf("%s exited early: %s", filepath.Base(p.cmd.Path), c.logTail())
	if strings.Contains(string(data), "address already in use") {
		return fmt.Errorf("%w: %w", errPortTaken, err)
	}
	return err
}

func stopProcess(p *process) {
	// Each server runs in its own process group: signal the group.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (c *Cluster) spawn(path, logName string, args ...string) error {
	_, err := c.spawnIn("", nil, path, logName, args...)
	return err
}

// spawnIn starts a server in dir (the test's own when empty) with env added
// to the environment, logging to logName in the cluster's directory. The
// cluster stops it with the others, in reverse order of starting.
func (c *Cluster) spawnIn(dir string, env []string, path, logName string, args ...string) (*process, error) {
	logf, err := os.Create(filepath.Join(c.Dir, logName))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group, and killed by the kernel if the test process dies
	// without running Stop (a test timeout or a SIGKILL).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(path), err)
	}
	logf.Close()
	p := &process{cmd: cmd, log: logf.Name(), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p, nil
}

// waitEtcd polls etcd's member list until it answers with this cluster's
// member, while p runs.
func (c *Cluster) waitEtcd(ctx context.Context, p *process, url, member string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if p.exited() {
			return c.earlyExit(p)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v3/cluster/member/list", strings.NewReader("{}"))
		if resp, err := client.Do(req); err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"name":"`+member+`"`) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy after %s: %s", filepath.Base(p.cmd.Path), timeout, c.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // #nosec: the CA is read after the server wrote it
	var last string
	for {
		for _, p := range c.procs {
			if p.exited() {
				return c.earlyExit(p)
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+c.adminToken)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ca, err := os.ReadFile(filepath.Join(c.Dir, "certs", "apiserver.crt"))
				if err != nil {
					return fmt.Errorf("reading the API server's certificate: %w", err)
				}
				c.caData = ca
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready after %s (last: %s): %s", timeout, last, c.logTail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *Cluster) logTail() string {
	var b strings.Builder
	for _, name := range []string{"etcd.log", "kube-apiserver.log"} {
		data, _ := os.ReadFile(filepath.Join(c.Dir, name))
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(&b, "\n--- %s (last lines)\n%s", name, strings.Join(lines, "\n"))
	}
	return b.String()
}

// errorLog returns the last n error lines (klog's E prefix) of the API
// server's log.
func (c *Cluster) errorLog(n int) string {
	data, _ := os.ReadFile(filepath.Join(c.Dir, "kube-apiserver.log"))
	var keep []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.HasPrefix(line, "E") {
			keep = append(keep, line)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	if len(keep) == 0 {
		return ""
	}
	return "\n--- kube-apiserver.log (last errors)\n" + strings.Join(keep, "\n") + "\n"
}

func (c *Cluster) writeAuthFiles() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"sa.key":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"sa.pub":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
		"tokens.csv": fmt.Appendf(nil, "%s,%s,%s,system:masters\n%s,%s,%s\n", c.adminToken, AdminUser, AdminUser, c.devToken, DevUser, DevUser),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(c.Dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) writeKubeconfigs() error {
	c.AdminKubeconfig = filepath.Join(c.Dir, "admin.kubeconfig")
	c.DevKubeconfig = filepath.Join(c.Dir, "developer.kubeconfig")
	for path, user := range map[string][2]string{c.AdminKubeconfig: {AdminUser, c.adminToken}, c.DevKubeconfig: {DevUser, c.devToken}} {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["meshctl-test"] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: c.caData}
		cfg.AuthInfos[user[0]] = &clientcmdapi.AuthInfo{Token: user[1]}
		cfg.Contexts[user[0]] = &clientcmdapi.Context{Cluster: "meshctl-test", AuthInfo: user[0], Namespace: "default"}
		cfg.CurrentContext = user[0]
		if err := clientcmd.WriteToFile(*cfg, path); err != nil {
			return err
		}
	}
	return nil
}

// DefaultBinDir is $MESHCTL_TEST_BIN, or .cache/bin at the root of the
// repository that contains the working directory.
func DefaultBinDir() (string, error) {
	if d := os.Getenv("MESHCTL_TEST_BIN"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(data), "module github.com/meshctl/meshctl\n") {
			return filepath.Join(dir, ".cache", "bin"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the meshctl repository root (set MESHCTL_TEST_BIN)")
		}
		dir = parent
	}
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
