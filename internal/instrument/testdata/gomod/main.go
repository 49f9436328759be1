//go:build wasip1

// Command gomod is a Go wasip1 reactor used by the tests of package
// instrument as a real-world module. Rebuild gomod.wasm with the Makefile in
// the parent directory.
package main

// work fills a growing slice, folds it through a map and returns a checksum
// that depends on every element, so that the tests can compare the rewritten
// module with the original.
//
//go:wasmexport work
func work(n int32) int64 {
	s := make([]int64, 0, 4)
	for i := int32(0); i < n; i++ {
		s = append(s, int64(i)*int64(i))
	}
	m := make(map[int64]int64, 7)
	var total int64
	for i, v := range s {
		total += v
		m[v%7] += int64(i)
	}
	for k, v := range m {
		total += k * v
	}
	return total
}

func main() {}
