package sandbox

import (
	"bytes"
	"sync"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/logring"
)

// tailBuffer keeps what a failed call reports of the guest's output
// (api.TrapError.GuestOutput): the first bytes it wrote to stderr during the
// call, as runtimes put the cause first ("panic: ...", "fatal error: ...")
// and a long traceback after it, and the last error-level lines it logged
// through the log import (an AssemblyScript abort, a C guest's message
// before it traps). Both are bounded by tailSize.
type tailBuffer struct {
	mu   sync.Mutex
	buf  []byte
	errs []byte
}

const tailSize = 2048

func (t *tailBuffer) write(p []byte) {
	t.mu.Lock()
	if room := tailSize - len(t.buf); room > 0 {
		if len(p) > room {
			p = p[:room]
		}
		t.buf = append(t.buf, p...)
	}
	t.mu.Unlock()
}

// errorLine records an error-level line, keeping the last tailSize bytes
// of them, from a line's start.
func (t *tailBuffer) errorLine(text string) {
	text = logring.CutText(text, tailSize-1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if over := len(t.errs) + len(text) + 1 - tailSize; over > 0 {
		if i := bytes.IndexByte(t.errs[over:], '\n'); i >= 0 {
			over += i + 1
		} else {
			over = len(t.errs)
		}
		t.errs = t.errs[:copy(t.errs, t.errs[over:])]
	}
	t.errs = append(t.errs, text...)
	t.errs = append(t.errs, '\n')
}

func (t *tailBuffer) reset() {
	t.mu.Lock()
	t.buf = t.buf[:0]
	t.errs = t.errs[:0]
	t.mu.Unlock()
}

// String returns the kept output: the head of stderr, then the last
// error lines.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.errs) == 0 {
		return string(t.buf)
	}
	out := make([]byte, 0, len(t.buf)+1+len(t.errs))
	out = append(out, t.buf...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return string(append(out, t.errs...))
}

// lineWriter turns a guest's stdout or stderr into log lines. A line is
// cut at api.MaxLogLine bytes (the rest of it, up to its newline, is
// discarded), so the unfinished line it holds is bounded by api.MaxLogLine
// whatever the guest writes. An unfinished line is logged when the sandbox
// closes (after a trap, a kill, or passivation).
type lineWriter struct {
	sb    *Sandbox
	logs  Log
	level int
	tail  *tailBuffer // stderr: the call's output for a api.TrapError

	mu      sync.Mutex
	partial []byte // the unfinished line, at most api.MaxLogLine bytes
	// skip: the current line was cut; discard up to its newline.
	skip bool
}

// lineWriter makes the writer of descriptor fd+1 (0 stdout, 1 stderr).
func (sb *Sandbox) lineWriter(fd int) *lineWriter {
	w := &lineWriter{sb: sb, logs: sb.logs, level: abi.LogInfo}
	if fd == 1 {
		w.level, w.tail = abi.LogError, &sb.stderr
	}
	sb.out[fd] = w
	return w
}

// flushOutput logs the unfinished lines of stdout and stderr.
func (sb *Sandbox) flushOutput() {
	for _, w := range sb.out {
		if w != nil {
			w.flush()
		}
	}
}

// Write logs the complete lines of p and keeps its unfinished one. It
// costs time in proportion to len(p) and copies at most api.MaxLogLine bytes of
// it (p is a view of guest memory, valid only during the call).
func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.sb.rec.replaying() {
		return n, nil // written the first time the call ran
	}
	if w.tail != nil {
		w.tail.write(p)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		switch {
		case w.skip:
		case len(w.partial)+len(seg) > api.MaxLogLine:
			// Cut: log the line's first api.MaxLogLine bytes now.
			line := append(w.partial, seg[:api.MaxLogLine-len(w.partial)]...)
			w.logs.AddBytes(w.level, trimPartialRune(line), true)
			w.partial, w.skip = w.partial[:0], true
		case i >= 0 && len(w.partial) == 0:
			w.logs.AddBytes(w.level, seg, false) // a whole line: no copy to partial
		default:
			w.partial = append(w.partial, seg...)
			if i >= 0 {
				w.logs.AddBytes(w.level, w.partial, false)
				w.partial = w.partial[:0]
			}
		}
		if i < 0 {
			break
		}
		w.skip = false
		p = p[i+1:]
	}
	return n, nil
}

// flush logs the unfinished line, if any, and frees its buffer.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.logs.AddBytes(w.level, w.partial, false)
	}
	w.partial, w.skip = nil, false
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b (left
// by a cut), so the cut line does not end in a replacement character.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// discardLog is the Log of a sandbox without one (a class probe's).
type discardLog struct{}

func (discardLog) AddLine(int, string, bool)  {}
func (discardLog) AddBytes(int, []byte, bool) {}
