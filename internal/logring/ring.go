// Package logring keeps logs in memory within bounds: a Ring holds a log's
// last lines within a line count and a byte budget, a Budget accounts for
// what many rings hold together, and a Morgue keeps the logs of finished
// owners (the host's dead actors) for a while. It knows nothing of actors:
// the host decides whose log a ring is and when it is retired or released.
package logring

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wactor/wactor/api"
)

// LineOverhead is what a kept line costs besides its text (its LogLine
// and slot in the ring), counted against a ring's byte budget.
const LineOverhead = 64

// Ring keeps a log's last lines within a line count and a byte budget,
// dropping the oldest first. The kept lines have consecutive sequence
// numbers. Lines longer than api.MaxLogLine are cut. Safe for concurrent
// use.
type Ring struct {
	mu sync.Mutex
	// lines is circular: the kept lines are lines[head], lines[head+1], ...
	// (modulo len(lines)), n of them. It grows up to maxLines.
	lines    []api.LogLine
	head, n  int
	next     uint64 // seq of the next line
	bytes    int64
	maxLines int
	maxBytes int64
	stats    api.LogStats // the dropped and truncated counts
	// acct, if set, is the accounting shared with other rings (the host's
	// NodeUsage.LogBytes, Config.LogBudget).
	acct *Budget
	// released: the log was given up (its actor is gone for good); it holds
	// nothing and keeps nothing more.
	released bool
	// notify is closed and replaced when a line is added, if since handed
	// it out (watched), so a flood does not make a channel per line.
	notify  chan struct{}
	watched bool
}

// Budget is the accounting of what many rings hold together (a host's
// logs). Past Limit, a ring that takes a new line is first held to Floor
// bytes: the rings together hold at most Limit plus Floor per ring. The
// zero value accounts without a limit. A Budget must not be copied once in
// use.
type Budget struct {
	held atomic.Int64
	// Limit is the bytes the rings may hold together; 0: no limit.
	Limit int64
	// Floor is what a ring may still hold when the rings are past Limit.
	Floor int64
}

// Held is the bytes the rings accounted to b hold now.
func (b *Budget) Held() int64 { return b.held.Load() }

// New returns a ring that keeps at most maxLines lines (at least 1) and
// maxBytes bytes (LineOverhead per line included), accounted to acct if it
// is not nil.
func New(maxLines int, maxBytes int64, acct *Budget) *Ring {
	return &Ring{maxLines: max(maxLines, 1), maxBytes: maxBytes, acct: acct, notify: make(chan struct{})}
}

// ValidText returns b as valid UTF-8 text (invalid bytes replaced by
// U+FFFD), copied.
func ValidText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// CutText cuts valid UTF-8 text to at most n bytes at a character boundary.
func CutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// AddBytes appends a line of raw bytes (made valid UTF-8); truncated says
// the writer already cut it.
func (r *Ring) AddBytes(level int, b []byte, truncated bool) {
	r.AddLine(level, ValidText(b), truncated)
}

// Add appends a line (made valid UTF-8).
func (r *Ring) Add(level int, text string) {
	if !utf8.ValidString(text) {
		text = ValidText([]byte(text))
	}
	r.AddLine(level, text, false)
}

// AddLine appends a line of valid UTF-8 text; truncated says the writer
// already cut it. A released ring keeps nothing.
func (r *Ring) AddLine(level int, text string, truncated bool) {
	if len(text) > api.MaxLogLine {
		text, truncated = CutText(text, api.MaxLogLine), true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		return
	}
	// A line larger than the whole budget keeps its beginning.
	if room := r.maxBytes - LineOverhead; int64(len(text)) > room {
		text, truncated = CutText(text, int(max(room, 0))), true
	}
	cost := int64(len(text)) + LineOverhead
	limit := r.maxBytes
	if a := r.acct; a != nil && a.Limit > 0 && a.held.Load()+cost > a.Limit {
		limit = min(limit, max(a.Floor, cost)) // the host is over its budget
	}
	for r.n > 0 && (r.n >= r.maxLines || r.bytes+cost > limit) {
		r.dropOldest()
	}
	if r.n == len(r.lines) {
		r.grow()
	}
	r.lines[(r.head+r.n)%len(r.lines)] = api.LogLine{Seq: r.next, Time: time.Now(), Level: level, Text: text, Truncated: truncated}
	r.n++
	r.next++
	r.account(cost)
	if truncated {
		r.stats.TruncatedLines++
	}
	if r.watched {
		close(r.notify)
		r.notify, r.watched = make(chan struct{}), false
	}
}

// grow makes room for one more line (the ring is full and below maxLines).
func (r *Ring) grow() { r.resize(min(max(2*len(r.lines), 16), r.maxLines)) }

// resize moves the kept lines, in order, to a ring of size slots (at least
// r.n).
func (r *Ring) resize(size int) {
	lines := make([]api.LogLine, size)
	for i := range r.n {
		lines[i] = r.lines[(r.head+i)%len(r.lines)]
	}
	r.lines, r.head = lines, 0
}

func (r *Ring) dropOldest() {
	l := &r.lines[r.head]
	cost := int64(len(l.Text)) + LineOverhead
	*l = api.LogLine{} // let the text go
	r.head = (r.head + 1) % len(r.lines)
	r.n--
	r.account(-cost)
	r.stats.DroppedLines++
	r.stats.DroppedBytes += uint64(cost)
}

func (r *Ring) account(delta int64) {
	r.bytes += delta
	if r.acct != nil {
		r.acct.held.Add(delta)
	}
}

// Since returns the kept lines with Seq >= seq and a channel closed when a
// newer line arrives (or the log is released). It copies the lines' headers,
// not their text.
func (r *Ring) Since(seq uint64) ([]api.LogLine, <-chan struct{}) {
	lines, _, ch := r.Page(seq)
	return lines, ch
}

// Page is Since with the log's stats, read together.
func (r *Ring) Page(seq uint64) ([]api.LogLine, api.LogStats, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.statsLocked()
	r.watched = true
	if seq >= r.next || r.n == 0 {
		return nil, st, r.notify
	}
	skip := 0
	if seq > st.FirstSeq {
		skip = int(seq - st.FirstSeq)
	}
	out := make([]api.LogLine, r.n-skip)
	for i := range out {
		out[i] = r.lines[(r.head+skip+i)%len(r.lines)]
	}
	return out, st, r.notify
}

func (r *Ring) statsLocked() api.LogStats {
	st := r.stats
	st.KeptLines, st.KeptBytes, st.NextSeq = r.n, r.bytes, r.next
	st.FirstSeq = r.next - uint64(r.n)
	return st
}

// Retire shrinks the log to a finished owner's budget (a dead actor's):
// its last maxBytes.
func (r *Ring) Retire(maxBytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maxBytes = min(r.maxBytes, maxBytes)
	for r.n > 0 && r.bytes > r.maxBytes {
		r.dropOldest()
	}
	if r.n < len(r.lines)/2 { // give back the unused slots
		r.resize(r.n)
	}
}

// Release drops every line and makes the log keep nothing more: its owner
// is gone for good (or never started). Followers are woken.
func (r *Ring) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		return
	}
	r.released = true
	r.stats.DroppedLines += uint64(r.n)
	r.stats.DroppedBytes += uint64(r.bytes)
	r.account(-r.bytes)
	r.lines, r.head, r.n = nil, 0, 0
	close(r.notify)
	r.notify, r.watched = make(chan struct{}), false
}
