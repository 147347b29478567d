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
	f, ok := unwrap(w).(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// unwrap returns the writer under a pipeWriter.
func unwrap(w io.Writer) io.Writer {
	if p, ok := w.(*pipeWriter); ok {
		return p.w
	}
	return w
}

// terminalRows returns the number of rows of the terminal f is, or 0 when
// it is none (or unknown): the live answer view then never erases.
func terminalRows(f *os.File) int {
	if f == nil {
		return 0
	}
	_, h, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return h
}
