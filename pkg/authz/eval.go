package authz

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	security "istio.io/api/security/v1beta1"
)

// Outcome is what the client sees: an HTTP code, or a reset connection.
type Outcome string

// Outcomes.
const (
	Allowed         Outcome = "200"
	Unauthenticated Outcome = "401"
	Denied          Outcome = "403"
	TLSMismatch     Outcome = "503"
	// BadGateway is the client sidecar's answer to an HTTP request for a
	// host it does not know under REGISTRY_ONLY.
	BadGateway Outcome = "502"
	Reset      Outcome = "reset"
	// Mixed means the service's workloads do not all agree.
	Mixed Outcome = "mixed"
)

// Request is one call to predict.
type Request struct {
	// From is the client workload; nil is a client outside the mesh
	// without a sidecar.
	From *Workload
	// SourceIP overrides the client's IP (ipBlocks, remoteIpBlocks).
	SourceIP string
	To       *Service
	// Port is the service port; 0 means the first.
	Port   int32
	Method string
	Path   string
	// Host is the Host header; empty means NAME.NAMESPACE:PORT as curl sends it.
	Host    string
	Headers map[string]string
	// Claims are the claims of a JWT the client presents (nil: no token).
	Claims map[string][]string
}

// Reason is one step of the explanation.
type Reason struct {
	// Step is mtls, authn, custom, deny, allow or audit.
	Step string `json:"step"`
	// Policy is NAMESPACE/NAME of the policy that the step looked at.
	Policy string `json:"policy,omitempty"`
	// Result is what the step found: ok, mismatch, matched, not matched,
	// skipped, denied, allowed.
	Result string `json:"result"`
	Text   string `json:"text"`
	// Where is the file, document and line of Policy when it was read
	// from a file ("" when read from a cluster: Policy names it there).
	Where string `json:"where,omitempty"`
}

// Decision is the outcome for one server workload.
type Decision struct {
	Workload string `json:"workload"`
	// Cluster is the route's destination that reached the workload, when
	// a VirtualService chose it.
	Cluster string   `json:"cluster,omitempty"`
	Outcome Outcome  `json:"outcome"`
	Summary string   `json:"summary"`
	Reasons []Reason `json:"reasons"`
}

// Result is the predicted outcome of a Request.
type Result struct {
	From    string  `json:"from"`
	To      string  `json:"to"`
	Port    int32   `json:"port"`
	Outcome Outcome `json:"outcome"`
	Summary string  `json:"summary"`
	// Upstream is the cluster the client's sidecar sends the request to
	// (outbound|PORT||HOST, PassthroughCluster, BlackHoleCluster, or
	// block_all for a 502 route); empty without a client sidecar.
	Upstream string `json:"upstream,omitempty"`
	// Client are the steps on the client's side (its Sidecar, the
	// outbound traffic policy), when any took part.
	Client []Reason `json:"client,omitempty"`
	// Route is what a VirtualService did with the request, when one
	// applies.
	Route   *Routing   `json:"route,omitempty"`
	Backend []Decision `json:"backends"`
}

// Evaluate predicts one request, each reason located in the files it was
// read from. It never panics on any snapshot.
func (s *Snapshot) Evaluate(req Request) Result {
	r := s.evaluate(req)
	s.locate(r.Client)
	for i := range r.Backend {
		s.locate(r.Backend[i].Reasons)
	}
	return r
}

