package host

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The hostile-guest suite, class loading: load-time code that never returns
// (a start section, _initialize, wactor_abi_version, wactor_manifest), a
// start-up that grows memory to 256 MiB, absurd section counts, and stack
// overflows on every worker at once. Each ends with a typed error within
// its bound (Config.LoadTimeout for load-time code), the host alive, a
// bystander in another namespace answering and the host's accounting back
// at its baseline.

// hostileLoadTimeout is the load deadline of these tests: short, so the
// suite stays fast; the default is defaultLoadTimeout.
const hostileLoadTimeout = 200 * time.Millisecond

// attackNamespace is where the attacker's actors live.
const attackNamespace = "attacker"

// TestHostileLoad_Hooks: load-time code that never returns fails LoadClass
// with ErrInvalidModule naming the export, within the load deadline, while
// the bystander keeps answering, with three such uploads at once. The three
// differ only in a custom section, so they compile to identical code at
// once: this test found that wazero v1.12 then corrupts the compiled
// module under the interrupted instances (engine/wazero compileLocks).
func TestHostileLoad_Hooks(t *testing.T) {
	h := newTestHost(t, Config{LoadTimeout: hostileLoadTimeout})
	b := startBystander(t, h)
	base := takeBaseline(h)
	for _, tt := range []struct{ fixture, names string }{
		{"hostile_start_loop", "start function"},
		{"hostile_initialize_loop", "_initialize"},
		{"hostile_version_loop", "wactor_abi_version"},
		{"hostile_manifest_loop", "wactor_manifest"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			wasm := fixture(t, tt.fixture)
			const uploads = 3
			errs := make(chan error, uploads)
			for i := range uploads {
				// Three different classes (a custom section tells them
				// apart), loading at once on two cores.
				variant := append(slices.Clone(wasm), 0, 2, 1, byte('a'+i))
				go func() {
					_, err := h.LoadClass(context.Background(), variant)
					errs <- err
				}()
			}
			b.progress(t, 3)
			for range uploads {
				err := <-errs
				var me *ModuleError
				if !errors.As(err, &me) || !errors.Is(err, ErrInvalidModule) {
					t.Fatalf("LoadClass: %v, want a *ModuleError", err)
				}
				if !strings.Contains(err.Error(), tt.names) || !strings.Contains(err.Error(), "load deadline") {
					t.Errorf("error %q does not name %q and the load deadline", err, tt.names)
				}
				var te *TrapError
				if errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %q wraps a call's trap: the server would answer 504, not 422", err)
				}
			}
		})
	}
	b.progress(t, 3)
	b.finish(t)
	base.settled(t, h, 0)
	if u := h.Usage(); u.Classes != base.u.Classes || u.ClassBytes != base.u.ClassBytes || u.TemplateBytes != base.u.TemplateBytes {
		t.Errorf("class accounting %d classes, %d + %d bytes; want the baseline's %d, %d + %d",
			u.Classes, u.ClassBytes, u.TemplateBytes, base.u.Classes, base.u.ClassBytes, base.u.TemplateBytes)
	}
}

// TestHostileLoad_Cancel: a caller that leaves stops the load-time code: the
// load returns its context's error, wrapped, long before the load deadline.
func TestHostileLoad_Cancel(t *testing.T) {
	h := newTestHost(t, Config{LoadTimeout: maxLoadTimeout})
	for _, name := range []string{"hostile_start_loop", "hostile_initialize_loop"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := h.LoadClass(ctx, fixture(t, name))
				done <- err
			}()
			// Cancel once the load has started (usually in the guest's loop).
			stop := time.AfterFunc(20*time.Millisecond, cancel)
			defer stop.Stop()
			var err error
			eventually(t, "the cancelled load to return", func() bool {
				select {
				case err = <-done:
					return true
				default:
					return false
				}
			})
			if !errors.Is(err, context.Canceled) || errors.Is(err, ErrInvalidModule) {
				t.Fatalf("LoadClass: %v, want context.Canceled", err)
			}
		})
	}
	// The host still loads classes.
	if _, err := h.LoadClass(context.Background(), readWasm(t, cCounterPath)); err != nil {
		t.Fatal(err)
	}
}

