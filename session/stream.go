package session

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/git-codex/git-codex/model"
)

// stream sends req, writing the answer to w as it arrives and progress
// (spinner, retries, fallback, tool calls) to Stderr.
func (e *Engine) stream(ctx context.Context, client model.Client, req model.Request, w io.Writer) (model.Response, error) {
	out := &lineEnd{w: w}
	var spin *spinner
	if e.Spinner {
		spin = startSpinner(e.stderr())
	}
	var mu sync.Mutex // deltas and events may come from the client's goroutines
	req.OnDelta = func(text string) {
		mu.Lock()
		defer mu.Unlock()
		spin.stop()
		_, _ = io.WriteString(out, text)
	}
	req.OnEvent = func(ev model.Event) {
		mu.Lock()
		defer mu.Unlock()
		spin.stop()
		out.finish()
		switch ev.Kind {
		case model.EventRetry:
			if ev.Wait > 0 {
				e.warnf("%s; retrying in %s", ev.Detail, ev.Wait.Round(time.Millisecond))
			} else {
				e.warnf("%s; retrying", ev.Detail)
			}
		case model.EventFallback:
			e.warnf("falling back: %s", ev.Detail)
		case model.EventTool:
			e.warnf("tool: %s", ev.Detail)
		default:
			e.warnf("%s: %s", ev.Kind, ev.Detail)
		}
	}
	resp, err := client.Send(ctx, req)
	mu.Lock()
	spin.stop()
	if resp.Text != "" && out.n == 0 {
		// A client that does not stream: print the whole answer.
		_, _ = io.WriteString(out, resp.Text)
	}
	out.finish()
	mu.Unlock()
	return resp, err
}

// lineEnd counts what was written and ends the output with a newline.
type lineEnd struct {
	w    io.Writer
	n    int
	last byte
}

func (l *lineEnd) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	l.n += len(p)
	l.last = p[len(p)-1]
	return l.w.Write(p)
}

func (l *lineEnd) finish() {
	if l.n > 0 && l.last != '\n' {
		_, _ = l.Write([]byte{'\n'})
	}
}

// spinner draws a spinner on a terminal's stderr until stopped. A nil
// *spinner is a no-op.
type spinner struct {
	w    io.Writer
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func startSpinner(w io.Writer) *spinner {
	s := &spinner{w: w, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(s.w, "\r%s waiting for the model…", frames[i%len(frames)])
			select {
			case <-s.done:
				fmt.Fprint(s.w, "\r"+strings.Repeat(" ", 30)+"\r")
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *spinner) stop() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		close(s.done)
		s.wg.Wait()
	})
}
