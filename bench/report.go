package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Published figures the goals are stated against.
const lunaticSpawnsPerSec = 5000

// goals checks issue 6's targets against the results of this run (only
// those whose rows ran).
func goals(r *Report) []Goal {
	var out []Goal
	med := func(id string) (float64, bool) {
		res := r.result(id)
		if res == nil {
			return 0, false
		}
		return res.Median, true
	}
	if a, ok := med("1:1-async-c"); ok {
		if x, ok := med("extism-call"); ok {
			v := a / x
			out = append(out, Goal{Name: "1:1 async vs Extism", Target: "≥ 2× the Extism call rate for the same payload", Value: v, Met: v >= 2,
				Text: fmt.Sprintf("1:1 async (C guest) %s calls/s = %.2f× Extism's %s calls/s", formatValue(a), v, formatValue(x))})
		}
		if w, ok := med("wazero-call-c"); ok {
			v := w / a
			text := fmt.Sprintf("1:1 async (C guest) %s per call = %.1f× the raw wazero call's %s", formatNs(1e9/a), v, formatNs(1e9/w))
			if s, ok := med("1:1-sync-c"); ok {
				text += fmt.Sprintf("; a sync round trip (%s) is %.1f×", formatNs(1e9/s), w/s)
			}
			out = append(out, Goal{Name: "call overhead vs raw wazero", Target: "≤ 10× the raw wazero call (C guest)", Value: v, Met: v <= 10, Text: text})
		}
	}
	if c, ok := med("create-c"); ok {
		v := c / lunaticSpawnsPerSec
		text := fmt.Sprintf("actor creation (C guest, cold) %s/s = %.2f× Lunatic's 5,000/s", formatValue(c), v)
		if cs, ok := med("create-c-coldspawn"); ok {
			text += fmt.Sprintf("; with _initialize per actor %s/s = %.2f×", formatValue(cs), cs/lunaticSpawnsPerSec)
		}
		out = append(out, Goal{Name: "small-guest actor creation", Target: "≥ 10× Lunatic's published 5,000 spawns/s (50,000/s)", Value: v, Met: v >= 10, Text: text})
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("bench: encoding the report: %w", err)
	}
	return nil
}

func (r *Report) header() []string {
	m := r.Machine
	mods := make([]string, 0, len(m.Modules))
	for k, v := range m.Modules {
		mods = append(mods, k[strings.LastIndex(k, "/")+1:]+" "+v)
	}
	sort.Strings(mods)
	return []string{
		fmt.Sprintf("wactor-bench: %s mode, %d repetitions per row (median, min–max), %s", r.Mode, r.Repeat, r.Started.Format(time.RFC3339)),
		fmt.Sprintf("machine: %s, %d cores (GOMAXPROCS %d), %.0f GiB, %s, %s; %s", m.CPU, m.Cores, m.GOMAXPROCS, m.MemoryGiB, m.OS, m.Go, strings.Join(mods, ", ")),
		fmt.Sprintf("load average (1 min): %.2f at the start, %.2f at the end", m.LoadAvg[0], m.LoadAvg[1]),
	}
}

const ratioNote = "ratio = the row's median ÷ the baseline's median (above 1×: faster, or denser, than the baseline)"