func (s *Snapshot) evaluate(req Request) Result {
	from := "external"
	if req.From != nil {
		from = req.From.ID()
	}
	res := Result{From: from, To: req.To.ID()}
	sp, ok := req.To.Port(req.Port)
	if !ok {
		res.Outcome, res.Summary = TLSMismatch, fmt.Sprintf("%s has no port %d", req.To.ID(), req.Port)
		return res
	}
	res.Port = sp.Port
	eg := s.Egress(req.From, req.To, sp)
	res.Upstream = eg.Upstream
	if eg.shown {
		res.Client = eg.Reasons
	}
	if eg.Via == ViaBlackHole {
		res.Outcome, res.Summary = eg.Outcome, eg.Reasons[len(eg.Reasons)-1].Text
		return res
	}
	if eg.Via == ViaCluster && requestIsHTTP(req.To, sp) {
		if vs, _ := s.virtualServiceFor(req.From, req.To, sp.Port, req.Host); vs != nil {
			return s.evaluateRoute(req, sp, eg, vs, res)
		}
	}
	if req.To.External || (req.To.Kind == KindServiceEntry && len(req.To.Workloads) == 0) {
		if v := s.network(req.From, nil, sp.Port, sp.Port, req.To.FQDN()); !v.allowed {
			res.Client = append(res.Client, Reason{Step: "network", Policy: v.policy, Result: "dropped", Text: v.text})
			res.Outcome, res.Summary = dropped(req.From, requestIsHTTP(req.To, sp)), v.text
			return res
		}
		res.Outcome, res.Summary = Allowed, s.externalSummary(req.To, sp, eg)
		return res
	}
	if len(req.To.Workloads) == 0 {
		res.Outcome, res.Summary = TLSMismatch, fmt.Sprintf("%s selects no workload: no healthy upstream", req.To.ID())
		return res
	}
	for _, w := range req.To.Workloads {
		res.Backend = append(res.Backend, s.decide(req, sp, w, eg))
	}
	res.Outcome, res.Summary = res.Backend[0].Outcome, res.Backend[0].Summary
	for _, d := range res.Backend[1:] {
		if d.Outcome != res.Outcome {
			res.Outcome = Mixed
			res.Summary = fmt.Sprintf("the workloads behind %s disagree", req.To.ID())
		}
	}
	return res
}

// evaluateRoute follows a VirtualService: its action decides, or each
// destination with weight gets the request, through its own workloads'
// mTLS and policies.
func (s *Snapshot) evaluateRoute(req Request, sp ServicePort, eg Egress, vs *VirtualSvc, res Result) Result {
	rt := s.route(vs, req, req.To, sp)
	res.Route = &rt
	res.Client = append(res.Client, Reason{Step: "route", Policy: vs.Ref(), Result: rt.Action, Text: rt.Text})
	if rt.Status != 0 {
		res.Upstream = ""
		res.Outcome, res.Summary = Outcome(fmt.Sprint(rt.Status)), rt.Text
		return res
	}
	var clusters []string
	for i, t := range rt.Targets {
		if t.Weight <= 0 {
			continue
		}
		clusters = append(clusters, t.Cluster)
		d := s.serviceByHost(t.Host)
		if d == nil {
			res.Backend = append(res.Backend, Decision{Workload: t.Host, Cluster: t.Cluster, Outcome: TLSMismatch, Summary: fmt.Sprintf("%s: no Service or ServiceEntry has host %s: Envoy has no cluster for it (503)", rt.Text, t.Host)})
			continue
		}
		ws, _, err := s.subsetWorkloads(clientNamespace(req.From, d), d, t.Subset)
		if err != nil {
			res.Backend = append(res.Backend, Decision{Workload: t.Host, Cluster: t.Cluster, Outcome: TLSMismatch, Summary: err.Error()})
			continue
		}
		for _, w := range ws {
			rt.Targets[i].Workloads = append(rt.Targets[i].Workloads, w.ID())
		}
		if d.External || (d.Kind == KindServiceEntry && len(d.Workloads) == 0) {
			res.Backend = append(res.Backend, Decision{Workload: t.Host, Cluster: t.Cluster, Outcome: Allowed, Summary: s.externalSummary(d, ServicePort{Port: t.Port}, Egress{Via: ViaCluster, Upstream: t.Cluster})})
			continue
		}
		if len(ws) == 0 {
			res.Backend = append(res.Backend, Decision{Workload: t.Host, Cluster: t.Cluster, Outcome: TLSMismatch, Summary: fmt.Sprintf("%s%s selects no workload: no healthy upstream", t.Host, subsetSuffix(t.Subset))})
			continue
		}
		tsp, ok := d.Port(t.Port)
		if !ok {
			res.Backend = append(res.Backend, Decision{Workload: t.Host, Cluster: t.Cluster, Outcome: TLSMismatch, Summary: fmt.Sprintf("%s has no port %d", t.Host, t.Port)})
			continue
		}
		treq := req
		treq.To = d
		for _, w := range ws {
			dec := s.decide(treq, tsp, w, eg)
			dec.Cluster = t.Cluster
			res.Backend = append(res.Backend, dec)
		}
	}
	res.Route = &rt
	res.Upstream = strings.Join(clusters, ",")
	if len(res.Backend) == 0 {
		res.Outcome, res.Summary = TLSMismatch, rt.Text+": no destination has weight"
		return res
	}
	res.Outcome, res.Summary = res.Backend[0].Outcome, rt.Text+"; "+res.Backend[0].Summary
	for _, d := range res.Backend[1:] {
		if d.Outcome != res.Outcome {
			res.Outcome = Mixed
			res.Summary = rt.Text + ": the destinations' workloads disagree"
		}
	}
	return res
}

