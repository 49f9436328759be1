package snapshots

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkSnapshot measures, for 2, 16 and 64 MiB memories that look like
// a Go heap (heapMemory), a plain copy of the memory next to full and
// incremental Encode and Decode (20 dirty pages, like a Go guest's small
// call, and 3, like a C guest's, all among the pages in use), and
// DiffPages. Incremental Encode
// includes finding the dirty pages; incremental Decode includes copying
// the base. bytes/snap is the encoded size.
//
//	go test -run '^$' -bench . -benchtime 20x ./snapshots/
func BenchmarkSnapshot(b *testing.B) {
	for _, mib := range []int{2, 16, 64} {
		size := mib << 20
		mem := heapMemory(size, 42)
		base := newState("bench", mem, 1)
		var buf bytes.Buffer
		if err := Encode(&buf, base, nil); err != nil {
			b.Fatal(err)
		}
		full := bytes.Clone(buf.Bytes())

		b.Run(fmt.Sprintf("%dMiB/copy", mib), func(b *testing.B) {
			dst := make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				copy(dst, mem)
			}
		})
		b.Run(fmt.Sprintf("%dMiB/encode-full", mib), func(b *testing.B) {
			var out bytes.Buffer
			out.Grow(len(full))
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := Encode(&out, base, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "bytes/snap")
			b.ReportMetric(float64(size)/float64(out.Len()), "ratio")
		})
		b.Run(fmt.Sprintf("%dMiB/decode-full", mib), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(bytes.NewReader(full), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(full)), "bytes/snap")
		})
		for _, dirty := range []int{20, 3} {
			st := newState("bench", dirtied(mem, usedPages(mem, dirty, uint64(dirty)), 1), 2)
			buf.Reset()
			if err := Encode(&buf, st, base); err != nil {
				b.Fatal(err)
			}
			incr := bytes.Clone(buf.Bytes())
			b.Run(fmt.Sprintf("%dMiB/encode-incr-%dpages", mib, dirty), func(b *testing.B) {
				var out bytes.Buffer
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					out.Reset()
					if err := Encode(&out, st, base); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(out.Len()), "bytes/snap")
			})
			b.Run(fmt.Sprintf("%dMiB/decode-incr-%dpages", mib, dirty), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Decode(bytes.NewReader(incr), baseOf(base)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(incr)), "bytes/snap")
			})
		}
		b.Run(fmt.Sprintf("%dMiB/diffpages", mib), func(b *testing.B) {
			dirty := usedPages(mem, 20, 7)
			other := dirtied(mem, dirty, 7)
			b.SetBytes(int64(size))
			im, om := ImageOf(mem), ImageOf(other)
			for b.Loop() {
				if len(DiffPages(im, om)) != len(dirty) {
					b.Fatal("wrong diff")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(mib), "ns/MiB")
		})
	}
}
