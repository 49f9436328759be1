package scheduler

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

type fakeItem struct {
	name string
	last int64
	mem  uint64
	busy bool
}

func (f *fakeItem) LastActive() int64 { return f.last }
func (f *fakeItem) Memory() uint64    { return f.mem }
func (f *fakeItem) Busy() bool        { return f.busy }

// TestSweeper: the policy passivates idle items only, the least recently
// used first, down to three quarters of the budget; and every item idle
// past After.
func TestSweeper(t *testing.T) {
	now := time.Now().UnixNano()
	for _, tc := range []struct {
		name   string
		after  time.Duration
		budget int64
		want   []string
	}{
		// 400 live over a budget of 300: down to 225, oldest idle first
		// (b is busy and stays).
		{"budget", 0, 300, []string{"a", "c"}},
		{"after", time.Minute, 0, []string{"a", "b-idle"}},
		{"neither", 0, 1000, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := []*fakeItem{
				{"a", now - int64(3*time.Hour), 100, false},
				{"b", now - int64(2*time.Hour), 100, true},
				{"c", now - int64(time.Second), 100, false},
				{"d", now, 100, false},
			}
			if tc.name == "after" {
				items[1].busy, items[1].name = false, "b-idle"
			}
			var mu sync.Mutex
			var got []string
			s := NewSweeper(SweeperConfig[*fakeItem]{After: tc.after, Budget: tc.budget, Passivate: func(_ context.Context, it *fakeItem) error {
				mu.Lock()
				got = append(got, it.name)
				mu.Unlock()
				return nil
			}})
			for _, it := range items {
				s.SetLive(it, true)
			}
			if n, mem := s.Live(); n != 4 || mem != 400 {
				t.Fatalf("Live = %d, %d; want 4, 400", n, mem)
			}
			s.Sweep(nil)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("passivated %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSweeper_Pressure: additions far past the budget sweep at once, on
// the caller's goroutine (Run is not running here).
func TestSweeper_Pressure(t *testing.T) {
	passivated := 0
	s := NewSweeper(SweeperConfig[*fakeItem]{Budget: 100, Passivate: func(context.Context, *fakeItem) error { passivated++; return nil }})
	s.SetLive(&fakeItem{"old", 1, 100, false}, true)
	s.Pressure(100, nil) // 100: at the budget
	if passivated != 0 {
		t.Fatalf("swept at the budget: %d", passivated)
	}
	s.SetLive(&fakeItem{"new", 2, 100, false}, true)
	s.Pressure(100, nil) // 200: far past it
	if passivated != 2 {
		t.Fatalf("far past the budget: %d passivated, want 2 (down to 75 of 200)", passivated)
	}
}
