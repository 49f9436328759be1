package host

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/wactor/wactor/internal/logring"
)

// The log attacks: a guest floods its log from every source (stdout and
// stderr without newlines, the log import, many short lines). The host must
// hold at most the actor's budget (Config.LogBytes, lines of at most
// MaxLogLine), stay responsive, and give the memory back when the actor
// goes, all measured through its own accounting (NodeUsage.LogBytes).

const logFloodClass = "hostile_logflood"

// actorLogBudget is the per-actor log budget of the hostile log tests: the
// default.
const actorLogBudget = defaultLogBytes

func TestHostile_LogFlood(t *testing.T) {
	for _, tt := range []struct {
		method string
		// level of the flood's lines; truncated: lines cut at MaxLogLine.
		level     int
		truncated bool
		// drops: the flood is made of more lines than the budget keeps;
		// else it is one line, cut.
		drops bool
	}{
		{method: "flood_stdout", level: 1, truncated: true},             // 64 MiB without a newline, twice
		{method: "flood_stderr", level: 3, truncated: true},             // the same on stderr
		{method: "flood_lines", level: 1, truncated: true, drops: true}, // 1024 lines of 64 KiB on stdout
		{method: "flood_log", level: 1, truncated: true, drops: true},   // 1024 log calls of 64 KiB
		{method: "many_lines", level: 1, drops: true},                   // 131072 short lines
	} {
		t.Run(tt.method, func(t *testing.T) {
			h := newTestHost(t, Config{Workers: 2})
			by := startBystander(t, h)
			by.progress(t, 1)
			base := takeBaseline(h)
			a := spawn(t, h, fixture(t, logFloodClass), Options{Namespace: "attacker"})
			for range 2 {
				invoke[any](t, a, tt.method)
				u := h.Usage()
				if held := u.LogBytes - base.u.LogBytes; held > actorLogBudget {
					t.Fatalf("after %s the host holds %d bytes of logs, above the budget of %d", tt.method, held, actorLogBudget)
				}
				by.progress(t, 1)
			}
			st := a.LogStats()
			if st.KeptBytes > actorLogBudget || st.KeptLines > defaultLogLines {
				t.Fatalf("the actor's log holds %d lines, %d bytes: over its budget", st.KeptLines, st.KeptBytes)
			}
			if tt.drops && st.DroppedLines == 0 || !tt.drops && st.KeptLines != 1 {
				t.Fatalf("after two floods the log holds %+v", st)
			}
			lines, _ := a.Logs(0)
			if len(lines) == 0 || uint64(len(lines)) != st.NextSeq-st.FirstSeq || lines[0].Seq != st.FirstSeq {
				t.Fatalf("read %d lines, stats %+v", len(lines), st)
			}
			for _, l := range lines {
				if len(l.Text) > MaxLogLine {
					t.Fatalf("line %d has %d bytes, above %d", l.Seq, len(l.Text), MaxLogLine)
				}
				if l.Level != tt.level || l.Truncated != tt.truncated {
					t.Fatalf("line %d: level %d truncated %v, want %d %v", l.Seq, l.Level, l.Truncated, tt.level, tt.truncated)
				}
			}
			if tt.truncated && st.TruncatedLines == 0 {
				t.Fatalf("no line counted as truncated: %+v", st)
			}
			// The actor still serves.
			if got := invoke[int64](t, a, "get"); got != 1 {
				t.Fatalf("get = %d", got)
			}
			if err := a.Kill(context.Background()); err != nil {
				t.Fatal(err)
			}
			base.settled(t, h, 0)
			// What stays is the dead actor's last words, within DeadLogBytes.
			eventually(t, "the dead actor's log to shrink", func() bool {
				u := h.Usage()
				return u.LogBytes-base.u.LogBytes <= defaultDeadLogBytes && u.DeadActors == base.u.DeadActors+1
			})
			by.finish(t)
		})
	}
}

