// Package bench is wactor's microbenchmark against its peers, in the style
// of `ray microbenchmark`: every row runs a fixed number of operations a few
// times and reports the median and the spread, and each of wactor's rows is
// printed as a ratio to the baselines measured in the same run: the raw
// wazero call on the same guest (the floor), the same work through the
// Extism Go SDK, and an unsandboxed Go actor engine (protoactor-go).
//
// The program is cmd/wactor-bench. This package is a separate Go module so
// that the main module does not depend on the peers.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"time"
)

// Kind says what a row measures and so how its value reads.
type Kind string

const (
	// KindRate rows time a fixed number of operations; the value is
	// operations per second.
	KindRate Kind = "rate"
	// KindDensity rows spawn a fixed number of idle actors and measure the
	// resident memory they add; the value is actors per GiB.
	KindDensity Kind = "density"
)

// Row is one line of the table.
type Row struct {
	// ID is a short stable key (JSON output, -rows).
	ID string
	// Name is the printed name; wactor's rows use the names of Ray's
	// microbenchmark where they match.
	Name string
	// Baseline marks a peer or floor measurement rather than one of wactor's.
	Baseline bool
	// Kind decides the unit of the value.
	Kind Kind
	// Ops is the number of operations of one repetition in full mode (for
	// KindDensity, the number of actors).
	Ops int
	// MinOps bounds Ops from below after scaling (default 1).
	MinOps int
	// Baselines are the IDs of the rows this one is compared with.
	Baselines []string
	// Anchor is a published figure to read the row against (not measured
	// here; docs/benchmarks.md gives the sources).
	Anchor string
	// Note says how the row is measured.
	Note string
	// run performs ops operations and returns what it measured. Set-up and
	// tear-down inside run are not timed: run times only the operations.
	run func(ctx context.Context, e *env, ops int) (sample, error)
}

// sample is one repetition's measurement.
type sample struct {
	elapsed time.Duration // KindRate: time for the ops operations
	bytes   float64       // KindDensity: resident bytes added per actor
}

// value converts a sample to the row's unit (higher is better for every kind).
func (s sample) value(k Kind, ops int) float64 {
	switch k {
	case KindDensity:
		if s.bytes <= 0 {
			return math.Inf(1)
		}
		return float64(1<<30) / s.bytes
	default:
		if s.elapsed <= 0 {
			return math.Inf(1)
		}
		return float64(ops) / s.elapsed.Seconds()
	}
}

// Options configure a run.
type Options struct {
	// Scale multiplies every row's Ops (1 = full mode). Quick mode uses 1/50.
	Scale float64
	// Repeat is how many measured repetitions each row gets (default 3),
	// after one untimed warm-up with a twentieth of the operations.
	Repeat int
	// Rows, if set, selects the rows whose ID or name matches; the
	// baselines of the selected rows are run too.
	Rows *regexp.Regexp
	// Progress, if set, receives a line per row as it finishes.
	Progress io.Writer
	// NoWarmup skips the warm-up repetition (for tests).
	NoWarmup bool
}

// Result is one row's outcome.
type Result struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Baseline bool   `json:"baseline"`
	Kind     Kind   `json:"kind"`
	Ops      int    `json:"ops"`
	// Unit is the unit of Samples, Median, Min and Max.
	Unit    string    `json:"unit"`
	Samples []float64 `json:"samples,omitempty"`
	Median  float64   `json:"median,omitempty"`
	Min     float64   `json:"min,omitempty"`
	Max     float64   `json:"max,omitempty"`
	// PerOp is the median time per operation in nanoseconds (KindRate) or
	// resident bytes per actor (KindDensity).
	PerOp float64 `json:"per_op,omitempty"`
	// PerOpUnit is "ns" or "bytes".
	PerOpUnit string  `json:"per_op_unit"`
	Ratios    []Ratio `json:"ratios,omitempty"`
	Anchor    string  `json:"anchor,omitempty"`
	Note      string  `json:"note,omitempty"`
	Err       string  `json:"error,omitempty"`
}

// Ratio compares a row with one of its baselines: Value is the row's median
// divided by the baseline's (above 1: faster, or denser, than the baseline).
type Ratio struct {
	Baseline string  `json:"baseline"`
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
}

// Goal is one of issue 6's targets, checked against this run.
type Goal struct {
	Name   string  `json:"name"`
	Target string  `json:"target"`
	Value  float64 `json:"value"`
	Text   string  `json:"text"`
	Met    bool    `json:"met"`
}

// Report is a whole run.
type Report struct {
	Started  time.Time `json:"started"`
	Duration string    `json:"duration"`
	Mode     string    `json:"mode"`
	Scale    float64   `json:"scale"`
	Repeat   int       `json:"repeat"`
	Machine  Machine   `json:"machine"`
	Results  []Result  `json:"results"`
	Goals    []Goal    `json:"goals,omitempty"`
}

// Failed reports whether any row failed.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if res.Err != "" {
			return true
		}
	}
	return false
}

