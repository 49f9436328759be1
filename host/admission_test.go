package host

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/scheduler"
)

func TestHost_Admission(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{Node: NodeResources{CPU: 2, Custom: map[string]float64{"fpga": 1}}, AdmissionTimeout: 5 * time.Second})
	c, err := h.LoadClass(ctx, readWasm(t, cCounterPath))
	if err != nil {
		t.Fatal(err)
	}
	// Impossible requests fail at once, naming the resource.
	for _, tt := range []struct {
		opts     Options
		resource string
	}{
		{Options{NumCPUs: 3}, "cpu"},
		{Options{NumGPUs: 1}, "gpu"},
		{Options{Resources: map[string]float64{"tpu": 1}}, "tpu"},
		{Options{Resources: map[string]float64{"fpga": 2}}, "fpga"},
	} {
		start := time.Now()
		_, err := h.Spawn(ctx, c.ID, tt.opts, 0)
		var ie *scheduler.InsufficientResourcesError
		if !errors.As(err, &ie) || !errors.Is(err, scheduler.ErrUnschedulable) || ie.Resource != tt.resource {
			t.Fatalf("Spawn(%+v): %v, want unschedulable %s", tt.opts, err, tt.resource)
		}
		// In the API's words too.
		var ue *UnschedulableError
		if !errors.As(err, &ue) || !errors.Is(err, ErrUnschedulable) || ue.Resource != tt.resource || ue.Requested != ie.Requested {
			t.Fatalf("Spawn(%+v): %v, want an *UnschedulableError for %s", tt.opts, err, tt.resource)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("an impossible request took %v to fail", d)
		}
	}
	// Two actors take both CPUs; a third waits until one dies.
	a1, err := h.Spawn(ctx, c.ID, Options{NumCPUs: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Spawn(ctx, c.ID, Options{NumCPUs: 1, Resources: map[string]float64{"fpga": 1}}, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		a3, err := h.Spawn(ctx, c.ID, Options{NumCPUs: 1}, 0)
		if err == nil {
			_, err = a3.Invoke(ctx, "get")
		}
		done <- err
	}()
	eventually(t, "the third spawn to wait", func() bool { return h.Usage().Resources.Waiting == 1 })
	select {
	case err := <-done:
		t.Fatalf("third spawn did not wait: %v", err)
	default:
	}
	if err := a1.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("third spawn after resources were freed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("third spawn still waiting after the first actor died")
	}
	// A wait that outlasts the timeout fails with what it waited for.
	short := newTestHost(t, Config{Node: NodeResources{CPU: 1}, AdmissionTimeout: 50 * time.Millisecond})
	sc, err := short.LoadClass(ctx, readWasm(t, cCounterPath))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := short.Spawn(ctx, sc.ID, Options{NumCPUs: 1}, 0); err != nil {
		t.Fatal(err)
	}
	_, err = short.Spawn(ctx, sc.ID, Options{NumCPUs: 1}, 0)
	if !errors.Is(err, scheduler.ErrAdmissionTimeout) || !errors.Is(err, ErrAdmissionTimeout) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cpu") {
		t.Fatalf("err = %v, want an admission timeout naming cpu", err)
	}
	// Actors with no requests take nothing (Ray's default).
	for range 10 {
		if _, err := short.Spawn(ctx, sc.ID, Options{}, 0); err != nil {
			t.Fatal(err)
		}
	}
}
