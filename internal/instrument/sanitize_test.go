package instrument

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// startModule is a module of two functions with a start section naming
// function start, each custom section named before the types and (but
// "name") after the code, and, with export, an export section.
func startModule(start uint32, export bool, customs ...string) []byte {
	var pre, post [][]byte
	for _, c := range customs {
		payload := []byte("payload")
		if c == "name" {
			payload = []byte{0x00, 0x02, 0x01, 'm'} // the module name subsection
		}
		s := sec(0, name(c), payload)
		pre = append(pre, s)
		if c != "name" {
			post = append(post, s)
		}
	}
	secs := [][]byte{cat(pre...), sec(1, vec([]byte{0x60, 0x00, 0x00})), sec(3, vec(leb(0), leb(0)))}
	if export {
		secs = append(secs, sec(7, vec(cat(name("f"), []byte{0x00, 0x00}))))
	}
	secs = append(secs, sec(8, leb(start)), sec(10, vec(body(), body(0x01))), cat(post...))
	return module(secs...)
}

// TestSanitize: the start section is taken out and its function exported
// as StartExport (in the export section, made if missing); custom sections
// other than a small "name" are dropped; the result compiles.
func TestSanitize(t *testing.T) {
	for _, tt := range []struct {
		name    string
		wasm    []byte
		start   bool
		customs int // custom sections kept
	}{
		{"start with exports", startModule(1, true, "name", "producers"), true, 1},
		{"start without exports", startModule(0, false, ".debug_info"), true, 0},
		{"no start", voidModule(body()), false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.wasm)
			s, err := Sanitize(tt.wasm, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(orig, tt.wasm) {
				t.Fatal("Sanitize modified its input")
			}
			if s.HasStart != tt.start {
				t.Errorf("HasStart = %v, want %v", s.HasStart, tt.start)
			}
			customs := 0
			for _, sc := range sections(t, s.Wasm) {
				switch sc.id {
				case 0:
					customs++
				case 8:
					t.Error("the start section is still there")
				}
			}
			if customs != tt.customs {
				t.Errorf("%d custom sections kept, want %d", customs, tt.customs)
			}
			if err := wazeroAccepts(s.Wasm); err != nil {
				t.Fatalf("wazero rejects the result: %v", err)
			}
			if !tt.start {
				return
			}
			rt := newRuntime(t)
			mod := instantiate(t, rt, s.Wasm, "m")
			if mod.ExportedFunction(StartExport) == nil {
				t.Fatalf("%s not exported", StartExport)
			}
			if _, err := mod.ExportedFunction(StartExport).Call(context.Background()); err != nil {
				t.Fatalf("calling %s: %v", StartExport, err)
			}
		})
	}
}

// TestSanitize_errors: limits and conflicts are refused with ErrLimit and
// ErrNameConflict, and a refusal allocates nothing but its error.
func TestSanitize_errors(t *testing.T) {
	many := []byte("\x00asm\x01\x00\x00\x00")
	for range 1001 {
		many = append(many, 0, 1, 0)
	}
	conflict := module(sec(1, vec([]byte{0x60, 0x00, 0x00})), sec(3, vec(leb(0))),
		sec(7, vec(cat(name(StartExport), []byte{0x00, 0x00}))), sec(8, leb(0)), sec(10, vec(body())))
	for _, tt := range []struct {
		name string
		wasm []byte
		kind error
		want string
	}{
		{"custom sections", many, ErrLimit, "more than 1000 custom sections"},
		{"entries", module(sec(3, leb(1<<20+1))), ErrLimit, "function section has 1048577 entries"},
		{"start export taken", conflict, ErrNameConflict, StartExport},
		{"truncated", []byte("\x00asm\x01\x00\x00\x00\x01\x05\x00"), ErrMalformed, "exceeds the module"},
		{"out of order", module(sec(3, leb(0)), sec(1, leb(0))), ErrMalformed, "out of order"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sanitize(tt.wasm, Limits{})
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Sanitize: %v, want %v saying %q", err, tt.kind, tt.want)
			}
		})
	}
	// 60 MB of empty custom sections cost 42 s and 4.5 GB before a 422
	// when nothing counted them: a refusal now reads only up to the limit.
	huge := make([]byte, 0, 8+3*2_000_000)
	huge = append(huge, "\x00asm\x01\x00\x00\x00"...)
	for range 2_000_000 {
		huge = append(huge, 0, 1, 0)
	}
	if n := testing.AllocsPerRun(10, func() { _, _ = Sanitize(huge, Limits{}) }); n > 4 {
		t.Errorf("refusing %d bytes of custom sections allocated %v times", len(huge), n)
	}
}

// FuzzSanitize checks that Sanitize never panics or modifies its input,
// fails only with an *Error, and that whenever wazero accepts a module it
// accepts the sanitized one.
func FuzzSanitize(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.wasm")
	for _, file := range files {
		if strings.HasSuffix(file, "gomod.wasm") {
			continue
		}
		f.Add(readTestdata(f, filepath.Base(file)))
	}
	f.Add(startModule(1, true, "name", "x"))
	f.Add(startModule(0, false))
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := slices.Clone(data)
		s, err := Sanitize(data, Limits{MaxCustomSections: 4, MaxEntries: 1000})
		if !bytes.Equal(orig, data) {
			t.Fatal("Sanitize modified its input")
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if len(s.Wasm) > len(data)+len(StartExport)+16 {
			t.Fatalf("output of %d bytes for an input of %d", len(s.Wasm), len(data))
		}
		if wazeroAccepts(data) != nil {
			return
		}
		if err := wazeroAccepts(s.Wasm); err != nil {
			t.Fatalf("wazero accepts the input but not the sanitized module: %v", err)
		}
	})
}

// TestSanitize_NameSectionLimit: a "name" section within
// Limits.MaxNameSection is kept; a larger one is dropped, not refused (its
// content is 9 bytes here).
func TestSanitize_NameSectionLimit(t *testing.T) {
	wasm := startModule(1, true, "name")
	for _, tt := range []struct{ limit, kept int }{{9, 1}, {8, 0}} {
		s, err := Sanitize(wasm, Limits{MaxNameSection: tt.limit})
		if err != nil {
			t.Fatalf("limit %d: %v", tt.limit, err)
		}
		customs := 0
		for _, sc := range sections(t, s.Wasm) {
			if sc.id == 0 {
				customs++
			}
		}
		if customs != tt.kept {
			t.Errorf("limit %d: %d name sections kept, want %d", tt.limit, customs, tt.kept)
		}
		if err := wazeroAccepts(s.Wasm); err != nil {
			t.Fatalf("limit %d: wazero rejects the result: %v", tt.limit, err)
		}
	}
}
