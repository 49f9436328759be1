package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/snapshots"
)

// crashRounds is how many times TestCrash kills the server in each mode:
// CRASH_ROUNDS, or 50 in the strict mode (and fewer in the others) by
// default; `make crash-test` runs more.
func crashRounds(def int) int {
	if v, err := strconv.Atoi(os.Getenv("CRASH_ROUNDS")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 5
	}
	return def
}

// TestCrash starts `wactor serve` as a child process, calls durable actors
// (a C and a Go counter) through the HTTP API, kills the server with
// SIGKILL at a random moment, starts it again on the same data directory
// and checks what came back:
//
//   - sync and write modes: no acknowledged call is lost (the value is the
//     acknowledged count, or one more when the call in flight at the kill
//     had completed without its answer reaching the client);
//   - checkpoint mode: the value never goes back past a checkpoint and never
//     exceeds what was sent;
//   - every mode: every snapshot file on disk decodes (no corrupt or torn
//     snapshot), and the actors keep their IDs.
func TestCrash(t *testing.T) {
	for _, tc := range []struct {
		mode   host.Durability
		rounds int
	}{
		{host.DurabilitySync, crashRounds(50)},
		{host.DurabilityWrite, crashRounds(50) / 3},
		{host.DurabilityCheckpoint, crashRounds(50) / 3},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			crashRun(t, tc.mode, max(tc.rounds, 1))
		})
	}
}

type crashActor struct {
	name     string
	id       string
	acked    int64 // calls whose answer reached the client
	inFlight bool  // a call was sent and its answer did not arrive
	floor    int64 // checkpoint mode: the value recovered last time
}

func crashRun(t *testing.T, mode host.Durability, rounds int) {
	data := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data", data, "--durability", string(mode), "--log-level", "error",
		"--preload", filepath.Join("..", "..", "examples", "c-counter", "counter.wasm"),
		"--preload", filepath.Join("..", "..", "examples", "counter", "counter.wasm")}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	actors := []*crashActor{{name: "c-counter"}, {name: "counter"}}
	totalCalls := 0
	// The last start only checks what the last kill left.
	for round := 0; round <= rounds; round++ {
		p := startServe(t, nil, args...)
		cl, err := client.New(client.Config{Server: p.addr})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		if round == 0 {
			// serve prints "loaded CLASS_ID FILE" per preloaded file.
			classOf := map[string]string{}
			for range 2 {
				select {
				case line := <-p.lines:
					if f := strings.Fields(line); len(f) == 3 && f[0] == "loaded" {
						classOf[filepath.Base(filepath.Dir(f[2]))] = f[1]
					}
				case <-time.After(30 * time.Second):
					t.Fatal("serve did not print the preloaded classes")
				}
			}
			for _, a := range actors {
				class := classOf[a.name]
				info, err := cl.Spawn(ctx, class, host.Options{Name: a.name, Durable: true, CheckpointEvery: api.Ptr(3 + rng.IntN(5))}, 0)
				if err != nil {
					t.Fatalf("spawn %s: %v", a.name, err)
				}
				a.id = info.ID
			}
		} else {
			for _, a := range actors {
				v, err := cl.Invoke(ctx, a.id, "get")
				if err != nil {
					t.Fatalf("round %d: %s after restart: %v; server stderr:\n%s", round, a.name, err, p.stderrText())
				}
				got, _ := v.Int()
				switch mode {
				case host.DurabilitySync, host.DurabilityWrite:
					maxv := a.acked
					if a.inFlight {
						maxv++
					}
					if got < a.acked || got > maxv {
						t.Fatalf("round %d: %s = %d after restart, want %d..%d (acknowledged calls lost)", round, a.name, got, a.acked, maxv)
					}
				case host.DurabilityCheckpoint:
					if got < a.floor || got > a.acked+1 {
						t.Fatalf("round %d: %s = %d after restart, want %d..%d", round, a.name, got, a.floor, a.acked+1)
					}
					a.floor = got
				}
				a.acked, a.inFlight = got, false
			}
		}
		if round == rounds {
			cancel()
			p.stop(t)
			break
		}
		// Call until the kill, which comes at a random moment.
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := actors[i%len(actors)]
				a.inFlight = true
				if _, err := cl.Invoke(ctx, a.id, "incr", 1); err != nil {
					return // the server is gone: the call stays in flight
				}
				a.acked++
				a.inFlight = false
				totalCalls++
			}
		}()
		time.Sleep(time.Duration(20+rng.IntN(150)) * time.Millisecond)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		close(stop)
		<-done
		cancel()
		checkSnapshots(t, round, data)
	}
	t.Logf("%s: %d kills, %d acknowledged calls; final values %s=%d %s=%d",
		mode, rounds, totalCalls, actors[0].name, actors[0].acked, actors[1].name, actors[1].acked)
}

// checkSnapshots decodes every snapshot the killed server left.
func checkSnapshots(t *testing.T, round int, data string) {
	t.Helper()
	dir := filepath.Join(data, "state", "snapshots")
	store, err := snapshots.NewDirStore(dir, 100)
	if err != nil {
		t.Fatalf("round %d: opening the snapshots: %v", round, err)
	}
	ctx := context.Background()
	ids, err := store.Actors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		metas, err := store.List(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metas {
			if _, err := store.Get(ctx, id, m.ID); err != nil {
				t.Fatalf("round %d: snapshot %s of %s does not decode: %v", round, m.ID, id, err)
			}
		}
	}
	// Nothing but whole snapshot files and temporary files of an
	// interrupted write (which the store ignores and removes).
	_ = filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.HasSuffix(path, ".snap") && !strings.HasPrefix(fi.Name(), ".tmp-") {
			t.Errorf("round %d: unexpected file %s", round, path)
		}
		return nil
	})
}
