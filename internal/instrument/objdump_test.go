package instrument

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// walkerOffsets returns the offset of every instruction of every function
// body of wasm as the walker sees them, and the number of loops.
func walkerOffsets(t testing.TB, wasm []byte) (offs []int, loops int) {
	t.Helper()
	for _, s := range sections(t, wasm) {
		if s.id != secCode {
			continue
		}
		base := len(wasm) - len(wasm[cap(wasm)-cap(s.content):]) // file offset of content
		b := wasm[:base+len(s.content)]
		n, p, err := readU32(b, base)
		if err != nil {
			t.Fatal(err)
		}
		for i := uint32(0); i < n; i++ {
			size, np, err := readU32(b, p)
			if err != nil {
				t.Fatal(err)
			}
			end := np + int(size)
			body := b[:end]
			nd, q, _ := readU32(body, np)
			for j := uint32(0); j < nd; j++ {
				_, q, _ = readU32(body, q)
				q, _ = skipValType(body, q)
			}
			for depth := 0; q < end; {
				offs = append(offs, q)
				kind, nq, err := nextInstr(body, q)
				if err != nil {
					t.Fatalf("function %d: %v", i, err)
				}
				switch kind {
				case kBlock:
					depth++
				case kLoop:
					depth++
					loops++
				case kEnd, kDelegate:
					depth--
				}
				q = nq
				_ = depth
			}
			p = end
		}
	}
	return offs, loops
}

var objdumpLine = regexp.MustCompile(`^ ([0-9a-f]+): [0-9a-f ]*\|(.*)$`)

// objdumpOffsets returns the instruction offsets wabt's disassembler finds.
func objdumpOffsets(t testing.TB, tool, path string) []int {
	t.Helper()
	out, err := exec.Command(tool, "-d", path).CombinedOutput()
	if err != nil {
		t.Fatalf("wasm-objdump %s: %v\n%s", path, err, out)
	}
	var offs []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := objdumpLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		text := strings.TrimSpace(m[2])
		if text == "" || strings.HasPrefix(text, "local[") {
			continue // continuation of a long immediate, or locals
		}
		off, err := strconv.ParseInt(m[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, int(off))
	}
	return offs
}

// TestWalkerMatchesObjdump checks, when wabt is installed, that the walker
// splits every function body of the test modules (the Go module included)
// and of a module holding every supported opcode exactly where wabt's
// independent decoder does.
func TestWalkerMatchesObjdump(t *testing.T) {
	tool, err := exec.LookPath("wasm-objdump")
	if err != nil {
		t.Skip("wasm-objdump not installed")
	}
	files, _ := filepath.Glob("testdata/*.wasm")
	if testing.Short() {
		files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "gomod.wasm") })
	}
	all := filepath.Join(t.TempDir(), "allops.wasm")
	if err := os.WriteFile(all, allOpsModule(false), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, all)
	// The rewritten modules too: the inserted code must decode the same way.
	for _, f := range slices.Clone(files) {
		wasm, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Rewrite(wasm, Options{Interrupt: true, Fuel: true, ExportGlobals: true})
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "rewritten-"+filepath.Base(f))
		if err := os.WriteFile(out, res.Wasm, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, out)
	}
	for _, f := range files {
		wasm, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, loops := walkerOffsets(t, wasm)
		want := objdumpOffsets(t, tool, f)
		if !slices.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: walker found %d instructions, wasm-objdump %d; first difference after %d agreeing ones (walker %v, objdump %v)",
				filepath.Base(f), len(got), len(want), i, got[i:min(i+3, len(got))], want[i:min(i+3, len(want))])
			continue
		}
		t.Logf("%s: %d instructions, %d loops agree", filepath.Base(f), len(got), loops)
	}
}