func clientNamespace(w *Workload, d *Service) string {
	if w != nil {
		return w.Namespace
	}
	return d.Namespace
}

// dropped is what a client sees when the network drops its connection:
// its sidecar gives up connecting and answers an HTTP request with 503 and
// a TCP one by closing it; an application without a sidecar (or passed
// through as TCP) waits until its own timeout.
func dropped(client *Workload, http bool) Outcome {
	switch {
	case client == nil || !client.Sidecar:
		return Timeout
	case http:
		return TLSMismatch
	}
	return Reset
}

// externalSummary says how a request reaches a destination outside the
// mesh's model (an external ServiceEntry or host): it leaves the mesh, and
// what answers is the far side's business.
func (s *Snapshot) externalSummary(d *Service, sp ServicePort, eg Egress) string {
	what := d.FQDN()
	if d.Entry != "" {
		loc := "MESH_EXTERNAL"
		if !d.External {
			loc = "MESH_INTERNAL, no workloads selected"
		}
		what = fmt.Sprintf("%s (ServiceEntry %s, %s)", d.FQDN(), d.Entry, loc)
	}
	switch eg.Via {
	case ViaCluster:
		return fmt.Sprintf("sent to %s through cluster %s: the request leaves the mesh and the external service answers", what, eg.Upstream)
	case ViaPassthrough:
		return fmt.Sprintf("passed through to %s:%d (ALLOW_ANY): the request leaves the mesh and the external service answers", what, sp.Port)
	}
	return fmt.Sprintf("the client has no sidecar: it reaches %s:%d directly", what, sp.Port)
}

// attrs are the request attributes an AuthorizationPolicy can read.
type attrs struct {
	peer        principal
	mtls        bool
	srcIP       string
	method      string
	path        string
	host        string
	port        int32
	headers     map[string]string
	authn       bool
	reqPrinc    string
	claims      map[string][]string
	http        bool
	destIP      string
	serverNS    string
	serverIdent string
}

