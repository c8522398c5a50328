package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress reports how far a long operation got, on stderr: a bar with the
// rate and the time left when stderr is a terminal, otherwise a quiet line
// per thousand items. total is 0 when unknown (stdin): the bar then shows
// the count and rate only.
type progress struct {
	w        io.Writer
	tty      bool
	total    int64 // bytes of the input, when known
	start    time.Time
	lastLine int // items reported by the last quiet line, in thousands
	lastDraw time.Time
	now      func() time.Time
}

func newProgress(w io.Writer, total int64) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, tty: tty, total: total, start: time.Now(), now: time.Now}
}

// update reports items processed and bytes read so far.
func (p *progress) update(items int, bytesRead int64) {
	now := p.now()
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(items) / elapsed
	}
	if !p.tty {
		if k := items / 1000; k > p.lastLine {
			p.lastLine = k
			fmt.Fprintf(p.w, "%d users (%.0f/s)\n", items, rate)
		}
		return
	}
	if now.Sub(p.lastDraw) < 100*time.Millisecond {
		return
	}
	p.lastDraw = now
	fmt.Fprint(p.w, "\r"+bar(items, bytesRead, p.total, rate, elapsed))
}

// done ends the bar's line.
func (p *progress) done() {
	if p.tty && !p.lastDraw.IsZero() {
		fmt.Fprintln(p.w)
	}
}

// bar renders one line: [#####-----]  42% 42000 users 9000/s ETA 6s. The
// fraction is of the input's bytes, the only measure known before the end.
func bar(items int, bytesRead, total int64, rate, elapsed float64) string {
	if total <= 0 {
		return fmt.Sprintf("%d users %.0f/s", items, rate)
	}
	frac := min(float64(bytesRead)/float64(total), 1)
	const width = 30
	n := int(frac * width)
	eta := "?"
	if frac > 0 {
		eta = time.Duration(elapsed * (1 - frac) / frac * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s%s] %3.0f%% %d users %.0f/s ETA %s ", strings.Repeat("#", n), strings.Repeat("-", width-n), frac*100, items, rate, eta)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}
