package bench

import (
	"fmt"
	"runtime"
)

// Published anchors (not measured here), with the number of their source
// in Sources.
const (
	anchorRaySync     = "Ray ≈2,000/s [1]"
	anchorRayAsync    = "Ray ≈8,600/s [1]"
	anchorRayNN       = "Ray ≈22,600/s [1]"
	anchorCreateSmall = "Lunatic ≈5,000/s [4]; wasmtime pooling ≈5 µs each [5]; Ray ≈550–650/s on 64 nodes [2]"
	anchorCreateRay   = "Ray ≈550–650/s on 64 nodes [2]"
	anchorIdleRay     = "Ray ≈70 MiB per idle actor process, ≈15/GiB [3]"
)

// Sources are the publications of the anchors, numbered from 1.
var Sources = []string{
	"Ray's microbenchmark (`ray microbenchmark`, release test on one m5.16xlarge, 64 vCPUs): ray-project/ray, release/perf_metrics/microbenchmark.json (for example 1_1_actor_calls_sync 2,025/s and 1_1_actor_calls_async 8,588/s in ray-project/ray#51427)",
	"Ray's release benchmark many_actors (10,000 actors on a 64-node cluster): ray-project/ray, release/perf_metrics/benchmarks/many_actors.json; the figure as quoted in issue 6",
	"Ray runs each actor in its own worker process; the figure as quoted in issue 6",
	"lunatic-solutions/lunatic#78 (about 5,000 spawns/s on an i7-9750H)",
	"wasmtime's pooling instance allocator with copy-on-write memory images; the figure as quoted in issue 6",
}