func (s *Snapshot) decide(req Request, sp ServicePort, w *Workload, eg Egress) Decision {
	d := Decision{Workload: w.ID()}
	port := sp.TargetPortOn(w)
	client := s.ClientMode(req.From, req.To, sp.Port)
	from := req.From
	switch {
	case req.From == nil:
		client = ClientTLS{Mode: ClientPlaintext, Reason: "the external client sends plaintext"}
	case eg.Via == ViaPassthrough:
		client = ClientTLS{Mode: ClientPlaintext, Reason: fmt.Sprintf("%s's sidecar passes the request through in plaintext (%s)", req.From.ID(), PassthroughCluster)}
		if !eg.HTTP {
			// Passed through as TCP, a refused connection reaches the
			// application as a reset, as if it had no sidecar.
			bare := *req.From
			bare.Sidecar, bare.SidecarReason = false, "TCP passthrough"
			from = &bare
		}
	}
	if v := s.network(req.From, w, port, sp.Port, req.SourceIP); !v.allowed {
		d.Reasons = append(d.Reasons, Reason{Step: "network", Policy: v.policy, Result: "dropped", Text: v.text})
		d.Outcome, d.Summary = dropped(from, requestIsHTTP(req.To, sp)), v.text
		return d
	} else if v.policy != "" {
		d.Reasons = append(d.Reasons, Reason{Step: "network", Policy: v.policy, Result: "allowed", Text: v.text})
	}
	server := s.ServerMode(w, port)
	n := Negotiate(from, client, w, server)
	d.Reasons = append(d.Reasons,
		Reason{Step: "mtls", Result: "client", Text: client.Reason},
		Reason{Step: "mtls", Policy: server.Policy, Result: "server", Text: fmt.Sprintf("%s port %d: %s", w.ID(), port, server.Reason)},
	)
	if !n.OK {
		d.Reasons = append(d.Reasons, Reason{Step: "mtls", Result: "mismatch", Text: n.Text})
		d.Outcome, d.Summary = n.Outcome, n.Text
		return d
	}
	d.Reasons = append(d.Reasons, Reason{Step: "mtls", Result: "ok", Text: n.Text})
	if !w.Sidecar {
		d.Outcome, d.Summary = Allowed, fmt.Sprintf("%s has no sidecar: no policy is enforced", w.ID())
		return d
	}
	a := attrs{
		mtls: n.MTLS, method: req.Method, path: req.Path, host: req.Host, port: port,
		headers: map[string]string{}, http: isHTTP(sp), destIP: w.IP, serverNS: w.Namespace,
	}
	if a.method == "" {
		a.method = "GET"
	}
	if a.path == "" {
		a.path = "/"
	}
	if a.host == "" {
		a.host = fmt.Sprintf("%s.%s:%d", req.To.Name, req.To.Namespace, sp.Port)
	}
	for k, v := range req.Headers {
		a.headers[strings.ToLower(k)] = v
	}
	if n.MTLS && req.From != nil {
		a.peer = principal{td: s.Mesh.TrustDomain, ns: req.From.Namespace, sa: req.From.ServiceAccount}
	}
	a.srcIP = req.SourceIP
	if a.srcIP == "" && req.From != nil {
		a.srcIP = req.From.IP
	}
	// Request authentication.
	if req.Claims != nil {
		r, out := s.authenticate(w, req.Claims, &a)
		d.Reasons = append(d.Reasons, r)
		if out != "" {
			d.Outcome, d.Summary = out, r.Text
			return d
		}
	}
	pols := s.PoliciesFor(w)
	byAction := func(act security.AuthorizationPolicy_Action) []*AuthzPolicy {
		var out []*AuthzPolicy
		for _, p := range pols {
			if p.Spec.GetAction() == act {
				out = append(out, p)
			}
		}
		return out
	}
	for _, p := range byAction(security.AuthorizationPolicy_CUSTOM) {
		matched, text := s.matchPolicy(p, a)
		r := Reason{Step: "custom", Policy: p.Ref(), Result: "not matched", Text: text}
		if matched {
			r.Result = "matched"
			r.Text = fmt.Sprintf("%s; the request is sent to provider %q, which decides (predicted as allowed)", text, p.Spec.GetProvider().GetName())
		}
		d.Reasons = append(d.Reasons, r)
	}
	for _, p := range byAction(security.AuthorizationPolicy_DENY) {
		matched, text := s.matchPolicy(p, a)
		r := Reason{Step: "deny", Policy: p.Ref(), Result: "not matched", Text: text}
		if matched {
			r.Result = "matched"
			if p.DryRun {
				r.Result, r.Text = "dry-run", text+" (dry run: logged, not enforced)"
				d.Reasons = append(d.Reasons, r)
				continue
			}
			d.Reasons = append(d.Reasons, r)
			d.Outcome = Denied
			d.Summary = fmt.Sprintf("RBAC: access denied by DENY policy %s: %s", p.Ref(), text)
			return d
		}
		d.Reasons = append(d.Reasons, r)
	}
	allows := byAction(security.AuthorizationPolicy_ALLOW)
	enforced := 0
	for _, p := range allows {
		if !p.DryRun {
			enforced++
		}
	}
	for _, p := range allows {
		matched, text := s.matchPolicy(p, a)
		r := Reason{Step: "allow", Policy: p.Ref(), Result: "not matched", Text: text}
		if p.DryRun {
			r.Result, r.Text = "dry-run", text+" (dry run: logged, not enforced)"
			d.Reasons = append(d.Reasons, r)
			continue
		}
		if matched {
			r.Result = "matched"
			d.Reasons = append(d.Reasons, r)
			s.audit(pols, a, &d)
			d.Outcome, d.Summary = Allowed, fmt.Sprintf("allowed by ALLOW policy %s: %s", p.Ref(), text)
			s.checkIngress(&d, w, port, a.http)
			return d
		}
		d.Reasons = append(d.Reasons, r)
	}
	s.audit(pols, a, &d)
	if enforced > 0 {
		names := make([]string, 0, enforced)
		for _, p := range allows {
			if !p.DryRun {
				names = append(names, p.Ref())
			}
		}
		d.Outcome = Denied
		d.Summary = fmt.Sprintf("RBAC: access denied: ALLOW policies apply to %s (%s) and none matches", w.ID(), strings.Join(names, ", "))
		return d
	}
	d.Outcome = Allowed
	if len(pols) == 0 {
		d.Summary = fmt.Sprintf("%s; no AuthorizationPolicy applies to %s", n.Text, w.ID())
	} else {
		d.Summary = fmt.Sprintf("%s; no DENY policy matched and no ALLOW policy applies to %s", n.Text, w.ID())
	}
	s.checkIngress(&d, w, port, a.http)
	return d
}

