package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// Env is the one dependency struct every command closes over. Main builds it;
// tests replace fields. Fields that cost anything are opened lazily.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Environ is the environment programs git codex runs for the user get
	// (the Codex CLI); nil means os.Environ.
	Environ func() []string
	Now     func() time.Time
	// Dir is the working directory commands run in.
	Dir string
	// IsTTY reports whether Stdout is a terminal (colour, spinner).
	IsTTY bool
	// StdoutFile and StderrFile are the process's stdout and stderr when
	// they are files (a terminal, a pipe): the pager writes to them and the
	// terminal's size is read from them. nil in tests that pass buffers.
	StdoutFile, StderrFile *os.File
	// Output holds --color/--no-color and --no-pager/-P, taken from the
	// command line before the commands parse it.
	Output ui.OutputFlags
	// TTY opens the controlling terminal to read the answers to approvals
	// from (stdin may carry a message); nil means there is none.
	TTY func() (io.Reader, error)

	paletteOnce sync.Once
	palette     ui.Palette
	errOnce     sync.Once
	errPalette  ui.Palette

	// pager is the pager Page started (nil: none); paging is set then,
	// errPaging when stderr goes there too.
	pager             *ui.Pager
	paging, errPaging bool

	repoOnce sync.Once
	repo     *gitstore.Repo
	repoErr  error
	// userConfig reads git config outside a repository.
	userConfig func(string) (string, bool)
}

// Repo opens the repository around Dir on first use.
func (e *Env) Repo() (*gitstore.Repo, error) {
	e.repoOnce.Do(func() {
		e.repo, e.repoErr = gitstore.Open(e.Dir, e.Getenv)
	})
	return e.repo, e.repoErr
}

// EngineOptions say what a command needs of the session engine.
type EngineOptions struct {
	// Model is set for commands that talk to the model: the engine gets
	// the model configuration (flags, then environment, then git config)
	// and the API key is kept out of everything written. Engine and
	// ModelName are the --engine and --model flags.
	Model             bool
	Engine, ModelName string
	// HideAnswer keeps the answer off stdout (it goes into a JSON
	// document, or is parsed).
	HideAnswer bool
	// Quiet reports nothing at all (shell completion must stay silent).
	Quiet bool
	// Output, when set, receives what the engine reports instead of the
	// terminal (the MCP server's calls).
	Output session.Output
}

// Engine builds the session engine for this command, the one way every
// command (and every call of the MCP server) gets it: over the repository's
// notes (the local topics and, read only, those fetched from remotes; new
// records go to the local topic ref, which is how a teammate's fetched
// session is continued), reporting to the terminal or opt.Output. Commands
// that only read need no model configuration.
func (e *Env) Engine(opt EngineOptions) (*session.Engine, error) {
	repo, err := e.Repo()
	if err != nil {
		return nil, err
	}
	eng := &session.Engine{Store: repo.Notes().WithRemotes(), Repo: repo, Now: e.Now}
	switch {
	case opt.Output != nil:
		eng.Out = opt.Output
	case !opt.Quiet:
		eng.Out = newTermOutput(e, !opt.HideAnswer)
	}
	if !opt.Model {
		return eng, nil
	}
	cfg, err := modelConfig(repo, e.Getenv, opt.Engine, opt.ModelName)
	if err != nil {
		return nil, err
	}
	// The keys are never written, whatever their shape: a user may paste
	// one into a task, or a tool result may echo it. CODEX_API_KEY is the
	// one the Codex engine's own process reads.
	repo.AddSecrets(cfg.APIKey, e.Getenv("CODEX_API_KEY"))
	eng.Config = cfg
	eng.CompactThreshold = compactThreshold(repo)
	environ := os.Environ
	if e.Environ != nil {
		environ = e.Environ
	}
	// Any session may be of the codex engine, whatever codex.engine says.
	if eng.Codex, err = codexConfig(repo, e.Getenv, environ()); err != nil {
		return nil, err
	}
	return eng, nil
}

