package instrument

//go:generate make -C testdata

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

var optionSets = []struct {
	name string
	opts Options
}{
	{"none", Options{}},
	{"interrupt", Options{Interrupt: true}},
	{"fuel", Options{Fuel: true}},
	{"globals", Options{ExportGlobals: true}},
	{"interrupt+fuel", Options{Interrupt: true, Fuel: true}},
	{"all", Options{Interrupt: true, Fuel: true, ExportGlobals: true}},
	{"interrupt+preempt", Options{Interrupt: true, Preempt: true}},
	{"all+preempt+yield", Options{Interrupt: true, Fuel: true, ExportGlobals: true, Preempt: true, Yield: true}},
}

type call struct {
	fn   string
	args []uint64
	want []uint64 // nil: only compared with the original module
}

type rewriteCase struct {
	file     string
	globals  int
	existing map[uint32]string // global exports of the original module
	funcs    int               // function bodies
	loops    int               // loop instructions
	env      bool              // imports globals from env.wasm
	noRun    bool              // wazero does not run it (legacy exceptions)
	calls    []call
}

var rewriteCases = []rewriteCase{
	{
		file: "loops.wasm", globals: 1, existing: map[uint32]string{0: "ticks"}, funcs: 3, loops: 2,
		calls: []call{{fn: "count", args: []uint64{10}, want: []uint64{45}}, {fn: "rec", args: []uint64{5}, want: []uint64{32}}},
	},
	{
		file: "imported_globals.wasm", globals: 5, existing: map[uint32]string{}, funcs: 3, loops: 1, env: true,
		calls: []call{
			{fn: "bump", want: []uint64{108}},
			{fn: "bump", want: []uint64{210}},
			{fn: "sum", args: []uint64{3}, want: []uint64{20}},
			{fn: "get_a", want: []uint64{210}},
		},
	},
	{
		file: "no_globals.wasm", globals: 0, existing: map[uint32]string{}, funcs: 2, loops: 2,
		calls: []call{{fn: "fact", args: []uint64{10}, want: []uint64{3628800}}, {fn: "bytes", want: []uint64{36}}},
	},
	{file: "bare.wasm", globals: 0, existing: map[uint32]string{}, funcs: 2, loops: 1},
	{
		file: "exported_global.wasm", globals: 3, existing: map[uint32]string{0: "counter", 2: "limit"}, funcs: 2, loops: 1,
		calls: []call{{fn: "run", want: []uint64{10}}, {fn: "hidden", want: []uint64{52}}},
	},
	{
		file: "multivalue.wasm", globals: 0, existing: map[uint32]string{}, funcs: 5, loops: 1,
		calls: []call{
			{fn: "fib", args: []uint64{10}, want: []uint64{55}},
			{fn: "swap", args: []uint64{1, 2}, want: []uint64{2, 1}},
			{fn: "divmod", args: []uint64{17, 5}, want: []uint64{3, 2}},
			{fn: "divmod", args: []uint64{1, 0}, want: []uint64{0, 0}},
		},
	},
	{
		file: "bulk.wasm", globals: 0, existing: map[uint32]string{}, funcs: 3, loops: 1,
		calls: []call{{fn: "run"}},
	},
	{
		file: "simd.wasm", globals: 1, existing: map[uint32]string{}, funcs: 1, loops: 1,
		calls: []call{{fn: "sum", want: []uint64{6 + 8 + 10 + 1}}},
	},
	{
		file: "brtable.wasm", globals: 0, existing: map[uint32]string{}, funcs: 1, loops: 1,
		calls: []call{{fn: "machine", args: []uint64{10}, want: []uint64{2*1 + 3*10 + 3*100}}},
	},
	{
		file: "nested.wasm", globals: 0, existing: map[uint32]string{}, funcs: 2, loops: 5,
		calls: []call{{fn: "nested", args: []uint64{3, 4}, want: []uint64{12}}, {fn: "deep", args: []uint64{4}}},
	},
	{file: "exceptions.wasm", globals: 0, existing: map[uint32]string{}, funcs: 2, loops: 1, noRun: true},
	{file: "env.wasm", globals: 2, existing: map[uint32]string{0: "g_mut", 1: "g_imm"}, funcs: 0, loops: 0},
}

