package authz

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
)

// MatrixOptions select the rows and columns of a matrix.
type MatrixOptions struct {
	// From and To are glob patterns over NAME.NAMESPACE ("sleep.*");
	// empty means all.
	From []string
	To   []string
	// Port is the service port to call; 0 means each service's first port.
	Port int32
	// Method and Path describe the request (default GET /).
	Method string
	Path   string
	// Headers are request headers (VirtualService matches, policies).
	Headers map[string]string
}

// Cell is one predicted call.
type Cell struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	Port     int32   `json:"port"`
	Outcome  Outcome `json:"outcome"`
	Summary  string  `json:"summary"`
	Upstream string  `json:"upstream,omitempty"`
}

// Matrix is the outcome of every selected client × service.
type Matrix struct {
	// Unmatched names the --from and --to patterns that selected nothing.
	Unmatched []string `json:"-"`
	Clients   []string `json:"clients"`
	Services  []string `json:"services"`
	Cells     []Cell   `json:"cells"`
}

// unmatched names the patterns that selected nothing, with the names
// they could have selected.
func unmatched(flag string, patterns []string, matched []bool, what string, known []string) []string {
	var out []string
	for i, p := range patterns {
		if matched[i] {
			continue
		}
		hint := "none is loaded"
		if len(known) > 0 {
			shown := known
			if len(shown) > 8 {
				shown = append(append([]string{}, shown[:8]...), fmt.Sprintf("and %d more", len(known)-8))
			}
			hint = "known: " + strings.Join(shown, ", ")
		}
		out = append(out, fmt.Sprintf("%s %q matches no %s (%s)", flag, p, what, hint))
	}
	return out
}

func (s *Snapshot) serviceIDs() []string {
	var out []string
	for _, svc := range s.Services {
		out = append(out, svc.ID())
	}
	return out
}

// At returns the cell for client i and service j.
func (m *Matrix) At(i, j int) Cell { return m.Cells[i*len(m.Services)+j] }

// selected returns the index of the first pattern matching id (0 when
// there are no patterns), or -1.
func selected(id string, patterns []string) int {
	if len(patterns) == 0 {
		return 0
	}
	for i, p := range patterns {
		if ok, _ := path.Match(p, id); ok || p == id {
			return i
		}
	}
	return -1
}

// Matrix evaluates every selected client workload against every selected
// service. Rows and columns follow the order of the patterns that select
// them (so --from sleep.foo --from sleep.bar keeps that order), then
// namespace and name.
func (s *Snapshot) Matrix(o MatrixOptions) *Matrix {
	m := &Matrix{Clients: []string{}, Services: []string{}, Cells: []Cell{}}
	var clients []*Workload
	var svcs []*Service
	rank := map[string]int{}
	fromMatched := make([]bool, len(o.From))
	for _, w := range s.Workloads {
		if i := selected(w.ID(), o.From); i >= 0 {
			clients = append(clients, w)
			rank["w:"+w.ID()] = i
			if len(o.From) > 0 {
				fromMatched[i] = true
			}
		}
	}
	matched := make([]bool, len(o.To))
	for _, svc := range s.Services {
		if i := selected(svc.ID(), o.To); i >= 0 {
			svcs = append(svcs, svc)
			rank["s:"+svc.ID()] = i
			if len(o.To) > 0 {
				matched[i] = true
			}
		}
	}
	// A --to that names a host no registry has (no glob) is a column of
	// its own: the call to an external host or address.
	for i, p := range o.To {
		if !matched[i] && !strings.ContainsAny(p, "*?[") && (looksLikeHost(p) || strings.Contains(p, ":")) {
			if d, _, err := s.Destination(p, ""); err == nil && !d.registered() && !hasID(svcs, d.ID()) {
				svcs = append(svcs, d)
				rank["s:"+d.ID()] = i
				matched[i] = true
			}
		}
	}
	var known []string
	for _, w := range s.Workloads {
		known = append(known, w.ID())
	}
	m.Unmatched = append(unmatched("--from", o.From, fromMatched, "workload", known), unmatched("--to", o.To, matched, "service", s.serviceIDs())...)
	sort.SliceStable(clients, func(i, j int) bool { return rank["w:"+clients[i].ID()] < rank["w:"+clients[j].ID()] })
	sort.SliceStable(svcs, func(i, j int) bool { return rank["s:"+svcs[i].ID()] < rank["s:"+svcs[j].ID()] })
	for _, w := range clients {
		m.Clients = append(m.Clients, w.ID())
	}
	for _, svc := range svcs {
		m.Services = append(m.Services, svc.ID())
	}
	// Rows are evaluated on every core; each cell has its own slot, so the
	// result does not depend on the schedule.
	m.Cells = make([]Cell, len(clients)*len(svcs))
	rows := make(chan int, len(clients))
	for i := range clients {
		rows <- i
	}
	close(rows)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(clients)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rows {
				c := clients[i]
				for j, svc := range svcs {
					r := s.evaluate(Request{From: c, To: svc, Port: o.Port, Method: o.Method, Path: o.Path, Headers: o.Headers})
					m.Cells[i*len(svcs)+j] = Cell{From: c.ID(), To: svc.ID(), Port: r.Port, Outcome: r.Outcome, Summary: r.Summary, Upstream: r.Upstream}
				}
			}
		}()
	}
	wg.Wait()
	return m
}

