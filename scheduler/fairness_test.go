package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wactor/wactor/internal/testutil"
)

// TestPool_GroupRoundRobin: with one worker, groups with runnable work
// take turns slice by slice, whatever their number of mailboxes: a group
// of one mailbox is served every other slice next to a group of ten.
func TestPool_GroupRoundRobin(t *testing.T) {
	p := NewPool(Config{Workers: 1, Quantum: 1})
	defer p.Close(context.Background())
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	record := func(s string) func(int) {
		return func(int) {
			mu.Lock()
			order = append(order, s)
			mu.Unlock()
			wg.Done()
		}
	}
	// Hold the only worker until everything is queued.
	gate := make(chan struct{})
	started := make(chan struct{})
	hold := NewGroupMailbox(p, "gate", 0, func(int) { close(started); <-gate })
	_ = hold.Push(0)
	<-started

	const bBoxes, perB, perA = 10, 5, 5
	wg.Add(bBoxes*perB + perA)
	for b := range bBoxes {
		mb := NewGroupMailbox(p, "B", 0, record(fmt.Sprintf("B%d", b)))
		for i := range perB {
			_ = mb.Push(i)
		}
	}
	a := NewGroupMailbox(p, "A", 0, record("A"))
	for i := range perA {
		_ = a.Push(i)
	}
	close(gate)
	wg.Wait()

	// B was queued first: B, A, B, A, ... until A runs out, and B's
	// mailboxes take their turns within B in order.
	for i := 0; i < 2*perA; i++ {
		want := "A"
		if i%2 == 0 {
			want = fmt.Sprintf("B%d", i/2)
		}
		if order[i] != want {
			t.Fatalf("slice %d ran %s, want %s; order: %v", i, order[i], want, order[:2*perA])
		}
	}
	if st := p.GroupStats("A"); st.Slices != perA {
		t.Errorf("A: %d slices, want %d", st.Slices, perA)
	}
	if st := p.GroupStats("B"); st.Slices != bBoxes*perB {
		t.Errorf("B: %d slices, want %d", st.Slices, bBoxes*perB)
	}
	if tot := p.Stats(); tot.Slices != 1+bBoxes*perB+perA {
		t.Errorf("pool: %d slices, want %d", tot.Slices, 1+bBoxes*perB+perA)
	}
}

// spinner is a handler that runs until stopped, like a guest in a loop:
// it checks an "asked" flag (the instrumented check) and calls Yield when
// the pool's OnPreempt hook has set it.
type spinner struct {
	mb      *Mailbox[int]
	asked   atomic.Bool
	stop    chan struct{}
	running atomic.Int32
	yields  atomic.Int64
}

func newSpinner(p *Pool, group string) *spinner {
	s := &spinner{stop: make(chan struct{})}
	s.mb = NewGroupMailbox(p, group, 0, func(int) {
		s.running.Add(1)
		defer s.running.Add(-1)
		for {
			select {
			case <-s.stop:
				return
			default:
			}
			if s.asked.Swap(false) && s.mb.Yield(s.stop) {
				s.yields.Add(1)
			}
		}
	})
	s.mb.OnPreempt(func() { s.asked.Store(true) })
	return s
}

