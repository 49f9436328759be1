package sandbox

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host/journal"
)

// The recorder makes restarts exact: while a call runs in mode Record, the
// results of the guest's nondeterministic imports (clock reads, random
// bytes, and the outcomes of its actor-level imports) are appended to the
// call's journal entry; in mode Replay they are read back from it, so a
// replayed call computes exactly what it did the first time.

// recorder sits between a sandbox and its nondeterministic imports. Only
// the sandbox's worker uses it.
type recorder struct {
	mode       Mode
	e          *journal.Entry
	ci, ri, ei int  // replay cursors
	diverged   bool // replay needed more than was recorded
}

func (r *recorder) start(e *journal.Entry, mode Mode) {
	*r = recorder{mode: mode, e: e}
}

func (r *recorder) stop() { r.mode, r.e = Live, nil }

func (r *recorder) replaying() bool { return r.mode == Replay }

// Record makes the next calls record their nondeterministic inputs into e
// (mode Record) or replay them from it (mode Replay), until StopRecord.
func (sb *Sandbox) Record(e *journal.Entry, mode Mode) { sb.rec.start(e, mode) }

// StopRecord ends Record. diverged reports that a replay read more clock,
// random or import results than the entry holds (live values were used).
func (sb *Sandbox) StopRecord() (diverged bool) {
	diverged = sb.rec.diverged
	sb.rec.stop()
	return diverged
}

// clock returns live, or records it, or replays a recorded value.
func (r *recorder) clock(live int64) int64 {
	switch r.mode {
	case Record:
		r.e.Clocks = append(r.e.Clocks, live)
	case Replay:
		if r.ci < len(r.e.Clocks) {
			v := r.e.Clocks[r.ci]
			r.ci++
			return v
		}
		r.diverged = true
	}
	return live
}

// Read implements io.Reader for the guest's random source.
func (r *recorder) Read(p []byte) (int, error) {
	if r.mode == Replay {
		if r.ri+len(p) <= len(r.e.Rand) {
			r.ri += copy(p, r.e.Rand[r.ri:])
			return len(p), nil
		}
		r.diverged = true
	}
	n, err := rand.Read(p)
	if r.mode == Record {
		r.e.Rand = append(r.e.Rand, p[:n]...)
	}
	return n, err
}

// external records the outcome of an actor-level import, or in replay
// returns the recorded one (ok) so the import is not made again.
func (r *recorder) external() ([]byte, bool) {
	if r.mode != Replay {
		return nil, false
	}
	if r.ei < len(r.e.Ext) {
		v := r.e.Ext[r.ei]
		r.ei++
		return v, true
	}
	r.diverged = true
	return ErrorEnvelope(abi.CodeError, "replay diverged: no recorded result"), true
}

func (r *recorder) recordExternal(v []byte) {
	if r.mode == Record {
		r.e.Ext = append(r.e.Ext, v)
	}
}

// monoEpoch anchors the guests' monotonic clock.
var monoEpoch = time.Now()

func (sb *Sandbox) walltime() (int64, int32) {
	ns := sb.rec.clock(time.Now().UnixNano())
	return ns / 1e9, int32(ns % 1e9)
}

func (sb *Sandbox) nanotime() int64 {
	v := sb.rec.clock(sb.liveNanotime())
	if v > sb.lastNano {
		sb.lastNano = v
	}
	return v
}

// liveNanotime is the guest's monotonic clock now: the host's, moved
// forward so that it never goes back from what the guest last read,
// including across a restore from a snapshot taken in another process.
func (sb *Sandbox) liveNanotime() int64 {
	v := int64(time.Since(monoEpoch)) + sb.clockOffset
	if v < sb.lastNano {
		sb.clockOffset += sb.lastNano - v
		v = sb.lastNano
	}
	return v
}

// nanosleep is the guest's sleep (poll_oneoff's clock subscriptions): it
// waits ns nanoseconds, or less when the call is interrupted (a kill, its
// deadline, its caller's cancellation close Stopped; the guest's next
// check then stops it), giving the goroutine's worker to the Owner's other
// work meanwhile. A replayed sleep returns at once: the guest rereads its
// clock, which replays the value it read after the original sleep.
func (sb *Sandbox) nanosleep(ns int64) {
	if ns <= 0 || sb.rec.replaying() {
		return
	}
	stop := sb.Stopped()
	t := time.NewTimer(time.Duration(ns))
	defer t.Stop()
	wait := func() {
		select {
		case <-t.C:
		case <-stop:
		}
	}
	if sb.owner != nil {
		sb.owner.Blocking(sb, wait)
		return
	}
	wait()
}

// guestNanotime is the clock a snapshot taken now records.
func (sb *Sandbox) guestNanotime() int64 { return sb.liveNanotime() }

// Replay runs recorded calls again, in order, each with its recorded
// clock reads, random bytes and import outcomes (journal.Entry), bringing
// the sandbox to the state it had after the last of them. It returns the
// methods whose replay read more than was recorded (the state may differ
// from the original's), and fails at the first call that fails; the
// sandbox is then unusable.
func (sb *Sandbox) Replay(ctx context.Context, calls []*journal.Entry, timeout time.Duration, maxResult int) (diverged []string, err error) {
	for i, e := range calls {
		sb.Record(e, Replay)
		fn := e.Method
		if e.Index >= 0 {
			fn = sb.Method(e.Index)
		}
		_, err := sb.Invoke(ctx, e.Method, fn, e.Args, timeout, maxResult)
		if sb.StopRecord() {
			diverged = append(diverged, e.Method)
		}
		if err != nil {
			return diverged, fmt.Errorf("replaying call %d of %d (%s): %w", i+1, len(calls), e.Method, err)
		}
	}
	return diverged, nil
}
