package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/cmd/git-codex/mcpserver"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// MCPOptions are the inputs of `git codex mcp`.
type MCPOptions struct {
	// PrintConfig names a client whose set-up to print instead of serving.
	PrintConfig string
	// Log is a file to append the server's log to (default: stderr).
	Log string
}

func newMCPCommand(e *Env, runF func(context.Context, *MCPOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *MCPOptions) error { return runMCP(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "mcp",
		Usage:     "serve git codex to coding agents over MCP (stdio): the codex and codex-reply tools, and the native ones",
		UsageText: "git codex mcp [--log FILE]\ngit codex mcp --print-config claude|codex|cursor",
		Description: "Runs an MCP server on stdin and stdout for an orchestrating agent (Claude Code, Codex,\n" +
			"Cursor, OpenCode). It serves the codex and codex-reply tools of the MCP server Codex\n" +
			"removed in 2026, with the same arguments (threadId is the git codex session id), and\n" +
			"delegate, reply, fix, close, list, show, log, pr_summary and stats. Every session is\n" +
			"stored in the repository of the call's cwd, as 'git codex delegate' would store it.\n" +
			"Only protocol messages go to stdout; the log goes to stderr or --log FILE.\n\n" +
			"--print-config prints the set-up for a client: a command to run (claude), or a block\n" +
			"for its configuration (codex: ~/.codex/config.toml; cursor: ~/.cursor/mcp.json or\n" +
			".cursor/mcp.json).\n\n" +
			"Examples:\n" +
			"  claude mcp add git-codex -- git codex mcp\n" +
			"  git codex mcp --print-config codex >> ~/.codex/config.toml\n" +
			"  git codex mcp --log /tmp/git-codex-mcp.log",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "print-config", Usage: "print the set-up for `CLIENT` (" + strings.Join(mcpserver.Clients(), ", ") + ") and exit"},
			&cli.StringFlag{Name: "log", Usage: "append the server's log to `FILE` instead of stderr"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex mcp --help'", "mcp takes no arguments"); err != nil {
				return err
			}
			return runF(c.Context, &MCPOptions{PrintConfig: c.String("print-config"), Log: c.String("log")})
		},
	}
}

func runMCP(ctx context.Context, e *Env, opts *MCPOptions) error {
	if opts.PrintConfig != "" {
		text, err := mcpserver.ClientConfig(opts.PrintConfig)
		if err != nil {
			return failure.Usagef("name one of: "+strings.Join(mcpserver.Clients(), ", "), "%v", err)
		}
		_, err = io.WriteString(e.Stdout, text)
		return err
	}
	logTo := e.Stderr
	if opts.Log != "" {
		f, err := os.OpenFile(opts.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return failure.Usagef("name a file that can be written", "open log: %v", err)
		}
		defer f.Close()
		logTo = f
	}
	// A client ends its server by closing stdin, then with SIGTERM: the
	// calls still running store what the model said so far either way.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv := mcpserver.New(mcpserver.Options{Backend: mcpBackend{e}, Dir: e.Dir, Version: version(), Logger: log})
	log.Info("git codex mcp: serving on stdio", "dir", e.Dir, "version", version())
	err := srv.Serve(ctx, e.Stdin, e.Stdout)
	if ctx.Err() != nil {
		log.Info("git codex mcp: stopped by a signal")
		return ctx.Err() // exit 130, as every command
	}
	log.Info("git codex mcp: the client is gone", "err", err)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// mcpBackend opens each call of the MCP server the way a command runs: a
// fresh Env over the call's directory (the model configuration, the topic
// rule, the paths and the error wording of the command line), with streams
// that go nowhere, so nothing but protocol reaches the process's stdout.
type mcpBackend struct{ e *Env }

func (b mcpBackend) Open(dir string) (mcpserver.Workspace, error) {
	ce := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: b.e.Getenv, Now: b.e.Now, Dir: dir}
	if _, err := ce.Repo(); err != nil {
		return nil, err
	}
	return mcpWorkspace{ce}, nil
}

// mcpWorkspace is one call's Env.
type mcpWorkspace struct{ e *Env }

func (w mcpWorkspace) Repo() *gitstore.Repo {
	r, _ := w.e.Repo() // opened by Open
	return r
}

func (w mcpWorkspace) Topic(topic string) (string, error) { return topicOf(w.Repo(), topic) }

func (w mcpWorkspace) ContextPaths(paths []string) ([]string, error) {
	return treePaths(w.Repo().WorkTree(), w.e.Dir, paths)
}

func (w mcpWorkspace) Engine(opt mcpserver.EngineOptions, out session.Output) (*session.Engine, error) {
	if out == nil {
		out = quietOutput{}
	}
	eng, err := w.e.Engine(EngineOptions{Model: opt.Model, Engine: opt.Engine, ModelName: opt.ModelName, Output: out})
	if err != nil {
		return nil, err
	}
	// The tools show costs as the command line does (list, show, stats).
	if eng.Prices, err = w.e.Prices(); err != nil {
		return nil, err
	}
	return eng, nil
}

func (w mcpWorkspace) Close() { w.e.close() }

// quietOutput reports nowhere.
type quietOutput struct{}

func (quietOutput) Delta(string)        {}
func (quietOutput) Event(session.Event) {}
func (quietOutput) Approve(context.Context, session.Approval) (session.Decision, error) {
	return session.Deny, nil
}