// runCalls instantiates wasm in a fresh runtime (with env.wasm when asked),
// fills the fuel global when there is one and runs the calls in order.
func runCalls(t *testing.T, wasm []byte, c rewriteCase, fuel string) ([][]uint64, api.Module) {
	t.Helper()
	ctx := context.Background()
	rt := newRuntime(t)
	if c.env {
		if _, err := rt.InstantiateWithConfig(ctx, readTestdata(t, "env.wasm"), wazero.NewModuleConfig().WithName("env")); err != nil {
			t.Fatal(err)
		}
	}
	mod := instantiate(t, rt, wasm, "m")
	if fuel != "" {
		setGlobal(t, mod, fuel, math.MaxInt64)
	}
	var out [][]uint64
	for _, cl := range c.calls {
		fn := mod.ExportedFunction(cl.fn)
		if fn == nil {
			t.Fatalf("no export %q", cl.fn)
		}
		res, err := fn.Call(ctx, cl.args...)
		if err != nil {
			t.Fatalf("%s%v: %v", cl.fn, cl.args, err)
		}
		// Narrow i32 results so that wants read naturally.
		for i, rt := range fn.Definition().ResultTypes() {
			if rt == api.ValueTypeI32 {
				res[i] = uint64(uint32(res[i]))
			}
		}
		if cl.want != nil && !slices.Equal(res, cl.want) {
			t.Errorf("%s%v = %v, want %v", cl.fn, cl.args, res, cl.want)
		}
		out = append(out, res)
	}
	return out, mod
}

func TestRewrite(t *testing.T) {
	for _, c := range rewriteCases {
		t.Run(strings.TrimSuffix(c.file, ".wasm"), func(t *testing.T) {
			orig := readTestdata(t, c.file)
			var want [][]uint64
			if !c.noRun {
				want, _ = runCalls(t, orig, c, "")
			}
			for _, o := range optionSets {
				t.Run(o.name, func(t *testing.T) {
					res, st, err := rewrite(orig, o.opts)
					if err != nil {
						t.Fatal(err)
					}
					checkResult(t, c, o.opts, orig, res, st)
					if c.noRun {
						return
					}
					got, mod := runCalls(t, res.Wasm, c, res.FuelExport)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("results %v, original module gave %v", got, want)
					}
					for idx, name := range res.GlobalExports {
						if mod.ExportedGlobal(name) == nil {
							t.Errorf("global %d: export %q missing", idx, name)
						}
					}
					for _, name := range []string{res.InterruptExport, res.FuelExport} {
						if name == "" {
							continue
						}
						if _, ok := mod.ExportedGlobal(name).(api.MutableGlobal); !ok {
							t.Errorf("%q is not an exported mutable global", name)
						}
					}
				})
			}
		})
	}
}

