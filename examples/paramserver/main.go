//go:build wasip1

// Command paramserver is Ray's classic parameter server as one actor class
// with two roles. A server actor holds a parameter vector (get, update);
// worker actors of the same class run work, which repeatedly reads the
// parameters from a server, computes a gradient towards a target and sends
// it back. The parameters converge geometrically towards the target.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o examples/paramserver/paramserver.wasm ./examples/paramserver
package main

import wactor "github.com/wactor/wactor/guest-sdk/go"

func init() {
	wactor.SetClass("paramserver", "A parameter server (get, update) and its workers (work), in one class.")
}

const (
	defaultDim   = 4
	maxDim       = 1 << 16
	learningRate = 0.1
)

var (
	params  []float64
	version int64
)

var _ = wactor.Init1(func(dim int64) error {
	if dim == 0 {
		dim = defaultDim
	}
	if dim < 0 || dim > maxDim {
		return wactor.Errorf("invalid_dim", "dim must be in [1, %d], got %d", maxDim, dim)
	}
	params = make([]float64, dim)
	version = 0
	return nil
}).MinArgs(0).Doc("Server role: dim parameters (default 4), all 0.")

var get = wactor.Method0("get", func() ([]float64, error) {
	return params, nil
}).Doc("Server role: returns the parameters.")

var update = wactor.Method1("update", func(grad []float64) (int64, error) {
	if len(grad) != len(params) {
		return 0, wactor.Errorf("invalid_dim", "gradient of %d values for %d parameters", len(grad), len(params))
	}
	for i, g := range grad {
		params[i] -= learningRate * g
	}
	version++
	return version, nil
}).Doc("Server role: adds grad * -0.1 to the parameters; returns the version (the number of updates so far).")

var versionM = wactor.Method0("version", func() (int64, error) {
	return version, nil
}).Doc("Server role: returns the number of updates so far.")

var work = wactor.Method3("work", func(server wactor.Handle, steps int64, target float64) (int64, error) {
	if steps < 0 {
		return 0, wactor.Errorf("invalid_amount", "steps must be >= 0, got %d", steps)
	}
	var grad []float64
	for step := range steps {
		p, err := wactor.CallAs[[]float64](server, "get")
		if err != nil {
			return step, err
		}
		grad = grad[:0]
		for _, x := range p {
			grad = append(grad, x-target)
		}
		if _, err := server.Call("update", grad); err != nil {
			return step, err
		}
	}
	return steps, nil
}).Doc("Worker role: steps times, gets the parameters from server and sends it the gradient params - target; returns the steps done.")

//go:wasmexport get
func getExport(ptr, size uint32) uint64 { return get.Call(ptr, size) }

//go:wasmexport update
func updateExport(ptr, size uint32) uint64 { return update.Call(ptr, size) }

//go:wasmexport version
func versionExport(ptr, size uint32) uint64 { return versionM.Call(ptr, size) }

//go:wasmexport work
func workExport(ptr, size uint32) uint64 { return work.Call(ptr, size) }

func main() {}