// allOpsModule builds a module (not type-correct, only decodable) whose
// single function holds every instruction the walker supports, each with
// non-trivial immediates. Without modern, the instructions that wabt 1.0.32
// cannot decode (throw_ref, try_table, typed function references) are left
// out.
func allOpsModule(modern bool) []byte {
	memarg := []byte{0x00, 0x90, 0x01} // align 1, offset 144
	var c []byte
	add := func(b ...byte) { c = append(c, b...) }
	add(0x00, 0x01)
	add(0x02, 0x40, 0x0b)       // block end
	add(0x02, 0x7f, 0x0b)       // block (result i32)
	add(0x02, 0x00, 0x0b)       // block (type 0)
	add(0x03, 0x40, 0x0b)       // loop
	add(0x03, 0x7b, 0x0b)       // loop (result v128)
	add(0x04, 0x40, 0x05, 0x0b) // if else end
	add(0x06, 0x40, 0x07, 0x00, 0x19, 0x0b)
	add(0x06, 0x40, 0x18, 0x00) // try delegate
	add(0x06, 0x40, 0x09, 0x00, 0x0b)
	add(0x08, 0x00)
	if modern {
		add(0x0a)
		add(0x1f, 0x40, 0x02, 0x00, 0x00, 0x00, 0x03, 0x01, 0x0b)
		add(0x14, 0x00, 0x15, 0x00, 0xd4, 0xd5, 0x00, 0xd6, 0x00)
	}
	add(0x0c, 0x00, 0x0d, 0x01, 0x0e, 0x02, 0x00, 0x01, 0x02, 0x0f)
	add(0x10, 0x80, 0x01, 0x11, 0x00, 0x00, 0x12, 0x00, 0x13, 0x00, 0x00)
	add(0x1a, 0x1b, 0x1c, 0x01, 0x7f)
	for op := byte(0x20); op <= 0x26; op++ {
		add(op, 0x81, 0x01)
	}
	for op := byte(0x28); op <= 0x3e; op++ {
		add(op)
		add(memarg...)
	}
	add(0x3f, 0x00, 0x40, 0x00)
	add(0x41, 0x80, 0x80, 0x80, 0x80, 0x78)
	add(0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00)
	add(0x43, 1, 2, 3, 4)
	add(0x44, 1, 2, 3, 4, 5, 6, 7, 8)
	for op := 0x45; op <= 0xc4; op++ {
		add(byte(op))
	}
	add(0xd0, 0x70, 0xd0, 0x6f, 0xd1, 0xd2, 0x00)
	for sub := uint32(0); sub <= 17; sub++ {
		add(0xfc)
		add(leb(sub)...)
		switch {
		case sub <= 7:
		case sub == 8: // memory.init data 1, memory 0
			add(0x01, 0x00)
		case sub == 9: // data.drop 1
			add(0x01)
		case sub == 10 || sub == 12 || sub == 14: // index 0 pairs
			add(0x00, 0x00)
		default:
			add(0x00)
		}
	}
	for sub := uint32(0); sub <= 255; sub++ {
		if simdUnassigned[sub] {
			continue
		}
		add(0xfd)
		add(leb(sub)...)
		switch {
		case sub <= 11 || sub == 92 || sub == 93:
			add(memarg...)
		case sub == 12 || sub == 13:
			add(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
		case sub >= 21 && sub <= 34:
			add(0x01)
		case sub >= 84 && sub <= 91:
			add(memarg...)
			add(0x01)
		}
	}
	for sub := uint32(0); sub <= 0x4e; sub++ {
		if sub > 3 && sub < 0x10 {
			continue
		}
		add(0xfe)
		add(leb(sub)...)
		if sub == 3 {
			add(0x00)
		} else {
			add(memarg...)
		}
	}
	return module(
		sec(1, vec([]byte{0x60, 0x00, 0x00})),
		sec(3, vec(leb(0))),
		sec(5, vec([]byte{0x03, 0x01, 0x01})), // shared memory 1 1
		sec(12, leb(2)),
		sec(10, vec(body(c...))),
		sec(11, vec([]byte{0x01, 0x00}, []byte{0x01, 0x00})), // two empty passive segments
	)
}

func TestAllOpsRewrite(t *testing.T) {
	m := allOpsModule(true)
	res, st, err := rewrite(m, Options{Interrupt: true, Fuel: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.loops != 2 {
		t.Errorf("%d loops, want 2", st.loops)
	}
	// A rewritten module cannot be rewritten again (its names are taken),
	// but the walker decodes the inserted code like any other.
	if _, err := Rewrite(res.Wasm, Options{ExportGlobals: true}); err == nil {
		t.Error("second rewrite accepted a module exporting wactor_interrupt")
	}
	offs, loops := walkerOffsets(t, res.Wasm)
	if loops != 2 || len(offs) == 0 {
		t.Errorf("rewritten module: %d loops", loops)
	}
}
