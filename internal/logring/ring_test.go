package logring

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/wactor/wactor/api"
)

func texts(lines []api.LogLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Text
	}
	return out
}

func TestLogRing_Budget(t *testing.T) {
	var acct Budget
	cost := func(text string) int64 { return int64(len(text)) + LineOverhead }
	t.Run("lines", func(t *testing.T) {
		r := New(3, 1<<20, &acct)
		for _, s := range []string{"a", "b", "c", "d", "e"} {
			r.Add(1, s)
		}
		lines, st, _ := r.Page(0)
		if got := strings.Join(texts(lines), ""); got != "cde" || lines[0].Seq != 2 {
			t.Fatalf("kept %q from seq %d", got, lines[0].Seq)
		}
		want := api.LogStats{KeptLines: 3, KeptBytes: 3 * cost("a"), FirstSeq: 2, NextSeq: 5, DroppedLines: 2, DroppedBytes: uint64(2 * cost("a"))}
		if st != want {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
		if acct.held.Load() != st.KeptBytes {
			t.Fatalf("accounted %d, kept %d", acct.held.Load(), st.KeptBytes)
		}
		// since in the middle, past the end, before the first kept.
		for since, want := range map[uint64]string{0: "cde", 3: "de", 4: "e", 5: "", 99: ""} {
			lines, _ := r.Since(since)
			if got := strings.Join(texts(lines), ""); got != want {
				t.Errorf("since(%d) = %q, want %q", since, got, want)
			}
		}
		r.Release()
		if acct.held.Load() != 0 {
			t.Fatalf("released log still accounted: %d", acct.held.Load())
		}
		r.Add(1, "after")
		if lines, _ := r.Since(0); len(lines) != 0 || acct.held.Load() != 0 {
			t.Fatalf("a released log kept %d lines, %d bytes", len(lines), acct.held.Load())
		}
	})
	t.Run("bytes", func(t *testing.T) {
		budget := 3 * cost(strings.Repeat("x", 1000))
		r := New(1000, budget, &acct)
		for i := range 10 {
			r.Add(1, strings.Repeat(string(rune('a'+i)), 1000))
		}
		_, st, _ := r.Page(0)
		if st.KeptLines != 3 || st.KeptBytes != budget || st.FirstSeq != 7 || st.DroppedLines != 7 {
			t.Fatalf("stats %+v", st)
		}
		// A line larger than the whole budget keeps its beginning.
		r.Add(1, strings.Repeat("z", int(budget)))
		lines, st, _ := r.Page(0)
		if len(lines) != 1 || !lines[0].Truncated || st.KeptBytes > budget {
			t.Fatalf("an oversized line: %d lines, stats %+v", len(lines), st)
		}
		// Retired (the actor died): the last lines within the smaller budget.
		r.Add(1, "last")
		r.Retire(cost("last") + 10)
		lines, st, _ = r.Page(0)
		if got := texts(lines); len(got) != 1 || got[0] != "last" || acct.held.Load() != st.KeptBytes {
			t.Fatalf("retired: %q, stats %+v, accounted %d", got, st, acct.held.Load())
		}
		r.Release()
	})
	t.Run("line limit", func(t *testing.T) {
		r := New(10, 1<<20, nil)
		long := strings.Repeat("é", api.MaxLogLine) // 2 bytes each
		r.Add(1, long)
		r.Add(1, "bad \xff utf-8")
		lines, st, _ := r.Page(0)
		if l := lines[0]; len(l.Text) != api.MaxLogLine || !l.Truncated || !utf8.ValidString(l.Text) {
			t.Fatalf("long line: %d bytes, truncated %v", len(l.Text), l.Truncated)
		}
		if lines[1].Text != "bad \uFFFD utf-8" || st.TruncatedLines != 1 {
			t.Fatalf("second line %q, stats %+v", lines[1].Text, st)
		}
	})
}

// TestLogRing_Concurrent: writers and readers at once; the kept lines are
// always consecutive and within the budget (run with -race).
func TestLogRing_Concurrent(t *testing.T) {
	var acct Budget
	r := New(100, 8<<10, &acct)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				r.Add(w, strings.Repeat("x", i%200))
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				lines, st, _ := r.Page(0)
				if st.KeptBytes > 8<<10 || len(lines) > 100 {
					t.Errorf("over budget: %+v", st)
					return
				}
				for i := 1; i < len(lines); i++ {
					if lines[i].Seq != lines[i-1].Seq+1 {
						t.Errorf("seqs %d then %d", lines[i-1].Seq, lines[i].Seq)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if _, st, _ := r.Page(0); st.NextSeq != 8000 || acct.held.Load() != st.KeptBytes {
		t.Fatalf("stats %+v, accounted %d", st, acct.held.Load())
	}
}

// TestLogRing_HostBudget: past the host's budget, a log that grows is held
// to the floor; logs below it keep what they have.
func TestLogRing_HostBudget(t *testing.T) {
	acct := Budget{Limit: 16 << 10, Floor: 4 << 10}
	line := strings.Repeat("x", 1000)
	quiet := New(1000, 1<<20, &acct)
	for range 10 {
		quiet.Add(1, line) // about 10 KiB, under the budget
	}
	loud := New(1000, 1<<20, &acct)
	for range 1000 {
		loud.Add(1, line)
		if acct.held.Load() > acct.Limit+2*acct.Floor {
			t.Fatalf("logs hold %d bytes, budget %d", acct.held.Load(), acct.Limit)
		}
	}
	_, lst, _ := loud.Page(0)
	_, qst, _ := quiet.Page(0)
	if lst.KeptLines == 0 || lst.KeptBytes > acct.Limit-qst.KeptBytes || qst.KeptLines != 10 {
		t.Fatalf("loud %+v, quiet %+v", lst, qst)
	}
	// The quiet log growing past the budget is held to the floor too
	// (then both may grow again while under it).
	quiet.Add(1, strings.Repeat("y", 3000))
	if _, qst, _ = quiet.Page(0); qst.KeptBytes > acct.Floor || acct.held.Load() > acct.Limit {
		t.Fatalf("quiet past the budget: %+v; logs hold %d", qst, acct.held.Load())
	}
}