// cellsPerBlock is how many cells one goroutine of writeCells marshals at
// a time: enough to amortise the hand-over, small enough that the blocks
// in flight stay a few hundred KiB.
const cellsPerBlock = 512

// writeCells writes the cells, comma-separated and indented as
// MarshalIndent would, marshalling blocks of them on every core (at issue
// 15's size the marshalling took as long as the evaluation on one core)
// and writing the blocks in order.
func (m *Matrix) writeCells(w io.Writer) error {
	type block struct {
		text []byte
		err  error
	}
	n := (len(m.Cells) + cellsPerBlock - 1) / cellsPerBlock
	done := make([]chan block, n)
	for i := range done {
		done[i] = make(chan block, 1)
	}
	inFlight := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	go func() {
		for i := range n {
			inFlight <- struct{}{}
			go func() {
				var b block
				var text bytes.Buffer
				enc := json.NewEncoder(&text)
				for k := i * cellsPerBlock; k < min((i+1)*cellsPerBlock, len(m.Cells)); k++ {
					if k > 0 {
						text.WriteByte(',')
					}
					if b.err = writeCell(&text, enc, &m.Cells[k]); b.err != nil {
						break
					}
				}
				b.text = text.Bytes()
				done[i] <- b
			}()
		}
	}()
	// Every block is received, even after an error, so that no goroutine
	// is left waiting for a slot.
	var first error
	for i := range n {
		b := <-done[i]
		<-inFlight
		if first == nil && b.err == nil {
			_, b.err = w.Write(b.text)
		}
		if first == nil {
			first = b.err
		}
	}
	return first
}