// Palette decides once whether to colour stdout (--color, color.codex,
// NO_COLOR, color.ui, a terminal or the pager) and returns the palette to
// paint with. A command that pages calls Page first.
func (e *Env) Palette() ui.Palette {
	e.paletteOnce.Do(func() {
		on := ui.UseColor(ui.ColorInputs{Flag: e.Output.Color, Config: e.config, Getenv: e.Getenv, IsTTY: e.IsTTY, Paging: e.paging})
		e.palette = ui.NewPalette(on, e.config)
	})
	return e.palette
}

// ErrPalette is Palette for stderr, decided on its own as git decides it
// for each stream: "git-codex:" lines, warnings, approvals.
func (e *Env) ErrPalette() ui.Palette {
	e.errOnce.Do(func() {
		on := ui.UseColor(ui.ColorInputs{Flag: e.Output.Color, Config: e.config, Getenv: e.Getenv,
			IsTTY: isTerminal(e.Stderr), Paging: e.errPaging})
		e.errPalette = ui.NewPalette(on, e.config)
	})
	return e.errPalette
}

// Width is the width of the terminal stdout is, for fitting tables: 0 when
// stdout is no terminal, so that piped output is never cut. Under git's own
// pager (`git -p codex …`) it is the COLUMNS git passes on.
func (e *Env) Width() int {
	if w := ui.TerminalWidth(e.StdoutFile, e.Getenv); w > 0 {
		return w
	}
	if e.Getenv("GIT_PAGER_IN_USE") != "" {
		if n, err := strconv.Atoi(e.Getenv("COLUMNS")); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// Page sends the rest of the command's output through the pager git would
// use (GIT_PAGER, pager.codex, core.pager, PAGER, less with LESS=FRX) when
// stdout is a terminal and neither --no-pager/-P nor git said no. Like git,
// it sends stderr there too when stderr is the terminal, so that warnings
// and errors stay in order with the output. Commands that page (log, show,
// list, pr-summary, stats) call it once their output is ready, before
// Palette: errors found before are shown on the terminal itself. Main
// closes the pager, after the last error line, and waits for it.
func (e *Env) Page() {
	if e.pager != nil || e.StdoutFile == nil || !e.IsTTY {
		return
	}
	p, err := ui.StartPager(ui.PagerOptions{NoPager: e.Output.NoPager, Getenv: e.Getenv, Config: e.config,
		Out: e.StdoutFile, Err: e.StderrFile, Width: e.Width()})
	if err != nil {
		// As git does: say so, and write to the terminal.
		e.warnf("cannot run the pager: %v", err)
		return
	}
	if p == nil {
		return
	}
	e.pager, e.paging = p, true
	e.Stdout = p.Writer()
	if e.StderrFile != nil && isTerminal(e.StderrFile) {
		e.Stderr, e.errPaging = p.Writer(), true
	}
}

// warnf prints a "git-codex: warning: …" line on stderr, "warning:" in the
// warning colour.
func (e *Env) warnf(format string, args ...any) {
	fmt.Fprintf(e.Stderr, "git-codex: %s %s\n", e.ErrPalette().Paint(ui.SlotWarning, "warning:"), fmt.Sprintf(format, args...))
}

// config reads git config through the repository; outside one, the system
// and global files (color.ui in ~/.gitconfig colours help there too).
func (e *Env) config(key string) (string, bool) {
	repo, err := e.Repo()
	if err != nil {
		if e.userConfig == nil {
			e.userConfig = gitstore.UserConfig(e.Getenv)
		}
		return e.userConfig(key)
	}
	return repo.Config(key)
}

// close releases what the lazy fields opened and waits for the user to
// leave the pager.
func (e *Env) close() {
	if e.pager != nil {
		_ = e.pager.Close()
	}
	if e.repo != nil {
		_ = e.repo.Close()
	}
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *Env {
	dir, _ := os.Getwd()
	tty := isTerminal(stdout)
	e := &Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv: getenv,
		Now:    time.Now,
		Dir:    dir,
		IsTTY:  tty,
		TTY:    openTTY,
	}
	e.StdoutFile, _ = unwrap(stdout).(*os.File)
	e.StderrFile, _ = unwrap(stderr).(*os.File)
	return e
}
