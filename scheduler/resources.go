package scheduler

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/wactor/wactor/api"
)

// Names of the built-in resources, as they appear in Usage, in
// InsufficientResourcesError.Resource and AdmissionTimeoutError.Resource, and
// in Resources.String. Custom resources appear under their own names, which
// may not be one of these (compared without case) nor "object_store_memory".
const (
	ResourceCPU    = "cpu"
	ResourceGPU    = "gpu"
	ResourceMemory = "memory"
)

// Granularity is the smallest amount of CPU, GPU or a custom resource that
// admission tells apart. Like Ray, admission accounts these in fixed point
// (units of 1/10000), so that reserving and releasing fractions such as 0.1
// ten times ends exactly at zero. Amounts are rounded to the nearest unit; a
// positive amount smaller than one unit counts as one unit.
const Granularity = 1.0 / unitsPerOne

const (
	unitsPerOne = 10000
	// maxQuantity bounds CPU, GPU and custom amounts so that their units fit
	// in an int64 with room to spare (+Inf is allowed only in a capacity).
	maxQuantity = 1e14
	// unlimited is the capacity, in units or bytes, of an unlimited resource.
	unlimited = math.MaxInt64
)

// Resources is an amount of each node resource, in Ray's terms: CPU slots,
// GPUs, memory in bytes and custom resources by name. It is used both for a
// request (what an actor reserves for its lifetime) and for a capacity.
//
// The zero value is no resources: Ray's default for an actor, which then
// reserves nothing (each of its running calls still uses a pool worker).
// Custom entries of zero are the same as absent ones.
//
// A Resources is a value; its methods do not modify it, and Add and Sub
// return new Custom maps. Like any map, Custom must not be written while
// another goroutine reads it.
type Resources struct {
	// CPU is a number of logical CPU slots; fractions are allowed.
	CPU float64
	// GPU is a number of GPUs; fractions are allowed.
	GPU float64
	// Memory is in bytes.
	Memory int64
	// Custom holds user-defined resources by name, for example
	// {"accelerator": 1}.
	Custom map[string]float64
}

// IsZero reports whether r requests nothing.
func (r Resources) IsZero() bool {
	if r.CPU != 0 || r.GPU != 0 || r.Memory != 0 {
		return false
	}
	for _, v := range r.Custom {
		if v != 0 {
			return false
		}
	}
	return true
}

// Add returns r + o, component by component, rounded to Granularity.
func (r Resources) Add(o Resources) Resources {
	return r.combine(o, 1)
}

// Sub returns r - o, component by component, rounded to Granularity. It
// does not clamp: a component of o larger than r's gives a negative amount.
func (r Resources) Sub(o Resources) Resources {
	return r.combine(o, -1)
}

func (r Resources) combine(o Resources, sign float64) Resources {
	out := Resources{
		CPU:    quantize(r.CPU + sign*o.CPU),
		GPU:    quantize(r.GPU + sign*o.GPU),
		Memory: r.Memory + int64(sign)*o.Memory,
	}
	for k, v := range r.Custom {
		out.setCustom(k, quantize(v+sign*o.Custom[k]))
	}
	for k, v := range o.Custom {
		if _, ok := r.Custom[k]; !ok {
			out.setCustom(k, quantize(sign*v))
		}
	}
	return out
}

func (r *Resources) setCustom(name string, v float64) {
	if v == 0 {
		return
	}
	if r.Custom == nil {
		r.Custom = make(map[string]float64)
	}
	r.Custom[name] = v
}

// Fits reports whether r fits within avail: every amount of r is at most the
// same amount of avail, compared at Granularity as admission does. A custom
// resource that avail lacks counts as zero of it; +Inf in avail is
// unlimited. A NaN or infinite amount in r never fits.
func (r Resources) Fits(avail Resources) bool {
	fits := func(req, have float64) bool {
		if math.IsNaN(req) || math.IsInf(req, 0) || math.IsNaN(have) {
			return false
		}
		if math.IsInf(have, 1) {
			return true
		}
		return math.Round(req*unitsPerOne) <= math.Round(have*unitsPerOne)
	}
	if !fits(r.CPU, avail.CPU) || !fits(r.GPU, avail.GPU) || r.Memory > avail.Memory {
		return false
	}
	for k, v := range r.Custom {
		if !fits(v, avail.Custom[k]) {
			return false
		}
	}
	return true
}

