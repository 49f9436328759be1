package host

import "testing"

// TestSpawn_TemplateMapped: on an engine whose memory is the host's
// (wazero), a Go guest's spawn maps its class template copy-on-write; a
// small C guest's does not use one (templateMinBytes).
func TestSpawn_TemplateMapped(t *testing.T) {
	h := newTestHost(t, Config{})
	if !h.eng.OwnsMemory() {
		t.Skip("the engine owns its memory: templates are copied, not mapped")
	}
	g := spawn(t, h, readWasm(t, goCounterPath), Options{})
	if used, mapped := g.a.sb.FromTemplate(); !used || !mapped {
		t.Fatalf("Go guest: usedTemplate %v, preloaded %v; want both", used, mapped)
	}
	c := spawn(t, h, readWasm(t, cCounterPath), Options{}, 0)
	if used, _ := c.a.sb.FromTemplate(); used {
		t.Fatalf("C guest (128 KiB template) started from the template")
	}
	if got := invoke[int64](t, g, "incr", 2); got != 2 {
		t.Fatalf("incr = %d", got)
	}
}
