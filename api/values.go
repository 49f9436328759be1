package api

import (
	"bytes"
	"math"
	"strconv"
)

// The keys of the objects that stand for what JSON lacks (docs/API.md,
// "Values in JSON"): {"$bytes": base64}, {"$map": [[key, value], ...]},
// {"$actor": id, "class": class id}, {"$future": id} and
// {"$float": "NaN" | "Infinity" | "-Infinity"}.
const (
	KeyBytes  = "$bytes"
	KeyMap    = "$map"
	KeyActor  = "$actor"
	KeyFuture = "$future"
	KeyFloat  = "$float"
	// KeyClass is the second key of {"$actor": id, "class": class id}.
	KeyClass = "class"
)

// AppendFloat appends f as a JSON value of the API: the shortest decimal
// that reads back as a float of that many bits (32 or 64), with a fraction
// or an exponent even when it is integral (2 -> 2.0), so that it is read as
// a float; NaN and the infinities as {"$float": "NaN" | "Infinity" |
// "-Infinity"}.
func AppendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `{"`+KeyFloat+`":"NaN"}`...)
	case math.IsInf(f, 1):
		return append(dst, `{"`+KeyFloat+`":"Infinity"}`...)
	case math.IsInf(f, -1):
		return append(dst, `{"`+KeyFloat+`":"-Infinity"}`...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, bits)
	if !bytes.ContainsAny(dst[start:], ".e") {
		dst = append(dst, ".0"...)
	}
	return dst
}

// FloatNamed returns the float that {"$float": name} stands for; ok is
// false for a name other than NaN, Infinity and -Infinity.
func FloatNamed(name string) (f float64, ok bool) {
	switch name {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	return 0, false
}