// checkIngress turns an allowed request into the failure the server's
// Sidecar ingress listener gives it, if any.
func (s *Snapshot) checkIngress(d *Decision, w *Workload, port int32, http bool) {
	ref, text := s.ingressEndpoint(w, port)
	if ref == "" {
		return
	}
	d.Reasons = append(d.Reasons, Reason{Step: "ingress", Policy: ref, Result: "failed", Text: text})
	d.Outcome, d.Summary = TLSMismatch, text
	if !http {
		d.Outcome = Reset
	}
}

func (s *Snapshot) audit(pols []*AuthzPolicy, a attrs, d *Decision) {
	for _, p := range pols {
		if p.Spec.GetAction() != security.AuthorizationPolicy_AUDIT {
			continue
		}
		matched, text := s.matchPolicy(p, a)
		r := Reason{Step: "audit", Policy: p.Ref(), Result: "not matched", Text: text}
		if matched {
			r.Result, r.Text = "matched", text+" (the request is logged for audit)"
		}
		d.Reasons = append(d.Reasons, r)
	}
}

// authenticate validates the client's token against the RequestAuthentication
// policies of the server. It returns 401 when a token names an issuer no
// policy trusts or an audience no rule accepts.
func (s *Snapshot) authenticate(w *Workload, claims map[string][]string, a *attrs) (Reason, Outcome) {
	iss := first(claims["iss"])
	var ras []*ReqAuthn
	for _, ra := range s.ReqAuthns {
		if len(ra.Spec.GetTargetRefs()) > 0 || ra.Spec.GetTargetRef() != nil {
			continue
		}
		sel := ra.Spec.GetSelector().GetMatchLabels()
		if (ra.Namespace == s.Mesh.RootNamespace && selects(sel, w.Labels)) || (ra.Namespace == w.Namespace && selects(sel, w.Labels)) {
			ras = append(ras, ra)
		}
	}
	if len(ras) == 0 {
		return Reason{Step: "authn", Result: "skipped", Text: fmt.Sprintf("no RequestAuthentication applies to %s: the token is not validated and request.auth.* attributes are empty", w.ID())}, ""
	}
	for _, ra := range ras {
		for _, rule := range ra.Spec.GetJwtRules() {
			if rule.GetIssuer() != iss {
				continue
			}
			if auds := rule.GetAudiences(); len(auds) > 0 && !intersects(auds, claims["aud"]) {
				return Reason{Step: "authn", Policy: ra.Ref(), Result: "denied", Text: fmt.Sprintf("Jwt audience %v is not allowed by RequestAuthentication %s (audiences %v)", claims["aud"], ra.Ref(), auds)}, Unauthenticated
			}
			a.authn = true
			a.claims = claims
			if sub := first(claims["sub"]); sub != "" {
				a.reqPrinc = iss + "/" + sub
			}
			return Reason{Step: "authn", Policy: ra.Ref(), Result: "ok", Text: fmt.Sprintf("token from issuer %q accepted by RequestAuthentication %s; request principal %q", iss, ra.Ref(), a.reqPrinc)}, ""
		}
	}
	var refs []string
	for _, ra := range ras {
		refs = append(refs, ra.Ref())
	}
	return Reason{Step: "authn", Result: "denied", Text: fmt.Sprintf("Jwt issuer %q is not configured by RequestAuthentication %s", iss, strings.Join(refs, ", "))}, Unauthenticated
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// PoliciesFor lists the AuthorizationPolicies that apply to a workload's
// sidecar, root namespace first, in name order within a namespace.
func (s *Snapshot) PoliciesFor(w *Workload) []*AuthzPolicy {
	return memo(&s.mu, &s.polCache, w, func() []*AuthzPolicy { return s.policiesFor(w) })
}

func (s *Snapshot) policiesFor(w *Workload) []*AuthzPolicy {
	var out []*AuthzPolicy
	for _, p := range s.AuthzPolicies {
		if s.applies(p, w) {
			out = append(out, p)
		}
	}
	root := s.Mesh.RootNamespace
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := out[i].Namespace == root, out[j].Namespace == root
		if ri != rj {
			return ri
		}
		return false
	})
	return out
}