// checkResult makes the structural assertions on a rewrite.
func checkResult(t *testing.T, c rewriteCase, opts Options, orig []byte, res *Result, st stats) {
	t.Helper()
	if res.Globals != c.globals {
		t.Errorf("Globals = %d, want %d", res.Globals, c.globals)
	}
	wantExports := map[uint32]string{}
	for i := uint32(0); i < uint32(c.globals); i++ {
		if n, ok := c.existing[i]; ok {
			wantExports[i] = n
		} else if opts.ExportGlobals {
			wantExports[i] = GlobalExportPrefix + strconv.Itoa(int(i))
		}
	}
	if !reflect.DeepEqual(res.GlobalExports, wantExports) {
		t.Errorf("GlobalExports = %v, want %v", res.GlobalExports, wantExports)
	}
	if (res.InterruptExport != "") != opts.Interrupt || (res.FuelExport != "") != opts.Fuel {
		t.Errorf("InterruptExport %q, FuelExport %q for %+v", res.InterruptExport, res.FuelExport, opts)
	}
	if opts == (Options{}) || (!opts.Interrupt && !opts.Fuel && len(wantExports) == len(c.existing)) {
		if !bytes.Equal(res.Wasm, orig) {
			t.Errorf("nothing to change but the module changed")
		}
	}
	if opts.Interrupt || opts.Fuel {
		if st.funcs != c.funcs || st.loops != c.loops {
			t.Errorf("walked %d functions and %d loops, want %d and %d", st.funcs, st.loops, c.funcs, c.loops)
		}
	}
	if len(res.Wasm) > 0 && &res.Wasm[0] == &orig[0] {
		t.Error("result aliases the input")
	}

	// Every section other than global, export and code (and, with
	// Preempt, type and function, which get one entry more) is copied as it
	// is and in the same order (custom sections included).
	preempt := res.PreemptFunc >= 0
	if preempt != (opts.Preempt && opts.Interrupt && c.funcs > 0) {
		t.Errorf("PreemptFunc = %d for %+v", res.PreemptFunc, opts)
	}
	keep := func(ss []testSection) []testSection {
		return slices.DeleteFunc(ss, func(s testSection) bool {
			return s.id == secGlobal || s.id == secExport || s.id == secCode ||
				(preempt && (s.id == secType || s.id == secFunction))
		})
	}
	in, out := sections(t, orig), sections(t, res.Wasm)
	if !reflect.DeepEqual(keep(slices.Clone(in)), keep(slices.Clone(out))) {
		t.Errorf("sections other than global/export/code changed")
	}
	hasName := slices.ContainsFunc(in, func(s testSection) bool { return s.name == "name" })
	if hasName && !slices.ContainsFunc(out, func(s testSection) bool { return s.name == "name" }) {
		t.Error("name section lost")
	}
	if opts.Interrupt || opts.Fuel {
		if !slices.ContainsFunc(out, func(s testSection) bool { return s.id == secGlobal }) ||
			!slices.ContainsFunc(out, func(s testSection) bool { return s.id == secExport }) {
			t.Error("global or export section missing")
		}
	}
	// Section order of the output is valid.
	last := 0
	for _, s := range out {
		if s.id == 0 {
			continue
		}
		if r := sectionRank(s.id); r <= last {
			t.Errorf("section %d out of order", s.id)
		} else {
			last = r
		}
	}
	if path, err := exec.LookPath("wasm-validate"); err == nil {
		validateWithWabt(t, path, res.Wasm)
	}
}

