//go:build wasip1

// Command kv is an actor class holding a key-value map of arbitrary CBOR
// values.
package main

import (
	"slices"

	wactor "github.com/wactor/wactor/guest-sdk/go"
)

var store = map[string]any{}

func init() { wactor.SetClass("kv", "A key-value store.") }

var put = wactor.Method2("put", func(key string, value any) (bool, error) {
	_, had := store[key]
	store[key] = value
	return !had, nil
}).Doc("Stores value under key; returns true if the key is new.")

var get = wactor.Method1("get", func(key string) (any, error) {
	v, ok := store[key]
	if !ok {
		return nil, wactor.NewError("not_found", "no key "+key)
	}
	return v, nil
}).Doc("Returns the value under key (error not_found when missing).")

var del = wactor.Method1("delete", func(key string) (bool, error) {
	_, had := store[key]
	delete(store, key)
	return had, nil
}).Doc("Removes key; returns true if it was there.")

var keys = wactor.Method0("keys", func() ([]string, error) {
	ks := make([]string, 0, len(store))
	for k := range store {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks, nil
}).Doc("Returns the keys, sorted.")

var length = wactor.Method0("len", func() (int64, error) {
	return int64(len(store)), nil
}).Doc("Returns the number of keys.")

//go:wasmexport put
func putExport(ptr, size uint32) uint64 { return put.Call(ptr, size) }

//go:wasmexport get
func getExport(ptr, size uint32) uint64 { return get.Call(ptr, size) }

//go:wasmexport delete
func deleteExport(ptr, size uint32) uint64 { return del.Call(ptr, size) }

//go:wasmexport keys
func keysExport(ptr, size uint32) uint64 { return keys.Call(ptr, size) }

//go:wasmexport len
func lenExport(ptr, size uint32) uint64 { return length.Call(ptr, size) }

func main() {}
