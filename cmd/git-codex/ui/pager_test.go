//go:build unix

package ui

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// terminal returns the two ends of a pseudo-terminal; what is written to
// tty can be read from ptmx. The reader drains ptmx so writers never block.
func terminal(t *testing.T) (tty *os.File, screen func() string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		done <- string(b)
	}()
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	return tty, func() string {
		tty.Close()
		return <-done
	}
}

// fakePager writes a pager script that records its environment and copies
// its input to a file, and returns the command and the two files.
func fakePager(t *testing.T, body string) (cmd, envFile, inFile string) {
	t.Helper()
	dir := t.TempDir()
	envFile, inFile = filepath.Join(dir, "env"), filepath.Join(dir, "in")
	script := filepath.Join(dir, "pager.sh")
	src := "#!/bin/sh\nprintf 'LESS=%s LV=%s GIT_PAGER_IN_USE=%s COLUMNS=%s\\n' \"$LESS\" \"$LV\" \"$GIT_PAGER_IN_USE\" \"$COLUMNS\" >'" + envFile + "'\n" +
		strings.ReplaceAll(body, "IN", "'"+inFile+"'") + "\n"
	if err := os.WriteFile(script, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	return "sh " + script, envFile, inFile
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

func TestStartPagerOnATerminal(t *testing.T) {
	tty, screen := terminal(t)
	cmd, envFile, inFile := fakePager(t, "tee IN")
	env := map[string]string{"GIT_PAGER": cmd}
	p, err := StartPager(PagerOptions{Getenv: func(k string) string { return env[k] }, Environ: []string{"PATH=" + os.Getenv("PATH")},
		Out: tty, Err: tty, Width: 100})
	if err != nil || p == nil {
		t.Fatalf("StartPager = %v, %v", p, err)
	}
	for i := range 3 {
		if _, err := io.WriteString(p.Writer(), "line "+string(rune('1'+i))+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, inFile); got != "line 1\nline 2\nline 3\n" {
		t.Errorf("pager read %q", got)
	}
	if got := read(t, envFile); got != "LESS=FRX LV=-c GIT_PAGER_IN_USE=true COLUMNS=100\n" {
		t.Errorf("pager environment: %q", got)
	}
	if out := screen(); !strings.Contains(out, "line 3") {
		t.Errorf("the terminal did not show the pager's output: %q", out)
	}
}

func TestStartPagerKeepsLESS(t *testing.T) {
	tty, _ := terminal(t)
	cmd, envFile, _ := fakePager(t, "cat >/dev/null")
	env := map[string]string{"GIT_PAGER": cmd, "LESS": "-R", "LV": "-x"}
	p, err := StartPager(PagerOptions{Getenv: func(k string) string { return env[k] }, Environ: []string{"PATH=" + os.Getenv("PATH"), "LESS=-R", "LV=-x"}, Out: tty, Err: tty})
	if err != nil || p == nil {
		t.Fatalf("StartPager = %v, %v", p, err)
	}
	_ = p.Close()
	if got := read(t, envFile); got != "LESS=-R LV=-x GIT_PAGER_IN_USE=true COLUMNS=\n" {
		t.Errorf("pager environment: %q", got)
	}
}

func TestStartPagerWhenNot(t *testing.T) {
	tty, _ := terminal(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	cmd, envFile, _ := fakePager(t, "cat >/dev/null")
	tests := []struct {
		name   string
		opts   PagerOptions
		env    map[string]string
		config map[string]string
	}{
		{name: "output is a pipe", opts: PagerOptions{Out: pw}, env: map[string]string{"GIT_PAGER": cmd}},
		{name: "--no-pager", opts: PagerOptions{Out: tty, NoPager: true}, env: map[string]string{"GIT_PAGER": cmd}},
		{name: "git --no-pager", opts: PagerOptions{Out: tty}, env: map[string]string{"GIT_PAGER": "cat", "PAGER": cmd}},
		{name: "git is paging already", opts: PagerOptions{Out: tty}, env: map[string]string{"GIT_PAGER": cmd, "GIT_PAGER_IN_USE": "true"}},
		{name: "pager.codex=false", opts: PagerOptions{Out: tty}, env: map[string]string{"PAGER": cmd}, config: map[string]string{"pager.codex": "false"}},
		{name: "pager not installed", opts: PagerOptions{Out: tty}, env: map[string]string{"PAGER": "no-such-pager-here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Getenv = func(k string) string { return tt.env[k] }
			o.Config = func(k string) (string, bool) { v, ok := tt.config[k]; return v, ok }
			p, err := StartPager(o)
			if err != nil || p != nil {
				t.Errorf("StartPager = %v, %v; want no pager", p, err)
			}
			if read(t, envFile) != "" {
				t.Error("the pager ran")
			}
		})
	}
}

// TestPagerQuitEarly: the user leaves the pager before the output ends (q
// in less); writing goes on without errors and Close returns.
func TestPagerQuitEarly(t *testing.T) {
	tty, _ := terminal(t)
	cmd, _, inFile := fakePager(t, "head -c 100 >IN")
	p, err := StartPager(PagerOptions{Getenv: func(k string) string { return map[string]string{"GIT_PAGER": cmd}[k] },
		Environ: []string{"PATH=" + os.Getenv("PATH")}, Out: tty, Err: tty})
	if err != nil || p == nil {
		t.Fatalf("StartPager = %v, %v", p, err)
	}
	line := strings.Repeat("x", 99) + "\n"
	for range 20000 { // 2 MB, far more than a pipe holds
		if _, err := io.WriteString(p.Writer(), line); err != nil {
			t.Fatalf("write after the pager quit: %v", err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !p.Quit() {
		t.Error("Quit() = false after the pager left early")
	}
	if got := read(t, inFile); len(got) != 100 {
		t.Errorf("pager read %d bytes", len(got))
	}
}
