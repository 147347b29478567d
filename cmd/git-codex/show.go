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
	"github.com/git-codex/git-codex/prompt"
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
	missing := "" // what to say when there is no such session
	switch {
	case opts.Session != "":
		s, err = eng.Load(ctx, opts.Topic, opts.Session)
		missing = fmt.Sprintf("no session %q", opts.Session)
		if opts.Topic != "" {
			missing += fmt.Sprintf(" on topic %q", opts.Topic)
		}
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
		missing = fmt.Sprintf("no session or topic %q", opts.Arg)
	default:
		topic, terr := topicOf(repo, opts.Topic)
		if terr != nil {
			return terr
		}
		s, err = eng.Load(ctx, topic, "")
		missing = fmt.Sprintf("no session on topic %q yet", topic)
	}
	if errors.Is(err, session.ErrNoSession) {
		return failure.SayInstead(err, missing, "'git codex list' shows the sessions and their topics; 'git codex delegate TASK' opens one")
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
	e.Page()
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
	modelName := s.Open.Model
	if modelName == "" {
		modelName = "default" // a codex session on Codex's configured model
	}
	fmt.Fprintf(w, "session %s  topic %s  %s/%s  %s%s\n", p.Paint(ui.SlotID, s.ID), s.Topic, s.Engine(), modelName,
		p.Paint(statusSlot(status), status), mode)
	if s.Open.Title != "" {
		fmt.Fprintf(w, "task: %s\n", redact.Line(s.Open.Title, 100))
	}
	if len(s.Open.Context) > 0 {
		fmt.Fprintf(w, "context: %s\n", strings.Join(s.Open.Context, ", "))
	}
	during, after := sessionEvents(s)
	for _, ev := range during[""] {
		fmt.Fprintln(w, p.Paint(ui.SlotDim, eventLine(ev)))
	}
	printThreads(w, s)
	for i, t := range s.Turns {
		commit := t.Record.AttachedTo()
		if commit == gitstore.EmptyTree {
			commit = "(unborn)"
		}
		fork := ""
		if f := s.ForkOf(i); f != 0 {
			fork = fmt.Sprintf(" (fork: same parent as turn %d)", f)
		}
		fmt.Fprintf(w, "\n%s · commit %s · %s\n", p.Paint(ui.SlotHeader, fmt.Sprintf("── turn %d%s", i+1, fork)),
			p.Paint(ui.SlotID, text.ShortID(commit)), shortTime(t.Record.Time))
		fmt.Fprintf(w, "» %s\n", indent(strings.TrimSpace(t.Record.Text)))
		if cmd, ok := prompt.FixCommand(t.Record.Text); ok {
			fmt.Fprintln(w, p.Paint(ui.SlotOld, "✗ fix: `"+cmd+"` failed; the failure was sent"))
		}
		for _, ev := range during[t.Record.ID] {
			fmt.Fprintln(w, p.Paint(ui.SlotDim, eventLine(ev)))
		}
		if a := t.Answer; a != nil {
			if len(a.Steps) > 0 {
				printSteps(w, a.Steps)
			} else {
				fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(a.Text))
			}
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
		printAfter(w, after[t.Record.ID], p)
	}
	printAfter(w, after[""], p)
	if sum := s.Summary(); sum != nil {
		fmt.Fprintf(w, "\n%s\n%s\n", p.Paint(ui.SlotHeader, "── summary"), strings.TrimSpace(sum.Text))
		for _, d := range sum.Decisions {
			fmt.Fprintf(w, "decided: %s\n", d)
		}
		for _, n := range sum.Next {
			fmt.Fprintf(w, "next: %s\n", n)
		}
	}
}

// sessionEvents sorts what happened in a session besides its turns by
// the turn it belongs to: during a turn (restarts, engine switches, a
// fallback model, a mode change: stored with the turn, before its answer)
// or after it (a fix command that passed, a compaction). Undos are shown
// with their turn's changes. Keys are turn ids; "" holds what belongs to
// no turn shown (during: shown before the turns, after: after them).
func sessionEvents(s *session.Session) (during, after map[string][]session.Record) {
	during, after = map[string][]session.Record{}, map[string][]session.Record{}
	known := map[string]bool{}
	for _, t := range s.Turns {
		known[t.Record.ID] = true
	}
	turnOf := func(id string) string {
		if known[id] {
			return id
		}
		return ""
	}
	for _, ev := range s.Events {
		switch ev.Event {
		case session.RecordUndo:
		case session.RecordFixPass:
			after[turnOf(ev.Turn)] = append(after[turnOf(ev.Turn)], ev)
		default:
			during[turnOf(ev.Turn)] = append(during[turnOf(ev.Turn)], ev)
		}
	}
	for _, sum := range s.Summaries {
		if sum.Through != "" {
			after[turnOf(sum.Through)] = append(after[turnOf(sum.Through)], sum)
		}
	}
	return during, after
}

// printAfter prints the events that followed a turn.
func printAfter(w io.Writer, evs []session.Record, p ui.Palette) {
	for _, ev := range evs {
		switch {
		case ev.Kind == session.KindSummary:
			fmt.Fprintf(w, "\n%s\n", p.Paint(ui.SlotDim, "⟲ compacted: the turns up to here are summarised for the model as"))
			fmt.Fprintf(w, "  %s\n", indent(strings.TrimSpace(ev.Text)))
		case ev.Event == session.RecordFixPass:
			fmt.Fprintf(w, "\n%s\n", p.Paint(ui.SlotNew, "✓ fix: `"+ev.Text+"` passed"))
		default:
			fmt.Fprintf(w, "\n%s\n", p.Paint(ui.SlotDim, eventLine(ev)))
		}
	}
}

// eventLine words a stored event for show.
func eventLine(ev session.Record) string {
	line := strings.TrimSpace(text.FirstLine(ev.Text))
	switch ev.Event {
	case session.RecordRestart:
		return "↻ restarted: " + line
	case session.RecordEngine:
		return "↻ " + line
	case session.RecordFallback:
		return "• fallback: " + line
	case session.RecordSandbox:
		return "• " + line
	case session.RecordInline:
		return "• the context files are sent inline, without file tools"
	}
	if line == "" {
		return "• " + ev.Event
	}
	return "• " + ev.Event + ": " + line
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
			fmt.Fprintf(w, "✎ %s\n", strings.TrimSpace(text.FirstLine(c.Text)))
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
