//go:build wasip1

// Command supervisor is an actor class that spawns children, checks them
// and replaces the ones that died, like an Erlang supervisor with the
// one_for_one strategy (driven by calls to check instead of links).
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o examples/supervisor/supervisor.wasm ./examples/supervisor
package main

import wactor "github.com/wactor/wactor/guest-sdk/go"

func init() {
	wactor.SetClass("supervisor", "Spawns children, checks them and replaces the dead ones.")
}

type child struct {
	h     wactor.Handle
	class string
}

var (
	kids     []child
	restarts int64
)

const maxChildren = 1000

func handles() []wactor.Handle {
	hs := make([]wactor.Handle, len(kids))
	for i, c := range kids {
		hs[i] = c.h
	}
	return hs
}

var start = wactor.Method2("start", func(class string, n int64) ([]wactor.Handle, error) {
	if n < 0 || int64(len(kids))+n > maxChildren {
		return nil, wactor.Errorf("invalid_amount", "n must be >= 0 and the children at most %d (have %d, asked for %d more)", maxChildren, len(kids), n)
	}
	started := make([]wactor.Handle, 0, n)
	for range n {
		h, err := wactor.Spawn(class, wactor.SpawnOptions{})
		if err != nil {
			return nil, err // the children spawned so far are kept
		}
		kids = append(kids, child{h, class})
		started = append(started, h)
	}
	return started, nil
}).Doc(`Spawns n children of class ("" for this class), owned by this actor; returns their handles.`)

var children = wactor.Method0("children", func() ([]wactor.Handle, error) {
	return handles(), nil
}).Doc("Returns the handles of the children.")

// gone reports whether an error says the child no longer exists.
func gone(err error) bool {
	return wactor.IsCode(err, wactor.CodeActorDied) || wactor.IsCode(err, wactor.CodeActorNotFound)
}

var check = wactor.Method0("check", func() (int64, error) {
	// Ask every child at once, then collect the answers.
	futures := make([]*wactor.Future, len(kids))
	errs := make([]error, len(kids))
	for i, c := range kids {
		futures[i], errs[i] = c.h.Send("ok")
	}
	for i, f := range futures {
		if f != nil {
			_, errs[i] = f.Get()
		}
	}
	var replaced int64
	for i, err := range errs {
		switch {
		case err == nil:
		case gone(err):
			h, err := wactor.Spawn(kids[i].class, wactor.SpawnOptions{})
			if err != nil {
				return replaced, err
			}
			wactor.Logf(wactor.LevelWarn, "child %s is gone (%v); replaced by %s", kids[i].h.ID, errs[i], h.ID)
			kids[i].h = h
			replaced++
			restarts++
		default:
			// Alive but unwell (a trap, a deadline, a full mailbox): the
			// host restarts a trapped actor itself while it may.
			wactor.Logf(wactor.LevelWarn, "child %s: %v", kids[i].h.ID, err)
		}
	}
	return replaced, nil
}).Doc(`Calls "ok" on every child; replaces each child that died or no longer exists by a new one of its class; returns how many were replaced.`)

var restartsM = wactor.Method0("restarts", func() (int64, error) {
	return restarts, nil
}).Doc("Returns how many children check has replaced so far.")

var stopAll = wactor.Method0("stop_all", func() (int64, error) {
	var killed int64
	var firstErr error
	for _, c := range kids {
		err := wactor.Kill(c.h)
		switch {
		case err == nil:
			killed++
		case gone(err): // already dead
		case firstErr == nil:
			firstErr = err
		}
	}
	kids = nil
	if firstErr != nil {
		return killed, firstErr
	}
	return killed, nil
}).Doc("Kills every child and forgets them all; returns how many were killed.")

//go:wasmexport start
func startExport(ptr, size uint32) uint64 { return start.Call(ptr, size) }

//go:wasmexport children
func childrenExport(ptr, size uint32) uint64 { return children.Call(ptr, size) }

//go:wasmexport check
func checkExport(ptr, size uint32) uint64 { return check.Call(ptr, size) }

//go:wasmexport restarts
func restartsExport(ptr, size uint32) uint64 { return restartsM.Call(ptr, size) }

//go:wasmexport stop_all
func stopAllExport(ptr, size uint32) uint64 { return stopAll.Call(ptr, size) }

func main() {}