func (s *Snapshot) applies(p *AuthzPolicy, w *Workload) bool {
	refs := p.Spec.GetTargetRefs()
	if p.Spec.GetTargetRef() != nil {
		refs = append(refs, p.Spec.GetTargetRef())
	}
	sel := p.Spec.GetSelector().GetMatchLabels()
	if len(refs) > 0 {
		if p.Spec.GetSelector() != nil {
			return false // invalid: both selector and targetRefs
		}
		for _, r := range refs {
			ns := r.GetNamespace()
			if ns == "" {
				ns = p.Namespace
			}
			if r.GetKind() == "Gateway" && ns == w.Namespace && w.Labels["gateway.networking.k8s.io/gateway-name"] == r.GetName() {
				return true
			}
		}
		return false
	}
	if p.Namespace != s.Mesh.RootNamespace && p.Namespace != w.Namespace {
		return false
	}
	return selects(sel, w.Labels)
}

// isHTTP says whether the port carries HTTP as far as the sidecar knows:
// named or declared HTTP/gRPC, or unnamed (protocol sniffing detects HTTP).
func isHTTP(sp ServicePort) bool {
	name := strings.ToLower(sp.Name)
	for _, p := range []string{"tcp", "tls", "mongo", "mysql", "redis", "https"} {
		if name == p || strings.HasPrefix(name, p+"-") {
			return false
		}
	}
	return true
}

// matchPolicy reports whether any rule of a policy matches, and explains.
func (s *Snapshot) matchPolicy(p *AuthzPolicy, a attrs) (bool, string) {
	rules := p.Spec.GetRules()
	act := p.Spec.GetAction()
	if len(rules) == 0 {
		return false, fmt.Sprintf("%s %s has no rules and matches no request", act, p.Ref())
	}
	var why []string
	for i, r := range rules {
		ok, text := s.matchRule(p, r, a)
		if ok {
			return true, fmt.Sprintf("%s %s rule %d matched (%s)", act, p.Ref(), i, text)
		}
		why = append(why, fmt.Sprintf("rule %d: %s", i, text))
	}
	return false, fmt.Sprintf("%s %s did not match: %s", act, p.Ref(), strings.Join(why, "; "))
}

// httpOnly lists the fields a TCP port cannot check.
func httpOnly(r *security.Rule) bool {
	for _, f := range r.GetFrom() {
		src := f.GetSource()
		if len(src.GetRequestPrincipals())+len(src.GetNotRequestPrincipals()) > 0 {
			return true
		}
	}
	for _, t := range r.GetTo() {
		op := t.GetOperation()
		if len(op.GetMethods())+len(op.GetNotMethods())+len(op.GetPaths())+len(op.GetNotPaths())+len(op.GetHosts())+len(op.GetNotHosts()) > 0 {
			return true
		}
	}
	for _, c := range r.GetWhen() {
		if strings.HasPrefix(c.GetKey(), "request.") {
			return true
		}
	}
	return false
}

