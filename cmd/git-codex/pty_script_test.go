package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

// ptyEnvKeys names the variables a command run by the pty command gets,
// besides those the script started with: testscript cannot list a
// script's environment, so the ones scripts set are named here.
var ptyEnvKeys = []string{
	"NO_COLOR", "TERM", "COLUMNS", "LINES", "GIT_PAGER", "PAGER", "LESS", "LV", "MANPATH", "MANPAGER",
	"GIT_PAGER_IN_USE", "OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_PRIMARY_MODEL", "GIT_CONFIG_PARAMETERS",
}

// ptyVars is the testscript value holding the names of the variables the
// script started with.
type ptyVars struct{}

// cmdPty runs a program on a pseudo-terminal, as a user in a terminal runs
// it, and makes what the terminal showed the command's stdout (escape
// sequences kept, "\r\n" turned into "\n"; stdout and stderr both land on the
// terminal):
//
//	pty [-cols N] [-rows N] [-expect TEXT -send KEYS]... PROG [ARGS...]
//
// The terminal is 80x24 unless told; TERM is xterm-256color unless the
// script set it. Each -expect/-send pair types KEYS ("\n" is Enter) once
// TEXT has appeared on the terminal since the previous pair matched, as a
// user answers a question. The program must end within 30 seconds.
func cmdPty(ts *testscript.TestScript, neg bool, args []string) {
	cols, rows := 80, 24
	type answer struct{ expect, send string }
	var answers []answer
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-cols", "-rows":
			n, err := strconv.Atoi(args[1])
			if err != nil {
				ts.Fatalf("pty: %s needs a number", args[0])
			}
			if args[0] == "-cols" {
				cols = n
			} else {
				rows = n
			}
			args = args[2:]
		case "-expect":
			if len(args) < 4 || args[2] != "-send" {
				ts.Fatalf("pty: -expect TEXT needs -send KEYS after it")
			}
			answers = append(answers, answer{args[1], strings.ReplaceAll(args[3], `\n`, "\n")})
			args = args[4:]
		default:
			ts.Fatalf("pty: unknown flag %s", args[0])
		}
	}
	if len(args) == 0 {
		ts.Fatalf("usage: pty [-cols N] [-rows N] PROG [ARGS...]")
	}
	path := lookPathIn(args[0], ts.Getenv("PATH"))
	if path == "" {
		ts.Fatalf("pty: %s not found on the script's PATH", args[0])
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Dir = ts.MkAbs(".")
	keys, _ := ts.Value(ptyVars{}).([]string)
	seen := map[string]bool{}
	for _, k := range append(keys, ptyEnvKeys...) {
		if seen[k] {
			continue
		}
		seen[k] = true
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if ts.Getenv("TERM") == "" {
		cmd.Env = append(cmd.Env, "TERM=xterm-256color")
	}
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	ts.Check(err)
	defer ptmx.Close()
	out := &lockedBuffer{}
	read := make(chan struct{})
	go func() {
		// Linux ends a pty's output with EIO once the last writer closed it.
		_, _ = io.Copy(out, ptmx)
		close(read)
	}()
	go func() {
		from := 0
		for _, a := range answers {
			for {
				text := out.String()
				if i := strings.Index(text[from:], a.expect); i >= 0 {
					from += i + len(a.expect)
					break
				}
				select {
				case <-read:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
			_, _ = io.WriteString(ptmx, a.send)
		}
	}()
	timer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	err = cmd.Wait()
	timer.Stop()
	select {
	case <-read:
	case <-time.After(5 * time.Second): // a pager or daemon kept the terminal open
	}
	fmt.Fprint(ts.Stdout(), strings.ReplaceAll(out.String(), "\r\n", "\n"))
	var ee *exec.ExitError
	switch {
	case err == nil && neg:
		ts.Fatalf("pty %s: unexpected success", args[0])
	case err != nil && !errors.As(err, &ee):
		ts.Fatalf("pty %s: %v", args[0], err)
	case err != nil && !neg:
		ts.Fatalf("pty %s: %v", args[0], err)
	}
}

func lookPathIn(name, path string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// lockedBuffer is a buffer one goroutine writes while another reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
