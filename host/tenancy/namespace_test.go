package tenancy

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/sandbox"
)

// Namespace is what a sandbox charges its linear memory to.
var _ sandbox.Meter = (*Namespace)(nil)

func TestNamespaces_Quota(t *testing.T) {
	defaults := api.Quota{PendingCalls: 7, CallTimeout: time.Second}.WithDefaults(BuiltinQuota)
	s := NewNamespaces(defaults, map[string]api.Quota{"a": {Actors: 5}}, -1)
	if got := s.Quota("b"); got != defaults {
		t.Errorf("quota of b %+v, want the defaults %+v", got, defaults)
	}
	if got := s.Quota("a"); got.Actors != 5 || got.PendingCalls != 7 || got.Memory != DefaultQuotaMemory || got.CallTimeout != time.Second {
		t.Errorf("quota of a %+v", got)
	}
	a := s.Get("a")
	if err := s.SetQuota("a", api.Quota{Actors: 1}); err != nil {
		t.Fatal(err)
	}
	if got := s.Get("a"); got != a {
		t.Fatalf("Get made a second entry for a")
	}
	if err := a.AddActor(true); err != nil {
		t.Fatalf("first actor: %v", err)
	}
	if err := a.AddActor(true); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("second actor past SetQuota's 1: %v, want ErrQuota", err)
	}
	if err := a.AddActor(false); err != nil {
		t.Fatalf("unchecked actor: %v", err)
	}
	a.RemoveActor()
	for _, bad := range []api.Quota{{Actors: -2}, {Memory: -3}, {PendingCalls: -9}} {
		if err := s.SetQuota("a", bad); !errors.Is(err, api.ErrInvalidOptions) {
			t.Errorf("SetQuota(%+v): %v, want ErrInvalidOptions", bad, err)
		}
	}
	if err := s.SetQuota("", api.Quota{}); !errors.Is(err, api.ErrInvalidOptions) {
		t.Errorf("SetQuota without a namespace: %v", err)
	}
	s.Get("c")
	if got := s.Names(); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("Names %v", got)
	}
	if u := s.Usage("a"); u.Actors != 1 || u.Quota.Actors != 1 || u.Namespace != "a" {
		t.Errorf("Usage(a) %+v", u)
	}
}

func TestNamespace_Limits(t *testing.T) {
	s := NewNamespaces(api.Quota{PendingCalls: 2, Waiting: 1, Memory: 100}.WithDefaults(BuiltinQuota), nil, 1)
	n := s.Get("n")
	for i := range 2 {
		if err := n.AddPending(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if err := n.AddPending(); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("third call: %v, want ErrQuota", err)
	}
	n.DonePending()
	if err := n.AddPending(); err != nil {
		t.Fatalf("call after one was done: %v", err)
	}

	release, err := n.AcquireWait()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AcquireWait(); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("second waiter of n: %v, want ErrQuota", err)
	}
	if _, err := s.Get("m").AcquireWait(); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("waiter of m past the host's max_waiting: %v, want ErrQuota", err)
	}
	release()
	if u := s.Usage("n"); u.Waiting != 0 || u.PendingCalls != 2 {
		t.Fatalf("usage %+v", u)
	}

	if err := n.CheckMemory(100); err != nil {
		t.Fatalf("CheckMemory(100): %v", err)
	}
	if got := n.Charge(60); got != 60 || n.Charged() != 60 || n.Limit() != 100 {
		t.Fatalf("Charge: %d, Charged %d, Limit %d", got, n.Charged(), n.Limit())
	}
	if err := n.CheckMemory(41); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("CheckMemory past the quota: %v", err)
	}
	if err := n.LimitError(41); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("LimitError: %v", err)
	}
	n.Charge(-60)
	if err := s.SetQuota("n", api.Quota{Memory: api.Unlimited}); err != nil {
		t.Fatal(err)
	}
	if err := n.CheckMemory(1 << 40); err != nil || n.Limit() != -1 {
		t.Fatalf("unlimited memory: %v, limit %d", err, n.Limit())
	}
}

func TestNamespaces_CallTimeout(t *testing.T) {
	s := NewNamespaces(BuiltinQuota, map[string]api.Quota{"capped": {CallTimeout: time.Second}}, -1)
	for _, tt := range []struct {
		ns       string
		asked    time.Duration
		explicit bool
		want     time.Duration
		quota    bool // ErrQuota
	}{
		{"free", 0, false, time.Minute, false},
		{"free", 5 * time.Second, true, 5 * time.Second, false},
		{"capped", 0, false, time.Second, false},
		{"capped", 5 * time.Second, false, time.Second, false},
		{"capped", 5 * time.Second, true, 0, true},
		{"capped", time.Second / 2, true, time.Second / 2, false},
	} {
		got, err := s.CallTimeout(tt.ns, tt.asked, tt.explicit, time.Minute)
		if got != tt.want || errors.Is(err, api.ErrQuota) != tt.quota {
			t.Errorf("CallTimeout(%s, %v, explicit %v) = %v, %v", tt.ns, tt.asked, tt.explicit, got, err)
		}
	}
}

func TestClip(t *testing.T) {
	if got := Clip("short"); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
	long := strings.Repeat("é", MaxEcho) // 2 bytes each: cut inside a rune
	got := Clip(long)
	if len(got) > MaxEcho+3 || !strings.HasSuffix(got, "...") || !utf8.ValidString(got) {
		t.Errorf("Clip(long) = %q (%d bytes)", got, len(got))
	}
	if got := ClipBytes([]byte(long)); got != Clip(long) {
		t.Errorf("ClipBytes differs from Clip: %q", got)
	}
}
