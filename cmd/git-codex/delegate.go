package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/notesync"
	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/session"
)

// DelegateOptions are the inputs of `git codex delegate`.
type DelegateOptions struct {
	Topic         string
	Task          []string
	File          string
	Context       []string
	Focus, Scope  string
	Expect        string
	Criteria      string
	Inline        bool
	Engine, Model string
	// Private marks the topic private before anything is stored: its
	// sessions never leave this machine.
	Private bool
	// Sandbox and Approval are --sandbox and --approval ("" when not given).
	Sandbox, Approval string
}

func newDelegateCommand(e *Env, runF func(context.Context, *DelegateOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *DelegateOptions) error { return runDelegate(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "delegate",
		Usage:     "open a new session with a structured first message and stream the answer",
		ArgsUsage: "TASK",
		Description: "Opens a new session on the topic (default: the current branch). The first message\n" +
			"references ARCHITECTURE.md, AGENTS.md and every --context file instead of pasting them;\n" +
			"the model reads them with read-only file tools. The new session becomes the topic's\n" +
			"current one; earlier sessions stay readable with -s (a second opinion). With --private\n" +
			"the topic stays on this machine: no push or sync sends it (see 'git codex share').\n\n" +
			"--sandbox workspace-write lets the model change files with its apply_patch tool; every\n" +
			"change is recorded with its diff and 'git codex undo' takes a turn's changes back.\n" +
			"--approval says what is asked first: on-request (default) asks before a change or a\n" +
			"delete, untrusted before every operation, never applies without asking. The session\n" +
			"keeps both for its replies.\n\n" +
			"--engine codex runs the installed Codex CLI (codex exec) in the work tree instead: its\n" +
			"own agent, tools and sandbox; every message, command, file change and its usage are\n" +
			"recorded, and a reply on a machine without the Codex thread restarts it from git.\n" +
			"Codex never asks (--approval on-request or never; untrusted is refused).\n\n" +
			"Examples:\n" +
			"  git codex delegate \"Find why the cache test is flaky\"\n" +
			"  git codex delegate --context internal/cache/cache.go --focus \"eviction\" \\\n" +
			"      --expect \"root cause and a patch plan\" \"Investigate the flaky cache test\"\n" +
			"  git codex delegate -t review-42 --model gpt-5-mini -F task.md\n" +
			"  git codex delegate --engine chat --inline-context \"Explain the storage layer\"\n" +
			"  git codex delegate --private -t scratch \"Review this unreleased design\"\n" +
			"  git codex delegate --sandbox workspace-write \"Make TestTTL pass\"\n" +
			"  git codex delegate --engine codex --sandbox workspace-write \"Make TestTTL pass\"",
		Flags: []cli.Flag{
			topicFlag(),
			&cli.StringSliceFlag{Name: "context", Aliases: []string{"c"}, Usage: "a further `FILE` to reference (repeatable)"},
			&cli.StringFlag{Name: "focus", Usage: "the current focus, one line"},
			&cli.StringFlag{Name: "scope", Usage: "files, constraints and focus areas"},
			&cli.StringFlag{Name: "expect", Usage: "the expected output"},
			&cli.StringFlag{Name: "criteria", Usage: "the success criteria"},
			&cli.StringFlag{Name: "file", Aliases: []string{"F"}, Usage: "read the task from `FILE` (- for stdin)"},
			&cli.BoolFlag{Name: "inline-context", Usage: "attach the context files' contents instead of offering file tools"},
			&cli.StringFlag{Name: "model", Usage: "the model `NAME` (default: OPENAI_PRIMARY_MODEL, codex.model, gpt-5)"},
			&cli.StringFlag{Name: "engine", Usage: "responses, chat, or codex to drive the installed Codex CLI (default: codex.engine, responses)"},
			&cli.BoolFlag{Name: "private", Usage: "keep the topic on this machine: no push or sync ever sends it"},
			modeFlags()[0], modeFlags()[1],
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "TASK"); err != nil {
				return err
			}
			if err := checkModeFlags(c); err != nil {
				return err
			}
			return runF(c.Context, &DelegateOptions{
				Topic: c.String("topic"), Task: c.Args().Slice(), File: c.String("file"),
				Context: c.StringSlice("context"), Focus: c.String("focus"), Scope: c.String("scope"),
				Expect: c.String("expect"), Criteria: c.String("criteria"), Inline: c.Bool("inline-context"),
				Engine: c.String("engine"), Model: c.String("model"), Private: c.Bool("private"),
				Sandbox: c.String("sandbox"), Approval: c.String("approval"),
			})
		},
	}
}

func runDelegate(ctx context.Context, e *Env, opts *DelegateOptions) error {
	task, err := prompt.ReadMessage(opts.Task, opts.File, messageStdin(e))
	if err != nil {
		return messageError(err, "task", "pass the task as an argument, or with -F FILE")
	}
	eng, err := e.Engine(EngineOptions{Model: true, Engine: opts.Engine, ModelName: opts.Model})
	if err != nil {
		return err
	}
	repo, _ := e.Repo()
	topic, err := topicOf(repo, opts.Topic)
	if err != nil {
		return err
	}
	if repo.WorkTree() == "" {
		return fmt.Errorf("open session: %w", session.ErrNoWorkTree)
	}
	files, err := treePaths(repo.WorkTree(), e.Dir, opts.Context)
	if err != nil {
		return err
	}
	mode, err := modeRequest(repo, opts.Sandbox, opts.Approval)
	if err != nil {
		return err
	}
	warnAgentBan(e, repo.WorkTree())
	if opts.Private {
		// Before the first record exists, so that no push running
		// meanwhile can send it.
		if err := notesync.MakePrivate(ctx, repo, topic); err != nil {
			return err
		}
		on, err := notesync.RemotesWith(repo, topic)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "git-codex: topic %s is private: no push or sync sends it\n", topic)
		if len(on) > 0 {
			e.warnf("%s already has earlier notes of %s; they stay there", strings.Join(on, ", "), topic)
		}
	}
	_, err = eng.Delegate(ctx, session.DelegateOptions{
		Topic: topic, Task: strings.TrimSpace(task), Context: files,
		Focus: opts.Focus, Scope: opts.Scope, Expect: opts.Expect, Criteria: opts.Criteria,
		Inline: opts.Inline, Engine: opts.Engine, Model: opts.Model, Mode: mode,
	})
	return err
}

// treePaths turns --context paths, relative to the current directory, into
// slash paths relative to the work tree. A path outside it is a usage error.
func treePaths(root, cwd string, paths []string) ([]string, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		realRoot = root
	}
	realCwd, err := filepath.EvalSymlinks(cwd)
	if err != nil {
		realCwd = cwd
	}
	var out []string
	for _, p := range paths {
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(realCwd, p)
		}
		rel, err := filepath.Rel(realRoot, abs)
		if err != nil || !filepath.IsLocal(rel) {
			return nil, failure.Usagef("name files inside the work tree", "--context %s is outside the work tree", p)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}