// TestPool_PreemptAcrossGroups: group B spins in more mailboxes than there
// are workers; group A's items, pushed one after the other, all complete,
// in order, while B's handlers are still running, and B gets a bounded
// number of slices while each of A's items waits and runs.
func TestPool_PreemptAcrossGroups(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := NewPool(Config{Workers: workers, Slice: time.Millisecond})
			defer p.Close(context.Background())
			var spinners []*spinner
			for range workers + 1 {
				s := newSpinner(p, "B")
				spinners = append(spinners, s)
				_ = s.mb.Push(0)
			}
			defer func() {
				for _, s := range spinners {
					close(s.stop)
				}
			}()
			// running counts a spinner inside its handler, also while it
			// is yielded and waits for its turn: once B's spare mailbox has
			// started (B preempts itself), the sum is workers+1 most of
			// the time, so waiting for exactly workers missed the moment
			// under load (a flake).
			testutil.Eventually(t, "B to spin on every worker", func() bool {
				n := int32(0)
				for _, s := range spinners {
					n += s.running.Load()
				}
				return n >= int32(workers)
			})

			const calls = 20
			var got []int
			done := make(chan struct{}, 1)
			a := NewGroupMailbox(p, "A", 0, func(i int) {
				got = append(got, i)
				done <- struct{}{}
			})
			worst := uint64(0)
			for i := range calls {
				before := p.GroupStats("B").Slices
				if err := a.Push(i); err != nil {
					t.Fatal(err)
				}
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatalf("A's item %d did not run while B spins", i)
				}
				worst = max(worst, p.GroupStats("B").Slices-before)
			}
			for i, v := range got {
				if v != i {
					t.Fatalf("A's items ran in order %v", got)
				}
			}
			// One slice per group per turn: while an item of A waits, each
			// of the workers B holds gives it up at most once before A's
			// turn (a yield lets the next entry in turn in), and B's
			// continuation may take a worker A's item frees.
			if bound := uint64(2*workers + 1); worst > bound {
				t.Errorf("B got up to %d slices while one item of A waited and ran, want <= %d", worst, bound)
			}
			st := p.GroupStats("B")
			t.Logf("workers=%d: B slices %d, yields %d, preempts %d; worst B slices per A item %d", workers, st.Slices, st.Yields, st.Preempts, worst)
			if st.Yields == 0 || st.Preempts == 0 {
				t.Errorf("B was never preempted: %+v", st)
			}
			running := int32(0)
			for _, s := range spinners {
				running += s.running.Load()
			}
			if running == 0 {
				t.Error("B's handlers all ended: the test proves nothing")
			}
		})
	}
}

// TestPool_YieldStop: a yielded handler whose stop channel closes before
// its turn resumes at once, and the pool shrinks back to its size.
func TestPool_YieldStop(t *testing.T) {
	p := NewPool(Config{Workers: 1, Slice: time.Millisecond})
	defer p.Close(context.Background())
	s := newSpinner(p, "B")
	_ = s.mb.Push(0)
	testutil.Eventually(t, "B to spin", func() bool { return s.running.Load() == 1 })
	// A handler that never yields takes the worker after B yields, so B's
	// continuation waits.
	release := make(chan struct{})
	hog := NewGroupMailbox(p, "C", 0, func(int) { <-release })
	_ = hog.Push(0)
	testutil.Eventually(t, "B to yield", func() bool { return p.GroupStats("B").Yields == 1 })
	close(s.stop)
	testutil.Eventually(t, "B to resume and end", func() bool { return s.running.Load() == 0 })
	close(release)
	testutil.Eventually(t, "the pool to shrink back", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.running == 1 && p.waiting == 0
	})
}

// TestPool_Hammer pushes from many goroutines into mailboxes of several
// groups whose handlers sometimes block (Blocking) and sometimes spin until
// preempted (Yield), then checks that every item ran once, in order per
// mailbox, never two of one mailbox at once. Run it with -race.
func TestPool_Hammer(t *testing.T) {
	p := NewPool(Config{Workers: 3, Quantum: 4, Slice: 200 * time.Microsecond})
	const groups, boxes, per = 4, 8, 300
	type box struct {
		mb      *Mailbox[int]
		next    int
		running atomic.Int32
		asked   atomic.Bool
	}
	var wg sync.WaitGroup
	wg.Add(groups * boxes * per)
	var bad atomic.Int32
	stop := make(chan struct{})
	all := make([]*box, 0, groups*boxes)
	for g := range groups {
		for range boxes {
			b := &box{}
			b.mb = NewGroupMailbox(p, fmt.Sprintf("g%d", g), 0, func(i int) {
				defer wg.Done()
				if b.running.Add(1) != 1 || i != b.next {
					bad.Add(1)
				}
				b.next++
				switch i % 7 {
				case 0: // spin until asked, then yield
					for start := time.Now(); time.Since(start) < time.Millisecond; {
						if b.asked.Swap(false) {
							b.mb.Yield(stop)
							break
						}
					}
				case 3:
					p.Blocking(func() { time.Sleep(10 * time.Microsecond) })
				}
				b.running.Add(-1)
			})
			b.mb.OnPreempt(func() { b.asked.Store(true) })
			all = append(all, b)
		}
	}
	var pushers sync.WaitGroup
	for g := range groups {
		pushers.Add(1)
		go func() {
			defer pushers.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			boxes := all[g*boxes : (g+1)*boxes]
			next := make([]int, len(boxes))
			for left := len(boxes) * per; left > 0; {
				k := r.IntN(len(boxes))
				if next[k] == per {
					continue
				}
				if err := boxes[k].mb.Push(next[k]); err != nil {
					t.Error(err)
					return
				}
				next[k]++
				left--
			}
		}()
	}
	// Goroutines that take places beside the mailboxes (as Spawn does for
	// constructors), spinning until asked, then yielding.
	for g := range groups {
		pushers.Add(1)
		go func() {
			defer pushers.Done()
			for range 50 {
				var asked atomic.Bool
				pl, ok := p.Acquire(fmt.Sprintf("g%d", g), func() { asked.Store(true) }, nil)
				if !ok {
					t.Error("Acquire without stop failed")
					return
				}
				for start := time.Now(); time.Since(start) < 200*time.Microsecond; {
					if asked.Swap(false) {
						pl.Yield(stop)
					}
				}
				pl.Release()
			}
		}()
	}
	pushers.Wait()
	wg.Wait()
	close(stop)
	if n := bad.Load(); n != 0 {
		t.Fatalf("%d items out of order or overlapping", n)
	}
	for _, b := range all {
		b.mb.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	t.Logf("slices %d, yields %d, preempts %d", st.Slices, st.Yields, st.Preempts)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.groups) != 0 {
		t.Errorf("%d groups kept after every mailbox closed", len(p.groups))
	}
}