// TestHostile_LogFloodReleased: with no dead actor kept, a flooding actor's
// log is entirely given back when it is killed, and nothing keeps its log
// or its sandbox's line buffers reachable.
func TestHostile_LogFloodReleased(t *testing.T) {
	h := newTestHost(t, Config{KeepDead: -1})
	by := startBystander(t, h)
	base := takeBaseline(h)
	a := spawn(t, h, fixture(t, logFloodClass), Options{Namespace: "attacker"})
	invoke[any](t, a, "flood_stdout")
	invoke[any](t, a, "flood_stderr")
	by.progress(t, 1)
	if u := h.Usage(); u.LogBytes <= base.u.LogBytes {
		t.Fatalf("the flood is not accounted: %d log bytes, baseline %d", u.LogBytes, base.u.LogBytes)
	}
	a.a.mu.Lock()
	out := weak.Make(a.a.sb.Sandbox) // its line writers point to it
	a.a.mu.Unlock()
	ring := weak.Make(a.a.logs)
	id := a.ID()
	if err := a.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	a = nil
	base.settled(t, h, 0)
	eventually(t, "the killed actor's log to be released", func() bool {
		return h.Usage().LogBytes == base.u.LogBytes
	})
	eventually(t, "the killed actor's log and line buffers to be collected", func() bool {
		runtime.GC()
		return ring.Value() == nil && out.Value() == nil
	})
	if _, err := h.Info(context.Background(), id); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("Info of a dead actor with KeepDead -1: %v", err)
	}
	by.finish(t)
}

// TestHostile_AbortMessage: an AssemblyScript-style abort (a partial line
// on stderr, an error logged, then a trap) is not lost: it is in the
// TrapError, in the death error, and in the dead actor's kept log.
func TestHostile_AbortMessage(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, fixture(t, logFloodClass), Options{Namespace: "attacker"})
	_, err := a.Invoke(ctx, "abort")
	var te *TrapError
	if !errors.As(err, &te) {
		t.Fatalf("abort: %v, want a *TrapError", err)
	}
	for _, want := range []string{"partial stderr", "abort: boom in index.ts(3:5)"} {
		if !strings.Contains(te.GuestOutput, want) {
			t.Fatalf("GuestOutput %q lacks %q", te.GuestOutput, want)
		}
	}
	// Calls to the dead actor fail as before.
	if _, err := a.Invoke(ctx, "get"); !errors.Is(err, ErrActorDied) {
		t.Fatalf("call after death: %v", err)
	}
	info, err := h.Info(ctx, a.ID())
	if err != nil || info.State != StateDead || info.Death != DeathRestartsExhausted || !strings.Contains(info.DeathError, "abort: boom") {
		t.Fatalf("Info of the dead actor: %+v, %v", info, err)
	}
	page, err := h.Logs(ctx, a.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		level int
		text  string
	}{
		{3, "abort: boom in index.ts(3:5)"},
		{3, "partial stderr"}, // an unfinished line is logged when the sandbox closes
		{1, "wactor: actor died"},
	}
	if len(page.Lines) != len(want) {
		t.Fatalf("dead actor's log: %+v", page.Lines)
	}
	for i, w := range want {
		if l := page.Lines[i]; l.Level != w.level || !strings.Contains(l.Text, w.text) {
			t.Fatalf("line %d = %+v, want level %d %q", i, l, w.level, w.text)
		}
	}
	if _, err := h.Logs(ctx, "no-such-actor", 0); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("Logs of an unknown actor: %v", err)
	}
}

