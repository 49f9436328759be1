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
	"bytes"
	"fmt"
	"reflect"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
)

// Future is what Args needs of a future: whether it is resolved, and its
// ID (for messages, and to find a future nested in an argument: it
// encodes as abi.TagFutureRef around its ID, which Resolve replaces by the
// future's value).
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
	// where deps[i] goes (a future that is a whole argument); deps may
	// also hold futures nested in an argument (nested), whose encoding
	// holds references to them.
	parts  []abi.Value
	deps   []F
	nested bool
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
	var nested []F
	if !hasDeps {
		b, err := codec.EncodeArgs(args)
		if err != nil {
			return fmt.Errorf("%w: %w", api.ErrInvalidArgument, err)
		}
		// A future nested in an argument encodes as a reference (F's
		// MarshalCBOR): only when its head shows up are the arguments
		// walked to find them, so a call without one pays for one byte
		// search, not a walk (the bytes may also occur inside a string).
		if bytes.Contains(b, futureRefHead) {
			for _, x := range args {
				nested = findNested[F](reflect.ValueOf(x), nested, 0)
			}
		}
		if len(nested) == 0 {
			if err := CheckSize(len(b), maxBytes); err != nil {
				return err
			}
			a.Encoded = b
			return nil
		}
	} else {
		for _, x := range args {
			if _, ok := x.(F); !ok {
				nested = findNested[F](reflect.ValueOf(x), nested, 0)
			}
		}
	}
	var zero F
	a.parts = make([]abi.Value, len(args))
	a.deps = make([]F, len(args), len(args)+len(nested))
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
	a.deps = append(a.deps, nested...)
	a.nested = len(nested) > 0
	return CheckSize(size, maxBytes)
}

// futureRefHead starts a future reference: the head of abi.TagFutureRef.
var futureRefHead = abi.AppendHead(nil, 6, abi.TagFutureRef)

// findNested appends the futures of type F inside v (the elements of
// slices, arrays and maps, map keys, exported struct fields, what pointers
// and interfaces hold), down to abi.MaxDepth levels, which also stops a
// value that refers to itself.
func findNested[F Future](v reflect.Value, out []F, depth int) []F {
	if !v.IsValid() || depth > abi.MaxDepth {
		return out
	}
	if v.CanInterface() {
		if f, ok := v.Interface().(F); ok {
			var zero F
			if f != zero {
				out = append(out, f)
			}
			return out
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			out = findNested[F](v.Elem(), out, depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return out // bytes
		}
		for i := range v.Len() {
			out = findNested[F](v.Index(i), out, depth+1)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			out = findNested[F](it.Key(), out, depth+1)
			out = findNested[F](it.Value(), out, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = findNested[F](v.Field(i), out, depth+1)
			}
		}
	}
	return out
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
		if a.nested {
			q, err := spliceRefs(p, a.deps[len(a.parts):], result)
			if err != nil {
				return fmt.Errorf("argument %d: %w", i, err)
			}
			p = q
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
	if a.nested {
		// The futures' values may nest deeper than the limits allow.
		if err := abi.Validate(b); err != nil {
			return fmt.Errorf("%w: with the futures' values: %w", api.ErrInvalidArgument, err)
		}
	}
	a.Encoded, a.parts, a.deps, a.nested = b, nil, nil, false
	return nil
}

// spliceRefs returns b with every future reference (abi.TagFutureRef
// around a future's ID) replaced by that future's value, from deps.
func spliceRefs[F Future](b abi.Value, deps []F, result func(F) (abi.Value, error)) (abi.Value, error) {
	out := make([]byte, 0, len(b))
	var walk func(b []byte) (int, error)
	walk = func(b []byte) (int, error) {
		arg, n, ok := abi.ReadHead(b)
		if !ok {
			return 0, fmt.Errorf("%w: malformed argument", api.ErrInvalidArgument)
		}
		switch b[0] >> 5 {
		case 4, 5:
			out = append(out, b[:n]...)
			items := arg
			if b[0]>>5 == 5 {
				items *= 2
			}
			off := n
			for range items {
				k, err := walk(b[off:])
				if err != nil {
					return 0, err
				}
				off += k
			}
			return off, nil
		case 6:
			if arg != abi.TagFutureRef {
				out = append(out, b[:n]...)
				k, err := walk(b[n:])
				return n + k, err
			}
			k := abi.ItemLen(b[n:])
			var id string
			if err := codec.Decode(abi.Value(b[n:n+k]), &id); err != nil {
				return 0, fmt.Errorf("%w: a future reference without an ID", api.ErrInvalidArgument)
			}
			for _, d := range deps {
				if d.ID() == id {
					v, err := result(d)
					if err != nil {
						return 0, fmt.Errorf("future %s: %w", id, err)
					}
					out = append(out, v...)
					return n + k, nil
				}
			}
			return 0, fmt.Errorf("%w: future %s is not among the call's", api.ErrInvalidArgument, id)
		}
		k := abi.ItemLen(b)
		out = append(out, b[:k]...)
		return k, nil
	}
	if _, err := walk(b); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckSize fails with api.ErrTooLarge for encoded arguments of n bytes
// over limit.
func CheckSize(n, limit int) error {
	if n > limit {
		return fmt.Errorf("%w: arguments of %d bytes exceed the limit of %d", api.ErrTooLarge, n, limit)
	}
	return nil
}
