package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// openTTY opens the process's controlling terminal for reading. It is
// kept open for the rest of the process.
func openTTY() (io.Reader, error) {
	return os.Open("/dev/tty")
}

func isTerminal(w io.Writer) bool {
	if p, ok := w.(*pipeWriter); ok {
		w = p.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
