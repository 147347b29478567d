package main

import (
	"io"
	"os"
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
	// Output holds --color/--no-color and --no-pager/-P, taken from the
	// command line before the commands parse it.
	Output ui.OutputFlags
	// TTY opens the controlling terminal to read the answers to approvals
	// from (stdin may carry a message); nil means there is none.
	TTY func() (io.Reader, error)

	paletteOnce sync.Once
	palette     ui.Palette

	repoOnce sync.Once
	repo     *gitstore.Repo
	repoErr  error
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
}

// Engine builds the session engine for this command, the one way every
// command gets it: over the repository's notes (the local topics and, read
// only, those fetched from remotes; new records go to the local topic ref,
// which is how a teammate's fetched session is continued), reporting to the
// terminal. Commands that only read need no model configuration.
func (e *Env) Engine(opt EngineOptions) (*session.Engine, error) {
	repo, err := e.Repo()
	if err != nil {
		return nil, err
	}
	eng := &session.Engine{Store: repo.Notes().WithRemotes(), Repo: repo, Now: e.Now}
	if !opt.Quiet {
		eng.Out = newTermOutput(e, !opt.HideAnswer)
	}
	if !opt.Model {
		return eng, nil
	}
	cfg, err := modelConfig(repo, e.Getenv, opt.Engine, opt.ModelName)
	if err != nil {
		return nil, err
	}
	// The key is never written, whatever its shape: a user may paste it
	// into a task, or a tool result may echo it.
	repo.AddSecrets(cfg.APIKey)
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

// Palette decides once whether to colour (--color, color.codex, NO_COLOR,
// color.ui, a terminal) and returns the palette to paint with.
func (e *Env) Palette() ui.Palette {
	e.paletteOnce.Do(func() {
		on := ui.UseColor(ui.ColorInputs{Flag: e.Output.Color, Config: e.config, Getenv: e.Getenv, IsTTY: e.IsTTY})
		e.palette = ui.NewPalette(on, e.config)
	})
	return e.palette
}

// config reads git config through the repository; outside one there is none.
func (e *Env) config(key string) (string, bool) {
	repo, err := e.Repo()
	if err != nil {
		return "", false
	}
	return repo.Config(key)
}

// close releases what the lazy fields opened.
func (e *Env) close() {
	if e.repo != nil {
		_ = e.repo.Close()
	}
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *Env {
	dir, _ := os.Getwd()
	tty := isTerminal(stdout)
	return &Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Getenv: getenv,
		Now:    time.Now,
		Dir:    dir,
		IsTTY:  tty,
		TTY:    openTTY,
	}
}
