package api

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

func fullInfo() ActorInfo {
	return ActorInfo{
		ID: "a1", Name: "n", Class: "sha256:c", State: StateDead, QueueLen: 3, MemoryBytes: 65536,
		CallsServed: 7, Restarts: 1, Checkpoints: 2, Created: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		Running: "m", Death: DeathReason("trap"), DeathError: "boom",
		Damage: &Damage{Reason: "r", Checkpoints: []CheckpointInfo{{ID: "ck", Taken: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Size: 9, Calls: 3}}},
		Options: Options{
			Name: "n", Namespace: "ns", GetIfExists: true, Detached: true, MaxChildren: Ptr(4), MemoryPages: 64,
			CallTimeout: Ptr(1500 * time.Millisecond), MaxPending: 50, MaxRestarts: Ptr(-1),
			Durable: true, CheckpointEvery: Ptr(5), CheckpointInterval: Ptr(2 * time.Second),
			NumCPUs: 0.5, NumGPUs: 1, Memory: 1 << 20, Resources: map[string]float64{"x": 1},
		},
	}
}

// The JSON is docs/API.md's: these are the bytes the server sent before the
// shapes moved here.
func TestActorJSON(t *testing.T) {
	for _, tc := range []struct {
		in   ActorInfo
		want string
	}{
		{fullInfo(), `{"id":"a1","name":"n","namespace":"ns","class":"sha256:c","state":"dead","queue_len":3,"memory_bytes":65536,"calls_served":7,"restarts":1,"checkpoints":2,"options":{"name":"n","namespace":"ns","get_if_exists":true,"detached":true,"max_children":4,"memory_pages":64,"call_timeout_ms":1500,"max_pending":50,"max_restarts":-1,"durable":true,"checkpoint_every":5,"checkpoint_interval_ms":2000,"num_cpus":0.5,"num_gpus":1,"memory":1048576,"resources":{"x":1}},"created":"2025-01-02T03:04:05.000000006Z","running":"m","death":"trap","death_error":"boom","damage":{"reason":"r","checkpoints":[{"id":"ck","taken":"2025-01-02T03:04:05Z","size":9,"calls":3}]}}`},
		{ActorInfo{}, `{"id":"","namespace":"","class":"","state":"","queue_len":0,"memory_bytes":0,"calls_served":0,"restarts":0,"checkpoints":0,"options":{},"created":"0001-01-01T00:00:00Z"}`},
		// Rounded up to whole milliseconds: a sub-millisecond deadline is
		// not 0 ("no deadline of its own").
		{ActorInfo{Options: Options{CallTimeout: Ptr(500 * time.Microsecond)}}, `{"id":"","namespace":"","class":"","state":"","queue_len":0,"memory_bytes":0,"calls_served":0,"restarts":0,"checkpoints":0,"options":{"call_timeout_ms":1},"created":"0001-01-01T00:00:00Z"}`},
		// An explicit zero is sent.
		{ActorInfo{Options: Options{MaxRestarts: Ptr(0)}}, `{"id":"","namespace":"","class":"","state":"","queue_len":0,"memory_bytes":0,"calls_served":0,"restarts":0,"checkpoints":0,"options":{"max_restarts":0},"created":"0001-01-01T00:00:00Z"}`},
	} {
		got, err := json.Marshal(tc.in.Wire())
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("Wire(%+v):\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestActorRoundTrip(t *testing.T) {
	in := fullInfo()
	b, err := json.Marshal(in.Wire())
	if err != nil {
		t.Fatal(err)
	}
	var a WireActor
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if got := a.Info(); !reflect.DeepEqual(got, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
	}
}

// Omitted fields decode as zero, and the options take the top-level
// namespace when they leave theirs out.
func TestWireActorDefaults(t *testing.T) {
	var a WireActor
	if err := json.Unmarshal([]byte(`{"id":"a1","namespace":"ns","class":"c","state":"alive","options":{"call_timeout_ms":30000}}`), &a); err != nil {
		t.Fatal(err)
	}
	got := a.Info()
	want := ActorInfo{ID: "a1", Class: "c", State: StateAlive, Options: Options{Namespace: "ns", CallTimeout: Ptr(30 * time.Second)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Info:\n got %+v\nwant %+v", got, want)
	}
}

func TestOptionsRoundTrip(t *testing.T) {
	in := fullInfo().Options
	if got := in.Wire().Options(); !reflect.DeepEqual(got, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
	}
}

func TestAppendFloat(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		bits int
		want string
	}{
		{2, 64, "2.0"},
		{-0.5, 64, "-0.5"},
		{1e21, 64, "1e+21"},
		{float64(float32(0.1)), 32, "0.1"},
		{float64(float32(0.1)), 64, "0.10000000149011612"},
		{math.NaN(), 64, `{"$float":"NaN"}`},
		{math.Inf(1), 32, `{"$float":"Infinity"}`},
		{math.Inf(-1), 64, `{"$float":"-Infinity"}`},
	} {
		if got := string(AppendFloat([]byte("x"), tc.f, tc.bits)); got != "x"+tc.want {
			t.Errorf("AppendFloat(%v, %d) = %s, want x%s", tc.f, tc.bits, got, tc.want)
		}
	}
}

func TestFloatNamed(t *testing.T) {
	for _, name := range []string{"NaN", "Infinity", "-Infinity"} {
		f, ok := FloatNamed(name)
		if !ok {
			t.Fatalf("FloatNamed(%q) not ok", name)
		}
		if got := string(AppendFloat(nil, f, 64)); got != `{"$float":"`+name+`"}` {
			t.Errorf("FloatNamed(%q) = %v, which encodes as %s", name, f, got)
		}
	}
	if _, ok := FloatNamed("nan"); ok {
		t.Error(`FloatNamed("nan") ok`)
	}
}

// ActorInfo's JSON is the API's.
func TestActorInfoJSON(t *testing.T) {
	in := fullInfo()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(in.Wire())
	if string(b) != string(want) {
		t.Errorf("json.Marshal(ActorInfo):\n got %s\nwant %s", b, want)
	}
	var got ActorInfo
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
	}
}
