package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/redact"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/runner"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/workflow"
)

// ShowOptions are the inputs of `git codex show`.
type ShowOptions struct {
	Topic   string
	Session string
	JSON    bool
	// Arg is the positional argument: a session id prefix or a topic.
	Arg string
}

func newShowCommand(e *Env, runF func(context.Context, *ShowOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *ShowOptions) error { return runShow(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "show",
		Usage:     "show one session's transcript, with the commit each turn is attached to, or a workflow run",
		UsageText: "git codex show [-t TOPIC | -s ID | ID | RUN | TOPIC] [--json]",
		Description: "Without arguments shows the current branch's current session. The argument may be\n" +
			"a session id (a unique prefix is enough), a run id of 'git codex run' (its steps, their\n" +
			"sessions, tokens and cost; see 'git codex runs') or a topic. Each answer shows its\n" +
			"tokens and what it cost (git config codex.price.<model>.*; \"unknown\" without a price).\n\n" +
			"Examples:\n" +
			"  git codex show\n" +
			"  git codex show 01JD3\n" +
			"  git codex show -t feature/login --json | jq '.turns[].answer.usage'",
		Flags: []cli.Flag{topicFlag(), sessionFlag(), jsonFlag()},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "ID"); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return failure.Usagef("run 'git codex show --help'", "show takes at most one argument")
			}
			return runF(c.Context, &ShowOptions{Topic: c.String("topic"), Session: c.String("session"), JSON: c.Bool("json"),
				Arg: c.Args().First()})
		},
	}
}

func runShow(ctx context.Context, e *Env, opts *ShowOptions) error {
	eng, err := e.Engine(EngineOptions{})
	if err != nil {
		return err
	}
	repo, _ := e.Repo()
	var s *session.Session
	switch {
	case opts.Session != "":
		s, err = eng.Load(ctx, opts.Topic, opts.Session)
	case opts.Arg != "":
		// An argument names a session id prefix first, a run id second, a
		// topic third.
		s, err = eng.Load(ctx, "", opts.Arg)
		if errors.Is(err, session.ErrNoSession) {
			run, warns, rerr := runner.Find(ctx, eng.Store, opts.Arg)
			switch {
			case rerr == nil:
				warnSkipped(e, warns)
				return showRun(e, run, opts.JSON)
			case !errors.Is(rerr, workflow.ErrNoRun):
				return rerr
			}
			s, err = eng.Load(ctx, opts.Arg, "")
		}
	default:
		topic, terr := topicOf(repo, opts.Topic)
		if terr != nil {
			return terr
		}
		s, err = eng.Load(ctx, topic, "")
	}
	if errors.Is(err, session.ErrNoSession) {
		return failure.WithHint(err, "see 'git codex list', or open a session with 'git codex delegate'")
	}
	if err != nil {
		return err
	}
	prices, err := e.Prices()
	if err != nil {
		return err
	}
	eng.Prices = prices
	if opts.JSON {
		return writeJSON(e.Stdout, eng.Transcript(s))
	}
	printTranscript(e.Stdout, s, e.Palette(), eng)
	return nil
}

// showRun shows a workflow run.
func showRun(e *Env, run *runner.Run, asJSON bool) error {
	prices, err := e.Prices()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.Stdout, runDocOf(run, prices, true))
	}
	return printRun(e, e.Stdout, run, prices)
}

func printTranscript(w io.Writer, s *session.Session, p ui.Palette, eng *session.Engine) {
	status := "open"
	if s.Closed {
		status = "closed"
	}
	mode := ""
	if m := s.Mode(); m.CanEdit() {
		mode = "  " + m.Sandbox + " (approval " + m.Approval + ")"
	}
	fmt.Fprintf(w, "session %s  topic %s  %s/%s  %s%s\n", s.ID, s.Topic, s.Engine(), s.Open.Model, status, mode)
	if s.Open.Title != "" {
		fmt.Fprintf(w, "task: %s\n", redact.Line(s.Open.Title, 100))
	}
	if len(s.Open.Context) > 0 {
		fmt.Fprintf(w, "context: %s\n", strings.Join(s.Open.Context, ", "))
	}
	for i, t := range s.Turns {
		commit := t.Record.AttachedTo()
		if commit == gitstore.EmptyTree {
			commit = "(unborn)"
		}
		fork := ""
		if f := s.ForkOf(i); f != 0 {
			fork = fmt.Sprintf(" (fork: same parent as turn %d)", f)
		}
		fmt.Fprintf(w, "\n── turn %d%s · commit %s · %s\n", i+1, fork, text.ShortID(commit), shortTime(t.Record.Time))
		fmt.Fprintf(w, "» %s\n", indent(strings.TrimSpace(t.Record.Text)))
		if a := t.Answer; a != nil {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(a.Text))
			var notes []string
			if a.Status != "" && a.Status != session.StatusComplete {
				notes = append(notes, a.Status)
			}
			if a.Error != "" {
				notes = append(notes, "error: "+redact.Line(a.Error, 80))
			}
			if a.Usage != nil {
				notes = append(notes, fmt.Sprintf("tokens in %d (cached %d) out %d · %s", a.Usage.Input, a.Usage.Cached, a.Usage.Output,
					costNote(eng.Cost(a.Model, a.Usage))))
			}
			if len(a.ToolCalls) > 0 {
				notes = append(notes, fmt.Sprintf("%d tool calls", len(a.ToolCalls)))
			}
			if len(notes) > 0 {
				fmt.Fprintf(w, "[%s]\n", strings.Join(notes, "; "))
			}
		} else {
			fmt.Fprintln(w, "\n[no answer stored]")
		}
		printChanges(w, t, p)
	}
	if sum := s.Summary(); sum != nil {
		fmt.Fprintf(w, "\n── summary\n%s\n", strings.TrimSpace(sum.Text))
		for _, d := range sum.Decisions {
			fmt.Fprintf(w, "decided: %s\n", d)
		}
		for _, n := range sum.Next {
			fmt.Fprintf(w, "next: %s\n", n)
		}
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

// printChanges prints what a turn did to the files: each applied change
// with its diff, the failed and refused ones with why, and its undo.
func printChanges(w io.Writer, t session.Turn, p ui.Palette) {
	if len(t.Changes) > 0 {
		fmt.Fprintln(w)
	}
	for _, c := range t.Changes {
		switch c.Status {
		case session.ChangeApplied:
			fmt.Fprintf(w, "✎ %s\n", strings.TrimSpace(firstLine(c.Text)))
			if d := strings.TrimRight(c.Diff, "\n"); d != "" {
				fmt.Fprintln(w, ui.PaintDiff(p, d))
			}
		default:
			why := redact.Line(c.Error, 240)
			if what := c.Op + " " + c.Path; !strings.HasPrefix(why, what) {
				why = what + ": " + why
			}
			fmt.Fprintf(w, "✗ %s %s\n", c.Status, why)
		}
	}
	if u := t.UndoneBy; u != nil {
		fmt.Fprintf(w, "\n↶ undone %s: %s\n", shortTime(u.Time), strings.TrimSpace(u.Text))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
