// Package memtrack provides the memory that backs a sandbox's linear memory:
// one anonymous mapping reserved at its maximum size (so growing it never
// copies), whose written pages the kernel tracks, so that a checkpoint
// copies only what changed since the previous one.
//
// Tracking uses userfaultfd write protection in asynchronous mode with the
// PAGEMAP_SCAN ioctl (Linux 6.7 and later): after Reset, the first write to
// each OS page is resolved by the kernel without a signal or a fault
// handler, and marks the page written; Dirty lists the written pages and
// protects them again in one call. Where the kernel or the sandbox refuses
// (other systems, older kernels, no userfaultfd permission), a Region still
// works and Tracking reports false; the caller then finds changed pages by
// comparison.
//
// A Region is not safe for concurrent use, except that its bytes may be
// read and written by one goroutine while no method runs.
package memtrack
