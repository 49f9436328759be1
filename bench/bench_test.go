package bench

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestQuick runs every row once with the smallest operation counts, so that
// `go test ./...` exercises the whole program, and checks the outputs.
func TestQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Scale: 1e-9, Repeat: 1, NoWarmup: true})
	if err != nil {
		t.Fatal(err)
	}
	var text, md, js strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + text.String())
	for _, res := range rep.Results {
		if res.Err != "" {
			t.Errorf("%s: %s", res.ID, res.Err)
			continue
		}
		if len(res.Samples) != 1 || res.Median <= 0 {
			t.Errorf("%s: samples %v", res.ID, res.Samples)
		}
	}
	if len(rep.Results) != len(Rows()) {
		t.Errorf("%d results for %d rows", len(rep.Results), len(Rows()))
	}
	if len(rep.Goals) != 3 {
		t.Errorf("goals: %+v", rep.Goals)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| **1:1 actor calls sync (C guest)** |", "`extism-call`"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("markdown lacks %q", s)
		}
	}
	if !strings.Contains(js.String(), `"id": "n:n-future-arg"`) {
		t.Error("JSON lacks a row")
	}
}

func TestRowsWellFormed(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rows() {
		if ids[r.ID] {
			t.Errorf("duplicate row %s", r.ID)
		}
		ids[r.ID] = true
		if r.run == nil || r.Ops <= 0 || r.Name == "" {
			t.Errorf("row %s incomplete", r.ID)
		}
	}
	for _, r := range Rows() {
		for _, b := range r.Baselines {
			if !ids[b] {
				t.Errorf("row %s: unknown baseline %s", r.ID, b)
			}
		}
		if r.Baseline && len(r.Baselines) > 0 {
			t.Errorf("baseline %s has baselines", r.ID)
		}
	}
}

func TestSelectRows(t *testing.T) {
	got := selectRows(Rows(), regexp.MustCompile(`^n:n-future-arg$`))
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	want := "n:n-future-arg protoactor-n:n-async n:n-async"
	for _, id := range strings.Fields(want) {
		if !strings.Contains(" "+strings.Join(ids, " ")+" ", " "+id+" ") {
			t.Errorf("selection %v lacks %s", ids, id)
		}
	}
	if len(ids) != 3 {
		t.Errorf("selection %v, want %s", ids, want)
	}
	if _, err := Run(context.Background(), Options{Rows: regexp.MustCompile(`^nothing$`)}); err != ErrNoRows {
		t.Errorf("empty selection: %v", err)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{formatValue(652314), "652,300"},
		{formatValue(11234.5), "11,230"},
		{formatValue(151.2), "151"},
		{formatValue(65.83), "65.8"},
		{formatNs(128), "128 ns"},
		{formatNs(2680), "2.68 µs"},
		{formatNs(5.61e6), "5.61 ms"},
		{formatBytes(46490), "45.4 KiB"},
		{formatRatio(38.59), "38.6×"},
		{formatRatio(0.5), "0.50×"},
		{formatRatio(0.00067), "0.00067×"},
		{groupDigits(1000000), "1,000,000"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
