package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// sliceMemory is a Memory over a byte slice, for tests.
type sliceMemory struct{ b []byte }

func (m *sliceMemory) Size() uint64 { return uint64(len(m.b)) }

func (m *sliceMemory) Read(off, n uint32) ([]byte, bool) {
	end := uint64(off) + uint64(n)
	if end > uint64(len(m.b)) {
		return nil, false
	}
	return m.b[off:end:end], true
}

func (m *sliceMemory) Write(off uint32, p []byte) bool {
	if uint64(off)+uint64(len(p)) > uint64(len(m.b)) {
		return false
	}
	copy(m.b[off:], p)
	return true
}

func (m *sliceMemory) Grow(uint32) (uint32, bool) { return 0, false }

type testCaller struct{ m Memory }

func (c testCaller) Memory() Memory { return c.m }
func (c testCaller) Data() any      { return nil }

// wasiCall calls one WASI function of funcs with the arguments and returns
// its errno.
func wasiCall(t *testing.T, funcs []HostFunc, m Memory, name string, args ...uint64) uint64 {
	t.Helper()
	for _, f := range funcs {
		if f.Name == name {
			if len(args) != len(f.Params) {
				t.Fatalf("%s takes %d parameters", name, len(f.Params))
			}
			stack := append(args, 0)
			f.Func(context.Background(), testCaller{m}, stack)
			return stack[0]
		}
	}
	t.Fatalf("no WASI function %s", name)
	return 0
}

