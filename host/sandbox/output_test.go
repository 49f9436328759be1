package sandbox

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/logring"
)

func TestLineWriter(t *testing.T) {
	long := strings.Repeat("x", api.MaxLogLine)
	type line struct {
		text      string
		truncated bool
	}
	for _, tt := range []struct {
		name   string
		writes []string
		want   []line // after the writes and a flush
	}{
		{"lines", []string{"a\nb\n"}, []line{{"a", false}, {"b", false}}},
		{"split across writes", []string{"he", "llo\nwor", "ld\n"}, []line{{"hello", false}, {"world", false}}},
		{"empty lines", []string{"\n\n"}, []line{{"", false}, {"", false}}},
		{"unfinished line flushed", []string{"no newline"}, []line{{"no newline", false}}},
		{"exactly the limit", []string{long, "\n"}, []line{{long, false}}},
		{"one byte over: cut, rest discarded", []string{long + "yz\nnext\n"}, []line{{long, true}, {"next", false}}},
		{"over the limit across writes", []string{long[:100], long, "tail\nnext"}, []line{{long, true}, {"next", false}}},
		{"cut inside a character", []string{long[:api.MaxLogLine-1] + "é\n"}, []line{{long[:api.MaxLogLine-1], true}}},
		{"invalid utf-8", []string{"a\xffb\n"}, []line{{"a\uFFFDb", false}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs := logring.New(100, 1<<20, nil)
			sb := &Sandbox{logs: logs}
			w := sb.lineWriter(0)
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			sb.flushOutput()
			lines, _ := logs.Since(0)
			var got []line
			for _, l := range lines {
				got = append(got, line{l.Text, l.Truncated})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("line %d: %.40q (truncated %v), want %.40q (truncated %v)", i, got[i].text, got[i].truncated, tt.want[i].text, tt.want[i].truncated)
				}
			}
		})
	}
}

// TestLineWriter_FloodCost: 64 MiB without a newline costs memory in
// proportion to the line limit, not to what was written.
func TestLineWriter_FloodCost(t *testing.T) {
	logs := logring.New(100, 1<<20, nil)
	sb := &Sandbox{logs: logs}
	w := sb.lineWriter(1)
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 64 {
		_, _ = w.Write(chunk)
	}
	_, _ = w.Write([]byte("\nafter\n"))
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Fatalf("a 64 MiB line allocated %d bytes", alloc)
	}
	lines, _ := logs.Since(0)
	if len(lines) != 2 || !lines[0].Truncated || len(lines[0].Text) != api.MaxLogLine || lines[1].Text != "after" {
		t.Fatalf("got %d lines", len(lines))
	}
	if out := sb.stderr.String(); len(out) != tailSize {
		t.Fatalf("stderr tail of %d bytes", len(out))
	}
}

func TestTailBuffer_ErrorLines(t *testing.T) {
	var tb tailBuffer
	tb.write([]byte("panic: x"))
	for i := range 200 {
		tb.errorLine(strings.Repeat("e", 20) + string(rune('A'+i%26)))
	}
	out := tb.String()
	if !strings.HasPrefix(out, "panic: x\n") || len(out) > 2*tailSize+1 {
		t.Fatalf("output of %d bytes: %.60q", len(out), out)
	}
	// The last error line is kept whole, the oldest dropped whole.
	errs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(out, "panic: x\n"), "\n"), "\n")
	if last := errs[len(errs)-1]; last != strings.Repeat("e", 20)+string(rune('A'+199%26)) {
		t.Fatalf("last error line %q", last)
	}
	for _, e := range errs {
		if len(e) != 21 {
			t.Fatalf("a partial error line %q", e)
		}
	}
	tb.reset()
	if tb.String() != "" {
		t.Fatal("reset kept output")
	}
}

// FuzzLineWriter: whatever a guest writes, in whatever pieces, every logged
// line is valid UTF-8 of at most api.MaxLogLine bytes, the unfinished line stays
// bounded, and a short line comes out as written.
func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), uint16(3))
	f.Add([]byte("no newline"), uint16(1))
	f.Add(bytes.Repeat([]byte("é"), api.MaxLogLine), uint16(4093))
	f.Add([]byte("a\xff\xfeb\n\n\xc3"), uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, piece uint16) {
		data = bytes.Repeat(data, 1+(api.MaxLogLine+1)/(len(data)+1)/8) // reach the limit now and then
		logs := logring.New(1<<20, 1<<40, nil)
		sb := &Sandbox{logs: logs}
		w := sb.lineWriter(0)
		step := int(piece)%4096 + 1
		for p := data; len(p) > 0; {
			n := min(step, len(p))
			if k, err := w.Write(p[:n]); k != n || err != nil {
				t.Fatalf("Write = %d, %v", k, err)
			}
			if len(w.partial) > api.MaxLogLine {
				t.Fatalf("unfinished line of %d bytes", len(w.partial))
			}
			p = p[n:]
		}
		sb.flushOutput()
		lines, _ := logs.Since(0)
		for _, l := range lines {
			if len(l.Text) > api.MaxLogLine || !utf8.ValidString(l.Text) {
				t.Fatalf("line %d: %d bytes, valid %v", l.Seq, len(l.Text), utf8.ValidString(l.Text))
			}
		}
		// Lines that fit come out as written (made valid).
		want := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
		if len(data) == 0 {
			want = nil
		}
		if len(want) != len(lines) {
			t.Fatalf("%d lines logged, %d written", len(lines), len(want))
		}
		for i, w := range want {
			if len(w) <= api.MaxLogLine && (lines[i].Truncated || lines[i].Text != logring.ValidText(w)) {
				t.Fatalf("line %d: %.40q, want %.40q", i, lines[i].Text, w)
			}
		}
	})
}
