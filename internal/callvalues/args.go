// Package callvalues handles the values of a call on their way through a
// host: its arguments, some of which may be futures of earlier calls (the
// call then waits, and its argument array is built once every future it
// names is resolved: the future's value takes its place, a future that
// failed fails the call), and its results, split among the caller's
// futures.
//
// It knows nothing of actors or mailboxes: F is the host's future type.
package callvalues

import (
	"fmt"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
)

// Future is what Args needs of a future: whether it is resolved, and its
// ID for messages.
type Future interface {
	comparable
	Ready() bool
	ID() string
}

// Args are a call's arguments. The zero value is no arguments.
type Args[F Future] struct {
	// Encoded is the encoded argument array, once every future among the
	// arguments is resolved (Resolve).
	Encoded []byte

	// With futures among the arguments: the encoded arguments, with nil
	// where deps[i] goes.
	parts []abi.Value
	deps  []F
}

// Encode encodes args: Go values (encoded as CBOR), abi.Value (passed as
// is) or F (a future, whose value Resolve puts in its place). The encoded
// arguments are at most maxBytes (api.ErrTooLarge).
func (a *Args[F]) Encode(args []any, maxBytes int) error {
	hasDeps := false
	for _, x := range args {
		if _, ok := x.(F); ok {
			hasDeps = true
			break
		}
	}
	if !hasDeps {
		b, err := codec.EncodeArgs(args)
		if err != nil {
			return fmt.Errorf("%w: %w", api.ErrInvalidArgument, err)
		}
		if err := CheckSize(len(b), maxBytes); err != nil {
			return err
		}
		a.Encoded = b
		return nil
	}
	var zero F
	a.parts = make([]abi.Value, len(args))
	a.deps = make([]F, len(args))
	size := 0
	for i, x := range args {
		if f, ok := x.(F); ok {
			if f == zero {
				return fmt.Errorf("%w: argument %d is a nil *Future", api.ErrInvalidArgument, i)
			}
			a.deps[i] = f
			continue
		}
		v, err := codec.Encode(x)
		if err != nil {
			return fmt.Errorf("%w: argument %d: %w", api.ErrInvalidArgument, i, err)
		}
		a.parts[i] = v
		size += len(v)
	}
	return CheckSize(size, maxBytes)
}

// Deps returns the arguments' futures, with the zero F for an argument
// that is not one; nil if there are none (or once resolved).
func (a *Args[F]) Deps() []F { return a.deps }

// Ready reports whether every future argument is resolved.
func (a *Args[F]) Ready() bool {
	var zero F
	for _, d := range a.deps {
		if d != zero && !d.Ready() {
			return false
		}
	}
	return true
}

// Resolve builds the argument array (Encoded) from the resolved futures,
// whose outcome result gives, within maxBytes. It does nothing if there
// are no futures among the arguments.
func (a *Args[F]) Resolve(result func(F) (abi.Value, error), maxBytes int) error {
	if a.deps == nil {
		return nil
	}
	var zero F
	vals := make([]any, len(a.parts))
	for i, p := range a.parts {
		if d := a.deps[i]; d != zero {
			v, err := result(d)
			if err != nil {
				return fmt.Errorf("argument %d (future %s): %w", i, d.ID(), err)
			}
			vals[i] = v
			continue
		}
		vals[i] = p
	}
	b, err := codec.EncodeArgs(vals)
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrInvalidArgument, err)
	}
	if err := CheckSize(len(b), maxBytes); err != nil {
		return err
	}
	a.Encoded, a.parts, a.deps = b, nil, nil
	return nil
}

// CheckSize fails with api.ErrTooLarge for encoded arguments of n bytes
// over limit.
func CheckSize(n, limit int) error {
	if n > limit {
		return fmt.Errorf("%w: arguments of %d bytes exceed the limit of %d", api.ErrTooLarge, n, limit)
	}
	return nil
}
