package host

import (
	"testing"
	"time"
)

func TestConfig_LogLimits(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		ok   bool
		want Config // the log fields after defaults
	}{
		{"defaults", Config{}, true, Config{LogLines: 1000, LogBytes: 1 << 20, KeepDead: 1000, KeepDeadFor: defaultKeepDeadFor, DeadLogBytes: 32 << 10}},
		{"small budget caps the dead one", Config{LogBytes: 8 << 10}, true, Config{LogLines: 1000, LogBytes: 8 << 10, KeepDead: 1000, KeepDeadFor: defaultKeepDeadFor, DeadLogBytes: 8 << 10}},
		{"keep none", Config{KeepDead: -1}, true, Config{LogLines: 1000, LogBytes: 1 << 20, KeepDead: -1, KeepDeadFor: defaultKeepDeadFor, DeadLogBytes: 32 << 10}},
		{"negative log_bytes", Config{LogBytes: -1}, false, Config{}},
		{"log_bytes below the minimum", Config{LogBytes: 100}, false, Config{}},
		{"dead_log_bytes below the minimum", Config{DeadLogBytes: 100}, false, Config{}},
		{"keep_dead below -1", Config{KeepDead: -2}, false, Config{}},
		{"negative keep_dead_for", Config{KeepDeadFor: -1}, false, Config{}},
		{"log_budget below -1", Config{LogBudget: -2}, false, Config{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.cfg.withDefaults()
			if !tt.ok {
				wantErr(t, err, ErrInvalidOptions)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			type limits struct {
				lines, bytes, keep, dead int
				ttl                      time.Duration
			}
			got := limits{c.LogLines, c.LogBytes, c.KeepDead, c.DeadLogBytes, c.KeepDeadFor}
			want := limits{tt.want.LogLines, tt.want.LogBytes, tt.want.KeepDead, tt.want.DeadLogBytes, tt.want.KeepDeadFor}
			if got != want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
