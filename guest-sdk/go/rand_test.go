package wactor

import "testing"

func TestRand_reseed(t *testing.T) {
	r := Rand()
	first := r.Uint64()
	called := false
	OnReseed(func() { called = true })
	reseed()
	if !called {
		t.Fatal("OnReseed callback not run")
	}
	if r.Uint64() == first {
		t.Fatal("reseed did not change the sequence")
	}
}
