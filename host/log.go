package host

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// logLineOverhead is what a kept line costs besides its text (its LogLine
// and slot in the ring), counted against Config.LogBytes.
const logLineOverhead = 64

// logRing keeps an actor's last lines within a line count and a byte
// budget, dropping the oldest first. The kept lines have consecutive
// sequence numbers. Safe for concurrent use.
type logRing struct {
	mu sync.Mutex
	// lines is circular: the kept lines are lines[head], lines[head+1], ...
	// (modulo len(lines)), n of them. It grows up to maxLines.
	lines    []LogLine
	head, n  int
	next     uint64 // seq of the next line
	bytes    int64
	maxLines int
	maxBytes int64
	stats    LogStats // the dropped and truncated counts
	// acct, if set, is the host-wide accounting (NodeUsage.LogBytes,
	// Config.LogBudget).
	acct *logBudget
	// released: the log was given up (its actor is gone for good); it holds
	// nothing and keeps nothing more.
	released bool
	// notify is closed and replaced when a line is added, if since handed
	// it out (watched), so a flood does not make a channel per line.
	notify  chan struct{}
	watched bool
}

// logBudget is the host-wide accounting of what logs hold. Past limit, a
// log that takes a new line is first held to floor bytes: the logs together
// hold at most limit plus floor per actor.
type logBudget struct {
	held  atomic.Int64
	limit int64 // 0: none
	floor int64
}

func newLogRing(maxLines int, maxBytes int64, acct *logBudget) *logRing {
	return &logRing{maxLines: max(maxLines, 1), maxBytes: maxBytes, acct: acct, notify: make(chan struct{})}
}

// validText returns b as valid UTF-8 text (invalid bytes replaced by
// U+FFFD), copied.
func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// cutText cuts valid UTF-8 text to at most n bytes at a character boundary.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// addBytes appends a line of raw bytes (made valid UTF-8).
func (r *logRing) AddBytes(level int, b []byte, truncated bool) {
	r.AddLine(level, validText(b), truncated)
}

// add appends a line.
func (r *logRing) add(level int, text string) {
	if !utf8.ValidString(text) {
		text = validText([]byte(text))
	}
	r.AddLine(level, text, false)
}

func (r *logRing) AddLine(level int, text string, truncated bool) {
	if len(text) > MaxLogLine {
		text, truncated = cutText(text, MaxLogLine), true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		return
	}
	// A line larger than the whole budget keeps its beginning.
	if room := r.maxBytes - logLineOverhead; int64(len(text)) > room {
		text, truncated = cutText(text, int(max(room, 0))), true
	}
	cost := int64(len(text)) + logLineOverhead
	limit := r.maxBytes
	if a := r.acct; a != nil && a.limit > 0 && a.held.Load()+cost > a.limit {
		limit = min(limit, max(a.floor, cost)) // the host is over its budget
	}
	for r.n > 0 && (r.n >= r.maxLines || r.bytes+cost > limit) {
		r.dropOldest()
	}
	if r.n == len(r.lines) {
		r.grow()
	}
	r.lines[(r.head+r.n)%len(r.lines)] = LogLine{Seq: r.next, Time: time.Now(), Level: level, Text: text, Truncated: truncated}
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
func (r *logRing) grow() { r.resize(min(max(2*len(r.lines), 16), r.maxLines)) }

// resize moves the kept lines, in order, to a ring of size slots (at least
// r.n).
func (r *logRing) resize(size int) {
	lines := make([]LogLine, size)
	for i := range r.n {
		lines[i] = r.lines[(r.head+i)%len(r.lines)]
	}
	r.lines, r.head = lines, 0
}

func (r *logRing) dropOldest() {
	l := &r.lines[r.head]
	cost := int64(len(l.Text)) + logLineOverhead
	*l = LogLine{} // let the text go
	r.head = (r.head + 1) % len(r.lines)
	r.n--
	r.account(-cost)
	r.stats.DroppedLines++
	r.stats.DroppedBytes += uint64(cost)
}

func (r *logRing) account(delta int64) {
	r.bytes += delta
	if r.acct != nil {
		r.acct.held.Add(delta)
	}
}

// since returns the kept lines with Seq >= seq and a channel closed when a
// newer line arrives (or the log is released). It copies the lines' headers,
// not their text.
func (r *logRing) since(seq uint64) ([]LogLine, <-chan struct{}) {
	lines, _, ch := r.page(seq)
	return lines, ch
}

// page is since with the log's stats, read together.
func (r *logRing) page(seq uint64) ([]LogLine, LogStats, <-chan struct{}) {
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
	out := make([]LogLine, r.n-skip)
	for i := range out {
		out[i] = r.lines[(r.head+skip+i)%len(r.lines)]
	}
	return out, st, r.notify
}

func (r *logRing) statsLocked() LogStats {
	st := r.stats
	st.KeptLines, st.KeptBytes, st.NextSeq = r.n, r.bytes, r.next
	st.FirstSeq = r.next - uint64(r.n)
	return st
}

// retire shrinks the log to a dead actor's budget: its last maxBytes.
func (r *logRing) retire(maxBytes int64) {
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

// release drops every line and makes the log keep nothing more: its actor
// is gone for good (or never started). Followers are woken.
func (r *logRing) release() {
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