// allRows is the table, in order: each block of wactor's rows is followed
// by the baselines it is compared with.
func allRows() []Row {
	nn := fmt.Sprintf("n=%d", fanout)
	clients := httpClients()
	return []Row{
		// 1:1 calls.
		{ID: "1:1-sync-c", Name: "1:1 actor calls sync (C guest)", Kind: KindRate, Ops: 200_000, MinOps: 100,
			Baselines: []string{"wazero-call-c", "extism-call", "protoactor-1:1-sync"}, Anchor: anchorRaySync,
			Note: "one caller, one actor: Invoke(incr, 1), i.e. Call then Future.Get", run: syncCalls(cGuest)},
		{ID: "1:1-sync-go", Name: "1:1 actor calls sync (Go guest)", Kind: KindRate, Ops: 100_000, MinOps: 100,
			Baselines: []string{"wazero-call-go", "protoactor-1:1-sync"}, Anchor: anchorRaySync,
			Note: "as above, on the Go guest built with the SDK", run: syncCalls(goGuest)},
		{ID: "1:1-async-c", Name: "1:1 actor calls async (C guest, 1,000 in flight)", Kind: KindRate, Ops: 1_000_000, MinOps: 1000,
			Baselines: []string{"extism-call", "wazero-call-c", "protoactor-1:1-async"}, Anchor: anchorRayAsync,
			Note: "one caller, one actor: 1,000 Call(incr, 1), then Get of all 1,000, repeated", run: asyncCalls(cGuest)},
		{ID: "1:1-async-go", Name: "1:1 actor calls async (Go guest, 1,000 in flight)", Kind: KindRate, Ops: 500_000, MinOps: 1000,
			Baselines: []string{"wazero-call-go", "protoactor-1:1-async"}, Anchor: anchorRayAsync,
			Note: "as above, on the Go guest", run: asyncCalls(goGuest)},
		{ID: "wazero-call-c", Name: "wazero: raw exported-function call (C guest)", Baseline: true, Kind: KindRate, Ops: 2_000_000, MinOps: 1000,
			Note: "the floor: wactor_alloc, write [1], call incr, read the envelope, with wazero directly on one instance", run: rawCalls(cGuest)},
		{ID: "wazero-call-go", Name: "wazero: raw exported-function call (Go guest)", Baseline: true, Kind: KindRate, Ops: 1_000_000, MinOps: 1000,
			Note: "the same on the Go guest", run: rawCalls(goGuest)},
		{ID: "extism-call", Name: "Extism Go SDK: Plugin.Call (C plugin, same payload)", Baseline: true, Kind: KindRate, Ops: 300_000, MinOps: 1000,
			Note: "the C guest's incr as an Extism plugin (bench/testdata/extism-counter), input [1], output [0, n], sequential calls on one instance", run: extismCalls},
		{ID: "protoactor-1:1-sync", Name: "protoactor-go: 1:1 request/response sync", Baseline: true, Kind: KindRate, Ops: 200_000, MinOps: 100,
			Note: "unsandboxed Go actor: RequestFuture(int64(1)).Result(), one at a time", run: paCalls(1)},
		{ID: "protoactor-1:1-async", Name: "protoactor-go: 1:1 request/response async (1,000 in flight)", Baseline: true, Kind: KindRate, Ops: 1_000_000, MinOps: 1000,
			Note: "1,000 RequestFuture, then Result of all", run: paCalls(window)},

		// Fan-out.
		{ID: "1:n-async", Name: "1:n actor calls async (C guest, " + nn + ")", Kind: KindRate, Ops: 1_000_000, MinOps: 1000,
			Baselines: []string{"protoactor-1:n-async"},
			Note:      "one caller, n actors, 1,000 calls in flight spread over them", run: oneToN},
		{ID: "n:n-async", Name: "n:n actor calls async (C guest, " + nn + ")", Kind: KindRate, Ops: 1_000_000, MinOps: 8000,
			Baselines: []string{"protoactor-n:n-async"}, Anchor: anchorRayNN,
			Note: "n caller goroutines, each with its own handles to all n actors, 1,000 calls in flight each", run: nToN(false)},
		{ID: "n:n-future-arg", Name: "n:n actor calls with a future argument (C guest, " + nn + ")", Kind: KindRate, Ops: 1_000_000, MinOps: 8000,
			Baselines: []string{"n:n-async", "protoactor-n:n-async"},
			Note:      "as n:n, each call add(x, 1) where x is the future of a get call submitted just before (one per 1,000 calls); only the add calls count", run: nToN(true)},
		{ID: "protoactor-1:n-async", Name: "protoactor-go: 1:n request/response async (" + nn + ")", Baseline: true, Kind: KindRate, Ops: 1_000_000, MinOps: 1000,
			run: paOneToN},
		{ID: "protoactor-n:n-async", Name: "protoactor-go: n:n request/response async (" + nn + ")", Baseline: true, Kind: KindRate, Ops: 1_000_000, MinOps: 8000,
			run: paNToN},

		// Actor to actor.
		{ID: "pingpong-sync", Name: "actor-to-actor ping-pong (Go guests, sync)", Kind: KindRate, Ops: 100_000, MinOps: 100,
			Baselines: []string{"protoactor-pingpong-sync"},
			Note:      "examples/pingpong: ping(peer, n) calls peer.pong(i) n times through the host's call import; one op = one pong", run: pingPong(false)},
		{ID: "pingpong-async", Name: "actor-to-actor ping-pong (Go guests, 1,000 in flight)", Kind: KindRate, Ops: 200_000, MinOps: 1000,
			Baselines: []string{"protoactor-pingpong-async"},
			Note:      "ping_async(peer, 1000): 1,000 sends, then 1,000 awaits, repeated", run: pingPong(true)},
		{ID: "protoactor-pingpong-sync", Name: "protoactor-go: actor-to-actor ping-pong (sync)", Baseline: true, Kind: KindRate, Ops: 200_000, MinOps: 100,
			Note: "an actor requests x+1 from another, one at a time", run: paPingPong(1)},
		{ID: "protoactor-pingpong-async", Name: "protoactor-go: actor-to-actor ping-pong (1,000 in flight)", Baseline: true, Kind: KindRate, Ops: 1_000_000, MinOps: 1000,
			run: paPingPong(window)},

		// Creation.
		{ID: "create-c", Name: "actor creation (C guest, cold)", Kind: KindRate, Ops: 2000, MinOps: 20,
			Baselines: []string{"wazero-instantiate-c", "extism-instance", "protoactor-spawn"}, Anchor: anchorCreateSmall,
			Note: "Spawn one after the other from one goroutine, a new sandbox each, nothing pooled, kept alive; the default start: a copy of the class's template (its state after _initialize)", run: creation(cGuest, false)},
		{ID: "create-c-coldspawn", Name: "actor creation (C guest, cold, _initialize per actor)", Kind: KindRate, Ops: 2000, MinOps: 20,
			Baselines: []string{"wazero-instantiate-c", "extism-instance", "protoactor-spawn"}, Anchor: anchorCreateSmall,
			Note: "as above with Config.ColdSpawn: instantiate, _initialize, constructor", run: creation(cGuest, true)},
		{ID: "create-go", Name: "actor creation (Go guest, cold)", Kind: KindRate, Ops: 200, MinOps: 4,
			Baselines: []string{"wazero-instantiate-go", "protoactor-spawn"}, Anchor: anchorCreateRay,
			Note: "as create-c, on the Go guest", run: creation(goGuest, false)},
		{ID: "create-go-coldspawn", Name: "actor creation (Go guest, cold, _initialize per actor)", Kind: KindRate, Ops: 200, MinOps: 4,
			Baselines: []string{"wazero-instantiate-go", "protoactor-spawn"}, Anchor: anchorCreateRay,
			Note: "as above with Config.ColdSpawn: the Go runtime starts in each actor's _initialize", run: creation(goGuest, true)},
		{ID: "wazero-instantiate-c", Name: "wazero: raw instantiation (C guest)", Baseline: true, Kind: KindRate, Ops: 2000, MinOps: 20,
			Note: "the floor: InstantiateModule of the compiled guest, _initialize, wactor_init, with wazero directly", run: rawInstantiate(cGuest)},
		{ID: "wazero-instantiate-go", Name: "wazero: raw instantiation (Go guest)", Baseline: true, Kind: KindRate, Ops: 200, MinOps: 4,
			run: rawInstantiate(goGuest)},
		{ID: "extism-instance", Name: "Extism Go SDK: plugin instance (C plugin)", Baseline: true, Kind: KindRate, Ops: 2000, MinOps: 20,
			Note: "CompiledPlugin.Instance: a kernel instance and a plugin instance", run: extismCreation},
		{ID: "protoactor-spawn", Name: "protoactor-go: spawn", Baseline: true, Kind: KindRate, Ops: 100_000, MinOps: 100,
			run: paCreation},

		// Snapshots.
		{ID: "checkpoint-16mib-first", Name: "checkpoint, 16 MiB memory, first (C guest)", Kind: KindRate, Ops: 20, MinOps: 3,
			Baselines: []string{"copy-16mib"},
			Note:      "Actor.Checkpoint of an actor whose memory is 16 MiB of random bytes, its first: the whole memory is captured (a new actor each time)", run: checkpointFirst},
		{ID: "checkpoint-16mib", Name: "checkpoint, 16 MiB memory, after one call (C guest)", Kind: KindRate, Ops: 200, MinOps: 3,
			Baselines: []string{"copy-16mib"},
			Note:      "Actor.Checkpoint after one incr call (not timed) since the last checkpoint: what the host captures incrementally", run: checkpointRestore(false)},
		{ID: "restore-16mib", Name: "restore, 16 MiB memory (C guest)", Kind: KindRate, Ops: 100, MinOps: 3,
			Baselines: []string{"wazero-restore-16mib"},
			Note:      "Actor.Restore of a checkpoint after one incr call (not timed): a fresh sandbox holding the 16 MiB, and the checkpoint of the restored state that the host takes", run: checkpointRestore(true)},
		{ID: "copy-16mib", Name: "Go: copy 16 MiB (memmove into a resident buffer)", Baseline: true, Kind: KindRate, Ops: 200, MinOps: 3,
			Note: "the floor of a full checkpoint", run: copy16},
		{ID: "wazero-restore-16mib", Name: "wazero: new instance + write 16 MiB (C guest)", Baseline: true, Kind: KindRate, Ops: 100, MinOps: 3,
			Note: "the floor of a restore without copy-on-write", run: rawRestore16},

		// HTTP.
		{ID: "http-sync", Name: fmt.Sprintf("HTTP sync calls (C guest, %d clients)", clients), Kind: KindRate, Ops: 60_000, MinOps: 200,
			Baselines: []string{"http-noop"},
			Note:      "server in process on loopback: POST /v1/actors/{id}/call/incr, JSON, keep-alive, one actor per client", run: httpSync},
		{ID: "http-batch", Name: "HTTP batched calls (C guest, 1,000 per batch, 1 client)", Kind: KindRate, Ops: 300_000, MinOps: 1000,
			Baselines: []string{"1:n-async"},
			Note:      "POST /v1/batch of 1,000 incr calls over " + nn + " actors, waiting for the results", run: httpBatch(1)},
		{ID: "http-batch-parallel", Name: fmt.Sprintf("HTTP batched calls (C guest, 1,000 per batch, %d clients)", runtime.GOMAXPROCS(0)), Kind: KindRate, Ops: 300_000, MinOps: 2000,
			Baselines: []string{"1:n-async"},
			Note:      "as above, one client per core at once", run: httpBatch(runtime.GOMAXPROCS(0))},
		{ID: "http-noop", Name: fmt.Sprintf("net/http: no-op handler round trip (%d clients)", clients), Baseline: true, Kind: KindRate, Ops: 60_000, MinOps: 200,
			Note: "the floor of an HTTP call: the same client and body, a handler that answers a constant", run: httpNoop},

		// Memory.
		{ID: "idle-c", Name: "idle actors per GiB (C guest)", Kind: KindDensity, Ops: 2000, MinOps: 200,
			Baselines: []string{"extism-idle", "protoactor-idle"}, Anchor: anchorIdleRay,
			Note: "resident memory (/proc/self/statm, after GC and FreeOSMemory) added by spawning the actors", run: density(cGuest)},
		{ID: "idle-go", Name: "idle actors per GiB (Go guest)", Kind: KindDensity, Ops: 200, MinOps: 5,
			Baselines: []string{"protoactor-idle"}, Anchor: anchorIdleRay,
			run: density(goGuest)},
		{ID: "extism-idle", Name: "Extism Go SDK: idle plugin instances per GiB (C plugin)", Baseline: true, Kind: KindDensity, Ops: 2000, MinOps: 200,
			run: extismDensity},
		{ID: "protoactor-idle", Name: "protoactor-go: idle actors per GiB", Baseline: true, Kind: KindDensity, Ops: 100_000, MinOps: 10_000,
			run: paDensity},
	}
}