// TestPool_Acquire: a place is taken at once when a worker is free and
// nothing waits, else in the group's turn; stop gives up waiting; Release
// brings the pool back to its size.
func TestPool_Acquire(t *testing.T) {
	p := NewPool(Config{Workers: 1, Slice: time.Millisecond})
	defer p.Close(context.Background())
	size := func() (running, waiting int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.running, p.waiting
	}

	// Free pool: at once.
	pl, ok := p.Acquire("A", nil, nil)
	if !ok || pl.s == nil {
		t.Fatal("Acquire on a free pool did not take a place")
	}
	pl.Release()
	if st := p.GroupStats("A"); st != (GroupStats{}) {
		t.Errorf("group A kept after its place was released: %+v", st)
	}

	// The only worker is busy: Acquire waits for it.
	release := make(chan struct{})
	started := make(chan struct{})
	busy := NewGroupMailbox(p, "B", 0, func(int) { close(started); <-release })
	_ = busy.Push(0)
	<-started
	got := make(chan *Place, 1)
	go func() {
		pl, _ := p.Acquire("A", nil, nil)
		got <- pl
	}()
	testutil.Eventually(t, "Acquire to queue", func() bool { _, w := size(); return w == 1 })
	select {
	case <-got:
		t.Fatal("Acquire took a place while the only worker was busy")
	default:
	}
	close(release)
	pl = <-got
	if r, w := size(); r != 1 || w != 0 {
		t.Errorf("after the grant: running %d, waiting %d, want 1 and 0", r, w)
	}
	// While the place is held, a push waits for it.
	ran := make(chan struct{})
	after := NewGroupMailbox(p, "C", 0, func(int) { close(ran) })
	_ = after.Push(0)
	select {
	case <-ran:
		t.Fatal("a mailbox ran while the only place was held")
	case <-time.After(20 * time.Millisecond):
	}
	pl.Release()
	<-ran
	testutil.Eventually(t, "the pool to be back to its size", func() bool { r, w := size(); return r == 1 && w == 0 })

	// Stop while waiting: nothing is held, nothing stays queued.
	release2 := make(chan struct{})
	started2 := make(chan struct{})
	_ = NewGroupMailbox(p, "B", 0, func(int) { close(started2); <-release2 }).Push(0)
	<-started2
	stop := make(chan struct{})
	res := make(chan bool, 1)
	go func() {
		_, ok := p.Acquire("A", nil, stop)
		res <- ok
	}()
	testutil.Eventually(t, "Acquire to queue", func() bool { _, w := size(); return w == 1 })
	close(stop)
	if <-res {
		t.Error("Acquire reported a place after stop")
	}
	if _, w := size(); w != 0 {
		t.Errorf("%d entries queued after a stopped Acquire", w)
	}
	close(release2)
}
