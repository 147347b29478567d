package main

import (
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/gitstore"
)

// Env is the one dependency struct every command receives. Main builds it;
// tests replace fields. Fields that cost anything are opened lazily.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
	// Dir is the working directory commands run in.
	Dir string
	// IsTTY reports whether Stdout is a terminal (colour, spinner).
	IsTTY bool
	// Output holds --color/--no-color and --no-pager/-P, taken from the
	// command line before the commands parse it.
	Output ui.OutputFlags

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
	}
}

// ctxKey carries the Env through urfave/cli's context.
type ctxKey struct{}

func withEnv(ctx context.Context, e *Env) context.Context { return context.WithValue(ctx, ctxKey{}, e) }
