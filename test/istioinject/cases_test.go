package istioinject

import (
	"os"
	"sort"
	"strings"
)

// injectCase is one case of Istio's injection test (TestInjection in
// pkg/kube/inject/inject_test.go of the pinned module): an input, the golden
// output, and the settings Istio's test injects it with, said in meshctl's
// terms.
type injectCase struct {
	in, want string
	// set are --set values besides the common ones (commonSet).
	set []string
	// iop is an IstioOperator file of Istio's testdata that the case renders
	// with (Istio's inFilePath), passed as --operatorFileName.
	iop string
	// overlay is an IstioOperator overlay for what Istio's test sets in code
	// on the mesh config and --set cannot say (an empty message, a list);
	// it is written to a temporary file.
	overlay string
	// nativeOff: Istio's test turns native sidecars off for the case
	// (features.EnableNativeSidecars disabled); every other case runs with
	// nodes new enough that istiod's "auto" turns them on.
	nativeOff bool
	// wantErr: Istio expects injection to fail, with an error that names
	// this (lower case). rejects is the annotation meshctl's error must
	// name for the same reason.
	wantErr, rejects string
	// unsupported says why meshctl cannot express the case's settings; the
	// case is not run and its workloads count as not identical.
	unsupported string
}

// commonSet renders the configuration Istio's test renders for every case:
// the empty profile with istiod (getInjectionSettings), and the hub and tag
// of Istio's own charts at that commit (its default profile names them; the
// goldens hold them).
var commonSet = []string{
	"profile=empty",
	"components.pilot.enabled=true",
	"hub=registry.istio.io/testing",
	"tag=latest",
}

// nativeOn is how meshctl is told what Istio's test cluster says through its
// nodes (kubelets 1.33 and 1.34, so istiod's ENABLE_NATIVE_SIDECARS=auto
// injects native sidecars): offline, meshctl takes auto as off.
const nativeOn = "values.pilot.env.ENABLE_NATIVE_SIDECARS=true"

var (
	statusParams = []string{
		"values.global.proxy.statusPort=123",
		"values.global.proxy.readinessInitialDelaySeconds=100",
		"values.global.proxy.readinessPeriodSeconds=200",
		"values.global.proxy.readinessFailureThreshold=300",
	}
	// Istio's cases turn CNI on with components.cni.enabled, which Istio's
	// installer passes to the injector as values.pilot.cni.enabled, and
	// name the provider as values.cni.provider, which its goldens show the
	// injector reading as values.pilot.cni.provider. meshctl renders no CNI
	// component (ambient mode is not supported), so the cases give the
	// injector's values themselves.
	multus = []string{"values.pilot.cni.enabled=true", "values.pilot.cni.provider=multus"}
	hold   = []string{"values.global.proxy.holdApplicationUntilProxyStarts=true"}
	tproxy = []string{"meshConfig.defaultConfig.interceptionMode=TPROXY"}
)

const openshift = "Istio's test sets the OpenShift platform, for its webhook only (kube-inject is skipped there); meshctl has no OpenShift mode (per-namespace proxy UIDs are not supported, see the kube-inject guide)"

