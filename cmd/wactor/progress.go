package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressThreshold is the upload size from which a progress bar is drawn.
const progressThreshold = 1 << 20

// progressBar draws an upload's progress on a terminal, on one line:
//
//	uploading counter.wasm [##########----------]  50%  1.0/2.0 MiB
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, label string) *progressBar {
	return &progressBar{w: w, label: label}
}

// update redraws the bar (at most every 50ms, and always at the end).
func (p *progressBar) update(sent, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if sent < total && now.Sub(p.last) < 50*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = float64(sent) / float64(total)
	}
	n := int(frac * width)
	bar := strings.Repeat("#", n) + strings.Repeat("-", width-n)
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%%  %.1f/%.1f MiB", p.label, bar, frac*100, mib(sent), mib(total))
	p.drawn = true
}

// done ends the bar's line.
func (p *progressBar) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// waitIndicator shows "label 3.2s" on w, from one second into a wait until
// the returned stop function is called (which clears the line). It draws
// nothing when w is not a terminal.
func waitIndicator(w io.Writer, label string) (stop func()) {
	if !isTerminal(w) {
		return func() {}
	}
	start := time.Now()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-time.After(time.Second):
		case <-quit:
			return
		}
		spin := `|/-\`
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(w, "\r%s %c %.1fs", label, spin[i%len(spin)], time.Since(start).Seconds())
			select {
			case <-t.C:
			case <-quit:
				fmt.Fprint(w, "\r\033[K")
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			wg.Wait()
		})
	}
}
