package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

// Future is the result of a call on the server, to come (Call, Submit,
// Batch without wait), as host.Future is in the host: Get waits for its
// value. Its ID looks like "<actor id>/<seq>"; Client.Future makes one from
// an ID. Passed as a whole call argument (also as *Future), it is sent as
// {"$future": id}: the server runs the call once the future is ready and
// passes its value, without a round trip through the client. A failed future
// fails the dependent call with the same error. The server accepts futures
// only as whole arguments, not nested in other values (in a struct field, a
// Future is encoded as {"$future": id} all the same).
type Future struct {
	ID string
	c  *Client // nil: a reference only (Get fails)
}

// String returns the future's ID.
func (f Future) String() string { return f.ID }

// MarshalJSON encodes the reference as {"$future": id}.
func (f Future) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{api.KeyFuture: f.ID})
}

// UnmarshalJSON accepts {"$future": id} or the ID as a string. The result
// is a reference only: Get needs a Future from a Client.
func (f *Future) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		f.ID = s
		return nil
	}
	var x struct {
		ID *string `json:"$future"`
	}
	if err := json.Unmarshal(b, &x); err != nil || x.ID == nil {
		return fmt.Errorf("client: not a future reference: %s", truncate(b))
	}
	f.ID = *x.ID
	return nil
}

// ActorRef is an actor handle as a value. Results carry both IDs; as a call
// argument (also as *ActorRef or nested) it is sent as {"$actor": id}, which
// the server turns into the actor's handle (CBOR tag 51000), so the method
// receives an actor it can call. Values decode {"$actor": ...} into an ActorRef.
type ActorRef struct {
	ID string
	// Class is the actor's class ID (set in results; not needed in arguments).
	Class string
}

// String returns the actor's ID.
func (a ActorRef) String() string { return a.ID }

// MarshalJSON encodes the reference as {"$actor": id}.
func (a ActorRef) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{api.KeyActor: a.ID})
}

// UnmarshalJSON accepts {"$actor": id, "class": class} or the ID as a string.
func (a *ActorRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = ActorRef{ID: s}
		return nil
	}
	var x struct {
		ID    *string `json:"$actor"`
		Class string  `json:"class"`
	}
	if err := json.Unmarshal(b, &x); err != nil || x.ID == nil {
		return fmt.Errorf("client: not an actor reference: %s", truncate(b))
	}
	*a = ActorRef{ID: *x.ID, Class: x.Class}
	return nil
}

// Bytes is a byte string that encodes as {"$bytes": base64} in JSON. A plain
// []byte argument is sent the same way; use Bytes for fields of structs,
// which encoding/json would otherwise send as base64 text.
type Bytes []byte

// MarshalJSON encodes the bytes as {"$bytes": base64}.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{api.KeyBytes: base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON accepts {"$bytes": base64} or base64 text.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		var x struct {
			B *string `json:"$bytes"`
		}
		if err := json.Unmarshal(data, &x); err != nil || x.B == nil {
			return fmt.Errorf("client: not bytes: %s", truncate(data))
		}
		s = *x.B
	}
	d, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("client: bad base64 in bytes: %w", err)
	}
	*b = d
	return nil
}

// Value is one value returned by the server, kept as its JSON (with the
// API's $-encodings) and decoded on demand. The zero Value is null.
type Value struct {
	raw json.RawMessage
}

// ValueOf wraps JSON in the API's value mapping as a Value; it is not
// validated until decoded.
func ValueOf(raw json.RawMessage) Value { return Value{raw: raw} }

// Raw returns the value's JSON as sent by the server ("null" for the zero Value).
func (v Value) Raw() json.RawMessage {
	if len(v.raw) == 0 {
		return json.RawMessage("null")
	}
	return v.raw
}

// IsNull reports whether the value is null.
func (v Value) IsNull() bool {
	return len(v.raw) == 0 || string(bytes.TrimSpace(v.raw)) == "null"
}