func (s *Snapshot) matchRule(p *AuthzPolicy, r *security.Rule, a attrs) (bool, string) {
	if r == nil {
		return true, "empty rule matches every request"
	}
	if !a.http && httpOnly(r) {
		if p.Spec.GetAction() == security.AuthorizationPolicy_DENY {
			// Istio drops the HTTP-only fields of a DENY rule on TCP ports,
			// so the rule denies more, not less.
			return true, "HTTP-only fields on a TCP port: the DENY rule is widened to match"
		}
		return false, "HTTP-only fields on a TCP port: the rule is ignored"
	}
	if len(r.GetFrom()) > 0 {
		var why []string
		ok := false
		for i, f := range r.GetFrom() {
			m, w := s.matchSource(p, f.GetSource(), a)
			if m {
				ok = true
				break
			}
			why = append(why, fmt.Sprintf("from[%d]: %s", i, w))
		}
		if !ok {
			return false, strings.Join(why, ", ")
		}
	}
	if len(r.GetTo()) > 0 {
		var why []string
		ok := false
		for i, t := range r.GetTo() {
			m, w := matchOperation(t.GetOperation(), a)
			if m {
				ok = true
				break
			}
			why = append(why, fmt.Sprintf("to[%d]: %s", i, w))
		}
		if !ok {
			return false, strings.Join(why, ", ")
		}
	}
	for i, c := range r.GetWhen() {
		if m, w := s.matchCondition(c, a); !m {
			return false, fmt.Sprintf("when[%d]: %s", i, w)
		}
	}
	return true, describeRule(r)
}

// field is one list-valued field of a source or operation.
type field struct {
	name    string
	values  []string
	not     bool
	match   func(string) bool
	subject string
}

func checkFields(fs []field) (bool, string) {
	for _, f := range fs {
		if len(f.values) == 0 {
			continue
		}
		m := anyOf(f.values, f.match)
		if m == f.not {
			if f.not {
				return false, fmt.Sprintf("%s %v matches %s", f.name, f.values, f.subject)
			}
			return false, fmt.Sprintf("%s %v does not match %s", f.name, f.values, f.subject)
		}
	}
	return true, ""
}

func (s *Snapshot) matchSource(p *AuthzPolicy, src *security.Source, a attrs) (bool, string) {
	peer := fmt.Sprintf("peer %q", a.peer.String())
	if a.peer.td == "" {
		peer = "a plaintext peer (no identity without mutual TLS)"
	}
	ns := fmt.Sprintf("peer namespace %q", a.peer.ns)
	if a.peer.td == "" {
		ns = "a plaintext peer (no namespace without mutual TLS)"
	}
	ip := fmt.Sprintf("source IP %q", a.srcIP)
	if a.srcIP == "" {
		ip = "an unknown source IP"
	}
	rp := fmt.Sprintf("request principal %q", a.reqPrinc)
	if a.reqPrinc == "" {
		rp = "a request without a validated JWT"
	}
	princ := func(v string) bool { return matchPrincipal(v, a.peer, s.Mesh) }
	nsm := func(v string) bool { return matchNamespace(v, a.peer) }
	sam := func(v string) bool { return matchServiceAccount(v, p.Namespace, a.peer) }
	tdm := func(v string) bool { return a.peer.td != "" && sameTrustDomain(v, a.peer.td, s.Mesh) }
	ipm := func(v string) bool { return matchIP(v, a.srcIP) }
	rpm := func(v string) bool { return a.reqPrinc != "" && matchString(v, a.reqPrinc) }
	return checkFields([]field{
		{"source.principals", src.GetPrincipals(), false, princ, peer},
		{"source.notPrincipals", src.GetNotPrincipals(), true, princ, peer},
		{"source.namespaces", src.GetNamespaces(), false, nsm, ns},
		{"source.notNamespaces", src.GetNotNamespaces(), true, nsm, ns},
		{"source.serviceAccounts", src.GetServiceAccounts(), false, sam, peer},
		{"source.notServiceAccounts", src.GetNotServiceAccounts(), true, sam, peer},
		{"source.trustDomains", src.GetTrustDomains(), false, tdm, peer},
		{"source.notTrustDomains", src.GetNotTrustDomains(), true, tdm, peer},
		{"source.ipBlocks", src.GetIpBlocks(), false, ipm, ip},
		{"source.notIpBlocks", src.GetNotIpBlocks(), true, ipm, ip},
		{"source.remoteIpBlocks", src.GetRemoteIpBlocks(), false, ipm, ip},
		{"source.notRemoteIpBlocks", src.GetNotRemoteIpBlocks(), true, ipm, ip},
		{"source.requestPrincipals", src.GetRequestPrincipals(), false, rpm, rp},
		{"source.notRequestPrincipals", src.GetNotRequestPrincipals(), true, rpm, rp},
	})
}

