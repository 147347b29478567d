package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/runner"
	"github.com/git-codex/git-codex/workflow"
)

// RunsOptions are the inputs of `git codex runs`.
type RunsOptions struct {
	JSON bool
}

func newRunsCommand(e *Env, runF func(context.Context, *RunsOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *RunsOptions) error { return runRuns(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "runs",
		Usage:     "list workflow runs: status, steps, tokens and cost",
		UsageText: "git codex runs [--json]",
		Description: "Lists the runs of 'git codex run' stored in this repository and those fetched from\n" +
			"remotes, oldest first. A run whose process was killed stays 'running' until it is\n" +
			"resumed. 'git codex show RUN' shows one; 'git codex run --resume RUN' continues it.\n\n" +
			"Examples:\n" +
			"  git codex runs\n" +
			"  git codex runs --json | jq '.[] | select(.status != \"passed\") | .run'",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex show RUN' to see one run", "runs takes no arguments"); err != nil {
				return err
			}
			return runF(c.Context, &RunsOptions{JSON: c.Bool("json")})
		},
	}
}

func runRuns(ctx context.Context, e *Env, opts *RunsOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	prices, err := e.Prices()
	if err != nil {
		return err
	}
	runs, warns, err := runner.List(ctx, repo.Notes().WithRemotes())
	warnSkipped(e, warns)
	if err != nil {
		return err
	}
	docs := make([]runDoc, 0, len(runs))
	for _, r := range runs {
		docs = append(docs, runDocOf(r, prices, false))
	}
	if opts.JSON {
		return writeJSON(e.Stdout, docs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(e.Stderr, "no runs yet; start one with: git codex run .codex/workflows/NAME.yaml")
		return nil
	}
	rows := make([][]string, 0, len(docs))
	for _, d := range docs {
		rows = append(rows, []string{text.ShortID(d.Run), d.Workflow, d.Branch, string(d.Status), d.tally(), shortTime(d.Started),
			tokens(d.Usage), d.Cost.String()})
	}
	return tableTo(e, e.Stdout, []string{"RUN", "WORKFLOW", "BRANCH", "STATUS", "STEPS", "STARTED", "TOKENS", "COST"}, 1, rows)
}

// runDoc is a run as runs --json and show --json give it.
type runDoc struct {
	Run      string          `json:"run"`
	Topic    string          `json:"topic"`
	Workflow string          `json:"workflow"`
	File     string          `json:"file"`
	Blob     string          `json:"blob"`
	Branch   string          `json:"branch"`
	Status   workflow.Status `json:"status"`
	Started  string          `json:"started"`
	Updated  string          `json:"updated"`
	Usage    workflow.Usage  `json:"usage"`
	Cost     pricing.Amount  `json:"cost"`
	Remote   string          `json:"remote,omitempty"`
	Steps    []runStepDoc    `json:"steps"`
	// Events are the stored events (show --json only).
	Events []workflow.Event `json:"events,omitempty"`
}

type runStepDoc struct {
	ID        string          `json:"id"`
	Status    workflow.Status `json:"status"`
	Attempt   int             `json:"attempt,omitempty"`
	Topic     string          `json:"topic,omitempty"`
	Session   string          `json:"session,omitempty"`
	Turn      string          `json:"turn,omitempty"`
	Model     string          `json:"model,omitempty"`
	Usage     workflow.Usage  `json:"usage"`
	Cost      pricing.Amount  `json:"cost"`
	Detail    string          `json:"detail,omitempty"`
	Restarted bool            `json:"restarted,omitempty"`
	Summary   string          `json:"summary,omitempty"`
	Answer    string          `json:"answer,omitempty"`
}

func runDocOf(r *runner.Run, prices *pricing.Table, full bool) runDoc {
	st := r.State
	d := runDoc{Run: st.Run, Topic: r.Topic, Workflow: st.Workflow, File: st.File, Blob: st.Blob, Branch: st.Branch,
		Status: st.Status, Started: gitstore.FormatTime(st.Started), Updated: gitstore.FormatTime(st.Updated),
		Usage: st.Usage(), Cost: r.Cost(prices), Remote: r.Remote, Steps: []runStepDoc{}}
	for _, id := range stepOrder(r) {
		s := st.Steps[id]
		sd := runStepDoc{ID: id, Status: s.Status, Attempt: s.Attempt, Topic: s.Topic, Session: s.Session, Turn: s.Turn,
			Model: s.Model, Usage: s.Usage, Cost: r.StepCost(prices, id), Detail: s.Detail, Restarted: s.Restarted}
		if full {
			sd.Summary, sd.Answer = s.Summary, s.Answer
		}
		d.Steps = append(d.Steps, sd)
	}
	if full {
		d.Events = r.Events
	}
	return d
}

// stepOrder is the run's steps in file order (run.started lists them).
func stepOrder(r *runner.Run) []string {
	for _, ev := range r.Events {
		if ev.Kind == workflow.EventRunStarted && len(ev.Steps) > 0 {
			return ev.Steps
		}
	}
	var ids []string
	for id := range r.State.Steps {
		ids = append(ids, id)
	}
	return ids
}

// tally counts the steps by status: "3/5 passed, 1 failed".
func (d runDoc) tally() string {
	n := map[workflow.Status]int{}
	for _, s := range d.Steps {
		n[s.Status]++
	}
	parts := []string{fmt.Sprintf("%d/%d passed", n[workflow.Passed], len(d.Steps))}
	for _, s := range []workflow.Status{workflow.Failed, workflow.Skipped, workflow.Cancelled, workflow.Running} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// printRun is show's view of a run.
func printRun(e *Env, w io.Writer, r *runner.Run, prices *pricing.Table) error {
	d := runDocOf(r, prices, true)
	p := e.Palette()
	fmt.Fprintf(w, "run %s  workflow %s (%s)  branch %s  %s\n", p.Paint(ui.SlotID, d.Run), d.Workflow, d.File, d.Branch,
		p.Paint(stepSlot(d.Status), string(d.Status)))
	fmt.Fprintf(w, "started %s · updated %s · topic %s · %s tokens · %s\n", shortTime(d.Started), shortTime(d.Updated),
		d.Topic, tokens(d.Usage), d.Cost)
	if d.Remote != "" {
		fmt.Fprintf(w, "fetched from %s\n", d.Remote)
	}
	rows := make([][]string, 0, len(d.Steps))
	for _, s := range d.Steps {
		note := s.Detail
		if s.Status == workflow.Passed {
			note = s.Summary
			if note == "" {
				note = s.Answer
			}
		}
		sess := ""
		if s.Session != "" {
			sess = text.ShortID(s.Session)
		}
		rows = append(rows, []string{statusMark(s.Status), s.ID, string(s.Status), sess, tokens(s.Usage),
			s.Cost.String(), redact.Line(note, 200)})
	}
	fmt.Fprintln(w)
	return tableTo(e, w, []string{"", "STEP", "STATUS", "SESSION", "TOKENS", "COST", "NOTE"}, 6, rows)
}