// validateWithWabt runs wabt's validator as a second opinion when it is
// installed.
func validateWithWabt(t *testing.T, path string, wasm []byte) {
	t.Helper()
	f := t.TempDir() + "/m.wasm"
	if err := os.WriteFile(f, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(path, "--enable-exceptions", "--enable-threads", "--enable-tail-call", f).CombinedOutput(); err != nil {
		t.Errorf("wasm-validate: %v\n%s", err, out)
	}
}

func TestRewriteCustomSectionPlacement(t *testing.T) {
	// A custom section between type and code sections, none of global or
	// export: new sections go right before code, after the custom one.
	custom := sec(0, name("mid"), []byte("payload"))
	m := module(
		sec(1, vec([]byte{0x60, 0x00, 0x00})),
		sec(3, vec(leb(0))),
		custom,
		sec(10, vec(body(0x03, 0x40, 0x0b))),
	)
	res := mustRewrite(t, m, Options{Interrupt: true})
	var ids []byte
	for _, s := range sections(t, res.Wasm) {
		ids = append(ids, s.id)
	}
	if want := []byte{1, 3, 0, 6, 7, 10}; !bytes.Equal(ids, want) {
		t.Fatalf("section ids %v, want %v", ids, want)
	}
	if _, err := newRuntime(t).CompileModule(context.Background(), res.Wasm); err != nil {
		t.Fatal(err)
	}
}

func TestRewriteKeepsTrailingCustomSections(t *testing.T) {
	// Found by FuzzRewrite: a name section whose subsections overrun it is
	// accepted by wazero only while nothing follows it, so sections are
	// added before trailing custom sections, never after them.
	onlyName := []byte("\x00asm\x01\x00\x00\x00\x00%\x04name\x020\x030\x000\x010\x0100\x000\x12000000000000000000")
	typeThenName := module(sec(1, vec([]byte{0x60, 0x00, 0x00})), onlyName[8:])
	for _, c := range []struct {
		wasm []byte
		ids  []byte
	}{
		{onlyName, []byte{6, 7, 0}},
		{typeThenName, []byte{1, 6, 7, 0}},
		{readTestdata(t, "bare.wasm"), []byte{1, 3, 6, 7, 10, 0}},
	} {
		res := mustRewrite(t, c.wasm, Options{Interrupt: true, Fuel: true, ExportGlobals: true})
		var ids []byte
		for _, s := range sections(t, res.Wasm) {
			ids = append(ids, s.id)
		}
		if !bytes.Equal(ids, c.ids) {
			t.Errorf("section ids %v, want %v", ids, c.ids)
		}
		if _, err := newRuntime(t).CompileModule(context.Background(), c.wasm); err != nil {
			continue
		}
		if _, err := newRuntime(t).CompileModule(context.Background(), res.Wasm); err != nil {
			t.Errorf("wazero accepts the input but not the output: %v", err)
		}
	}
}

func TestRewriteEntryCheckAfterLocals(t *testing.T) {
	// (func (local i64 i64) nop): the check must follow the declarations.
	code := cat([]byte{0x01, 0x02, 0x7e}, []byte{0x01, 0x0b})
	m := voidModule(cat(leb(uint32(len(code))), code))
	res := mustRewrite(t, m, Options{Interrupt: true})
	var got []byte
	for _, s := range sections(t, res.Wasm) {
		if s.id == secCode {
			got = s.content
		}
	}
	// count 1, size 11, locals 01 02 7e, global.get 0 if (empty) unreachable end, nop end
	want := []byte{0x01, 0x0b, 0x01, 0x02, 0x7e, 0x23, 0x00, 0x04, 0x40, 0x00, 0x0b, 0x01, 0x0b}
	if !bytes.Equal(got, want) {
		t.Fatalf("code section % x, want % x", got, want)
	}
}

func TestRewriteErrors(t *testing.T) {
	typ := sec(1, vec([]byte{0x60, 0x00, 0x00}))
	mutI32 := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b}
	cases := []struct {
		name string
		wasm []byte
		opts Options
		want error
	}{
		{"empty", nil, Options{}, ErrMalformed},
		{"bad magic", []byte("\x00asn\x01\x00\x00\x00"), Options{}, ErrMalformed},
		{"component", []byte("\x00asm\x0d\x00\x01\x00"), Options{}, ErrUnsupported},
		{"section beyond end", module([]byte{0x01, 0x64, 0x00}), Options{}, ErrMalformed},
		{"section size LEB too long", module([]byte{0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), Options{}, ErrMalformed},
		{"section size LEB truncated", module([]byte{0x01, 0x80}), Options{}, ErrMalformed},
		{"out of order", module(sec(3, vec(leb(0))), typ), Options{}, ErrMalformed},
		{"duplicate", module(typ, typ), Options{}, ErrMalformed},
		{"unknown section", module(sec(14)), Options{}, ErrMalformed},
		{"unknown opcode", voidModule(body(0xff)), Options{Interrupt: true}, ErrUnsupported},
		{"unknown opcode 0x17", voidModule(body(0x17)), Options{Fuel: true}, ErrUnsupported},
		{"unassigned SIMD opcode", voidModule(body(0xfd, 0x9a, 0x01)), Options{Interrupt: true}, ErrUnsupported},
		{"relaxed SIMD opcode", voidModule(body(0xfd, 0x80, 0x02)), Options{Interrupt: true}, ErrUnsupported},
		{"unknown 0xfc opcode", voidModule(body(0xfc, 0x12)), Options{Interrupt: true}, ErrUnsupported},
		{"unknown 0xfe opcode", voidModule(body(0xfe, 0x04)), Options{Interrupt: true}, ErrUnsupported},
		{"missing end", voidModule([]byte{0x02, 0x00, 0x01}), Options{Interrupt: true}, ErrMalformed},
		{"unclosed block", voidModule(body(0x02, 0x40)), Options{Interrupt: true}, ErrMalformed},
		{"code after end", voidModule(body(0x0b, 0x01)), Options{Interrupt: true}, ErrMalformed},
		{"truncated i32.const", voidModule([]byte{0x02, 0x00, 0x41}), Options{Interrupt: true}, ErrMalformed},
		{"i32.const LEB too long", voidModule(body(0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), Options{Interrupt: true}, ErrMalformed},
		{"br_table count", voidModule(body(0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f)), Options{Interrupt: true}, ErrMalformed},
		{"truncated v128.const", voidModule(body(0xfd, 0x0c, 1, 2, 3)), Options{Interrupt: true}, ErrMalformed},
		{"truncated shuffle", voidModule([]byte{0x05, 0x00, 0xfd, 0x0d, 1, 2}), Options{Interrupt: true}, ErrMalformed},
		{"bad block type", voidModule(body(0x02, 0x50, 0x0b)), Options{Interrupt: true}, ErrMalformed},
		{"delegate at top level", voidModule(body(0x18, 0x00)), Options{Interrupt: true}, ErrMalformed},
		{"too many locals", voidModule([]byte{0x0b, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7f, 0x0b}), Options{Interrupt: true}, ErrMalformed},
		{"locals count beyond body", voidModule([]byte{0x03, 0xff, 0xff, 0x0b}), Options{Interrupt: true}, ErrMalformed},
		{"body beyond section", module(typ, sec(3, vec(leb(0))), sec(10, leb(1), leb(50), []byte{0x00, 0x0b})), Options{Interrupt: true}, ErrMalformed},
		{"bodies for functions", module(typ, sec(3, vec(leb(0), leb(0))), sec(10, vec(body()))), Options{}, ErrMalformed},
		{"functions without code", module(typ, sec(3, vec(leb(0)))), Options{}, ErrMalformed},
		{"code section trailing bytes", module(typ, sec(3, vec(leb(0))), sec(10, vec(body()), []byte{0x00})), Options{Interrupt: true}, ErrMalformed},
		{"global section trailing bytes", module(sec(6, vec(mutI32), []byte{0x00})), Options{}, ErrMalformed},
		{"global count", module(sec(6, leb(1000), mutI32)), Options{}, ErrMalformed},
		{"bad global init", module(sec(6, vec([]byte{0x7f, 0x00, 0xff}))), Options{}, ErrUnsupported},
		{"import kind", module(sec(2, vec(cat(name("a"), name("b"), []byte{0x07, 0x00})))), Options{}, ErrMalformed},
		{"import name beyond section", module(sec(2, leb(1), leb(100))), Options{}, ErrMalformed},
		{"limits flags", module(sec(2, vec(cat(name("a"), name("b"), []byte{0x02, 0x10, 0x00})))), Options{}, ErrUnsupported},
		{"export kind", module(sec(7, vec(cat(name("x"), []byte{0x09, 0x00})))), Options{}, ErrMalformed},
		{"export of missing global", module(sec(7, vec(cat(name("x"), []byte{0x03, 0x00})))), Options{}, ErrMalformed},
		{
			"already exports wactor_interrupt",
			module(sec(6, vec(mutI32)), sec(7, vec(cat(name(InterruptExport), []byte{0x03, 0x00})))),
			Options{}, ErrNameConflict,
		},
		{
			"already exports wactor_fuel",
			module(typ, sec(3, vec(leb(0))), sec(7, vec(cat(name(FuelExport), []byte{0x00, 0x00}))), sec(10, vec(body()))),
			Options{Interrupt: true}, ErrNameConflict,
		},
		{
			"wactor_global name taken",
			module(typ, sec(3, vec(leb(0))), sec(6, vec(mutI32)), sec(7, vec(cat(name("wactor_global_0"), []byte{0x00, 0x00}))), sec(10, vec(body()))),
			Options{ExportGlobals: true}, ErrNameConflict,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Rewrite(c.wasm, c.opts)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v (result %v)", err, c.want, res)
			}
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(e.Error(), "instrument: ") {
				t.Fatalf("error %v is not an *Error", err)
			}
		})
	}
	// The "wactor_global_0" name is only a conflict when it would be added.
	m := module(typ, sec(3, vec(leb(0))), sec(6, vec(mutI32)), sec(7, vec(cat(name("wactor_global_0"), []byte{0x00, 0x00}))), sec(10, vec(body())))
	if _, err := Rewrite(m, Options{Interrupt: true, Fuel: true}); err != nil {
		t.Fatal(err)
	}
}

