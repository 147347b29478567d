package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/redact"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
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
		Usage:     "show one session's transcript, with the commit each turn is attached to",
		UsageText: "git codex show [-t TOPIC | -s ID | ID | TOPIC] [--json]",
		Description: "Without arguments shows the current branch's current session. The argument may be\n" +
			"a session id (a unique prefix is enough) or a topic.\n\n" +
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
				return usageErrorf("run 'git codex show --help'", "show takes at most one argument")
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
		// An argument names a session id prefix first, a topic second.
		s, err = eng.Load(ctx, "", opts.Arg)
		if errors.Is(err, session.ErrNoSession) {
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
		return withHint(err, "see 'git codex list', or open a session with 'git codex delegate'")
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(e.Stdout, transcriptOf(s))
	}
	printTranscript(e.Stdout, s, e.Palette())
	return nil
}

// transcript is the --json form of a session.
type transcript struct {
	ID        string           `json:"id"`
	Topic     string           `json:"topic"`
	Engine    string           `json:"engine,omitempty"`
	Model     string           `json:"model,omitempty"`
	Mode      session.Mode     `json:"mode"`
	Title     string           `json:"title,omitempty"`
	Context   []string         `json:"context,omitempty"`
	Status    string           `json:"status"`
	Started   string           `json:"started"`
	Turns     []transcriptTurn `json:"turns"`
	Summaries []session.Record `json:"summaries,omitempty"`
	Events    []session.Record `json:"events,omitempty"`
}

type transcriptTurn struct {
	ID      string          `json:"id"`
	Parent  string          `json:"parent,omitempty"`
	Commit  string          `json:"commit"`
	Time    string          `json:"time"`
	Message string          `json:"message"`
	Answer  *session.Record `json:"answer,omitempty"`
	// Changes are the turn's file operations; Undone the undo's, when the
	// turn was undone.
	Changes []session.Record `json:"changes,omitempty"`
	Undone  []session.Record `json:"undone,omitempty"`
}

func transcriptOf(s *session.Session) transcript {
	t := transcript{
		ID: s.ID, Topic: s.Topic, Engine: s.Engine(), Model: s.Open.Model, Mode: s.Mode(), Title: s.Open.Title,
		Context: s.Open.Context, Status: "open", Started: s.Open.Time,
		Turns: []transcriptTurn{}, Summaries: s.Summaries, Events: s.Events,
	}
	if s.Closed {
		t.Status = "closed"
	}
	for _, turn := range s.Turns {
		t.Turns = append(t.Turns, transcriptTurn{
			ID: turn.Record.ID, Parent: turn.Record.Parent, Commit: noteTarget(turn.Record),
			Time: turn.Record.Time, Message: turn.Record.Text, Answer: turn.Answer,
			Changes: turn.Changes, Undone: turn.Undone,
		})
	}
	return t
}

// noteTarget is the commit a record is attached to: the note it was read
// from, else the commit it recorded.
func noteTarget(r session.Record) string {
	if r.NoteObject != "" {
		return r.NoteObject
	}
	return r.Commit
}

func printTranscript(w io.Writer, s *session.Session, p ui.Palette) {
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
	fmt.Fprintf(w, "session %s  topic %s  %s/%s  %s%s\n", s.ID, s.Topic, s.Engine(), modelName, status, mode)
	if s.Open.Title != "" {
		fmt.Fprintf(w, "task: %s\n", redact.Line(s.Open.Title, 100))
	}
	if len(s.Open.Context) > 0 {
		fmt.Fprintf(w, "context: %s\n", strings.Join(s.Open.Context, ", "))
	}
	printThreads(w, s)
	for i, t := range s.Turns {
		commit := noteTarget(t.Record)
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
				notes = append(notes, fmt.Sprintf("tokens in %d (cached %d) out %d", a.Usage.Input, a.Usage.Cached, a.Usage.Output))
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