func TestWASIFunctions(t *testing.T) {
	var out, errOut bytes.Buffer
	mem := &sliceMemory{b: make([]byte, 4096)}
	funcs := WASIFuncs(WASIConfig{Stdout: &out, Stderr: &errOut, Nanotime: func() int64 { return 5000 }, Random: bytes.NewReader(make([]byte, 64))})
	le := binary.LittleEndian

	// No arguments, no environment.
	if e := wasiCall(t, funcs, mem, "args_sizes_get", 0, 4); e != 0 || le.Uint64(mem.b) != 0 {
		t.Errorf("args_sizes_get = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "environ_sizes_get", 4094, 0); e != uint64(ErrnoFault) {
		t.Errorf("environ_sizes_get out of bounds = %d", e)
	}
	// Standard descriptors are open, nothing else; nothing is preopened.
	if e := wasiCall(t, funcs, mem, "fd_fdstat_get", 1, 64); e != 0 || mem.b[64] != filetypeBlockDevice || le.Uint64(mem.b[72:]) != stdioRights {
		t.Errorf("fd_fdstat_get(1) = %d, %v", e, mem.b[64:88])
	}
	if e := wasiCall(t, funcs, mem, "fd_fdstat_get", 3, 64); e != uint64(ErrnoBadf) {
		t.Errorf("fd_fdstat_get(3) = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "fd_fdstat_get", 1, 4090); e != uint64(ErrnoFault) {
		t.Errorf("fd_fdstat_get out of bounds = %d", e)
	}
	for fd := uint64(0); fd < 5; fd++ {
		if e := wasiCall(t, funcs, mem, "fd_prestat_get", fd, 64); e != uint64(ErrnoBadf) {
			t.Errorf("fd_prestat_get(%d) = %d", fd, e)
		}
	}
	if e := wasiCall(t, funcs, mem, "fd_fdstat_set_flags", 1, fdflagNonblock); e != uint64(ErrnoNosys) {
		t.Errorf("fd_fdstat_set_flags(nonblock) = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "fd_fdstat_set_flags", 1, fdflagSync); e != uint64(ErrnoInval) {
		t.Errorf("fd_fdstat_set_flags(sync) = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "path_open", 3, 0, 0, 1, 0, 0, 0, 0, 64); e != uint64(ErrnoBadf) {
		t.Errorf("path_open(3) = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "path_open", 1, 0, 0, 1, 0, 0, 0, 0, 64); e != uint64(ErrnoNotdir) {
		t.Errorf("path_open(1) = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "sock_accept", 1, 0, 64); e != uint64(ErrnoNotsock) {
		t.Errorf("sock_accept(1) = %d", e)
	}

	// fd_write: two iovecs; a bad one writes nothing.
	copy(mem.b[200:], "hello world\n")
	le.PutUint32(mem.b[100:], 200)
	le.PutUint32(mem.b[104:], 6)
	le.PutUint32(mem.b[108:], 206)
	le.PutUint32(mem.b[112:], 6)
	if e := wasiCall(t, funcs, mem, "fd_write", 1, 100, 2, 120); e != 0 || out.String() != "hello world\n" || le.Uint32(mem.b[120:]) != 12 {
		t.Errorf("fd_write = %d, %q, %d", e, out.String(), le.Uint32(mem.b[120:]))
	}
	le.PutUint32(mem.b[112:], 4000)
	if e := wasiCall(t, funcs, mem, "fd_write", 2, 100, 2, 120); e != uint64(ErrnoFault) || errOut.Len() != 0 {
		t.Errorf("fd_write with a bad iovec = %d, wrote %q", e, errOut.String())
	}
	if e := wasiCall(t, funcs, mem, "fd_write", 2, 100, 1<<30, 120); e != uint64(ErrnoFault) {
		t.Errorf("fd_write with a huge iovec count = %d", e)
	}
	// fd_read: stdin is empty.
	if e := wasiCall(t, funcs, mem, "fd_read", 0, 100, 1, 120); e != 0 || le.Uint32(mem.b[120:]) != 0 {
		t.Errorf("fd_read(0) = %d", e)
	}

	// Clocks and random.
	if e := wasiCall(t, funcs, mem, "clock_time_get", 1, 0, 300); e != 0 || le.Uint64(mem.b[300:]) != 5000 {
		t.Errorf("clock_time_get = %d, %d", e, le.Uint64(mem.b[300:]))
	}
	if e := wasiCall(t, funcs, mem, "clock_res_get", 0, 300); e != 0 || le.Uint64(mem.b[300:]) != 1 {
		t.Errorf("clock_res_get = %d", e)
	}
	mem.b[400] = 0xff
	if e := wasiCall(t, funcs, mem, "random_get", 400, 8); e != 0 || mem.b[400] != 0 {
		t.Errorf("random_get = %d", e)
	}

	// poll_oneoff: a relative clock, an absolute clock and a read on fd 9.
	var slept []int64
	funcs = WASIFuncs(WASIConfig{Nanotime: func() int64 { return 1000 }, Nanosleep: func(ns int64) { slept = append(slept, ns) }})
	sub := func(i int, userdata uint64, tag byte, a uint32, timeout uint64, flags uint16) {
		b := mem.b[1000+48*i:]
		clear(b[:48])
		le.PutUint64(b, userdata)
		b[8] = tag
		le.PutUint32(b[16:], a)
		le.PutUint64(b[24:], timeout)
		le.PutUint16(b[40:], flags)
	}
	sub(0, 11, eventClock, clockMonotonic, 500, 0)
	sub(1, 22, eventClock, clockMonotonic, 1300, subclockAbstime)
	sub(2, 33, eventFdRead, 9, 0, 0)
	if e := wasiCall(t, funcs, mem, "poll_oneoff", 1000, 2000, 3, 2500); e != 0 || le.Uint32(mem.b[2500:]) != 3 {
		t.Fatalf("poll_oneoff = %d", e)
	}
	for i, want := range []struct {
		userdata uint64
		errno    Errno
		tag      byte
	}{{11, 0, eventClock}, {22, 0, eventClock}, {33, ErrnoBadf, eventFdRead}} {
		ev := mem.b[2000+32*i:]
		if le.Uint64(ev) != want.userdata || Errno(le.Uint16(ev[8:])) != want.errno || ev[10] != want.tag {
			t.Errorf("event %d: %v", i, ev[:32])
		}
	}
	if len(slept) != 0 {
		t.Errorf("slept %v with a descriptor subscription (ready at once)", slept)
	}
	// Clocks only: one sleep of the nearest timeout, absolute ones made
	// relative with their clock (monotonic 1000, realtime 2.000000100 s).
	funcs = WASIFuncs(WASIConfig{
		Nanotime:  func() int64 { return 1000 },
		Walltime:  func() (int64, int32) { return 2, 100 },
		Nanosleep: func(ns int64) { slept = append(slept, ns) },
	})
	for _, tt := range []struct {
		subs [][3]uint64 // clock id, timeout, flags
		want []int64
	}{
		{[][3]uint64{{clockMonotonic, 500, 0}, {clockMonotonic, 1300, subclockAbstime}}, []int64{300}},
		{[][3]uint64{{clockRealtime, 2e9 + 600, subclockAbstime}}, []int64{500}},
		{[][3]uint64{{clockRealtime, 700, 0}, {clockMonotonic, 800, 0}}, []int64{700}},
		{[][3]uint64{{clockMonotonic, 900, subclockAbstime}}, nil}, // passed already
		{[][3]uint64{{clockMonotonic, 0, 0}}, nil},
	} {
		slept = nil
		for i, c := range tt.subs {
			sub(i, uint64(i), eventClock, uint32(c[0]), c[1], uint16(c[2]))
		}
		if e := wasiCall(t, funcs, mem, "poll_oneoff", 1000, 2000, uint64(len(tt.subs)), 2500); e != 0 || le.Uint32(mem.b[2500:]) != uint32(len(tt.subs)) {
			t.Fatalf("poll_oneoff %v = %d", tt.subs, e)
		}
		if !slices.Equal(slept, tt.want) {
			t.Errorf("poll_oneoff %v slept %v, want %v", tt.subs, slept, tt.want)
		}
	}
	if e := wasiCall(t, funcs, mem, "poll_oneoff", 1000, 2000, 0, 2500); e != uint64(ErrnoInval) {
		t.Errorf("poll_oneoff with no subscription = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "poll_oneoff", 1000, 4050, 3, 2500); e != uint64(ErrnoFault) {
		t.Errorf("poll_oneoff with events out of bounds = %d", e)
	}

	// fd_close closes a standard descriptor once.
	if e := wasiCall(t, funcs, mem, "fd_close", 1); e != 0 {
		t.Errorf("fd_close(1) = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "fd_close", 1); e != uint64(ErrnoBadf) {
		t.Errorf("second fd_close(1) = %d", e)
	}
	if e := wasiCall(t, funcs, mem, "fd_write", 1, 100, 1, 120); e != uint64(ErrnoBadf) {
		t.Errorf("fd_write to a closed descriptor = %d", e)
	}

	// proc_exit panics with an *ExitError; the engine makes it a trap.
	func() {
		defer func() {
			var exit *ExitError
			if err, _ := recover().(error); !errors.As(err, &exit) || exit.Code != 7 {
				t.Errorf("proc_exit panicked with %v", err)
			}
		}()
		wasiCall(t, funcs, mem, "proc_exit", 7)
	}()

	// A guest without memory gets EFAULT.
	if e := wasiCall(t, WASIFuncs(WASIConfig{}), nil, "clock_time_get", 0, 0, 0); e != uint64(ErrnoFault) {
		t.Errorf("clock_time_get without memory = %d", e)
	}
}

func TestResolveImports(t *testing.T) {
	imports := []Import{
		{Module: "wasi_snapshot_preview1", Name: "fd_write", Kind: KindFunc, Func: FuncType{Params: []ValueType{I32, I32, I32, I32}, Results: []ValueType{I32}}},
		{Module: "wactor", Name: "log", Kind: KindFunc, Func: FuncType{Params: []ValueType{I32, I32, I32}}},
	}
	log := HostFunc{Name: "log", Params: []ValueType{I32, I32, I32}, Func: func(context.Context, Caller, []uint64) {}}
	funcs, err := ResolveImports(imports, &InstanceConfig{HostFuncs: []HostFunc{log}})
	if err != nil || len(funcs) != 2 || funcs[0].Name != "fd_write" || funcs[1].Name != "log" {
		t.Fatalf("ResolveImports: %v, %v", funcs, err)
	}
	for _, c := range []struct {
		imp  Import
		want string
	}{
		{Import{Module: "env", Name: "f", Kind: KindFunc}, "unknown import env.f"},
		{Import{Module: "wasi_snapshot_preview1", Name: "nope", Kind: KindFunc}, "unknown import"},
		{Import{Module: "wasi_snapshot_preview1", Name: "fd_write", Kind: KindFunc}, "has type"},
		{Import{Module: "wactor", Name: "mem", Kind: KindMemory}, "only functions"},
	} {
		_, err := ResolveImports([]Import{c.imp}, &InstanceConfig{HostFuncs: []HostFunc{log}})
		if !errors.Is(err, ErrLink) || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("%+v: %v", c.imp, err)
		}
	}
}
