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

// terminalSize returns the columns and rows of the terminal f is, or zeros
// when it is none (or its size is unknown). The live answer view counts the
// rows it may erase with them: COLUMNS, which tables honour, may not be the
// screen's width.
func terminalSize(f *os.File) (cols, rows int) {
	if f == nil {
		return 0, 0
	}
	w, h, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0, 0
	}
	return w, h
}
