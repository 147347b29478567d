package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

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