// MarshalJSON returns the raw JSON, so a Value passed as an argument is sent
// unchanged.
func (v Value) MarshalJSON() ([]byte, error) { return v.Raw(), nil }

// UnmarshalJSON keeps a copy of the JSON.
func (v *Value) UnmarshalJSON(b []byte) error {
	v.raw = append(json.RawMessage(nil), b...)
	return nil
}

// Int returns an integer value.
func (v Value) Int() (int64, error) {
	var n int64
	if err := json.Unmarshal(v.Raw(), &n); err != nil {
		return 0, fmt.Errorf("client: value %s is not an int64", truncate(v.Raw()))
	}
	return n, nil
}

// Float returns a number as float64 (integers are converted; NaN and the
// infinities come as {"$float": ...}).
func (v Value) Float() (float64, error) {
	var f float64
	if err := json.Unmarshal(v.Raw(), &f); err == nil {
		return f, nil
	}
	if x, err := v.Interface(); err == nil {
		if f, ok := x.(float64); ok {
			return f, nil
		}
	}
	return 0, fmt.Errorf("client: value %s is not a number", truncate(v.Raw()))
}

// Bool returns a boolean value.
func (v Value) Bool() (bool, error) {
	var b bool
	if err := json.Unmarshal(v.Raw(), &b); err != nil {
		return false, fmt.Errorf("client: value %s is not a bool", truncate(v.Raw()))
	}
	return b, nil
}

// String returns a text value. (It is not fmt.Stringer: use Raw to print
// any value.)
func (v Value) String() (string, error) {
	var s string
	if err := json.Unmarshal(v.Raw(), &s); err != nil {
		return "", fmt.Errorf("client: value %s is not text", truncate(v.Raw()))
	}
	return s, nil
}

// Bytes returns a byte string value ({"$bytes": base64}).
func (v Value) Bytes() ([]byte, error) {
	var b Bytes
	var x map[string]json.RawMessage
	if err := json.Unmarshal(v.Raw(), &x); err != nil || len(x) != 1 || x[api.KeyBytes] == nil {
		return nil, fmt.Errorf("client: value %s is not bytes", truncate(v.Raw()))
	}
	if err := b.UnmarshalJSON(v.Raw()); err != nil {
		return nil, err
	}
	return b, nil
}

// Actor returns an actor handle value ({"$actor": id, "class": class}).
func (v Value) Actor() (ActorRef, error) {
	var x struct {
		ID    *string `json:"$actor"`
		Class string  `json:"class"`
	}
	if err := json.Unmarshal(v.Raw(), &x); err != nil || x.ID == nil {
		return ActorRef{}, fmt.Errorf("client: value %s is not an actor handle", truncate(v.Raw()))
	}
	return ActorRef{ID: *x.ID, Class: x.Class}, nil
}

// Values splits an array value into its elements (the results of a call
// with several return values, for example).
func (v Value) Values() ([]Value, error) {
	var xs []json.RawMessage
	if err := json.Unmarshal(v.Raw(), &xs); err != nil {
		return nil, fmt.Errorf("client: value %s is not an array", truncate(v.Raw()))
	}
	out := make([]Value, len(xs))
	for i, x := range xs {
		out[i] = Value{raw: x}
	}
	return out, nil
}

// Interface decodes the value into native Go values: int64 (uint64 above
// the int64 range) for numbers without a fraction, float64 (also for
// {"$float"}), string, bool, nil, []any, map[string]any, []byte for
// {"$bytes"}, ActorRef for {"$actor"} and map[any]any for {"$map"}.
func (v Value) Interface() (any, error) {
	x, err := decodeAny(v.Raw())
	if err != nil {
		return nil, err
	}
	return fromWire(x, true)
}

