package callvalues

import (
	"fmt"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

// SplitResults hands the values of a call's value envelope (KindValue or
// KindValues) to the caller's k futures: set(i, v) for each i < k. With
// k == 1, several values are one array; with k > 1, one value is split if
// it is an array of k. Otherwise it fails with api.ErrReturnCount before
// calling set.
func SplitResults(env abi.Envelope, k int, method string, set func(i int, v abi.Value)) error {
	if k == 1 {
		if env.Kind == abi.KindValues {
			b := abi.AppendArrayHeader(nil, len(env.Values))
			for _, v := range env.Values {
				b = append(b, v...)
			}
			set(0, b)
			return nil
		}
		set(0, env.Values[0])
		return nil
	}
	vals := env.Values
	if env.Kind == abi.KindValue {
		items, err := abi.SplitArray(env.Values[0])
		if err != nil || len(items) != k {
			return fmt.Errorf("%w: %s wants %d values, got a single non-array or wrong-length value", api.ErrReturnCount, method, k)
		}
		vals = items
	}
	if len(vals) != k {
		return fmt.Errorf("%w: %s returned %d values, the caller asked for %d", api.ErrReturnCount, method, len(vals), k)
	}
	for i, v := range vals {
		set(i, v)
	}
	return nil
}
