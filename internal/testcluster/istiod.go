package testcluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Istiod is Istio's real control plane (pilot-discovery, built from the
// pinned istio.io/istio module) running as a local process against the
// cluster: the oracle that meshctl's injection, analysis and policy
// predictions are measured against. It reads the mesh config, the injector
// config and the CRDs that `meshctl install` put in the cluster, exactly as
// an istiod pod would.
type Istiod struct {
	// Namespace is the namespace istiod runs for (its POD_NAMESPACE).
	Namespace string
	// HTTPAddr serves /ready and the debug endpoints (/debug/syncz, ...).
	HTTPAddr string
	// GRPCAddr is the plaintext xDS port (15010 in a cluster).
	GRPCAddr string
	// WebhookURL is the base of the injection and validation webhooks
	// (https://127.0.0.1:PORT), served with a certificate CA signed.
	WebhookURL string
	// CA is the PEM of the CA that signed the webhook's certificate.
	CA []byte

	c    *Cluster
	proc *process
	dir  string
}

// IstiodOptions tune StartIstiod.
type IstiodOptions struct {
	// Namespace istiod runs in; default istio-system.
	Namespace string
	// ReadyTimeout bounds the wait for /ready (default 2 minutes).
	ReadyTimeout time.Duration
}

// StartIstiod starts pilot-discovery against the cluster, for the control
// plane that `meshctl install` put into opts.Namespace, and waits until it
// reports ready. It binds loopback ports only. Its injection and validation
// webhooks serve on WebhookURL; PointWebhooks makes the installed webhook
// configurations call them. The cluster stops istiod with its servers.
func (c *Cluster) StartIstiod(ctx context.Context, opts IstiodOptions) (*Istiod, error) {
	// A port taken between choosing and binding it is retried with new
	// ones, as for the API server.
	for attempt := 1; ; attempt++ {
		d, err := c.startIstiod(ctx, opts)
		if err == nil || attempt == 3 || !errors.Is(err, errPortTaken) {
			return d, err
		}
	}
}

func (c *Cluster) startIstiod(ctx context.Context, opts IstiodOptions) (*Istiod, error) {
	bin := filepath.Join(c.bin, "pilot-discovery")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("pilot-discovery not found in %s: build it with `make testbed` (hack/build-testbed.sh)", c.bin)
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "istio-system"
	}
	// Its own working directory: istiod reads ./etc/istio/config/mesh and
	// ./var/lib/istio/inject when they exist, and the ConfigMaps when not.
	dir, err := os.MkdirTemp(c.Dir, "istiod-")
	if err != nil {
		return nil, err
	}
	caPEM, certPEM, keyPEM, err := webhookCerts(ns)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{"ca.crt": caPEM, "tls.crt": certPEM, "tls.key": keyPEM}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	addr := func(i int) string { return "127.0.0.1:" + strconv.Itoa(ports[i]) }
	d := &Istiod{Namespace: ns, HTTPAddr: addr(0), GRPCAddr: addr(1), WebhookURL: "https://" + addr(3), CA: caPEM, c: c, dir: dir}
	env := []string{
		"POD_NAMESPACE=" + ns,
		"POD_NAME=istiod-test",
		"ISTIOD_SERVICE_NAME=istiod",
		// The webhook configurations point at this process through
		// PointWebhooks; istiod must not patch their CA bundles with its
		// own (it would not know the test CA) or run the validation
		// readiness dance, which needs a Service in front of it.
		"INJECTION_WEBHOOK_CONFIG_NAME=",
		"VALIDATION_WEBHOOK_CONFIG_NAME=",
		"KUBECONFIG=" + c.AdminKubeconfig,
	}
	p, err := c.spawnIn(dir, env, bin, "istiod.log", "discovery",
		"--kubeconfig", c.AdminKubeconfig,
		"--httpAddr", addr(0), "--grpcAddr", addr(1), "--secureGRPCAddr", addr(2),
		"--httpsAddr", addr(3), "--monitoringAddr", addr(4),
		"--ctrlz_address", "127.0.0.1", "--ctrlz_port", strconv.Itoa(ports[5]),
		"--tlsCertFile", filepath.Join(dir, "tls.crt"), "--tlsKeyFile", filepath.Join(dir, "tls.key"),
		"--caCertFile", filepath.Join(dir, "ca.crt"),
		"--domain", "cluster.local",
		"--log_output_level", "default:info",
	)
	if err != nil {
		return nil, err
	}
	d.proc = p
	timeout := opts.ReadyTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	if err := d.waitReady(ctx, timeout); err != nil {
		stopProcess(p)
		return nil, err
	}
	return d, nil
}

func (d *Istiod) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	last := ""
	for {
		if d.proc.exited() {
			err := fmt.Errorf("istiod exited early:\n%s", d.LogTail(30))
			if strings.Contains(d.Log(), "address already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.HTTPAddr+"/ready", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("istiod not ready after %s (last: %s):\n%s", timeout, last, d.LogTail(30))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Log is istiod's whole log so far.
func (d *Istiod) Log() string {
	data, _ := os.ReadFile(d.proc.log)
	return string(data)
}

// LogTail is the last n lines of istiod's log.
func (d *Istiod) LogTail(n int) string {
	lines := strings.Split(strings.TrimSpace(d.Log()), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop stops istiod alone (the cluster's Stop does it too).
func (d *Istiod) Stop() { stopProcess(d.proc) }

// PointWebhooks makes every mutating and validating webhook that the
// install pointed at istiod's Service in d.Namespace call this process
// instead: the API server cannot reach a Service's cluster IP here, but it
// can reach a URL on loopback. Each keeps its path; the CA bundle becomes
// the test CA. It returns how many webhooks it changed.
func (d *Istiod) PointWebhooks(ctx context.Context, kc kubernetes.Interface) (int, error) {
	changed := 0
	point := func(cc *admissionv1.WebhookClientConfig) bool {
		if cc.Service == nil || cc.Service.Namespace != d.Namespace || !strings.HasPrefix(cc.Service.Name, "istiod") {
			return false
		}
		path := "/"
		if cc.Service.Path != nil {
			path = *cc.Service.Path
		}
		url := d.WebhookURL + path
		cc.Service, cc.URL, cc.CABundle = nil, &url, d.CA
		changed++
		return true
	}
	mws, err := kc.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	for i := range mws.Items {
		w := &mws.Items[i]
		any := false
		for j := range w.Webhooks {
			any = point(&w.Webhooks[j].ClientConfig) || any
		}
		if any {
			if _, err := kc.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, w, metav1.UpdateOptions{}); err != nil {
				return 0, err
			}
		}
	}
	vws, err := kc.AdmissionregistrationV1().ValidatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	fail := admissionv1.Fail
	for i := range vws.Items {
		w := &vws.Items[i]
		any := false
		for j := range w.Webhooks {
			if point(&w.Webhooks[j].ClientConfig) {
				// What istiod's validation controller does once its
				// webhook answers: fail closed.
				w.Webhooks[j].FailurePolicy = &fail
				any = true
			}
		}
		if any {
			if _, err := kc.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, w, metav1.UpdateOptions{}); err != nil {
				return 0, err
			}
		}
	}
	return changed, nil
}

// webhookCerts makes a CA and a serving certificate for istiod's webhook
// and secure gRPC ports: valid for loopback (how the API server and the
// tests reach it) and for the istiod Service's DNS names.
func webhookCerts(ns string) (caPEM, certPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "meshctl test istiod CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "istiod." + ns + ".svc"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"istiod." + ns + ".svc", "istiod." + ns + ".svc.cluster.local", "localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