// TestHost_KeepDead: dead actors are kept up to KeepDead, for KeepDeadFor,
// then forgotten with their logs.
func TestHost_KeepDead(t *testing.T) {
	ctx := context.Background()
	t.Run("count", func(t *testing.T) {
		h := newTestHost(t, Config{KeepDead: 2})
		wasm := fixture(t, "log")
		var ids []string
		for range 3 {
			a := spawn(t, h, wasm, Options{})
			invoke[any](t, a, "hello")
			if err := a.Kill(ctx); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID())
		}
		if _, err := h.Info(ctx, ids[0]); !errors.Is(err, ErrActorNotFound) {
			t.Fatalf("the oldest dead actor is still kept: %v", err)
		}
		if _, err := h.Logs(ctx, ids[0], 0); !errors.Is(err, ErrActorNotFound) {
			t.Fatalf("the oldest dead actor's log is still kept: %v", err)
		}
		for _, id := range ids[1:] {
			page, err := h.Logs(ctx, id, 0)
			if err != nil || !hasLine(page.Lines, "hello from wat") || !hasLine(page.Lines, "died: killed") {
				t.Fatalf("dead actor %s's log: %+v, %v", id, page, err)
			}
		}
		u := h.Usage()
		if u.DeadActors != 2 || len(h.Actors()) != 2 {
			t.Fatalf("kept %d dead actors, listed %d; want 2", u.DeadActors, len(h.Actors()))
		}
		var held int64
		for _, id := range ids[1:] {
			page, _ := h.Logs(ctx, id, 0)
			held += page.KeptBytes
		}
		if u.LogBytes != held {
			t.Fatalf("NodeUsage.LogBytes = %d, the kept logs hold %d", u.LogBytes, held)
		}
	})
	t.Run("ttl", func(t *testing.T) {
		h := newTestHost(t, Config{KeepDeadFor: time.Millisecond})
		a := spawn(t, h, fixture(t, "log"), Options{})
		invoke[any](t, a, "hello")
		if err := a.Kill(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the dead actor to expire", func() bool {
			u := h.Usage()
			return u.DeadActors == 0 && u.LogBytes == 0
		})
		if _, err := h.Info(ctx, a.ID()); !errors.Is(err, ErrActorNotFound) {
			t.Fatalf("expired dead actor: %v", err)
		}
		if lines, _ := a.Logs(0); len(lines) != 0 {
			t.Fatalf("an expired dead actor's handle still reads %d lines", len(lines))
		}
	})
}

// TestHostile_LogFloodManyActors: many flooding actors together hold at
// most Config.LogBudget plus DeadLogBytes each, not LogBytes each.
func TestHostile_LogFloodManyActors(t *testing.T) {
	const (
		actors = 8
		budget = 2 << 20
	)
	h := newTestHost(t, Config{Workers: 2, LogBudget: budget})
	by := startBystander(t, h)
	base := takeBaseline(h)
	c, err := h.LoadClass(context.Background(), fixture(t, logFloodClass))
	if err != nil {
		t.Fatal(err)
	}
	var flooders []*Actor
	for range actors {
		a, err := h.Spawn(context.Background(), c.ID, Options{Namespace: "attacker"})
		if err != nil {
			t.Fatal(err)
		}
		flooders = append(flooders, a)
	}
	bound := int64(budget + actors*(defaultDeadLogBytes+MaxLogLine+logring.LineOverhead))
	for _, a := range flooders {
		invoke[any](t, a, "flood_lines")
		if held := h.Usage().LogBytes - base.u.LogBytes; held > bound {
			t.Fatalf("%d flooding actors hold %d bytes of logs, above %d", actors, held, bound)
		}
	}
	by.progress(t, 1)
	// Every flooder still has its last lines.
	for _, a := range flooders {
		if st := a.LogStats(); st.KeptLines == 0 || st.KeptBytes > defaultLogBytes {
			t.Fatalf("a flooder's log: %+v", st)
		}
		if err := a.Kill(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	base.settled(t, h, 0)
	if held := h.Usage().LogBytes - base.u.LogBytes; held > actors*defaultDeadLogBytes {
		t.Fatalf("after the kills the host holds %d bytes of logs", held)
	}
	by.finish(t)
}
