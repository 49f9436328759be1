package abi

import "fmt"

// Handle is an actor handle as a value (docs/ABI.md section 2): CBOR tag
// 51000 around [actor ID, class ID]. It can be passed as an argument and
// returned as a result; a host resolves it to the actor by ID, so it means
// the same actor wherever it travels. Package abi/codec encodes and decodes
// it with the tag; DecodeHandle reads one without reflection.
type Handle struct {
	_     struct{} `cbor:",toarray"`
	ID    string   `json:"id"`
	Class string   `json:"class"`
}

// String returns the actor ID.
func (h Handle) String() string { return h.ID }

// DecodeHandle decodes an encoded handle from untrusted bytes: tag 51000
// around an array of two texts, the first not empty. It is checked byte by
// byte (no reflection), so its errors describe CBOR, not Go types.
func DecodeHandle(b []byte) (Handle, error) {
	if err := Validate(b); err != nil {
		return Handle{}, err
	}
	tag, n, _ := ReadHead(b)
	if b[0]>>5 != 6 || tag != TagActorHandle {
		return Handle{}, fmt.Errorf("%w: not an actor handle (tag %d around [actor ID, class ID])", ErrMalformed, TagActorHandle)
	}
	// Validate checked the tag's content: an array head and two texts.
	_, ah, _ := ReadHead(b[n:])
	rest := b[n+ah:]
	k := ItemLen(rest)
	id, _ := decodeText(rest[:k])
	class, _ := decodeText(rest[k:])
	if id == "" {
		return Handle{}, fmt.Errorf("%w: actor handle without an ID", ErrMalformed)
	}
	return Handle{ID: id, Class: class}, nil
}
