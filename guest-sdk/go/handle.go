package wactor

// Actor handles and raw CBOR values in the codec (docs/ABI.md section 2).

import (
	"bytes"
	"errors"
	"reflect"

	"github.com/wactor/wactor/abi"
)

// TagActorHandle is the CBOR tag of an actor handle: tag 51000 around the
// array [actor_id, class_id]. It is the only tag the codec accepts.
const TagActorHandle = abi.TagActorHandle

// Handle refers to an actor. It encodes as CBOR tag 51000 around
// [ID, Class], so it can be a method parameter or result (also inside
// slices, maps and structs), and a Handle decoded into an interface{} is a
// Handle. The host resolves a handle by its ID, which is globally unique;
// Class is informative and may be empty (see Self).
//
// Call, Send, Spawn, GetActor and Kill talk to the host and work only in a
// GOOS=wasip1 guest; elsewhere they fail with an error.
type Handle struct {
	ID    string
	Class string
}

// String returns the actor ID.
func (h Handle) String() string { return h.ID }

// IsZero reports whether h is the zero Handle (no actor).
func (h Handle) IsZero() bool { return h == Handle{} }

// Raw is one encoded CBOR value. As a method parameter or result, or inside
// one, it passes the encoded bytes through unchanged: decoding checks that
// they are one well-formed item within the ABI's limits and copies them;
// encoding checks them again (an empty Raw encodes as null). Call and
// Future.Get return results as Raw; Decode converts them.
type Raw []byte

// Decode decodes the value into the Go value v points to, as Unmarshal.
func (r Raw) Decode(v any) error {
	if len(r) == 0 {
		return Unmarshal([]byte{0xf6}, v)
	}
	return Unmarshal(r, v)
}

var (
	handleType = reflect.TypeFor[Handle]()
	rawType    = reflect.TypeFor[Raw]()

	errBadHandle = errors.New("cbor: tag 51000 (actor handle) must hold [actor_id text, class_id text]")
)

// isHandleTag reports whether the next item is tag 51000 (any head width),
// without moving past it.
func (d *decoder) isHandleTag() bool {
	if d.off >= len(d.b) || d.b[d.off]>>5 != 6 {
		return false
	}
	off := d.off
	_, _, tag, err := d.head()
	d.off = off
	return err == nil && tag == TagActorHandle
}

// handleView decodes an actor handle and returns views of its ID and class
// text (no copies).
func (d *decoder) handleView() (id, class []byte, err error) {
	if d.off >= len(d.b) || d.b[d.off]>>5 != 6 {
		return nil, nil, d.typeErr("actor handle")
	}
	_, _, tag, err := d.head()
	if err != nil {
		return nil, nil, err
	}
	if tag != TagActorHandle {
		return nil, nil, errTag
	}
	// The tag is one nesting level and its array another (docs/ABI.md
	// section 2 counts tags towards the depth).
	d.depth++
	if d.depth > MaxDepth {
		return nil, nil, errTooDeep
	}
	if d.off >= len(d.b) || d.b[d.off]>>5 != 4 {
		if d.off >= len(d.b) {
			return nil, nil, errEOF
		}
		return nil, nil, errBadHandle
	}
	n, err := d.arrayHead("actor handle")
	if err != nil {
		return nil, nil, err
	}
	if n != 2 {
		return nil, nil, errBadHandle
	}
	for i := range 2 {
		if d.off < len(d.b) && d.b[d.off]>>5 != 3 {
			return nil, nil, errBadHandle
		}
		s, err := d.textView("actor handle")
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			id = s
		} else {
			class = s
		}
	}
	d.leave()
	d.depth--
	return id, class, nil
}

// handle decodes an actor handle.
func (d *decoder) handle() (Handle, error) {
	id, class, err := d.handleView()
	if err != nil {
		return Handle{}, err
	}
	return Handle{ID: string(id), Class: string(class)}, nil
}

// raw checks that the next item is well formed and returns a copy of its
// bytes.
func (d *decoder) raw() (Raw, error) {
	start := d.off
	if err := d.skip(); err != nil {
		return nil, err
	}
	return Raw(bytes.Clone(d.b[start:d.off])), nil
}

// handle appends tag 51000 and [ID, Class].
func (e *encoder) handle(h Handle) error {
	e.depth++
	if e.depth > MaxDepth {
		return errTooDeep
	}
	e.buf = append(e.buf, 0xd9, 0xc7, 0x38) // tag 51000
	if err := e.enter(4, 2); err != nil {
		return err
	}
	if err := e.string(h.ID); err != nil {
		return err
	}
	if err := e.string(h.Class); err != nil {
		return err
	}
	e.leave()
	e.depth--
	return nil
}

// raw appends the encoded value r after checking that it is one well-formed
// item that keeps within the nesting limit where it is placed.
func (e *encoder) raw(r Raw) error {
	if len(r) == 0 {
		e.null()
		return nil
	}
	d := decoder{b: r, depth: e.depth}
	if err := d.skip(); err != nil {
		return newError("cbor: invalid Raw value: ", err.Error())
	}
	if d.off != len(r) {
		return newError("cbor: invalid Raw value: ", errTrailing.Error())
	}
	e.buf = append(e.buf, r...)
	return nil
}
