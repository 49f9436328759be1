package host

import (
	"sync"
	"time"
)

// LogLine is one line of an actor's log: what the guest logged through the
// log import or wrote to stdout/stderr.
type LogLine struct {
	Seq   uint64    `json:"seq"`
	Time  time.Time `json:"time"`
	Level int       `json:"level"`
	Text  string    `json:"text"`
}

// logRing keeps an actor's last lines. Safe for concurrent use.
type logRing struct {
	mu     sync.Mutex
	lines  []LogLine
	next   uint64 // seq of the next line
	max    int
	notify chan struct{} // closed and replaced when a line is added
}

func newLogRing(max int) *logRing {
	return &logRing{max: max, notify: make(chan struct{})}
}

func (r *logRing) add(level int, text string) {
	r.mu.Lock()
	r.lines = append(r.lines, LogLine{Seq: r.next, Time: time.Now(), Level: level, Text: text})
	r.next++
	if len(r.lines) > r.max {
		n := copy(r.lines, r.lines[len(r.lines)-r.max:])
		r.lines = r.lines[:n]
	}
	close(r.notify)
	r.notify = make(chan struct{})
	r.mu.Unlock()
}

// since returns the kept lines with Seq >= seq and a channel closed when a
// newer line arrives.
func (r *logRing) since(seq uint64) ([]LogLine, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []LogLine
	for _, l := range r.lines {
		if l.Seq >= seq {
			out = append(out, l)
		}
	}
	return out, r.notify
}
