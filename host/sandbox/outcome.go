package sandbox

import (
	"errors"
	"fmt"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

// The outcomes of the actor-level imports, as the guest reads them
// (wactor.take): envelopes, whose error codes are the ABI's (docs/ABI.md
// section 6), mapped from the API's errors by api.GuestCodeOf.

// DecodeTarget decodes the target handle of an actor-call import. An error
// wraps api.ErrInvalidArgument and ErrBadHandle.
func DecodeTarget(b []byte) (abi.Handle, error) {
	ref, err := abi.DecodeHandle(b)
	if err != nil {
		return ref, fmt.Errorf("%w: %w: %w", api.ErrInvalidArgument, ErrBadHandle, err)
	}
	return ref, nil
}

// Outcome is the envelope of an import's outcome: the value v, or err with
// the code a guest sees for it.
func Outcome(v abi.Value, err error) []byte {
	if err != nil {
		if errors.Is(err, ErrBadHandle) {
			return ErrorEnvelope(abi.CodeBadHandle, err.Error())
		}
		return ErrorEnvelope(api.GuestCodeOf(err))
	}
	b, _ := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{v}})
	return b
}

// ErrorEnvelope is the envelope of an error with code and message.
func ErrorEnvelope(code, msg string) []byte {
	b, _ := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindError, Code: code, Message: msg})
	return b
}
