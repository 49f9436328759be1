package client_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
	"github.com/wactor/wactor/host"
)

// pushCounter uploads the C counter and returns its class ID.
func pushCounter(t *testing.T, c *client.Client) string {
	t.Helper()
	info, err := c.PushClass(testCtx(t), readFixture(t, counterWasm), nil)
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

func spawnCounter(t *testing.T, c *client.Client, class string, opts api.Options, start int) string {
	t.Helper()
	info, err := c.Spawn(testCtx(t), class, opts, start)
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}

func TestPushClass(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	wasm := readFixture(t, counterWasm)

	var mu sync.Mutex
	var calls [][2]int64
	info, err := c.PushClass(ctx, wasm, func(sent, total int64) {
		mu.Lock()
		calls = append(calls, [2]int64{sent, total})
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != host.ClassID(wasm) || info.Size != len(wasm) || !info.HasManifest {
		t.Fatalf("class %+v", info)
	}
	mu.Lock()
	if len(calls) < 2 || calls[0] != [2]int64{0, int64(len(wasm))} || calls[len(calls)-1] != [2]int64{int64(len(wasm)), int64(len(wasm))} {
		t.Fatalf("progress calls %v", calls)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] {
			t.Fatalf("progress went backwards: %v", calls)
		}
	}
	mu.Unlock()

	var names []string
	for _, m := range info.Methods {
		names = append(names, m.Name)
	}
	for _, want := range []string{"add", "echo", "fail", "get", "incr", "spin", "trap"} {
		if !slices.Contains(names, want) {
			t.Errorf("methods %v lack %s", names, want)
		}
	}

	again, err := c.PushClass(ctx, wasm, nil)
	if err != nil || again.ID != info.ID {
		t.Fatalf("second push: %v %v", again.ID, err)
	}
	classes, err := c.Classes(ctx)
	if err != nil || len(classes) != 1 || classes[0].ID != info.ID {
		t.Fatalf("Classes: %+v %v", classes, err)
	}
	got, err := c.Class(ctx, info.ID)
	if err != nil || got.ID != info.ID || len(got.Methods) != len(info.Methods) {
		t.Fatalf("Class: %+v %v", got, err)
	}

	// Another namespace neither lists nor sees it.
	cb := ts.client(t, tokenB)
	if classes, err := cb.Classes(ctx); err != nil || len(classes) != 0 {
		t.Fatalf("team-b Classes: %+v %v", classes, err)
	}
	_, err = cb.Class(ctx, info.ID)
	wantErr(t, err, api.ErrNotFound, "class_not_found")
	_, err = cb.Spawn(ctx, info.ID, api.Options{}, 1)
	wantErr(t, err, api.ErrClassNotFound, "class_not_found")

	// In use: not deleted; then deleted.
	id := spawnCounter(t, c, info.ID, api.Options{}, 0)
	wantErr(t, c.DeleteClass(ctx, info.ID), api.ErrClassInUse, "class_in_use")
	if err := c.Kill(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteClass(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Class(ctx, info.ID)
	wantErr(t, err, api.ErrNotFound, "class_not_found")
}

func TestCalls(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class := pushCounter(t, c)
	id := spawnCounter(t, c, class, api.Options{}, 10)

	v, err := c.Invoke(ctx, id, "incr", 5)
	if n, _ := v.Int(); err != nil || n != 15 {
		t.Fatalf("incr: %s %v", v.Raw(), err)
	}
	v, err = c.Invoke(ctx, id, "add", 2, 3)
	if n, _ := v.Int(); err != nil || n != 5 {
		t.Fatalf("add: %s %v", v.Raw(), err)
	}

	// Call returns a future at once, as in the host; Get waits for it.
	f, err := c.Call(ctx, id, "add", 20, 1)
	if err != nil || !strings.HasPrefix(f.ID, id+"/") {
		t.Fatalf("Call: %v %v", f, err)
	}
	v, err = f.Get(ctx)
	if n, _ := v.Int(); err != nil || n != 21 {
		t.Fatalf("Call's future: %s %v", v.Raw(), err)
	}

	// Async: futures, fetched with and without waiting.
	futs, err := c.Submit(ctx, id, "incr", client.CallOptions{}, 1)
	if err != nil || len(futs) != 1 || !strings.HasPrefix(futs[0].ID, id+"/") {
		t.Fatalf("Submit: %v %v", futs, err)
	}
	v, err = futs[0].Get(ctx)
	if n, _ := v.Int(); err != nil || n != 16 {
		t.Fatalf("Await: %s %v", v.Raw(), err)
	}
	v, ready, err := c.Future(futs[0].ID).Poll(ctx, 0)
	if n, _ := v.Int(); err != nil || !ready || n != 16 {
		t.Fatalf("Future again: %s %v %v", v.Raw(), ready, err)
	}
	_, _, err = c.Future(id+"/9999").Poll(ctx, 0)
	wantErr(t, err, api.ErrNotFound, "future_not_found")

	// A future that is not ready: a spinning call holds the actor.
	spinner := spawnCounter(t, c, class, api.Options{CallTimeout: api.Ptr(1500 * time.Millisecond), MaxRestarts: api.Ptr(-1)}, 0)
	spin, err := c.Submit(ctx, spinner, "spin", client.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	get, err := c.Submit(ctx, spinner, "get", client.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, ready, err = c.Future(get[0].ID).Poll(ctx, 10*time.Millisecond)
	if err != nil || ready {
		t.Fatalf("get behind spin: ready %v, %v", ready, err)
	}
	_, err = spin[0].Get(ctx)
	wantErr(t, err, context.DeadlineExceeded, "deadline_exceeded")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline_exceeded does not match context.DeadlineExceeded")
	}
	v, err = get[0].Get(ctx) // ran on the restarted sandbox
	if n, _ := v.Int(); err != nil || n != 0 {
		t.Fatalf("get after restart: %s %v", v.Raw(), err)
	}

	// A synchronous call's timeout comes from ctx's deadline.
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Invoke(sctx, spinner, "spin")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("spin with a 300ms ctx: %v after %v", err, time.Since(start))
	}
}

func TestFuturesAsArguments(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class := pushCounter(t, c)
	a := spawnCounter(t, c, class, api.Options{}, 40)
	b := spawnCounter(t, c, class, api.Options{}, 0)

	fa, err := c.Submit(ctx, a, "incr", client.CallOptions{}, 2) // 42
	if err != nil {
		t.Fatal(err)
	}
	// As a value and as a pointer, to another actor.
	fb, err := c.Submit(ctx, b, "add", client.CallOptions{}, fa[0], *fa[0]) // 84
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Invoke(ctx, b, "incr", fb[0]) // 0 + 84
	if n, _ := v.Int(); err != nil || n != 84 {
		t.Fatalf("incr(future): %s %v", v.Raw(), err)
	}
	// A failed future fails the dependent call with its error.
	ff, err := c.Submit(ctx, a, "fail", client.CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, b, "incr", ff[0])
	wantErr(t, err, api.ErrApp, "app_error")
	// Another namespace's future is not found.
	_, _, err = ts.client(t, tokenB).Future(fa[0].ID).Poll(ctx, 0)
	wantErr(t, err, api.ErrNotFound, "future_not_found")
}

func TestValuesRoundTrip(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class := pushCounter(t, c)
	id := spawnCounter(t, c, class, api.Options{}, 0)
	other := spawnCounter(t, c, class, api.Options{}, 0)

	echo := func(arg any) client.Value {
		t.Helper()
		v, err := c.Invoke(ctx, id, "echo", arg)
		if err != nil {
			t.Fatalf("echo(%v): %v", arg, err)
		}
		return v
	}

	// Actor handles: {"$actor": id} in, {"$actor": id, "class": ...} out.
	for _, arg := range []any{client.ActorRef{ID: other}, &client.ActorRef{ID: other}} {
		ref, err := echo(arg).Actor()
		if err != nil || ref.ID != other || ref.Class != class {
			t.Fatalf("echo(actor): %+v %v", ref, err)
		}
	}
	x, err := echo([]any{client.ActorRef{ID: other}, 1}).Interface()
	if xs, ok := x.([]any); err != nil || !ok || xs[0] != (client.ActorRef{ID: other, Class: class}) || xs[1] != int64(1) {
		t.Fatalf("echo([actor, 1]) = %#v %v", x, err)
	}
	var decoded struct {
		Peer client.ActorRef `json:"peer"`
	}
	if err := echo(map[string]any{"peer": client.ActorRef{ID: other}}).Decode(&decoded); err != nil || decoded.Peer.ID != other {
		t.Fatalf("Decode actor: %+v %v", decoded, err)
	}
	// An actor of another namespace is not found.
	cb := ts.client(t, tokenB)
	otherB := spawnCounter(t, cb, pushCounter(t, cb), api.Options{}, 0)
	_, err = c.Invoke(ctx, id, "echo", client.ActorRef{ID: otherB})
	wantErr(t, err, api.ErrNotFound, "actor_not_found")

	// Bytes, as []byte, Bytes and nested.
	blob := []byte{0, 1, 2, 0xff}
	if b, err := echo(blob).Bytes(); err != nil || !bytes.Equal(b, blob) {
		t.Fatalf("echo(bytes) = %v %v", b, err)
	}
	var st struct {
		B client.Bytes `json:"b"`
		P []byte       `json:"p"`
	}
	v := echo(map[string]any{"b": client.Bytes(blob), "p": blob})
	if err := v.Decode(&st); err != nil || !bytes.Equal(st.B, blob) || !bytes.Equal(st.P, blob) {
		t.Fatalf("Decode bytes from %s: %+v %v", v.Raw(), st, err)
	}

	// Floats stay floats; NaN travels as $float.
	if v := echo(2.0); string(v.Raw()) != "2.0" {
		t.Fatalf("echo(2.0) = %s", v.Raw())
	}
	if f, err := echo(math.Inf(-1)).Float(); err != nil || !math.IsInf(f, -1) {
		t.Fatalf("echo(-Inf) = %v %v", f, err)
	}

	// Maps with non-text keys and with $ keys.
	m := map[int]string{1: "one", 2: "two"}
	var back map[int]string
	if err := echo(m).Decode(&back); err != nil || len(back) != 2 || back[2] != "two" {
		t.Fatalf("echo(map[int]string) = %v %v", back, err)
	}
	x, err = echo(m).Interface()
	if mm, ok := x.(map[any]any); err != nil || !ok || mm[int64(1)] != "one" {
		t.Fatalf("echo(map[int]string).Interface() = %#v %v", x, err)
	}
	var dollar map[string]int
	if err := echo(map[string]int{"$x": 1}).Decode(&dollar); err != nil || dollar["$x"] != 1 {
		t.Fatalf("echo($ key) = %v %v", dollar, err)
	}

	// Text, null, nested values, large integers.
	if s, err := echo("héllo").String(); err != nil || s != "héllo" {
		t.Fatalf("echo(text) = %q %v", s, err)
	}
	if v := echo(nil); !v.IsNull() {
		t.Fatalf("echo(nil) = %s", v.Raw())
	}
	x, err = echo(uint64(math.MaxUint64)).Interface()
	if err != nil || x != uint64(math.MaxUint64) {
		t.Fatalf("echo(MaxUint64) = %#v %v", x, err)
	}
	var nested struct {
		A []int           `json:"a"`
		M map[string]bool `json:"m"`
	}
	if err := echo(map[string]any{"a": []int{1, 2}, "m": map[string]bool{"k": true}}).Decode(&nested); err != nil ||
		!slices.Equal(nested.A, []int{1, 2}) || !nested.M["k"] {
		t.Fatalf("nested: %+v %v", nested, err)
	}
}

func TestBatch(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class := pushCounter(t, c)
	id := spawnCounter(t, c, class, api.Options{}, 0)

	res, err := c.Batch(ctx, []client.BatchCall{
		{Actor: id, Method: "incr", Args: []any{1}},
		{Actor: id, Method: "incr", Args: []any{2}},
		{Actor: id, Method: "fail"},
		{Actor: id, Method: "nope"},
		{Actor: id, Method: "get"},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res[1].Value.Int(); res[0].Err != nil || res[1].Err != nil || n != 3 {
		t.Fatalf("batch incr: %+v", res[:2])
	}
	ce := wantErr(t, res[2].Err, api.ErrApp, "app_error")
	if ce.Detail("code") != "c_error" || ce.Status != http.StatusUnprocessableEntity {
		t.Fatalf("batch fail: %+v", ce)
	}
	wantErr(t, res[3].Err, api.ErrNotFound, "method_not_found")
	if n, _ := res[4].Value.Int(); res[4].Err != nil || n != 3 {
		t.Fatalf("batch get: %+v", res[4])
	}

	res, err = c.Batch(ctx, []client.BatchCall{
		{Actor: id, Method: "incr", Args: []any{10}},
		{Actor: id, Method: "get"},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{13, 13} {
		if res[i].Err != nil || res[i].Future.ID == "" {
			t.Fatalf("batch result %d: %+v", i, res[i])
		}
		v, err := res[i].Future.Get(ctx)
		if n, _ := v.Int(); err != nil || n != want {
			t.Fatalf("batch future %d: %s %v", i, v.Raw(), err)
		}
	}
}

func TestActorsAndNames(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class := pushCounter(t, c)

	info, err := c.Spawn(ctx, class, api.Options{Name: "ctr", MaxPending: 7}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "ctr" || info.State != api.StateAlive || info.Options.MaxPending != 7 || info.Class != class {
		t.Fatalf("spawned %+v", info)
	}
	anon := spawnCounter(t, c, class, api.Options{}, 0)

	// The namespace's own usage; node-wide figures are the operator's.
	if u, err := c.Namespace(ctx); err != nil || u.Actors != 2 || u.Classes != 1 {
		t.Fatalf("Namespace: %+v %v", u, err)
	}
	if _, err := c.Node(ctx); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("Node with a tenant's token: %v, want ErrForbidden", err)
	}

	got, err := c.Lookup(ctx, "ctr")
	if err != nil || got.ID != info.ID {
		t.Fatalf("Lookup: %+v %v", got, err)
	}
	if got, err := c.Actor(ctx, info.ID); err != nil || got.ID != info.ID {
		t.Fatalf("Actor: %+v %v", got, err)
	}
	all, err := c.Actors(ctx, client.ActorFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("Actors: %+v %v", all, err)
	}
	named, err := c.Actors(ctx, client.ActorFilter{Name: "ctr", Class: class, State: "alive"})
	if err != nil || len(named) != 1 || named[0].ID != info.ID {
		t.Fatalf("Actors(name): %+v %v", named, err)
	}

	_, err = c.Spawn(ctx, class, api.Options{Name: "ctr"}, 1)
	wantErr(t, err, api.ErrNameTaken, "name_taken")
	same, err := c.Spawn(ctx, class, api.Options{Name: "ctr", GetIfExists: true}, 1)
	if err != nil || same.ID != info.ID {
		t.Fatalf("get-if-exists: %+v %v", same, err)
	}

	// Another namespace sees none of it; the same name is free there.
	cb := ts.client(t, tokenB)
	_, err = cb.Lookup(ctx, "ctr")
	wantErr(t, err, api.ErrNotFound, "actor_not_found")
	_, err = cb.Actor(ctx, info.ID)
	wantErr(t, err, api.ErrNotFound, "actor_not_found")
	_, err = cb.Invoke(ctx, info.ID, "get")
	wantErr(t, err, api.ErrNotFound, "actor_not_found")
	wantErr(t, cb.Kill(ctx, info.ID), api.ErrNotFound, "actor_not_found")
	if list, err := cb.Actors(ctx, client.ActorFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("team-b Actors: %+v %v", list, err)
	}

	if err := c.Kill(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Lookup(ctx, "ctr")
	wantErr(t, err, api.ErrNotFound, "actor_not_found")
	_, err = c.Invoke(ctx, info.ID, "get")
	if !errors.Is(err, api.ErrNotFound) && !errors.Is(err, api.ErrActorDied) {
		t.Fatalf("call after kill: %v", err)
	}
	if list, err := c.Actors(ctx, client.ActorFilter{State: "alive"}); err != nil || len(list) != 1 || list[0].ID != anon {
		t.Fatalf("alive actors after kill: %+v %v", list, err)
	}
	// Recently dead actors may be listed, as dead.
	list, err := c.Actors(ctx, client.ActorFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.ID == info.ID && (a.State != api.StateDead || a.Death != api.DeathKilled) {
			t.Fatalf("killed actor listed as %+v", a)
		}
	}
	// The name is free again.
	if _, err := c.Spawn(ctx, class, api.Options{Name: "ctr"}, 1); err != nil {
		t.Fatal(err)
	}
}

func TestLogs(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class, err := c.PushClass(ctx, readFixture(t, logWasm), nil)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := c.Spawn(ctx, class.ID, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, actor.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	lines, err := c.Logs(ctx, actor.ID, 0)
	if err != nil || len(lines) != 1 || lines[0].Text != "hello from wat" || lines[0].Level != 1 {
		t.Fatalf("Logs: %+v %v", lines, err)
	}
	if lines, err := c.Logs(ctx, actor.ID, lines[0].Seq+1); err != nil || len(lines) != 0 {
		t.Fatalf("Logs(since): %+v %v", lines, err)
	}
	_, err = ts.client(t, tokenB).Logs(ctx, actor.ID, 0)
	wantErr(t, err, api.ErrNotFound, "actor_not_found")

	// Follow: the kept line, then a new one, then cancel.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan api.LogLine, 10)
	done := make(chan error, 1)
	go func() {
		done <- c.FollowLogs(fctx, actor.ID, 0, func(l api.LogLine) error {
			got <- l
			return nil
		})
	}()
	next := func() api.LogLine {
		t.Helper()
		select {
		case l := <-got:
			return l
		case err := <-done:
			t.Fatalf("FollowLogs ended: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("no log line")
		}
		return api.LogLine{}
	}
	first := next()
	if first.Text != "hello from wat" {
		t.Fatalf("first followed line %+v", first)
	}
	if _, err := c.Invoke(ctx, actor.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	if second := next(); second.Text != "hello from wat" || second.Seq <= first.Seq {
		t.Fatalf("second followed line %+v after %+v", second, first)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("FollowLogs after cancel: %v", err)
	}

	// fn's error stops the stream and is returned.
	stop := errors.New("stop")
	if err := c.FollowLogs(ctx, actor.ID, 0, func(api.LogLine) error { return stop }); err != stop {
		t.Fatalf("FollowLogs with a failing fn: %v", err)
	}

	// The stream ends when the actor dies.
	done2 := make(chan error, 1)
	go func() {
		done2 <- c.FollowLogs(ctx, actor.ID, 100, func(api.LogLine) error { return nil })
	}()
	if _, err := c.Invoke(ctx, actor.ID, "bye"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done2:
		if err != nil && !errors.Is(err, api.ErrActorDied) && !errors.Is(err, api.ErrNotFound) {
			t.Fatalf("FollowLogs after exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("FollowLogs did not end when the actor died")
	}
}

func TestErrors(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class := pushCounter(t, c)
	id := spawnCounter(t, c, class, api.Options{MaxRestarts: api.Ptr(-1)}, 0)

	// Authentication.
	noToken := ts.client(t, "")
	_, err := noToken.Classes(ctx)
	wantErr(t, err, api.ErrUnauthorized, "unauthorized")
	_, err = ts.client(t, "wrong").Actors(ctx, client.ActorFilter{})
	ce := wantErr(t, err, api.ErrUnauthorized, "unauthorized")
	if ce.Status != http.StatusUnauthorized {
		t.Fatalf("status %d", ce.Status)
	}
	if err := noToken.Ready(ctx); err != nil {
		t.Fatalf("readyz without a token: %v", err)
	}

	// Calls.
	_, err = c.Invoke(ctx, id, "add", 1)
	wantErr(t, err, api.ErrArity, "arity")
	_, err = c.Submit(ctx, id, "add", client.CallOptions{}, 1, 2, 3)
	wantErr(t, err, api.ErrArity, "arity")
	_, err = c.Invoke(ctx, id, "nope")
	wantErr(t, err, api.ErrMethodNotFound, "method_not_found")
	_, err = c.Invoke(ctx, "0123456789abcdef0123456789abcdef", "get")
	wantErr(t, err, api.ErrNotFound, "actor_not_found")
	_, err = c.Invoke(ctx, id, "fail")
	ce = wantErr(t, err, api.ErrApp, "app_error")
	if ce.Detail("code") != "c_error" || ce.Detail("message") != "failed on purpose" {
		t.Fatalf("app error details %v", ce.Details)
	}
	_, err = c.Invoke(ctx, id, "trap")
	ce = wantErr(t, err, api.ErrTrap, "trap")
	if ce.Detail("reason") != "trap" || ce.Status != http.StatusBadGateway {
		t.Fatalf("trap: %+v", ce)
	}
	if v, err := c.Invoke(ctx, id, "get"); err != nil || v.IsNull() { // restarted
		t.Fatalf("get after trap: %s %v", v.Raw(), err)
	}
	spin, err := c.Submit(ctx, id, "spin", client.CallOptions{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = spin[0].Get(ctx)
	wantErr(t, err, context.DeadlineExceeded, "deadline_exceeded")
	_, err = c.Invoke(ctx, id, "incr", "not a number")
	if !errors.Is(err, api.ErrApp) {
		t.Fatalf("incr(text): %v", err)
	}

	// Modules and spawns.
	_, err = c.PushClass(ctx, readFixture(t, garbageWasm), nil)
	ce = wantErr(t, err, api.ErrInvalidModule, "invalid_module")
	if ce.Detail("reason") == "" {
		t.Fatalf("invalid module without a reason: %+v", ce)
	}
	_, err = c.Spawn(ctx, "sha256:0000", api.Options{})
	wantErr(t, err, api.ErrNotFound, "class_not_found")
	_, err = c.Spawn(ctx, class, api.Options{}, 1, 2)
	wantErr(t, err, api.ErrArity, "arity")
	_, err = c.Spawn(ctx, class, api.Options{MaxRestarts: api.Ptr(-2)})
	wantErr(t, err, api.ErrInvalidArgument, "invalid_argument")

	// Checkpoints through the raw routes.
	var ck struct{ ID string }
	if err := c.Do(ctx, http.MethodPost, "/v1/actors/"+id+"/checkpoints", struct{}{}, &ck); err != nil || ck.ID == "" {
		t.Fatalf("checkpoint: %+v, %v", ck, err)
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/actors/"+id+"/restore", map[string]string{"checkpoint": ck.ID}, nil); err != nil {
		t.Fatalf("restore: %v", err)
	}
	err = c.Do(ctx, http.MethodPost, "/v1/actors/"+id+"/restore", map[string]string{"checkpoint": "ck-nope"}, nil)
	wantErr(t, err, api.ErrNotFound, "checkpoint_not_found")
	err = c.Do(ctx, http.MethodGet, "/v1/nothing-here", nil, nil)
	wantErr(t, err, api.ErrNotFound, "not_found")

	// A server that is not there.
	dead, err := client.New(client.Config{Server: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.Classes(ctx); err == nil {
		t.Fatal("no error from a closed port")
	} else if ce := new(client.Error); errors.As(err, &ce) {
		t.Fatalf("transport error as *Error: %v", err)
	}
}

func TestBackpressure(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t, tokenA)
	ctx := testCtx(t)
	class := pushCounter(t, c)
	id := spawnCounter(t, c, class, api.Options{MaxPending: 1, MaxRestarts: api.Ptr(-1), CallTimeout: api.Ptr(2 * time.Second)}, 0)

	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = c.Submit(ctx, id, "spin", client.CallOptions{Timeout: 200 * time.Millisecond})
	}
	ce := wantErr(t, err, api.ErrBackpressure, "backpressure")
	if ce.Status != http.StatusTooManyRequests || ce.RetryAfter != time.Second {
		t.Fatalf("backpressure: %+v", ce)
	}
}