// Decode decodes the value into dst (a pointer) through encoding/json.
// Before decoding, {"$bytes": b64} becomes base64 text (so it decodes into
// []byte or Bytes) and {"$map": pairs} with scalar keys becomes an object
// (so it decodes into maps such as map[int]string); {"$actor": ...} decodes
// into ActorRef. Decoding into *any is Interface.
func (v Value) Decode(dst any) error {
	if p, ok := dst.(*any); ok {
		x, err := v.Interface()
		if err != nil {
			return err
		}
		*p = x
		return nil
	}
	raw := v.Raw()
	if bytes.Contains(raw, []byte(`"$`)) {
		x, err := decodeAny(raw)
		if err != nil {
			return err
		}
		if x, err = fromWire(x, false); err != nil {
			return err
		}
		if raw, err = json.Marshal(x); err != nil {
			return err
		}
	}
	return json.Unmarshal(raw, dst)
}

func decodeAny(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, fmt.Errorf("client: malformed value: %w", err)
	}
	return x, nil
}

// fromWire undoes the $-encodings of a value decoded with UseNumber. native
// selects Interface's result (numbers, []byte, ActorRef, map[any]any);
// otherwise the result is JSON for Decode (base64 text, objects).
func fromWire(x any, native bool) (any, error) {
	switch x := x.(type) {
	case json.Number:
		if !native {
			return x, nil
		}
		return number(x)
	case []any:
		for i := range x {
			y, err := fromWire(x[i], native)
			if err != nil {
				return nil, err
			}
			x[i] = y
		}
		return x, nil
	case map[string]any:
		if len(x) == 1 {
			if s, ok := x[api.KeyBytes].(string); ok {
				if !native {
					return s, nil
				}
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, fmt.Errorf("client: bad base64 in $bytes: %w", err)
				}
				return b, nil
			}
			if pairs, ok := x[api.KeyMap].([]any); ok {
				return fromWireMap(pairs, native)
			}
			if name, ok := x[api.KeyFloat].(string); ok && native {
				if f, ok := api.FloatNamed(name); ok {
					return f, nil
				}
			}
		}
		if id, ok := x[api.KeyActor].(string); ok && native {
			class, _ := x[api.KeyClass].(string)
			return ActorRef{ID: id, Class: class}, nil
		}
		for k, e := range x {
			y, err := fromWire(e, native)
			if err != nil {
				return nil, err
			}
			x[k] = y
		}
		return x, nil
	}
	return x, nil
}

func fromWireMap(pairs []any, native bool) (any, error) {
	nat := make(map[any]any, len(pairs))
	obj := make(map[string]any, len(pairs))
	scalar := true
	for _, p := range pairs {
		kv, ok := p.([]any)
		if !ok || len(kv) != 2 {
			return nil, errors.New("client: malformed $map: pairs must be [key, value]")
		}
		k, err := fromWire(kv[0], native)
		if err != nil {
			return nil, err
		}
		v, err := fromWire(kv[1], native)
		if err != nil {
			return nil, err
		}
		if native {
			if k != nil && !reflect.TypeOf(k).Comparable() {
				return nil, fmt.Errorf("client: $map key of type %T cannot be a Go map key", k)
			}
			nat[k] = v
			continue
		}
		switch k := k.(type) {
		case string:
			obj[k] = v
		case json.Number:
			obj[k.String()] = v
		case bool:
			obj[strconv.FormatBool(k)] = v
		default:
			scalar = false
		}
	}
	if native {
		return nat, nil
	}
	if !scalar {
		return pairs, nil
	}
	return obj, nil
}

func number(n json.Number) (any, error) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("client: number %s out of range", s)
	}
	return f, nil
}

