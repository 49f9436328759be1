package host

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

// TestCheckName is the table of the name grammar (docs/API.md, "Names").
func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"counter", true},
		{"team-a", true},
		{"a.b_c:d@e", true},
		{"with space", true},
		{"héllo wörld", true},
		{"日本語", true},
		{"...", true},
		{".hidden", true},
		{strings.Repeat("x", MaxNameBytes), true},
		{"", false},
		{strings.Repeat("x", MaxNameBytes+1), false},
		{strings.Repeat("é", MaxNameBytes/2) + "x", false}, // 257 bytes
		{"a\x00b", false},
		{"a/b", false},
		{"../etc", false},
		{`a\b`, false},
		{".", false},
		{"..", false},
		{"a\nb", false},
		{"a\tb", false},
		{"\x7f", false},
		{"a\u0085b", false},     // C1 control (NEL)
		{"a\u202eb", false},     // right-to-left override
		{"a\u200bb", false},     // zero-width space
		{"\ufeffa", false},      // byte order mark
		{"a\ufffdb", false},     // the replacement character
		{"a\xffb", false},       // invalid UTF-8
		{"\xed\xa0\x80", false}, // an encoded surrogate
		{" leading", false},     // spaces around
		{"trailing ", false},    //
		{"a\u00a0b", false},     // no-break space: not printable by unicode.IsPrint
		{"a\u3000b", false},     // ideographic space
		{"emoji 😀", true},       // symbols are fine
		{"combining e\u0301", true},
	} {
		err := api.CheckName("actor name", tc.name)
		if tc.ok != (err == nil) {
			t.Errorf("CheckName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			continue
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrInvalidName) || !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("CheckName(%q) = %v: not ErrInvalidName and ErrInvalidOptions", tc.name, err)
		}
		var ne *NameError
		if !errors.As(err, &ne) || ne.Kind != "actor name" || !strings.HasPrefix(err.Error(), "invalid actor name ") {
			t.Errorf("CheckName(%q) = %v: want a *NameError naming the kind", tc.name, err)
		}
		if !strings.Contains(err.Error(), "\\") && strings.ContainsFunc(err.Error(), func(r rune) bool { return r < 0x20 }) {
			t.Errorf("message %q carries a raw control character", err)
		}
	}
}