// TestRewriteTruncations cuts real modules at every length: Rewrite must
// fail cleanly, or produce a module that wazero accepts whenever it accepts
// the cut input.
func TestRewriteTruncations(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	for _, file := range []string{"bulk.wasm", "simd.wasm", "multivalue.wasm", "imported_globals.wasm", "nested.wasm"} {
		wasm := readTestdata(t, file)
		accepted := 0
		for n := 0; n < len(wasm); n++ {
			res, err := Rewrite(wasm[:n], Options{Interrupt: true, Fuel: true, ExportGlobals: true})
			if err != nil {
				continue
			}
			accepted++
			in, err := rt.CompileModule(ctx, wasm[:n])
			if err != nil {
				continue
			}
			in.Close(ctx)
			out, err := rt.CompileModule(ctx, res.Wasm)
			if err != nil {
				t.Errorf("%s cut at %d: wazero accepts the input but not the output: %v", file, n, err)
				continue
			}
			out.Close(ctx)
		}
		t.Logf("%s: %d of %d cuts accepted", file, accepted, len(wasm))
	}
}

func TestNextInstrImmediates(t *testing.T) {
	v128 := make([]byte, 16)
	cases := []struct {
		name string
		code []byte
		kind instrKind
	}{
		{"unreachable", []byte{0x00}, kPlain},
		{"block empty", []byte{0x02, 0x40}, kBlock},
		{"block i32", []byte{0x02, 0x7f}, kBlock},
		{"block v128", []byte{0x02, 0x7b}, kBlock},
		{"block type index", []byte{0x02, 0x01}, kBlock},
		{"block type index 200", []byte{0x02, 0xc8, 0x01}, kBlock},
		{"block (ref null func)", []byte{0x02, 0x63, 0x70}, kBlock},
		{"loop", []byte{0x03, 0x40}, kLoop},
		{"if", []byte{0x04, 0x7e}, kBlock},
		{"else", []byte{0x05}, kPlain},
		{"try", []byte{0x06, 0x40}, kBlock},
		{"catch", []byte{0x07, 0x00}, kPlain},
		{"throw", []byte{0x08, 0x81, 0x01}, kPlain},
		{"end", []byte{0x0b}, kEnd},
		{"br", []byte{0x0c, 0x02}, kPlain},
		{"br_table", []byte{0x0e, 0x03, 0x00, 0x01, 0x80, 0x01, 0x02}, kPlain},
		{"call", []byte{0x10, 0xff, 0xff, 0x03}, kPlain},
		{"call_indirect", []byte{0x11, 0x01, 0x00}, kPlain},
		{"call_indirect table 300", []byte{0x11, 0x01, 0xac, 0x02}, kPlain},
		{"return_call_indirect", []byte{0x13, 0x01, 0x00}, kPlain},
		{"call_ref", []byte{0x14, 0x01}, kPlain},
		{"delegate", []byte{0x18, 0x01}, kDelegate},
		{"select", []byte{0x1b}, kPlain},
		{"select t", []byte{0x1c, 0x01, 0x7f}, kPlain},
		{"select (ref null 3)", []byte{0x1c, 0x01, 0x63, 0x03}, kPlain},
		{"try_table", []byte{0x1f, 0x40, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00}, kBlock},
		{"try_table all", []byte{0x1f, 0x40, 0x04, 0x00, 0x01, 0x00, 0x01, 0x02, 0x00, 0x02, 0x00, 0x03, 0x01}, kBlock},
		{"global.get", []byte{0x23, 0x05}, kPlain},
		{"table.set", []byte{0x26, 0x01}, kPlain},
		{"i32.load", []byte{0x28, 0x02, 0x80, 0x80, 0x04}, kPlain},
		{"i64.store multi-memory", []byte{0x37, 0x43, 0x01, 0x08}, kPlain},
		{"i64.load memory64 offset", []byte{0x29, 0x03, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, kPlain},
		{"memory.grow", []byte{0x40, 0x00}, kPlain},
		{"i32.const -1", []byte{0x41, 0x7f}, kPlain},
		{"i32.const min", []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x78}, kPlain},
		{"i64.const min", []byte{0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, kPlain},
		{"f32.const", []byte{0x43, 0, 0, 0x80, 0x3f}, kPlain},
		{"f64.const", []byte{0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}, kPlain},
		{"i64.extend32_s", []byte{0xc4}, kPlain},
		{"ref.null func", []byte{0xd0, 0x70}, kPlain},
		{"ref.null extern", []byte{0xd0, 0x6f}, kPlain},
		{"ref.null type", []byte{0xd0, 0x02}, kPlain},
		{"ref.is_null", []byte{0xd1}, kPlain},
		{"ref.func", []byte{0xd2, 0x03}, kPlain},
		{"br_on_null", []byte{0xd5, 0x00}, kPlain},
		{"i32.trunc_sat_f32_s", []byte{0xfc, 0x00}, kPlain},
		{"i64.trunc_sat_f64_u", []byte{0xfc, 0x07}, kPlain},
		{"memory.init", []byte{0xfc, 0x08, 0x01, 0x00}, kPlain},
		{"data.drop", []byte{0xfc, 0x09, 0x01}, kPlain},
		{"memory.copy", []byte{0xfc, 0x0a, 0x00, 0x00}, kPlain},
		{"memory.fill", []byte{0xfc, 0x0b, 0x00}, kPlain},
		{"table.init", []byte{0xfc, 0x0c, 0x01, 0x00}, kPlain},
		{"elem.drop", []byte{0xfc, 0x0d, 0x01}, kPlain},
		{"table.copy", []byte{0xfc, 0x0e, 0x00, 0x01}, kPlain},
		{"table.grow", []byte{0xfc, 0x0f, 0x00}, kPlain},
		{"table.size", []byte{0xfc, 0x10, 0x00}, kPlain},
		{"table.fill", []byte{0xfc, 0x11, 0x00}, kPlain},
		{"v128.load", []byte{0xfd, 0x00, 0x04, 0x00}, kPlain},
		{"v128.store", []byte{0xfd, 0x0b, 0x04, 0x10}, kPlain},
		{"v128.const", cat([]byte{0xfd, 0x0c}, v128), kPlain},
		{"i8x16.shuffle", cat([]byte{0xfd, 0x0d}, v128), kPlain},
		{"i8x16.swizzle", []byte{0xfd, 0x0e}, kPlain},
		{"i8x16.extract_lane_s", []byte{0xfd, 0x15, 0x0f}, kPlain},
		{"f64x2.replace_lane", []byte{0xfd, 0x22, 0x01}, kPlain},
		{"v128.any_true", []byte{0xfd, 0x53}, kPlain},
		{"v128.load8_lane", []byte{0xfd, 0x54, 0x00, 0x00, 0x0f}, kPlain},
		{"v128.store64_lane", []byte{0xfd, 0x5b, 0x03, 0x08, 0x01}, kPlain},
		{"v128.load32_zero", []byte{0xfd, 0x5c, 0x02, 0x00}, kPlain},
		{"v128.load64_zero", []byte{0xfd, 0x5d, 0x03, 0x00}, kPlain},
		{"f32x4.demote_f64x2_zero", []byte{0xfd, 0x5e}, kPlain},
		{"i32x4.add", []byte{0xfd, 0xae, 0x01}, kPlain},
		{"f64x2.convert_low_i32x4_u", []byte{0xfd, 0xff, 0x01}, kPlain},
		{"memory.atomic.notify", []byte{0xfe, 0x00, 0x02, 0x00}, kPlain},
		{"atomic.fence", []byte{0xfe, 0x03, 0x00}, kPlain},
		{"i64.atomic.rmw32.cmpxchg_u", []byte{0xfe, 0x4e, 0x02, 0x00}, kPlain},
	}
	for _, c := range cases {
		// Append a marker so that over-reads show up as a wrong position.
		b := append(slices.Clone(c.code), 0x01)
		kind, p, err := nextInstr(b, 0)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p != len(c.code) || kind != c.kind {
			t.Errorf("%s: consumed %d bytes (kind %d), want %d (kind %d)", c.name, p, kind, len(c.code), c.kind)
		}
		// Every strict prefix must fail cleanly.
		for n := 0; n < len(c.code); n++ {
			if _, _, err := nextInstr(c.code[:n], 0); err == nil {
				t.Errorf("%s: prefix of %d bytes accepted", c.name, n)
			}
		}
	}
}

func TestRewrite_MutatesTables(t *testing.T) {
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"loops.wasm", false}, // call_indirect only reads its table
		{"gomod.wasm", false}, // a Go guest
		{"bulk.wasm", true},   // table.* bulk instructions
		{"spinmem.wasm", false},
	} {
		res, err := Rewrite(readTestdata(t, tc.file), Options{Interrupt: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.MutatesTables != tc.want {
			t.Errorf("%s: MutatesTables = %v, want %v", tc.file, res.MutatesTables, tc.want)
		}
	}
}
