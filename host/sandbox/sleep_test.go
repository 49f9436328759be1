package sandbox

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/journal"
)

const sleepPath = "../testdata/sleep.wasm"

// sleepOwner is an Owner that counts the guest's sleeps (Blocking) and
// announces each; skip makes them return at once without waiting.
type sleepOwner struct {
	sleeps  atomic.Int32
	started chan struct{}
	skip    bool
}

func (o *sleepOwner) Booted(*Sandbox)      {}
func (o *sleepOwner) CallStarted(*Sandbox) {}
func (o *sleepOwner) CallEnded(*Sandbox)   {}
func (o *sleepOwner) OnYield(*Sandbox)     {}
func (o *sleepOwner) Blocking(_ *Sandbox, wait func()) {
	o.sleeps.Add(1)
	if o.started != nil {
		o.started <- struct{}{}
	}
	if !o.skip {
		wait()
	}
}

// invokeSleep runs method of the sleep fixture with timeout.
func invokeSleep(ctx context.Context, sb *Sandbox, method string, timeout time.Duration) (abi.Envelope, error) {
	return sb.Invoke(ctx, method, method, []byte{0x80}, timeout, 1<<20)
}

// TestSandbox_Sleep: a guest's sleep in poll_oneoff (relative monotonic and
// absolute realtime clocks) waits through the Owner's Blocking and ends at
// once when the call's deadline passes, when it is killed, or when its
// caller cancels: each sleep of ten minutes ends with the trap of its cause.
func TestSandbox_Sleep(t *testing.T) {
	e := testEngine(t)
	c := testClass(t, e, sleepPath)
	o := &sleepOwner{started: make(chan struct{}, 1)}
	newSB := func() *Sandbox {
		sb, err := New(context.Background(), e, Config{Class: c, ActorID: "a", MemoryPages: 4, Owner: o})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sb.Close)
		return sb
	}
	var te *api.TrapError
	for _, method := range []string{"sleep", "sleep_abs"} {
		// The deadline.
		sb := newSB()
		_, err := invokeSleep(context.Background(), sb, method, 100*time.Millisecond)
		<-o.started
		if !errors.As(err, &te) || te.Reason != api.TrapDeadline {
			t.Fatalf("%s past its deadline: %v, want a deadline trap", method, err)
		}
		// A kill.
		sb = newSB()
		done := make(chan error, 1)
		go func() { _, err := invokeSleep(context.Background(), sb, method, time.Hour); done <- err }()
		select {
		case <-o.started:
		case err := <-done:
			t.Fatalf("%s ended before it slept: %v", method, err)
		}
		sb.Interrupt(api.TrapKilled)
		if err := <-done; !errors.As(err, &te) || te.Reason != api.TrapKilled {
			t.Fatalf("%s killed: %v, want a killed trap", method, err)
		}
		// The caller's cancellation.
		sb = newSB()
		ctx, cancel := context.WithCancel(context.Background())
		go func() { _, err := invokeSleep(ctx, sb, method, time.Hour); done <- err }()
		select {
		case <-o.started:
		case err := <-done:
			t.Fatalf("%s ended before it slept: %v", method, err)
		}
		cancel()
		if err := <-done; !errors.As(err, &te) || te.Reason != api.TrapCancelled {
			t.Fatalf("%s cancelled: %v, want a cancelled trap", method, err)
		}
	}
	if n := o.sleeps.Load(); n != 6 {
		t.Fatalf("%d sleeps went through the Owner, want 6", n)
	}
}

// TestSandbox_SleepReplay: a recorded sleep is not slept again in its
// replay (no Blocking), and the replay reads exactly what was recorded (the
// absolute sleep's clock reads).
func TestSandbox_SleepReplay(t *testing.T) {
	e := testEngine(t)
	c := testClass(t, e, sleepPath)
	o := &sleepOwner{skip: true}
	sb, err := New(context.Background(), e, Config{Class: c, ActorID: "a", MemoryPages: 4, Owner: o})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	var entries []*journal.Entry
	for _, m := range []string{"sleep", "sleep_abs", "next"} {
		en := &journal.Entry{Method: m, Index: -1, Args: []byte{0x80}}
		sb.Record(en, Record)
		if _, err := invokeSleep(context.Background(), sb, m, time.Minute); err != nil {
			t.Fatal(err)
		}
		if sb.StopRecord() {
			t.Fatal("a recording diverged")
		}
		entries = append(entries, en)
	}
	if n := o.sleeps.Load(); n != 2 || len(entries[1].Clocks) != 2 {
		t.Fatalf("recorded %d sleeps and %d clock reads, want 2 and 2 (the guest's and the poll's)", n, len(entries[1].Clocks))
	}
	o.sleeps.Store(0)
	rep, err := New(context.Background(), e, Config{Class: c, ActorID: "a", MemoryPages: 4, Owner: &sleepOwner{}})
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	// The replay's deadline is far shorter than the sleeps: a sleep would fail it.
	diverged, err := rep.Replay(context.Background(), entries, time.Second, 1<<20)
	if err != nil || len(diverged) != 0 {
		t.Fatalf("replay: %v, diverged %v", err, diverged)
	}
	if n := rep.owner.(*sleepOwner).sleeps.Load(); n != 0 {
		t.Fatalf("the replay slept %d times", n)
	}
}
