//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/creack/pty"
)

// Page sends stdout through the pager and, as git does, stderr too when it
// is the terminal, so a warning or error said after the output stays with
// it; a stderr that is no terminal is left alone. Main closes the pager
// after the last line.
func TestPageTakesStderrAlong(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminal:", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	for _, tc := range []struct {
		name      string
		stderrTTY bool
		paged     string
	}{
		{"stderr on the terminal", true, "the output\ngit-codex: warning: said after it\n"},
		{"stderr in a pipe", false, "the output\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			paged := filepath.Join(t.TempDir(), "paged")
			env := map[string]string{"GIT_PAGER": "cat > " + paged, "NO_COLOR": "1", "GIT_CONFIG_NOSYSTEM": "1"}
			var errBuf bytes.Buffer
			var stderr io.Writer = &errBuf
			if tc.stderrTTY {
				stderr = tty
			}
			e := newEnv(nil, &pipeWriter{w: tty}, stderr, func(k string) string { return env[k] })
			e.Dir = t.TempDir()
			e.Page()
			if e.pager == nil {
				t.Fatal("no pager started on a terminal")
			}
			e.Stdout.Write([]byte("the output\n"))
			e.warnf("said after it")
			e.close()
			got, err := os.ReadFile(paged)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.paged {
				t.Errorf("the pager got %q, want %q", got, tc.paged)
			}
			if !tc.stderrTTY && errBuf.String() != "git-codex: warning: said after it\n" {
				t.Errorf("stderr got %q", errBuf.String())
			}
		})
	}
}
