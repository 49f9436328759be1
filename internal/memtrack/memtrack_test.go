package memtrack

import (
	"slices"
	"testing"
)

func TestRegion_Dirty(t *testing.T) {
	const page = 64 << 10
	r, err := New(64 * page)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Tracking() {
		t.Skip("the kernel does not track writes here (userfaultfd asynchronous write protection and PAGEMAP_SCAN need Linux 6.7)")
	}
	b := r.Bytes()
	if len(b) != 64*page {
		t.Fatalf("len = %d", len(b))
	}
	if err := r.Reset(len(b)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		writes []int // byte offsets
		limit  int
		want   []uint32
	}{
		{"nothing", nil, 64 * page, nil},
		{"one byte", []int{3*page + 17}, 64 * page, []uint32{3}},
		{"several, one page twice", []int{0, page - 1, 5 * page, 63*page + page - 1}, 64 * page, []uint32{0, 5, 63}},
		{"past the limit", []int{10 * page, 40 * page}, 20 * page, []uint32{10}},
		{"remembered after the limit", nil, 64 * page, []uint32{40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, off := range tt.writes {
				b[off]++
			}
			var got []uint32
			if err := r.Dirty(tt.limit, page, func(p uint32) { got = append(got, p) }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Dirty = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRegion_untracked(t *testing.T) {
	r, err := New(100)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Bytes()) < 100 {
		t.Fatalf("len = %d", len(r.Bytes()))
	}
	r.Bytes()[99] = 1
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func BenchmarkRegion_Dirty(b *testing.B) {
	for _, mib := range []int{2, 16, 64} {
		b.Run(itoa(mib)+"MiB-20pages", func(b *testing.B) {
			r, err := New(mib << 20)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if !r.Tracking() {
				b.Skip("no write tracking")
			}
			buf := r.Bytes()
			for i := range buf {
				buf[i] = byte(i)
			}
			_ = r.Reset(len(buf))
			for b.Loop() {
				for p := range 20 {
					buf[p*(len(buf)/20)]++
				}
				n := 0
				_ = r.Dirty(len(buf), 64<<10, func(uint32) { n++ })
				if n != 20 {
					b.Fatalf("%d dirty pages", n)
				}
			}
		})
	}
}

func itoa(n int) string { return string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

func TestNewFrom(t *testing.T) {
	const page = 64 << 10
	content := make([]byte, 3*page)
	for i := range content {
		content[i] = byte(i * 7)
	}
	tmpl, err := NewTemplate(content)
	if err != nil {
		t.Fatal(err)
	}
	defer tmpl.Close()
	a, err := NewFrom(8*page, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewFrom(8*page, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !slices.Equal(a.Bytes()[:len(content)], content) || !slices.Equal(b.Bytes()[:len(content)], content) {
		t.Fatal("regions do not start with the template's content")
	}
	for _, x := range a.Bytes()[len(content):] {
		if x != 0 {
			t.Fatal("memory past the template is not zero")
		}
	}
	// Writes are private to each region.
	a.Bytes()[10] = 99
	b.Bytes()[2*page] = 98
	if b.Bytes()[10] != content[10] || a.Bytes()[2*page] != content[2*page] {
		t.Fatal("a write reached another region")
	}
	if _, err := NewFrom(page, tmpl); err == nil {
		t.Fatal("a template larger than the region was accepted")
	}
	t.Logf("write tracking over a template: %v", a.Tracking())
	if a.Tracking() {
		if err := a.Reset(8 * page); err != nil {
			t.Fatal(err)
		}
		a.Bytes()[page+1] = 1
		a.Bytes()[5*page] = 1
		var got []uint32
		if err := a.Dirty(8*page, page, func(p uint32) { got = append(got, p) }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, []uint32{1, 5}) {
			t.Errorf("Dirty over a template = %v, want [1 5]", got)
		}
	}
}
