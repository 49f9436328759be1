package host

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestHost_LoadClass(t *testing.T) {
	tests := []struct {
		fixture string
		reason  string // substring of the ModuleError reason; "" means it loads
	}{
		{"minimal", ""},
		{"manifest_ok", ""},
		{"manifest_export", ""},
		{"log", ""},
		{"loop", ""},
		{"garbage", "not a WebAssembly module"},
		{"truncated", ""},
		{"bad_import", "env.foo"},
		{"reserved_import", "reserved for a later ABI version"},
		{"wrong_import_sig", "wactor.log"},
		{"wrong_call_sig", "wactor.call"},
		{"no_memory", "memory"},
		{"no_alloc", "wactor_alloc"},
		{"no_version", "wactor_abi_version"},
		{"version2", "ABI version 2"},
		{"command", "_start"},
		{"bad_method_sig", `"foo"`},
		{"bad_manifest", "manifest"},
		{"manifest_unknown", `"missing"`},
		{"table_grow", "changes its tables"},
	}
	h := newTestHost(t, Config{})
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			info, err := h.LoadClass(ctx, fixture(t, tt.fixture))
			if tt.fixture == "truncated" {
				if !errors.Is(err, ErrInvalidModule) {
					t.Fatalf("err = %v, want ErrInvalidModule", err)
				}
				return
			}
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("LoadClass: %v", err)
				}
				if !strings.HasPrefix(info.ID, "sha256:") {
					t.Fatalf("ID %q is not a content address", info.ID)
				}
				return
			}
			var me *ModuleError
			if !errors.As(err, &me) || !errors.Is(err, ErrInvalidModule) {
				t.Fatalf("err = %v, want *ModuleError", err)
			}
			if !strings.Contains(me.Reason, tt.reason) {
				t.Fatalf("reason %q does not mention %q", me.Reason, tt.reason)
			}
		})
	}
	if got := len(h.Classes()); got != 5 {
		t.Fatalf("Classes() has %d entries, want the 5 good ones", got)
	}
}

func TestHost_LoadClass_Idempotent(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	wasm := fixture(t, "manifest_ok")
	a, err := h.LoadClass(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.LoadClass(ctx, wasm)
	if err != nil || a.ID != b.ID || !a.LoadedAt.Equal(b.LoadedAt) {
		t.Fatalf("reload gave %+v, %v; want the loaded class %s", b, err, a.ID)
	}
	if a.ID != ClassID(wasm) {
		t.Fatalf("ID %s != ClassID %s", a.ID, ClassID(wasm))
	}
	got, err := h.Class(ctx, a.ID)
	if err != nil || !got.HasManifest || len(got.Methods) != 2 || got.Methods[1].Returns != 2 {
		t.Fatalf("Class = %+v, %v", got, err)
	}
	if _, err := h.Class(ctx, "sha256:nope"); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("unknown class: %v", err)
	}
}

func TestHost_LoadClass_TooLarge(t *testing.T) {
	h := newTestHost(t, Config{MaxClassBytes: 100})
	_, err := h.LoadClass(context.Background(), fixture(t, "manifest_ok"))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestHost_LoadClass_Concurrent(t *testing.T) {
	h := newTestHost(t, Config{})
	wasm := readWasm(t, cCounterPath)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, err := h.LoadClass(context.Background(), wasm)
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.Classes()); n != 1 {
		t.Fatalf("%d classes after concurrent loads of one module", n)
	}
}