// Two different invalid byte strings never reach the registry, so they
// cannot collide (JSON used to turn both into U+FFFD); nor can a name with
// NUL collide with the namespace separator of the name registry.
func TestNamesEnforcedOnSpawnAndLookup(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	c, err := h.LoadClass(ctx, fixture(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{
		{Name: "a\x00b"},
		{Name: "a\xffb"},
		{Name: "../x"},
		{Namespace: "x/y"},
		{Namespace: "ns\x00"},
		{Namespace: ".."},
		{Resources: map[string]float64{"gpu\n": 1}},
	} {
		if _, err := h.Spawn(ctx, c.ID, o); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Spawn(%+v) = %v, want ErrInvalidName", o, err)
		}
	}
	if _, err := h.Lookup(ctx, "default", "a\x00b"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Lookup of an invalid name: %v", err)
	}
	if _, err := h.Lookup(ctx, "a/b", "x"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Lookup in an invalid namespace: %v", err)
	}
	if _, err := h.Lookup(ctx, "default", "nobody"); !errors.Is(err, ErrActorNotFound) {
		t.Errorf("Lookup of a valid unknown name: %v", err)
	}
	for _, ns := range []string{"", "ns\x00", "a/b", "..", "a\uFFFDb"} {
		if _, err := h.LoadClassIn(ctx, ns, fixture(t, "minimal")); !errors.Is(err, ErrInvalidName) {
			t.Errorf("LoadClassIn(%q) = %v, want ErrInvalidName", ns, err)
		}
	}
}

// TestOptionBounds: every numeric option has an upper bound, and the error
// names the field and the bound.
// TestConfigBounds: Config's limits are bounded above (Options' bounds:
// api.TestOptionBounds).
func TestConfigBounds(t *testing.T) {
	for _, c := range []Config{{Workers: 5000}, {MaxArgBytes: 2 << 30}, {LogLines: 2_000_000}, {MaxQueuedCalls: 1 << 31},
		{MemoryBudget: 1 << 60}, {Node: NodeResources{Custom: map[string]float64{"a/b": 1}}},
		{LogBytes: 2 << 30}, {DeadLogBytes: 2 << 30}, {LogBudget: 1 << 60}, {KeepDead: maxKeepDead + 1},
		{KeepDeadFor: maxKeepDeadFor + 1}, {ClassMemoryBudget: 1 << 60}, {TimeSlice: maxTimeSlice + 1},
		{MaxCallTimeout: maxMaxCallTimeout + 1}, {MaxDepth: maxMaxDepth + 1}, {MaxWaiting: maxMaxWaiting + 1}} {
		if _, err := c.withDefaults(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("Config %+v: %v, want ErrInvalidOptions", c, err)
		}
	}
	atBounds := Config{LogBytes: 1 << 30, DeadLogBytes: 1 << 30, LogBudget: 1 << 50, KeepDead: maxKeepDead,
		KeepDeadFor: maxKeepDeadFor, ClassMemoryBudget: 1 << 50, TimeSlice: maxTimeSlice,
		MaxCallTimeout: maxMaxCallTimeout, MaxDepth: maxMaxDepth, MaxWaiting: maxMaxWaiting}
	if _, err := atBounds.withDefaults(); err != nil {
		t.Errorf("Config at its bounds: %v", err)
	}
}

// withManifest appends a wactor.manifest custom section to a module.
func withManifest(wasm []byte, m abi.Manifest) []byte {
	payload, err := abi.EncodeManifest(&m)
	if err != nil {
		panic(err)
	}
	name := abi.ManifestSection
	body := append(binary.AppendUvarint(nil, uint64(len(name))), name...)
	body = append(body, payload...)
	out := append([]byte{}, wasm...)
	out = append(out, 0)
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}

// TestClassNameGrammar: a class's name (from its manifest, shown in
// listings and logs) follows the name grammar; a module that breaks it is
// an invalid module naming the rule.
func TestClassNameGrammar(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	base := fixture(t, "minimal")
	if _, err := h.LoadClass(ctx, withManifest(base, abi.Manifest{ABI: abi.Version, Name: "fine name"})); err != nil {
		t.Fatalf("a valid class name: %v", err)
	}
	for _, name := range []string{"a\x00b", "x/y", "\u202eevil", ".."} {
		_, err := h.LoadClass(ctx, withManifest(base, abi.Manifest{ABI: abi.Version, Name: name}))
		var me *ModuleError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), "invalid class name") {
			t.Errorf("class name %q: %v, want a ModuleError naming the rule", name, err)
		}
	}
}

// TestMethodNameGrammar: a method's name (an export, shown in listings, logs
// and metrics and a segment of the HTTP call path) follows the name
// grammar; a module with one that breaks it is an invalid module naming the
// rule, and nothing is loaded.
func TestMethodNameGrammar(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	for _, tc := range []struct{ fixture, rule string }{
		{"hostile_method_slash", `contains '/'`},
		{"hostile_method_ctl", "control or invisible character"},
		{"hostile_method_dotdot", `"." and ".." are not names`},
	} {
		_, err := h.LoadClass(ctx, fixture(t, tc.fixture))
		var me *ModuleError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), "invalid method name") || !strings.Contains(err.Error(), tc.rule) {
			t.Errorf("%s: %v, want a ModuleError naming the rule %q", tc.fixture, err, tc.rule)
		}
	}
	if n := len(h.Classes()); n != 0 {
		t.Fatalf("%d classes loaded after refused modules", n)
	}
}
