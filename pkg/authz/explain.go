package authz

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteExplanation writes a result as `authz can` prints it: the outcome and
// summary first, then the chain of reasons per server workload.
func WriteExplanation(w io.Writer, r Result) error {
	head := string(r.Outcome) + ": "
	parts := strings.Split(r.Summary, "; ")
	var b strings.Builder
	b.WriteString(head + strings.Join(parts, ";\n"+strings.Repeat(" ", len(head))) + "\n")
	if len(r.Client) > 0 {
		fmt.Fprintf(&b, "\n%s -> %s:%d (client side): %s\n", r.From, r.To, r.Port, upstreamOr(r))
		if err := writeReasons(&b, r.Client); err != nil {
			return err
		}
	}
	for _, d := range r.Backend {
		via := ""
		if d.Cluster != "" {
			via = ", " + d.Cluster
		}
		fmt.Fprintf(&b, "\n%s -> %s:%d (workload %s%s): %s\n", r.From, r.To, r.Port, d.Workload, via, d.Outcome)
		if err := writeReasons(&b, d.Reasons); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeReasons(b *strings.Builder, rs []Reason) error {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for i, reason := range rs {
		fmt.Fprintf(tw, "  %d.\t%s\t%s\t%s\n", i+1, reason.Step, reason.Result, reason.Text)
		if reason.Where != "" {
			fmt.Fprintf(tw, "\t\t\tat %s\n", reason.Where)
		}
	}
	return tw.Flush()
}

func upstreamOr(r Result) string {
	switch {
	case r.Upstream != "":
		return r.Upstream
	case r.Route != nil:
		return "answered by VirtualService " + r.Route.VirtualService
	}
	return "no sidecar"
}

// WriteCheck writes `authz check` output: one line per policy in evaluation
// order, its rules indented below.
func WriteCheck(w io.Writer, c Check) error {
	var b strings.Builder
	if len(c.Policies) == 0 {
		fmt.Fprintf(&b, "no AuthorizationPolicy applies to %s: every request that passes mutual TLS is allowed\n", c.Workload)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, p := range c.Policies {
		note := ""
		if p.Note != "" {
			note = "(" + p.Note + ")"
		}
		if p.DryRun {
			note = strings.TrimSpace(note + " (dry run: not enforced)")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Action, p.Policy, note)
		for i, r := range p.Rules {
			fmt.Fprintf(tw, "\t  rule %d:\t%s\n", i, r)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteTLSCheck writes `authn tls-check` rows as a table.
func WriteTLSCheck(w io.Writer, rows []TLSRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "HOST:PORT\tWORKLOAD\tSTATUS\tSERVER\tCLIENT\tAUTHN POLICY\tDESTINATION RULE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Host, r.Port, r.Workload, r.Status, r.Server, r.ClientMode, r.PeerAuthn, r.DestinationRule)
	}
	return tw.Flush()
}