// String names each nonzero resource, built-in ones first, then custom ones
// by name: "cpu=2 gpu=0.5 memory=1GiB accelerator=1". It returns "none" for
// the zero value.
func (r Resources) String() string {
	var b strings.Builder
	add := func(name, amount string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(amount)
	}
	if r.CPU != 0 {
		add(ResourceCPU, formatAmount(r.CPU))
	}
	if r.GPU != 0 {
		add(ResourceGPU, formatAmount(r.GPU))
	}
	if r.Memory != 0 {
		add(ResourceMemory, formatBytes(r.Memory))
	}
	for _, k := range sortedKeys(r.Custom) {
		if v := r.Custom[k]; v != 0 {
			add(k, formatAmount(v))
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// quantize rounds v to Granularity.
func quantize(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	return math.Round(v*unitsPerOne) / unitsPerOne
}

func formatAmount(v float64) string {
	if math.IsInf(v, 1) {
		return "unlimited"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatBytes writes n in the largest binary unit that divides it exactly.
func formatBytes(n int64) string {
	if n == unlimited {
		return "unlimited"
	}
	for _, u := range []struct {
		shift  uint
		suffix string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// vec is a Resources in accounting units: CPU, GPU and custom amounts in
// units of Granularity, memory in bytes. A capacity of unlimited is
// unbounded. custom holds only nonzero entries.
type vec struct {
	cpu, gpu, mem int64
	custom        map[string]int64
}

func (v vec) isZero() bool { return v.cpu == 0 && v.gpu == 0 && v.mem == 0 && len(v.custom) == 0 }

// reservedName reports whether name is a built-in resource's name, which a
// custom resource may not take.
func reservedName(name string) bool { return api.IsBuiltinResource(name) }

// toUnits converts an amount; allowInf lets +Inf mean unlimited (capacities).
func toUnits(name string, v float64, allowInf bool) (int64, error) {
	switch {
	case allowInf && math.IsInf(v, 1):
		return unlimited, nil
	case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
		return 0, fmt.Errorf("%w: %s must be a finite number >= 0, got %v", ErrInvalidResources, name, v)
	case v > maxQuantity:
		return 0, fmt.Errorf("%w: %s of %v is above %v", ErrInvalidResources, name, v, float64(maxQuantity))
	}
	u := int64(math.Round(v * unitsPerOne))
	if u == 0 && v > 0 {
		u = 1
	}
	return u, nil
}

// parseRequest validates a request and converts it to units.
func parseRequest(r Resources) (vec, error) {
	var v vec
	var err error
	if v.cpu, err = toUnits(ResourceCPU, r.CPU, false); err != nil {
		return v, err
	}
	if v.gpu, err = toUnits(ResourceGPU, r.GPU, false); err != nil {
		return v, err
	}
	if r.Memory < 0 {
		return v, fmt.Errorf("%w: negative memory %d", ErrInvalidResources, r.Memory)
	}
	v.mem = r.Memory
	for k, amount := range r.Custom {
		if k == "" || reservedName(k) {
			return v, fmt.Errorf("%w: custom resource name %q", ErrInvalidResources, k)
		}
		u, err := toUnits(k, amount, false)
		if err != nil {
			return v, err
		}
		if u != 0 {
			if v.custom == nil {
				v.custom = make(map[string]int64, len(r.Custom))
			}
			v.custom[k] = u
		}
	}
	return v, nil
}

// unitsToFloat converts units (or unlimited) back to an amount.
func unitsToFloat(u int64) float64 {
	if u == unlimited {
		return math.Inf(1)
	}
	return float64(u) / unitsPerOne
}

func bytesToFloat(n int64) float64 {
	if n == unlimited {
		return math.Inf(1)
	}
	return float64(n)
}
