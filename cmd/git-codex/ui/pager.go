package ui

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// PagerCommand returns the pager git would start for `git codex`, or ""
// for none, in git's order: GIT_PAGER; else pager.codex when it names a
// program (pager.codex=false: none); else core.pager; else PAGER; else
// "less". An empty value or "cat" means no pager (`git --no-pager codex`
// passes GIT_PAGER=cat).
func PagerCommand(getenv func(string) string, config func(string) (string, bool)) string {
	if config == nil {
		config = func(string) (string, bool) { return "", false }
	}
	pager, set := lookupEnv(getenv, "GIT_PAGER")
	if !set {
		if v, ok := config("pager.codex"); ok {
			switch m, isBool := parseBool(v); {
			case isBool && !m:
				return ""
			case !isBool:
				pager, set = v, true
			}
		}
	}
	if !set {
		pager, set = config("core.pager")
	}
	if !set {
		pager, set = lookupEnv(getenv, "PAGER")
	}
	if !set {
		pager = "less"
	}
	pager = strings.TrimSpace(pager)
	if pager == "cat" {
		return ""
	}
	return pager
}

// PagerOptions say whether and how to page one command's output.
type PagerOptions struct {
	// NoPager is --no-pager / -P.
	NoPager bool
	Getenv  func(string) string
	Config  func(string) (string, bool)
	// Environ is the pager's environment before LESS, LV, COLUMNS and
	// GIT_PAGER_IN_USE are added; nil means this process's.
	Environ []string
	// Out is where output goes now: the pager starts only when it is a
	// terminal. Err is the pager's stderr.
	Out, Err *os.File
	// Width is the terminal width passed on as COLUMNS (0: not set).
	Width int
}

// Pager is a running pager. Write output to Writer, then Close it.
type Pager struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	w    *quitWriter
	once sync.Once
	err  error
}

// StartPager starts the pager git would use when the output is a terminal
// and nobody said no (--no-pager, pager.codex=false, GIT_PAGER=cat) and git
// is not paging already (GIT_PAGER_IN_USE). It returns nil, and no error,
// when there is no pager to start, including a bare program name that is not
// installed (git then writes to the terminal itself). Like git, it sets
// LESS=FRX and LV=-c unless they are set.
func StartPager(o PagerOptions) (*Pager, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if o.NoPager || o.Out == nil || !isTerminal(o.Out) || isTrue(getenv("GIT_PAGER_IN_USE")) {
		return nil, nil
	}
	command := PagerCommand(getenv, o.Config)
	if command == "" {
		return nil, nil
	}
	var cmd *exec.Cmd
	if strings.ContainsAny(command, "|&;<>()$`\\\"' \t\n*?[#~=%") {
		cmd = exec.Command("sh", "-c", command)
	} else {
		path, err := exec.LookPath(command)
		if err != nil {
			return nil, nil
		}
		cmd = exec.Command(path)
	}
	env := o.Environ
	if env == nil {
		env = os.Environ()
	}
	env = append([]string(nil), env...)
	if _, ok := lookupEnv(getenv, "LESS"); !ok {
		env = append(env, "LESS=FRX")
	}
	if _, ok := lookupEnv(getenv, "LV"); !ok {
		env = append(env, "LV=-c")
	}
	if o.Width > 0 {
		env = append(env, "COLUMNS="+strconv.Itoa(o.Width))
	}
	cmd.Env = append(env, "GIT_PAGER_IN_USE=true")
	cmd.Stdout, cmd.Stderr = o.Out, o.Err
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Pager{cmd: cmd, in: in, w: &quitWriter{w: in}}, nil
}

// Writer is where the output goes. Once the user quits the pager, writes
// are discarded and succeed, so the command finishes its work.
func (p *Pager) Writer() io.Writer { return p.w }

// Quit reports whether the pager went away before the output ended.
func (p *Pager) Quit() bool { return p.w.quit }

// Close ends the output and waits for the user to leave the pager. The
// pager's own exit status does not matter (git ignores it too).
func (p *Pager) Close() error {
	p.once.Do(func() {
		if err := p.in.Close(); err != nil && !isPipeGone(err) {
			p.err = err
		}
		_ = p.cmd.Wait()
	})
	return p.err
}

// quitWriter discards writes once the reader went away (EPIPE).
type quitWriter struct {
	w    io.Writer
	quit bool
}

func (q *quitWriter) Write(b []byte) (int, error) {
	if q.quit {
		return len(b), nil
	}
	n, err := q.w.Write(b)
	if isPipeGone(err) {
		q.quit = true
		return len(b), nil
	}
	return n, err
}

func isPipeGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed)
}

func lookupEnv(getenv func(string) string, key string) (string, bool) {
	if getenv == nil {
		return "", false
	}
	// getenv cannot tell unset from empty, so an empty GIT_PAGER or PAGER
	// counts as unset here, where git would take it as "no pager"; "cat"
	// says "no pager" in both.
	v := getenv(key)
	if v == "" {
		return "", false
	}
	return v, true
}

// isTrue reports whether s reads as true (true, yes, on, 1).
func isTrue(s string) bool {
	v, _ := parseBool(s)
	return v
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0", "":
		return false, true
	}
	return false, false
}

func isTerminal(f *os.File) bool { return TerminalWidth(f, nil) > 0 }