// writeCell writes one cell as MarshalIndent(cell, "    ", "  ") does
// after a newline and the cell's indent. The layout of Cell's fields is
// written here and only the values are encoded, because re-scanning the
// encoded text to indent it took two thirds of the JSON's time.
func writeCell(b *bytes.Buffer, enc *json.Encoder, c *Cell) error {
	field := func(name string, v any) error {
		b.WriteString("\n      \"")
		b.WriteString(name)
		b.WriteString("\": ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode ends each value with a newline
		return nil
	}
	b.WriteString("\n    {")
	for _, f := range []struct {
		name string
		v    any
	}{{"from", c.From}, {"to", c.To}, {"port", c.Port}, {"outcome", c.Outcome}, {"summary", c.Summary}} {
		if err := field(f.name, f.v); err != nil {
			return err
		}
		b.WriteByte(',')
	}
	if c.Upstream == "" {
		b.Truncate(b.Len() - 1)
	} else if err := field("upstream", c.Upstream); err != nil {
		return err
	}
	b.WriteString("\n    }")
	return nil
}

// WriteTable writes the seed's check.sh table: FROM \ TO, one row per client.
func (m *Matrix) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprint(tw, "FROM \\ TO")
	for _, s := range m.Services {
		fmt.Fprint(tw, "\t"+s)
	}
	fmt.Fprintln(tw)
	for i, c := range m.Clients {
		fmt.Fprint(tw, c)
		for j := range m.Services {
			fmt.Fprint(tw, "\t"+string(m.At(i, j).Outcome))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// WriteJSON writes the matrix as indented JSON.
//
// The cells are written one at a time, byte for byte as
// json.MarshalIndent(m, "", "  ") would write them, so that a large matrix
// is not held in memory twice more as text.
func (m *Matrix) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	list := func(name string, v any, last bool) error {
		b, err := json.MarshalIndent(v, "  ", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "  %q: %s", name, b)
		if !last {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
		return nil
	}
	bw.WriteString("{\n")
	if err := list("clients", m.Clients, false); err != nil {
		return err
	}
	if err := list("services", m.Services, false); err != nil {
		return err
	}
	if len(m.Cells) == 0 {
		bw.WriteString("  \"cells\": []\n}\n")
		return bw.Flush()
	}
	bw.WriteString("  \"cells\": [")
	if err := m.writeCells(bw); err != nil {
		return err
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

var outcomeColor = map[Outcome]string{
	Allowed:         "#2e7d32",
	Denied:          "#c62828",
	TLSMismatch:     "#ef6c00",
	BadGateway:      "#8d6e63",
	Timeout:         "#37474f",
	Reset:           "#6a1b9a",
	Unauthenticated: "#ad1457",
	Mixed:           "#546e7a",
}

func colorOf(o Outcome) string {
	if c, ok := outcomeColor[o]; ok {
		return c
	}
	return "#546e7a"
}

func legend() []Outcome {
	return []Outcome{Allowed, Denied, Unauthenticated, BadGateway, TLSMismatch, Reset, Timeout, Mixed}
}

// WriteDOT writes a Graphviz digraph: clients on the left, services on the
// right, one edge per call coloured by outcome.
func (m *Matrix) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph authz {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  subgraph cluster_clients {\n    label=\"clients\";\n")
	for _, c := range m.Clients {
		fmt.Fprintf(&b, "    %q;\n", "w:"+c)
	}
	b.WriteString("  }\n  subgraph cluster_services {\n    label=\"services\";\n")
	for _, s := range m.Services {
		fmt.Fprintf(&b, "    %q [shape=ellipse];\n", "s:"+s)
	}
	b.WriteString("  }\n")
	for _, c := range m.Clients {
		fmt.Fprintf(&b, "  %q [label=%q];\n", "w:"+c, c)
	}
	for _, s := range m.Services {
		fmt.Fprintf(&b, "  %q [label=%q];\n", "s:"+s, s)
	}
	for _, cell := range m.Cells {
		style := ""
		if cell.Outcome != Allowed {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %q -> %q [label=%q, color=%q, fontcolor=%q%s];\n", "w:"+cell.From, "s:"+cell.To, string(cell.Outcome), colorOf(cell.Outcome), colorOf(cell.Outcome), style)
	}
	// The legend: one coloured row per outcome, as in the SVG.
	b.WriteString("  legend [shape=none, margin=0, label=<<table border=\"0\" cellborder=\"0\" cellspacing=\"2\">")
	for _, o := range legend() {
		fmt.Fprintf(&b, "<tr><td bgcolor=%q width=\"14\"></td><td align=\"left\">%s</td></tr>", colorOf(o), html.EscapeString(legendText(o)))
	}
	b.WriteString("</table>>];\n}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSVG draws the matrix as a grid: clients as rows, services as
// columns, each cell coloured and labelled with its outcome, with the
// reason as a tooltip. It needs no Graphviz.
func (m *Matrix) WriteSVG(w io.Writer) error {
	const (
		cell    = 64
		rowH    = 28
		charW   = 7
		pad     = 12
		legendH = 24
	)
	left := pad + charW*maxLen(m.Clients, 9) + pad
	top := pad + int(float64(charW*maxLen(m.Services, 6))*0.75) + pad
	// Column labels are rotated 45 degrees: leave room on the right.
	width := left + cell*len(m.Services) + int(float64(charW*maxLen(m.Services, 6))*0.75) + pad
	if width < 420 {
		width = 420
	}
	// The legend wraps onto as many rows as the width needs.
	type entry struct{ x, row int }
	var entries []entry
	x, row := pad, 0
	for _, o := range legend() {
		w := 18 + charW*len(legendText(o))
		if x > pad && x+w > width-pad {
			x, row = pad, row+1
		}
		entries = append(entries, entry{x, row})
		x += w + pad
	}
	height := top + rowH*len(m.Clients) + pad + legendH*(row+1) + pad
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">FROM \ TO</text>`+"\n", pad, top-6)
	for j, s := range m.Services {
		x := left + j*cell + cell/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" transform="rotate(-45 %d %d)">%s</text>`+"\n", x, top-6, x, top-6, html.EscapeString(s))
	}
	for i, c := range m.Clients {
		y := top + i*rowH
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", pad, y+rowH/2+4, html.EscapeString(c))
		for j := range m.Services {
			ce := m.At(i, j)
			x := left + j*cell
			fmt.Fprintf(&b, `<g><title>%s</title><rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#ffffff" stroke-width="2"/>`,
				html.EscapeString(ce.From+" → "+ce.To+": "+ce.Summary), x, y, cell, rowH, colorOf(ce.Outcome))
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#ffffff" text-anchor="middle">%s</text></g>`+"\n", x+cell/2, y+rowH/2+4, html.EscapeString(string(ce.Outcome)))
		}
	}
	ly := top + rowH*len(m.Clients) + pad
	for i, o := range legend() {
		e := entries[i]
		y := ly + legendH*e.row
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="14" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", e.x, y, colorOf(o), e.x+18, y+11, html.EscapeString(legendText(o)))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func legendText(o Outcome) string {
	switch o {
	case Allowed:
		return "200 allowed"
	case Denied:
		return "403 denied"
	case Unauthenticated:
		return "401 bad token"
	case TLSMismatch:
		return "503 refused upstream"
	case BadGateway:
		return "502 blocked"
	case Timeout:
		return "timeout (dropped)"
	case Reset:
		return "reset"
	}
	return string(o)
}

func maxLen(xs []string, min int) int {
	n := min
	for _, x := range xs {
		if len(x) > n {
			n = len(x)
		}
	}
	return n
}

func hasID(svcs []*Service, id string) bool {
	for _, d := range svcs {
		if d.ID() == id {
			return true
		}
	}
	return false
}

func sortStrings(xs []string) { sort.Strings(xs) }