// result returns the result with the given ID, or nil.
func (r *Report) result(id string) *Result {
	for i := range r.Results {
		if r.Results[i].ID == id && r.Results[i].Err == "" && len(r.Results[i].Samples) > 0 {
			return &r.Results[i]
		}
	}
	return nil
}

// ErrNoRows is returned by Run when the selection matches no row.
var ErrNoRows = errors.New("bench: no row matches")

// Rows returns every row of the table, in order.
func Rows() []Row { return allRows() }

// Run runs the selected rows and returns the report. A row that fails is
// reported with its error and the run goes on; Report.Failed tells.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.Repeat <= 0 {
		opts.Repeat = 3
	}
	rows := selectRows(allRows(), opts.Rows)
	if len(rows) == 0 {
		return nil, ErrNoRows
	}
	mode := "full"
	if opts.Scale < 1 {
		mode = fmt.Sprintf("quick (scale %g)", opts.Scale)
	}
	rep := &Report{Started: time.Now(), Mode: mode, Scale: opts.Scale, Repeat: opts.Repeat, Machine: machine()}
	e, err := newEnv()
	if err != nil {
		return nil, err
	}
	defer e.close(ctx)
	for _, row := range rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := runRow(ctx, e, row, opts)
		rep.Results = append(rep.Results, res)
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "%-58s %s\n", res.Name, progressText(res))
		}
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		row := findRow(rows, res.ID)
		if res.Err != "" {
			continue
		}
		for _, b := range row.Baselines {
			if base := rep.result(b); base != nil && base.Median > 0 && !math.IsInf(base.Median, 0) {
				res.Ratios = append(res.Ratios, Ratio{Baseline: b, Name: base.Name, Value: res.Median / base.Median})
			}
		}
	}
	rep.Goals = goals(rep)
	rep.Machine.LoadAvg[1] = loadAvg()
	rep.Duration = time.Since(rep.Started).Round(time.Second).String()
	return rep, nil
}

func progressText(res Result) string {
	if res.Err != "" {
		return "error: " + res.Err
	}
	return fmt.Sprintf("%s %s", formatValue(res.Median), res.Unit)
}

func findRow(rows []Row, id string) Row {
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	return Row{}
}

// selectRows keeps the rows matching re and, transitively, their baselines,
// in table order.
func selectRows(all []Row, re *regexp.Regexp) []Row {
	if re == nil {
		return all
	}
	want := map[string]bool{}
	var add func(id string)
	add = func(id string) {
		if want[id] {
			return
		}
		want[id] = true
		for _, b := range findRow(all, id).Baselines {
			add(b)
		}
	}
	for _, r := range all {
		if re.MatchString(r.ID) || re.MatchString(r.Name) {
			add(r.ID)
		}
	}
	var out []Row
	for _, r := range all {
		if want[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// scaledOps is a row's operation count under scale.
func scaledOps(row Row, scale float64) int {
	n := int(math.Round(float64(row.Ops) * scale))
	lo := max(row.MinOps, 1)
	return max(n, lo)
}

func runRow(ctx context.Context, e *env, row Row, opts Options) (res Result) {
	ops := scaledOps(row, opts.Scale)
	res = Result{ID: row.ID, Name: row.Name, Baseline: row.Baseline, Kind: row.Kind, Ops: ops,
		Anchor: row.Anchor, Note: row.Note}
	switch row.Kind {
	case KindDensity:
		res.Unit, res.PerOpUnit = "actors/GiB", "bytes"
	default:
		res.Unit, res.PerOpUnit = "ops/s", "ns"
	}
	defer func() {
		if p := recover(); p != nil {
			res.Samples = nil
			res.Err = fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if !opts.NoWarmup {
		warm := max(ops/20, max(row.MinOps, 1))
		gcNow()
		if _, err := row.run(ctx, e, warm); err != nil {
			res.Err = fmt.Sprintf("warm-up: %v", err)
			return res
		}
	}
	for range opts.Repeat {
		gcNow()
		s, err := row.run(ctx, e, ops)
		if err != nil {
			res.Err = err.Error()
			res.Samples = nil
			return res
		}
		v := s.value(row.Kind, ops)
		if math.IsInf(v, 0) || math.IsNaN(v) {
			res.Err = fmt.Sprintf("%d operations took no measurable time: raise the count", ops)
			res.Samples = nil
			return res
		}
		res.Samples = append(res.Samples, v)
	}
	sorted := slices.Clone(res.Samples)
	slices.Sort(sorted)
	res.Min, res.Max = sorted[0], sorted[len(sorted)-1]
	res.Median = median(sorted)
	switch row.Kind {
	case KindDensity:
		res.PerOp = float64(1<<30) / res.Median
	default:
		res.PerOp = 1e9 / res.Median
	}
	return res
}

// median of sorted values (the mean of the middle two for an even count).
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// gcNow collects garbage so that one row's leftovers do not slow the next.
func gcNow() {
	runtime.GC()
	runtime.GC()
}

// discardLogger is given to every host and server: the table is the output.
var discardLogger = slog.New(slog.DiscardHandler)

// QuickScale is the Scale of quick mode (-quick): a fiftieth of the
// operations.
const QuickScale = 1.0 / 50