func (res Result) cells() (median, spread, perOp, ratios string) {
	if res.Err != "" {
		return "error", "", "", firstLine(res.Err)
	}
	median = formatValue(res.Median) + " " + res.Unit
	spread = formatValue(res.Min) + "–" + formatValue(res.Max)
	if res.Kind == KindDensity {
		perOp = formatBytes(res.PerOp) + "/actor"
	} else {
		perOp = formatNs(res.PerOp)
	}
	rs := make([]string, len(res.Ratios))
	for i, x := range res.Ratios {
		rs[i] = formatRatio(x.Value) + " " + x.Baseline
	}
	return median, spread, perOp, strings.Join(rs, ", ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func (res Result) label() string {
	if res.Baseline {
		return "  └ " + res.Name + " [" + res.ID + "]"
	}
	return res.Name
}

// WriteText writes the table as aligned text, with the goals below it.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, h := range r.header() {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "row\tops\tmedian\tmin–max\tper op\tvs baselines\tpublished anchor")
	for i, res := range r.Results {
		if i > 0 && !res.Baseline && r.Results[i-1].Baseline {
			fmt.Fprintln(tw, "\t\t\t\t\t\t")
		}
		med, spread, perOp, ratios := res.cells()
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", res.label(), res.Ops, med, spread, perOp, ratios, res.Anchor)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	b.WriteString("\n" + ratioNote + "\n\npublished anchors (not measured here):\n")
	for i, src := range Sources {
		fmt.Fprintf(&b, "  [%d] %s\n", i+1, src)
	}
	if len(r.Goals) > 0 {
		b.WriteString("\ngoals (issue 6), from this run:\n")
		for _, g := range r.Goals {
			fmt.Fprintf(&b, "  [%s] %s: %s (target %s)\n", metText(g.Met), g.Name, g.Text, g.Target)
		}
	}
	fmt.Fprintf(&b, "\ntotal time %s\n", r.Duration)
	_, err := io.WriteString(w, b.String())
	return err
}

func metText(met bool) string {
	if met {
		return "met"
	}
	return "NOT met"
}

// WriteMarkdown writes the table as a Markdown table, with the goals.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	for _, h := range r.header() {
		b.WriteString(h + "  \n")
	}
	b.WriteString("\n| row | ops | median | min–max | per op | vs baselines | published anchor |\n|---|---:|---:|---:|---:|---|---|\n")
	for _, res := range r.Results {
		med, spread, perOp, ratios := res.cells()
		name := res.Name
		if res.Baseline {
			name = "↳ *" + res.Name + "* (`" + res.ID + "`)"
		} else {
			name = "**" + name + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", name, groupDigits(int64(res.Ops)), med, spread, perOp,
			strings.ReplaceAll(ratios, "|", "\\|"), res.Anchor)
	}
	b.WriteString("\n" + ratioNote + ".\n\nHow each row is measured:\n\n")
	for _, res := range r.Results {
		if res.Note != "" {
			fmt.Fprintf(&b, "- `%s`: %s.\n", res.ID, res.Note)
		}
	}
	b.WriteString("\nPublished anchors (not measured here):\n\n")
	for i, src := range Sources {
		fmt.Fprintf(&b, "%d. %s.\n", i+1, src)
	}
	if len(r.Goals) > 0 {
		b.WriteString("\nGoals (issue 6), from this run:\n\n")
		for _, g := range r.Goals {
			fmt.Fprintf(&b, "- **%s** — %s: %s (target %s)\n", metText(g.Met), g.Name, g.Text, g.Target)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatValue prints v with four significant digits and grouped thousands.
func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 0) || math.IsNaN(v):
		return fmt.Sprint(v)
	case v >= 1000:
		digits := int(math.Floor(math.Log10(v))) + 1
		p := math.Pow10(digits - 4)
		return groupDigits(int64(math.Round(v/p) * p))
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatNs prints a duration given in nanoseconds with three significant digits.
func formatNs(ns float64) string {
	switch {
	case ns < 1e3:
		return strconv.FormatFloat(ns, 'f', sigDecimals(ns), 64) + " ns"
	case ns < 1e6:
		return strconv.FormatFloat(ns/1e3, 'f', sigDecimals(ns/1e3), 64) + " µs"
	case ns < 1e9:
		return strconv.FormatFloat(ns/1e6, 'f', sigDecimals(ns/1e6), 64) + " ms"
	default:
		return strconv.FormatFloat(ns/1e9, 'f', sigDecimals(ns/1e9), 64) + " s"
	}
}

// sigDecimals is the number of decimals that shows three significant digits.
func sigDecimals(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	default:
		return 2
	}
}

func formatBytes(n float64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(n/(1<<20), 'f', sigDecimals(n/(1<<20)), 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(n/(1<<10), 'f', sigDecimals(n/(1<<10)), 64) + " KiB"
	default:
		return strconv.FormatFloat(n, 'f', 0, 64) + " B"
	}
}

func formatRatio(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + "×"
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + "×"
	case v >= 0.1 || v == 0:
		return strconv.FormatFloat(v, 'f', 2, 64) + "×"
	default: // two significant digits
		return strconv.FormatFloat(v, 'f', 1-int(math.Floor(math.Log10(v))), 64) + "×"
	}
}