func matchOperation(op *security.Operation, a attrs) (bool, string) {
	hm := func(v string) bool { return matchHost(v, a.host) }
	pm := func(v string) bool { return matchPort(v, a.port) }
	mm := func(v string) bool { return matchString(v, a.method) }
	pathm := func(v string) bool { return matchPath(v, a.path) }
	return checkFields([]field{
		{"operation.hosts", op.GetHosts(), false, hm, fmt.Sprintf("host %q", a.host)},
		{"operation.notHosts", op.GetNotHosts(), true, hm, fmt.Sprintf("host %q", a.host)},
		{"operation.ports", op.GetPorts(), false, pm, fmt.Sprintf("port %d", a.port)},
		{"operation.notPorts", op.GetNotPorts(), true, pm, fmt.Sprintf("port %d", a.port)},
		{"operation.methods", op.GetMethods(), false, mm, fmt.Sprintf("method %q", a.method)},
		{"operation.notMethods", op.GetNotMethods(), true, mm, fmt.Sprintf("method %q", a.method)},
		{"operation.paths", op.GetPaths(), false, pathm, fmt.Sprintf("path %q", a.path)},
		{"operation.notPaths", op.GetNotPaths(), true, pathm, fmt.Sprintf("path %q", a.path)},
	})
}

// conditionValues returns the request's values for a when-condition key,
// and false when the key is one this model does not know.
func (s *Snapshot) conditionValues(key string, a attrs) ([]string, func(pattern, v string) bool, bool) {
	str := matchString
	ipf := func(p, v string) bool { return matchIP(p, v) }
	opt := func(v string) []string {
		if v == "" {
			return nil
		}
		return []string{v}
	}
	switch {
	case strings.HasPrefix(key, "request.headers[") && strings.HasSuffix(key, "]"):
		h := strings.ToLower(key[len("request.headers[") : len(key)-1])
		v, ok := a.headers[h]
		if !ok {
			return nil, str, true
		}
		return []string{v}, str, true
	case key == "source.ip" || key == "remote.ip":
		return opt(a.srcIP), ipf, true
	case key == "source.namespace":
		return opt(a.peer.ns), str, true
	case key == "source.principal":
		return opt(a.peer.String()), func(p, v string) bool { return matchPrincipal(p, a.peer, s.Mesh) }, true
	case key == "request.auth.principal":
		return opt(a.reqPrinc), str, true
	case key == "request.auth.audiences":
		return a.claims["aud"], str, true
	case key == "request.auth.presenter":
		return a.claims["azp"], str, true
	case strings.HasPrefix(key, "request.auth.claims[") && strings.HasSuffix(key, "]"):
		path := strings.Split(key[len("request.auth.claims["):len(key)-1], "][")
		return a.claims[strings.Join(path, ".")], str, true
	case key == "destination.ip":
		return opt(a.destIP), ipf, true
	case key == "destination.port":
		return []string{strconv.Itoa(int(a.port))}, str, true
	}
	return nil, str, false
}

func (s *Snapshot) matchCondition(c *security.Condition, a attrs) (bool, string) {
	vals, m, known := s.conditionValues(c.GetKey(), a)
	if !known {
		return false, fmt.Sprintf("condition key %q is not modelled: treated as not matching", c.GetKey())
	}
	hit := func(patterns []string) bool {
		for _, p := range patterns {
			for _, v := range vals {
				if m(p, v) {
					return true
				}
			}
		}
		return false
	}
	if len(c.GetValues()) > 0 && !hit(c.GetValues()) {
		return false, fmt.Sprintf("%s %v does not match %v", c.GetKey(), c.GetValues(), vals)
	}
	if len(c.GetNotValues()) > 0 && hit(c.GetNotValues()) {
		return false, fmt.Sprintf("%s notValues %v matches %v", c.GetKey(), c.GetNotValues(), vals)
	}
	return true, ""
}
