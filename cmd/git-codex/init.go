package main

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/hooks"
	"github.com/git-codex/git-codex/scaffold"
)

// InitOptions are the inputs of `git codex init`.
type InitOptions struct {
	Force      bool // replace context files that have content
	NoScaffold bool
	NoHooks    bool // neither hook nor config
	Uninstall  bool
	JSON       bool
	// LLM has the model improve the drafts in a session on topic
	// codex-init; Yes writes its version without asking.
	LLM bool
	Yes bool
}

// initReport is what init prints with --json.
type initReport struct {
	Context  []scaffold.Written `json:"context,omitempty"`
	HooksDir string             `json:"hooksDir,omitempty"`
	Changes  []hooks.Change     `json:"changes,omitempty"`
}

func newInitCommand(e *Env, runF func(context.Context, *InitOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *InitOptions) error { return runInit(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "init",
		Usage:     "scaffold ARCHITECTURE.md and AGENTS.md, install the pre-push hook, set notes config",
		UsageText: "git codex init [--force] [--llm [--yes]] [--no-scaffold] [--no-hooks] [--json]\ngit codex init --uninstall",
		Description: "Prepares this repository for git codex. Safe to run again: a second run changes nothing.\n" +
			"  - Writes ARCHITECTURE.md (from CLAUDE.md's architecture sections when there are any,\n" +
			"    otherwise from the code) and AGENTS.md (build/test/lint commands, conventions) where\n" +
			"    they are missing or empty. Existing files are kept unless --force is given.\n" +
			"  - With --llm, the model improves those drafts in a session on topic codex-init (it reads\n" +
			"    the code with the read-only file tools; the session is stored like any other). Its\n" +
			"    version is shown as a diff against the draft and written when you accept it (or with\n" +
			"    --yes); without a terminal and without --yes nothing is written.\n" +
			"  - Installs the pre-push hook into the hooks directory git uses (core.hooksPath, else\n" +
			"    .git/hooks). An existing pre-push hook is kept as pre-push.codex-chained and runs first.\n" +
			"  - Adds refs/notes/codex/* to notes.rewriteRef and sets notes.rewriteMode=cat_sort_uniq,\n" +
			"    notes.rewrite.amend=true and notes.rewrite.rebase=true, so sessions follow amends and\n" +
			"    rebases. Your other values stay; remote.* settings are never touched.\n" +
			"What init changed in hooks and config is recorded; --uninstall undoes exactly that\n" +
			"(context files are yours and stay).\n\n" +
			"Examples:\n" +
			"  git codex init\n" +
			"  git codex init --force --no-hooks   # redraft the context files only\n" +
			"  git codex init --force --llm        # redraft, then let the model improve the drafts\n" +
			"  git codex init --uninstall",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "replace ARCHITECTURE.md and AGENTS.md even when they have content"},
			&cli.BoolFlag{Name: "no-scaffold", Usage: "do not write the context files"},
			&cli.BoolFlag{Name: "no-hooks", Usage: "install neither the hook nor the config"},
			&cli.BoolFlag{Name: "uninstall", Usage: "undo what init installed (hook, config)"},
			&cli.BoolFlag{Name: "llm", Usage: "have the model improve the drafts (session on topic codex-init); shows a diff, writes on confirmation"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "with --llm: write the model's version without asking"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return failure.Usagef("run 'git codex init --help'", "init takes no arguments")
			}
			opts := &InitOptions{
				Force: c.Bool("force"), NoScaffold: c.Bool("no-scaffold"), NoHooks: c.Bool("no-hooks"),
				Uninstall: c.Bool("uninstall"), JSON: c.Bool("json"), LLM: c.Bool("llm"), Yes: c.Bool("yes"),
			}
			if opts.Yes && !opts.LLM {
				return failure.Usagef("add --llm, or drop --yes", "--yes confirms the model's version: it needs --llm")
			}
			if opts.LLM && opts.NoScaffold {
				return failure.Usagef("drop --no-scaffold", "--llm improves the drafts that --no-scaffold skips")
			}
			if opts.Uninstall && (opts.Force || opts.NoScaffold || opts.NoHooks) {
				return failure.Usagef("run 'git codex init --uninstall' alone", "--uninstall takes no other option but --json")
			}
			if opts.Uninstall && opts.LLM {
				return failure.Usagef("run 'git codex init --uninstall' alone", "--uninstall takes no other option but --json")
			}
			return runF(c.Context, opts)
		},
	}
}

func runInit(ctx context.Context, e *Env, opts *InitOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	var rep initReport
	if opts.Uninstall {
		res, err := hooks.Uninstall(ctx, repo)
		rep.HooksDir, rep.Changes = res.HooksDir, res.Changes
		if perr := printInit(e, opts, rep); err == nil {
			err = perr
		}
		if err != nil {
			return fmt.Errorf("uninstall: %w", err)
		}
		return nil
	}
	if root := repo.WorkTree(); root != "" {
		warnAgentBan(e, root)
	}
	if !opts.NoScaffold {
		if root := repo.WorkTree(); root == "" {
			fmt.Fprintln(e.Stderr, "git-codex: bare repository: no work tree for ARCHITECTURE.md and AGENTS.md")
		} else {
			fmt.Fprintln(e.Stderr, "git-codex: checking context files…")
			if opts.LLM {
				rep.Context, err = improveDrafts(ctx, e, root, opts)
			} else {
				rep.Context, err = scaffold.Scaffold(root, scaffold.ScaffoldOptions{Force: opts.Force})
			}
			if err != nil {
				_ = printInit(e, opts, rep)
				return err
			}
		}
	}
	if !opts.NoHooks {
		res, err := hooks.Install(ctx, repo)
		rep.HooksDir, rep.Changes = res.HooksDir, res.Changes
		if err != nil {
			_ = printInit(e, opts, rep)
			return err
		}
	}
	return printInit(e, opts, rep)
}

func printInit(e *Env, opts *InitOptions, rep initReport) error {
	if opts.JSON {
		return writeJSON(e.Stdout, rep)
	}
	w := e.Stdout
	for _, f := range rep.Context {
		switch f.Action {
		case scaffold.ActionKept:
			fmt.Fprintf(w, "kept      %s (it has content; --force redrafts it)\n", f.File)
		case scaffold.ActionSkipped:
			fmt.Fprintf(w, "skipped   %s (the model's version was not accepted: nothing written)\n", f.File)
		default:
			fmt.Fprintf(w, "%-9s %s (drafted from %s: review it)\n", f.Action, f.File, f.Source)
		}
	}
	changed := false
	for _, c := range rep.Changes {
		printChange(w, c)
		changed = changed || c.Changed()
	}
	if opts.Uninstall && len(rep.Changes) == 0 {
		fmt.Fprintln(w, "nothing to undo: init has not installed anything here")
	} else if !opts.Uninstall && !opts.NoHooks && !changed {
		fmt.Fprintln(w, "hook and config already in place")
	}
	return nil
}

func printChange(w io.Writer, c hooks.Change) {
	what := c.Target
	if c.Kind == "config" && c.Value != "" {
		what += " = " + c.Value
	}
	if c.Detail != "" {
		what += " (" + c.Detail + ")"
	}
	fmt.Fprintf(w, "%-9s %s %s\n", c.Action, c.Kind, what)
}

// warnAgentBan prints one line on stderr when a file of the repository
// forbids autonomous agents: the user decides, the tool only says so.
func warnAgentBan(e *Env, root string) {
	if pol, ok := scaffold.AgentBan(root); ok {
		e.warnf("%s forbids autonomous agents: “%s”", pol.File, pol.Quote)
	}
}