// explicitCases are the cases Istio's table lists, in its order. Every other
// input of the directory is a case of its own with the default settings
// (defaultCases), as in Istio's test.
var explicitCases = []injectCase{
	{in: "hello.yaml", want: "hello.yaml.cni.injected", set: []string{"values.pilot.cni.enabled=true", "values.pilot.cni.provider=default", "values.global.network=network1"}},
	{in: "hello.yaml", want: "hello.yaml.proxyImageName.injected", set: []string{"values.global.proxy.image=proxyTest"}},
	{in: "hello.yaml", want: "hello.yaml.proxyInitImageName.injected", set: []string{"values.global.proxy_init.image=proxyInitTest"}},
	{in: "hello.yaml", want: "hello-tproxy.yaml.injected", set: tproxy},
	{in: "hello.yaml", want: "hello-always.yaml.injected", set: []string{"values.global.imagePullPolicy=Always"}},
	{in: "hello.yaml", want: "hello-never.yaml.injected", set: []string{"values.global.imagePullPolicy=Never"}},
	{in: "hello.yaml", want: "hello-old-version.yaml.injected", nativeOff: true},
	{in: "format-duration.yaml", want: "format-duration.yaml.injected", set: []string{"meshConfig.defaultConfig.drainDuration=23s"}},
	{in: "traffic-params.yaml", want: "traffic-params.yaml.injected", set: []string{
		"values.global.proxy.includeIPRanges=127.0.0.1/24,10.96.0.1/24",
		"values.global.proxy.excludeIPRanges=10.96.0.2/24,10.96.0.3/24",
		"values.global.proxy.excludeInboundPorts=4,5,6",
		"values.global.proxy.statusPort=0",
	}},
	{in: "status_params.yaml", want: "status_params.yaml.injected", set: statusParams},
	{in: "kubevirtInterfaces.yaml", want: "kubevirtInterfaces.yaml.injected", set: statusParams},
	{in: "reroute-virtual-interfaces.yaml", want: "reroute-virtual-interfaces.yaml.injected", set: statusParams},
	{in: "hello.yaml", want: "hello-image-secrets-in-values.yaml.injected", iop: "hello-image-secrets-in-values.iop.yaml"},
	{in: "hello-image-pull-secret.yaml", want: "hello-multiple-image-secrets.yaml.injected", iop: "hello-image-secrets-in-values.iop.yaml"},
	{in: "hello.yaml", want: "hello-template-in-values.yaml.injected", iop: "hello-template-in-values.iop.yaml"},
	{in: "hello.yaml", want: "hello-mount-mtls-certs.yaml.injected", set: []string{"values.global.mountMtlsCerts=true"}},
	{in: "hello.yaml", want: "hello-cncf-networks.yaml.injected", set: multus},
	{in: "hello-existing-cncf-networks.yaml", want: "hello-existing-cncf-networks.yaml.injected", set: multus},
	{in: "hello-existing-cncf-networks-json.yaml", want: "hello-existing-cncf-networks-json.yaml.injected", set: multus},
	{in: "hello.yaml", want: "hello.proxyHoldsApplication.yaml.injected", set: hold},
	{in: "hello-probes.yaml", want: "hello-probes.proxyHoldsApplication.yaml.injected", set: hold},
	{in: "hello-probes-proxyHoldApplication-ProxyConfig.yaml", want: "hello-probes-proxyHoldApplication-ProxyConfig.yaml.injected"},
	{in: "hello-probes-noProxyHoldApplication-ProxyConfig.yaml", want: "hello-probes-noProxyHoldApplication-ProxyConfig.yaml.injected", set: hold},
	{in: "hello-service.yaml", want: "hello-service.yaml.injected"},
	{in: "cronjob.yaml", want: "cronjob.yaml.injected"},
	{in: "cronjob.yaml", want: "cronjob-old-version.yaml.injected", nativeOff: true},
	{in: "daemonset.yaml", want: "daemonset-old-version.yaml.injected", nativeOff: true},
	{in: "job.yaml", want: "job-old-version.yaml.injected", nativeOff: true},
	{in: "pod.yaml", want: "pod-old-version.yaml.injected", nativeOff: true},
	{in: "replicaset.yaml", want: "replicaset-old-version.yaml.injected", nativeOff: true},
	{in: "statefulset.yaml", want: "statefulset-old-version.yaml.injected", nativeOff: true},
	{in: "traffic-annotations-bad-includeipranges.yaml", wantErr: "includeipranges", rejects: "traffic.sidecar.istio.io/includeOutboundIPRanges"},
	{in: "traffic-annotations-bad-excludeipranges.yaml", wantErr: "excludeipranges", rejects: "traffic.sidecar.istio.io/excludeOutboundIPRanges"},
	{in: "traffic-annotations-bad-includeinboundports.yaml", wantErr: "includeinboundports", rejects: "traffic.sidecar.istio.io/includeInboundPorts"},
	{in: "traffic-annotations-bad-excludeinboundports.yaml", wantErr: "excludeinboundports", rejects: "traffic.sidecar.istio.io/excludeInboundPorts"},
	{in: "traffic-annotations-bad-excludeoutboundports.yaml", wantErr: "excludeoutboundports", rejects: "traffic.sidecar.istio.io/excludeOutboundPorts"},
	{in: "traffic-annotations.yaml", want: "traffic-annotations.yaml.injected", set: []string{"meshConfig.defaultConfig.proxyMetadata.ISTIO_META_TLS_CLIENT_KEY=/etc/identity/client/keys/client-key.pem"}},
	{in: "proxy-override.yaml", want: "proxy-override.yaml.injected"},
	{in: "explicit-security-context.yaml", want: "explicit-security-context.yaml.injected"},
	{in: "only-proxy-container.yaml", want: "only-proxy-container.yaml.injected"},
	{in: "proxy-override-args.yaml", want: "proxy-override-args.yaml.injected"},
	{in: "proxy-override-runas.yaml", want: "proxy-override-runas.yaml.injected"},
	{in: "proxy-override-runas.yaml", want: "proxy-override-runas.yaml.cni.injected", set: []string{"values.pilot.cni.enabled=true"}},
	{in: "proxy-override-runas.yaml", want: "proxy-override-runas.yaml.tproxy.injected", set: tproxy},
	// The same settings as proxy-override-args.yaml.injected, a golden of
	// the same content.
	{in: "proxy-override-args.yaml", want: "proxy-override-args-native.yaml.injected"},
	// Istio's table lists gateway.yaml twice with the same settings; it is
	// run once here.
	{in: "gateway.yaml", want: "gateway.yaml.injected"},
	{in: "native-sidecar.yaml", want: "native-sidecar.yaml.injected"},
	{in: "native-sidecar.yaml", want: "native-sidecar-old-version.yaml.injected", nativeOff: true},
	{in: "native-sidecar-opt-in.yaml", want: "native-sidecar-opt-in.yaml.injected"},
	{in: "native-sidecar-opt-in.yaml", want: "native-sidecar-opt-in.yaml.injected", nativeOff: true},
	{in: "native-sidecar-opt-out.yaml", want: "native-sidecar-opt-out.yaml.injected"},
	{in: "native-sidecar-opt-out.yaml", want: "native-sidecar-opt-out.yaml.injected", nativeOff: true},
	{in: "custom-template.yaml", want: "custom-template.yaml.injected", iop: "custom-template.iop.yaml"},
	{in: "tcp-probes.yaml", want: "tcp-probes.yaml.injected"},
	{in: "hello-host-network-with-ns.yaml", want: "hello-host-network-with-ns.yaml.injected"},
	{in: "merge-probers.yaml", want: "merge-probers.yaml.injected", set: hold},
	{in: "hello-tracing-disabled.yaml", want: "hello-tracing-disabled.yaml.injected", overlay: `
spec:
  meshConfig:
    defaultConfig:
      tracing: {}
`},
	{in: "truncate-canonical-name-pod.yaml", want: "truncate-canonical-name-pod.yaml.injected"},
	{in: "truncate-canonical-name-custom-controller-pod.yaml", want: "truncate-canonical-name-custom-controller-pod.yaml.injected"},
	{in: "hello-openshift.yaml", want: "hello-openshift.yaml.injected", unsupported: openshift},
	{in: "hello-openshift-custom-injection.yaml", want: "hello-openshift-custom-injection.yaml.injected", unsupported: openshift},
	{in: "hello-openshift-tproxy.yaml", want: "hello-openshift-tproxy.yaml.injected", unsupported: openshift},
	{in: "hello-probes-localhost.yaml", want: "hello-probes-localhost.yaml.injected", set: []string{"meshConfig.inboundTrafficPolicy.mode=LOCALHOST"}},
	{in: "proxy-resources-null.yaml", want: "proxy-resources-null.yaml.injected", iop: "proxy-resources-null.iop.yaml"},
	{in: "proxy-resources-null-no-init.yaml", want: "proxy-resources-null-no-init.yaml.injected", iop: "proxy-resources-null.iop.yaml"},
	{in: "proxy-resources-zero.yaml", want: "proxy-resources-zero.yaml.injected", iop: "proxy-resources-zero.iop.yaml"},
	{in: "proxy-resources-memory-null.yaml", want: "proxy-resources-memory-null.yaml.injected", iop: "proxy-resources-memory-null.iop.yaml"},
	{in: "proxy-resources-mixed-null.yaml", want: "proxy-resources-mixed-null.yaml.injected", iop: "proxy-resources-mixed-null.iop.yaml"},
	{in: "sidecar-spire.yaml", want: "sidecar-spire.yaml.injected", iop: "spire-template.iop.yaml"},
	{in: "gateway-spire.yaml", want: "gateway-spire.yaml.injected", iop: "spire-template.iop.yaml"},
	{in: "hello-otel-semconv.yaml", want: "hello-otel-semconv.yaml.injected", overlay: `
spec:
  meshConfig:
    extensionProviders:
    - name: otel
      opentelemetry:
        service: otel-collector.observability.svc.cluster.local
        port: 4317
        serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS
`},
	{in: "hello.yaml", want: "hello-fips-140-3.yaml.injected", unsupported: "Istio's test sets istiod's compliance policy (COMPLIANCE_POLICY=fips-140-3); meshctl's injection has no setting for it"},
}

// allCases is Istio's table: the explicit cases, then one case with the
// default settings for every other input of dir (each *.yaml but the
// IstioOperator files *.iop.yaml whose golden no case names). It also
// returns the goldens of dir that no case uses: Istio's test fails on those,
// so here they mean that the pinned Istio has cases this table lacks.
func allCases(dir string) (cases []injectCase, unused []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	cases = append(cases, explicitCases...)
	used := map[string]bool{}
	for _, c := range cases {
		if c.want != "" {
			used[c.want] = true
		} else {
			used[c.in+".injected"] = true
		}
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".iop.yaml") || used[n+".injected"] {
			continue
		}
		cases = append(cases, injectCase{in: n, want: n + ".injected"})
		used[n+".injected"] = true
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".injected") && !used[n] {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	return cases, unused, nil
}