var (
	rawMessageType = reflect.TypeOf(json.RawMessage(nil))
	marshalerType  = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

// toWire converts a Go argument into a value that encoding/json encodes with
// the API's value mapping.
func toWire(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case Value:
		return x.Raw(), nil
	case *Value:
		if x == nil {
			return nil, nil
		}
		return x.Raw(), nil
	case json.RawMessage:
		if len(x) == 0 {
			return nil, nil
		}
		return x, nil
	case Future, ActorRef, Bytes:
		return x, nil
	case *Future:
		if x == nil {
			return nil, nil
		}
		return *x, nil
	case *ActorRef:
		if x == nil {
			return nil, nil
		}
		return *x, nil
	case abi.Handle:
		return ActorRef{ID: x.ID, Class: x.Class}, nil
	case *abi.Handle:
		if x == nil {
			return nil, nil
		}
		return ActorRef{ID: x.ID, Class: x.Class}, nil
	case []byte:
		if x == nil {
			return nil, nil
		}
		return Bytes(x), nil
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x, nil
	case float64:
		return floatJSON(x), nil
	case float32:
		return floatJSON(float64(x)), nil
	case []any:
		return wireSlice(reflect.ValueOf(x))
	case map[string]any:
		return wireMap(reflect.ValueOf(x))
	}
	rv := reflect.ValueOf(v)
	if rv.Type().Implements(marshalerType) && rv.Type() != rawMessageType {
		return v, nil // the type knows its JSON
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return toWire(rv.Elem().Interface())
	case reflect.Slice:
		if rv.IsNil() {
			return nil, nil
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return Bytes(rv.Bytes()), nil
		}
		return wireSlice(rv)
	case reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return Bytes(b), nil
		}
		return wireSlice(rv)
	case reflect.Map:
		if rv.IsNil() {
			return nil, nil
		}
		return wireMap(rv)
	case reflect.Float32, reflect.Float64:
		return floatJSON(rv.Float()), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), nil
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return nil, fmt.Errorf("client: cannot send a %T as a value", v)
	}
	return v, nil // structs: encoding/json, with the MarshalJSON of nested Bytes and refs
}

func wireSlice(rv reflect.Value) (any, error) {
	out := make([]any, rv.Len())
	for i := range out {
		w, err := toWire(rv.Index(i).Interface())
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}

func wireMap(rv reflect.Value) (any, error) {
	if rv.Type().Key().Kind() == reflect.String && !dollarKeys(rv) {
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			w, err := toWire(it.Value().Interface())
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = w
		}
		return out, nil
	}
	type pair struct {
		key  string // JSON of the key, for a stable order
		k, v any
	}
	pairs := make([]pair, 0, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		k, err := toWire(it.Key().Interface())
		if err != nil {
			return nil, err
		}
		v, err := toWire(it.Value().Interface())
		if err != nil {
			return nil, err
		}
		kj, err := json.Marshal(k)
		if err != nil {
			return nil, fmt.Errorf("client: map key: %w", err)
		}
		pairs = append(pairs, pair{string(kj), k, v})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].key < pairs[j].key })
	list := make([][2]any, len(pairs))
	for i, p := range pairs {
		list[i] = [2]any{p.k, p.v}
	}
	return map[string]any{api.KeyMap: list}, nil
}

// dollarKeys reports whether a map with string keys has a key starting with
// "$", which the server would take for one of its encodings: such maps are
// sent as {"$map": pairs}.
func dollarKeys(rv reflect.Value) bool {
	for _, k := range rv.MapKeys() {
		if strings.HasPrefix(k.String(), "$") {
			return true
		}
	}
	return false
}

// floatJSON encodes a float so the server decodes it as a float: with a
// fraction or an exponent even when it is integral (2 -> 2.0), and NaN and
// the infinities as {"$float": "NaN" | "Infinity" | "-Infinity"}.
func floatJSON(f float64) json.RawMessage {
	return api.AppendFloat(nil, f, 64)
}

// wireArgs converts call arguments; nil args are sent as [].
func wireArgs(args []any) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		w, err := toWire(a)
		if err != nil {
			return nil, fmt.Errorf("client: argument %d: %w", i, err)
		}
		out[i] = w
	}
	return out, nil
}

func truncate(b []byte) string {
	const max = 80
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
