package snapshots

// zeroPage is the one all-zero page that SparseImageOf's images share.
var zeroPage = make([]byte, PageSize)

// SparseImageOf returns an Image holding a copy of mem in which every
// all-zero whole page is one shared page, and the number of bytes it holds
// (the non-zero pages). A memory grown far and barely written (as a guest's
// start-up code may leave it) then costs what was written, not its size.
func SparseImageOf(mem []byte) (Image, int) {
	n := numPages(uint64(len(mem)))
	im := Image{size: len(mem), pages: make([][]byte, n)}
	fresh := make([]bool, n)
	held := 0
	for i := range n {
		p := mem[i*PageSize : i*PageSize+pageLen(len(mem), i)]
		if len(p) == PageSize && string(p) == string(zeroPage) {
			im.pages[i] = zeroPage[:PageSize:PageSize]
			continue
		}
		fresh[i] = true
		held += len(p)
	}
	copyPages(im.pages, mem, fresh)
	return im, held
}
