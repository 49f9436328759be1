package snapshots

import (
	"bytes"
	"slices"
	"testing"
)

func TestImage_Update(t *testing.T) {
	mem := heapMemory(8*PageSize, 1)
	base := ImageOf(mem)
	tests := []struct {
		name    string
		mem     []byte
		changed []uint32
		fresh   []int // pages that must not be shared with base
	}{
		{"nothing changed", slices.Clone(mem), nil, nil},
		{"two pages", dirtied(mem, []int{2, 5}, 3), []uint32{5, 2}, []int{2, 5}},
		{"grown", append(slices.Clone(mem), heapMemory(2*PageSize+7, 2)...), nil, []int{8, 9, 10}},
		{"shrunk", slices.Clone(mem[:3*PageSize]), nil, nil},
		{"partial last page grows", slices.Clone(mem[:3*PageSize+10]), []uint32{99}, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := base.Update(tt.mem, tt.changed)
			if !bytes.Equal(got.Bytes(), tt.mem) || got.Len() != len(tt.mem) {
				t.Fatalf("Update holds different bytes")
			}
			for i := range got.NumPages() {
				shared := samePage(got.Page(i), base.Page(i))
				if want := !slices.Contains(tt.fresh, i); shared != want {
					t.Errorf("page %d shared = %v, want %v", i, shared, want)
				}
			}
			if r := base.Refresh(tt.mem); !r.Equal(got) || !bytes.Equal(r.Bytes(), tt.mem) {
				t.Errorf("Refresh differs from Update")
			}
			// Updating copies: a later write to mem does not reach the image.
			if len(tt.mem) > 0 {
				tt.mem[0]++
				if got.Page(0)[0] == tt.mem[0] {
					t.Errorf("image aliases the memory it was taken from")
				}
			}
		})
	}
}

func TestImage_Refresh(t *testing.T) {
	mem := heapMemory(6*PageSize, 3)
	base := ImageOf(mem)
	cur := dirtied(mem, []int{1, 4}, 9)
	got := base.Refresh(cur)
	if d := DiffPages(base, got); !slices.Equal(d, []uint32{1, 4}) {
		t.Fatalf("DiffPages after Refresh = %v, want [1 4]", d)
	}
	for _, i := range []int{0, 2, 3, 5} {
		if !samePage(got.Page(i), base.Page(i)) {
			t.Errorf("unchanged page %d was copied", i)
		}
	}
	var zero Image
	if zero.Len() != 0 || zero.NumPages() != 0 || zero.Page(0) != nil || !zero.Equal(ImageOf(nil)) {
		t.Errorf("zero Image is not an empty memory")
	}
}