// TestHostileLoad_Close: closing the host stops a load's guest code: the
// load fails with ErrClosed and Close does not wait for the load deadline.
func TestHostileLoad_Close(t *testing.T) {
	h := newTestHost(t, Config{LoadTimeout: maxLoadTimeout})
	done := make(chan error, 1)
	go func() {
		_, err := h.LoadClass(context.Background(), fixture(t, "hostile_start_loop"))
		done <- err
	}()
	closed := make(chan error, 1)
	stop := time.AfterFunc(20*time.Millisecond, func() { closed <- h.Close(context.Background()) })
	defer stop.Stop()
	var err error
	eventually(t, "the load to return", func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	wantErr(t, err, ErrClosed)
	eventually(t, "Close to return", func() bool { return len(closed) == 1 })
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// TestStartSection: a start section keeps working (AssemblyScript emits
// one): the global it sets is what get returns. A spawn from the class's
// template does not run it again; a cold spawn does, once.
func TestStartSection(t *testing.T) {
	for _, cold := range []bool{false, true} {
		h := newTestHost(t, Config{ColdSpawn: cold})
		a := spawn(t, h, fixture(t, "start_global"), Options{})
		if got := invoke[int64](t, a, "get"); got != 7 {
			t.Fatalf("cold=%v: get = %d, want 7 (set by the start function)", cold, got)
		}
		n := 0
		for _, l := range logLines(a) {
			if l.Text == "start ran" {
				n++
			}
		}
		want := 0
		if cold {
			want = 1
		}
		if n != want {
			t.Errorf("cold=%v: the start function ran %d times for the spawn, want %d", cold, n, want)
		}
	}
}

// TestHostileLoad_InitializeGrow: an _initialize that grows memory to 256
// MiB without writing it gives a template that holds only the pages
// written; one that writes every page does not fit a small class budget and
// loads without a template. UnloadClass brings the accounting back.
func TestHostileLoad_InitializeGrow(t *testing.T) {
	const budget = 16 << 20
	h := newTestHost(t, Config{ClassMemoryBudget: budget, LoadTimeout: 5 * time.Second})
	b := startBystander(t, h)
	base := takeBaseline(h)
	ctx := context.Background()
	for _, tt := range []struct {
		fixture     string
		maxTemplate int64 // bytes the template may add
	}{
		{"hostile_initialize_grow", 256 << 10}, // a page of data and its 4 KiB file chunk
		{"hostile_initialize_fill", 0},         // 64 MiB: over the budget, no template
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			wasm := fixture(t, tt.fixture)
			info, err := h.LoadClass(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			u := h.Usage()
			if u.Classes != base.u.Classes+1 || u.ClassBytes != base.u.ClassBytes+int64(len(wasm)) {
				t.Errorf("after loading: %d classes of %d bytes, want %d of %d", u.Classes, u.ClassBytes, base.u.Classes+1, base.u.ClassBytes+int64(len(wasm)))
			}
			if added := u.TemplateBytes - base.u.TemplateBytes; added > tt.maxTemplate || (tt.maxTemplate > 0 && added == 0) {
				t.Errorf("the template added %d bytes, want 1 to %d", added, tt.maxTemplate)
			}
			if u.ClassBytes+u.TemplateBytes > budget {
				t.Errorf("classes and templates hold %d bytes, over the budget of %d", u.ClassBytes+u.TemplateBytes, budget)
			}
			a, err := h.Spawn(ctx, info.ID, Options{Namespace: attackNamespace})
			if err != nil {
				t.Fatal(err)
			}
			if got := invoke[int64](t, a, "get"); got != 7 {
				t.Errorf("get = %d, want 7", got)
			}
			b.progress(t, 3)
			if err := a.Kill(ctx); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the actor to go", func() bool { return h.UnloadClass(ctx, info.ID) == nil })
			u = h.Usage()
			if u.Classes != base.u.Classes || u.ClassBytes != base.u.ClassBytes || u.TemplateBytes != base.u.TemplateBytes {
				t.Errorf("after UnloadClass: %d classes, %d + %d bytes; want the baseline's %d, %d + %d",
					u.Classes, u.ClassBytes, u.TemplateBytes, base.u.Classes, base.u.ClassBytes, base.u.TemplateBytes)
			}
		})
	}
	b.finish(t)
	base.settled(t, h, 0)
}

// TestHostileLoad_ClassBudget: a module that does not fit the class budget
// is refused with ErrTooLarge, and nothing stays reserved.
func TestHostileLoad_ClassBudget(t *testing.T) {
	wasm := readWasm(t, cCounterPath)
	h := newTestHost(t, Config{ClassMemoryBudget: int64(len(wasm)) - 1})
	_, err := h.LoadClass(context.Background(), wasm)
	wantErr(t, err, ErrTooLarge)
	if u := h.Usage(); u.Classes != 0 || u.ClassBytes != 0 || u.TemplateBytes != 0 {
		t.Errorf("a refused class left %d classes, %d + %d bytes accounted", u.Classes, u.ClassBytes, u.TemplateBytes)
	}
}

// sectionsModule returns a module of n custom sections, each with an empty
// name and no content, as many wasm tools accept.
func sectionsModule(n int) []byte {
	b := bytes.NewBuffer(make([]byte, 0, 8+3*n))
	b.WriteString("\x00asm\x01\x00\x00\x00")
	for range n {
		b.Write([]byte{0, 1, 0})
	}
	return b.Bytes()
}

// TestHostileLoad_SectionCounts: absurd section and entry counts are
// refused with ErrInvalidModule naming the problem, before any parsing
// that costs more than a pass over the bytes.
func TestHostileLoad_SectionCounts(t *testing.T) {
	h := newTestHost(t, Config{})
	b := startBystander(t, h)
	base := takeBaseline(h)
	// 700,000 empty custom sections (2 MB); 60 MB of them cost 42 s and
	// 4.5 GB before a 422 when nothing counted them.
	types := []byte("\x00asm\x01\x00\x00\x00\x01\x05\x80\x80\x80\x01\x00") // a type section claiming 2^21 entries
	for _, tt := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"custom sections", sectionsModule(700_000), "more than 1000 custom sections"},
		{"type entries", types, "type section has 2097152 entries"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.LoadClass(context.Background(), tt.wasm)
			wantErr(t, err, ErrInvalidModule)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
	b.progress(t, 3)
	b.finish(t)
	base.settled(t, h, 0)
}

// TestHostileLoad_StackOverflowEveryWorker: actors on every worker overflow
// their stacks at once: each call fails with a trap, the actors restart,
// the bystander answers and the accounting returns to its baseline. The
// Go heap before and after is logged (go test -v).
func TestHostileLoad_StackOverflowEveryWorker(t *testing.T) {
	const workers = 2
	h := newTestHost(t, Config{Workers: workers})
	b := startBystander(t, h)
	base := takeBaseline(h)
	ctx := context.Background()
	info, err := h.LoadClass(ctx, fixture(t, "hostile_stack_overflow"))
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	heapBefore := heapInUse()
	var peak peakHeap
	peak.start()
	actors := make([]*Actor, workers)
	for i := range actors {
		if actors[i], err = h.Spawn(ctx, info.ID, Options{Namespace: attackNamespace, MaxRestarts: ptr(-1)}); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 2; round++ {
		var wg sync.WaitGroup
		for _, a := range actors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := a.Invoke(ctx, "recurse")
				var te *TrapError
				if !errors.As(err, &te) || te.Reason != TrapGuest || !strings.Contains(te.Message, "stack") {
					t.Errorf("recurse: %v, want a stack overflow trap", err)
				}
			}()
		}
		wg.Wait()
		b.progress(t, 3)
	}
	for _, a := range actors {
		if got := invoke[int64](t, a, "get"); got != 1 {
			t.Errorf("get after the overflow = %d, want 1", got)
		}
		if err := a.Kill(ctx); err != nil {
			t.Fatal(err)
		}
	}
	peak.stop()
	b.finish(t)
	base.settled(t, h, 0)
	runtime.GC()
	debug.FreeOSMemory()
	t.Logf("Go heap in use: %d MiB before, peak %d MiB during %d overflows on %d workers, %d MiB after",
		heapBefore>>20, peak.max>>20, 2*workers, workers, heapInUse()>>20)
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// peakHeap samples the Go heap in use while an attack runs.
type peakHeap struct {
	max  uint64
	quit chan struct{}
	wg   sync.WaitGroup
}

func (p *peakHeap) start() {
	p.quit = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			p.max = max(p.max, heapInUse())
			select {
			case <-p.quit:
				return
			case <-tick.C:
			}
		}
	}()
}

func (p *peakHeap) stop() {
	close(p.quit)
	p.wg.Wait()
}
