package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/runner"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/workflow"
)

// RunOptions are the inputs of `git codex run`.
type RunOptions struct {
	// File is the workflow file; with Resume it may be left out (the run's
	// own file is read from git).
	File string
	// Jobs bounds the steps running at once (-j; 0: workflow.DefaultJobs).
	Jobs   int
	DryRun bool
	// Resume is the id (a unique prefix) of a run to continue.
	Resume string
	JSON   bool
	// Schema prints the JSON Schema of workflow files instead.
	Schema bool
}

func newRunCommand(e *Env, runF func(context.Context, *RunOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *RunOptions) error { return runRun(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "run",
		Usage:     "run a workflow: steps as sessions, independent ones at once, resumable from git",
		UsageText: "git codex run [-j N] [--dry-run] [--json] FILE\n   git codex run --resume RUN [-j N] [--json] [FILE]",
		Description: "Runs the steps of a workflow file (.codex/workflows/NAME.yaml; see README's\n" +
			"Workflows) as soon as the steps they wait for have passed, at most -j at once. Each\n" +
			"step is a session on its own topic (<branch>/<workflow>/<step>), or a reply to the\n" +
			"session of the step it continues, then the fix loop of its check. Every state change\n" +
			"is stored in git (topic <branch>/<workflow>), so a run stopped by Ctrl-C, a crash or\n" +
			"a failed step resumes where it stopped, here or in another clone after 'git codex\n" +
			"sync': passed steps are not run again. On a terminal one line per step is redrawn;\n" +
			"piped, one line per change; --json prints the events. Ctrl-C starts no new step, lets\n" +
			"the running ones store what they have, and prints the resume command (exit 130).\n" +
			"Steps in workspace-write apply their edits without asking: a run is unattended.\n\n" +
			"Examples:\n" +
			"  git codex run .codex/workflows/review.yaml\n" +
			"  git codex run --dry-run .codex/workflows/review.yaml\n" +
			"  git codex run -j 8 --json .codex/workflows/review.yaml | jq -c 'select(.event==\"step.finished\")'\n" +
			"  git codex run --resume 01JD3\n" +
			"  git codex run --schema > .codex/workflows/schema.json   # then: # yaml-language-server: $schema=schema.json",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: workflow.DefaultJobs, Usage: "run at most `N` steps at once"},
			&cli.BoolFlag{Name: "dry-run", Usage: "check the file and print the plan (order, what runs at once, the critical path, topics); send nothing"},
			&cli.StringFlag{Name: "resume", Usage: "continue the run `RUN` (an id, or a unique prefix of one; see 'git codex runs')"},
			jsonFlag(),
			&cli.BoolFlag{Name: "schema", Usage: "print the JSON Schema of workflow files (for editors) and exit"},
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "FILE"); err != nil {
				return err
			}
			if c.Bool("schema") {
				if c.NArg() > 0 || c.NumFlags() > 1 {
					return failure.Usagef("run 'git codex run --schema' alone", "--schema takes nothing else")
				}
				return runF(c.Context, &RunOptions{Schema: true})
			}
			if c.NArg() > 1 {
				return failure.Usagef("run 'git codex run --help'", "run takes one workflow file")
			}
			if c.NArg() == 0 && !c.IsSet("resume") {
				return failure.Usagef("name a workflow file, e.g. git codex run .codex/workflows/review.yaml", "run needs a workflow file")
			}
			if c.IsSet("resume") && strings.TrimSpace(c.String("resume")) == "" {
				return failure.Usagef("name a run from 'git codex runs'", "--resume needs a run id")
			}
			if c.Int("jobs") < 1 {
				return failure.Usagef("run 'git codex run --help'", "-j must be at least 1")
			}
			if c.Bool("dry-run") && c.IsSet("resume") {
				return failure.Usagef("drop --dry-run to resume the run", "--dry-run plans a new run; it does not resume one")
			}
			return runF(c.Context, &RunOptions{File: c.Args().First(), Jobs: c.Int("jobs"), DryRun: c.Bool("dry-run"),
				Resume: strings.TrimSpace(c.String("resume")), JSON: c.Bool("json")})
		},
	}
}

func runRun(ctx context.Context, e *Env, opts *RunOptions) error {
	if opts.Schema {
		_, err := e.Stdout.Write(workflow.Schema())
		return err
	}
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	eng, err := e.Engine(EngineOptions{Model: !opts.DryRun, Quiet: true})
	if err != nil {
		return err
	}
	var (
		wf     *workflow.Workflow
		prev   *runner.Run
		src    []byte
		branch string
		topic  string
	)
	runID := ""
	release := func() {}
	defer func() { release() }()
	if opts.Resume != "" {
		var warns []gitstore.Warning
		prev, release, warns, err = runner.Claim(ctx, repo, eng.Store, opts.Resume)
		if err == nil {
			runID = prev.State.Run
		}
		warnSkipped(e, warns)
		if err != nil {
			return err
		}
		wf, err = runner.Source(ctx, repo, repo.WorkTree(), prev.State, opts.File)
		if err != nil && !errors.Is(err, workflow.ErrInvalid) {
			return err
		}
		branch, topic = prev.State.Branch, prev.Topic
		if prev.State.Status == workflow.Passed {
			fmt.Fprintf(e.Stderr, "git-codex: run %s passed already; nothing to resume\n", text.ShortID(prev.State.Run))
			return nil
		}
	} else {
		wf, src, err = readWorkflow(repo, opts.File)
		if err != nil {
			return workflowProblems(e, err)
		}
		h, herr := repo.Head()
		if herr != nil {
			return herr
		}
		if h.Branch == "" {
			return failure.Usagef("check out a branch: a run's topics are named after it",
				"HEAD is detached, so there is no branch to name the run's topics")
		}
		branch, topic = h.Branch, runner.Topic(h.Branch, wf)
	}
	if err != nil {
		return workflowProblems(e, err)
	}
	for _, w := range wf.Warnings {
		fmt.Fprintf(e.Stderr, "git-codex: warning: %s\n", w.Error())
	}
	if opts.DryRun {
		return printPlan(e, wf, branch, topic, opts)
	}
	prices, err := e.Prices()
	if err != nil {
		return err
	}
	eng.Prices = prices
	if eng.Config.APIKey == "" && eng.Config.BaseURL == "" {
		return fmt.Errorf("run workflow %s: %w", wf.Name, session.ErrNoAPIKey)
	}
	mode, err := modeRequest(repo, "", "")
	if err != nil {
		return err
	}
	blob := ""
	if prev == nil {
		if blob, err = runner.Keep(ctx, repo, topic, src); err != nil {
			return err
		}
		if untracked, changed, err := repo.UncommittedPaths(ctx, wf.File); err == nil && len(untracked)+len(changed) > 0 {
			fmt.Fprintf(e.Stderr, "git-codex: warning: %s is not committed as it is: this clone can resume the run, another clone cannot\n", wf.File)
		}
	}

	if prev == nil {
		runID = gitstore.NewID(e.Now())
		if release, err = runner.Hold(repo, runID); err != nil {
			return err
		}
	}

	view := newRunView(e, wf, prices, opts.JSON)
	sink := &runner.Sink{Store: repo.Notes(), Topic: topic, Head: func() (string, error) {
		h, err := repo.Head()
		return h.Target(), err
	}}
	r := &runner.Runner{Engine: eng, ConfigSandbox: mode.ConfigSandbox, Notify: view.notify}
	wopt := workflow.Options{Jobs: opts.Jobs, Branch: branch, Blob: blob, Runner: r, NewID: func(time.Time) string { return runID }, Now: e.Now,
		Sink: workflow.SinkFunc(func(ev workflow.Event) error {
			err := sink.Emit(ev)
			view.event(ev)
			return err
		})}
	var st *workflow.State
	if prev != nil {
		view.resume(prev.State)
		st, err = workflow.Resume(ctx, wf, prev.State, wopt)
	} else {
		st, err = workflow.Start(ctx, wf, wopt)
	}
	if cerr := sink.Close(); cerr != nil && err == nil {
		err = cerr
	}
	view.finish(st)
	if st == nil {
		return err
	}
	resume := "git codex run --resume " + text.ShortID(st.Run)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.Stderr, "git-codex: run %s stopped; what the running steps had is stored. Resume with: %s\n", text.ShortID(st.Run), resume)
		return err
	case errors.Is(err, workflow.ErrStepFailed):
		return failure.WithHint(err, "see 'git codex show "+text.ShortID(st.Run)+"'; once fixed, resume with: "+resume)
	}
	return failure.WithHint(err, "resume with: "+resume)
}

// readWorkflow reads and parses a workflow file, named in errors and in the
// run's records by its path from the top of the work tree.
func readWorkflow(repo *gitstore.Repo, file string) (*workflow.Workflow, []byte, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, failure.Usagef("name a workflow file, e.g. .codex/workflows/review.yaml", "read workflow: %v", err)
	}
	name := file
	if root := repo.WorkTree(); root != "" {
		if abs, err := filepath.Abs(file); err == nil {
			if rel, err := filepath.Rel(root, abs); err == nil && !strings.HasPrefix(rel, "..") {
				name = filepath.ToSlash(rel)
			}
		}
	}
	wf, err := workflow.Parse(name, src)
	if err != nil {
		return nil, nil, err
	}
	return wf, src, nil
}

// workflowProblems prints every problem of an invalid workflow file on a
// line of its own and returns one line that sums them up.
func workflowProblems(e *Env, err error) error {
	var list workflow.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return err
	}
	for _, p := range list {
		fmt.Fprintf(e.Stderr, "git-codex: %s\n", p.Error())
	}
	n := "1 problem"
	if len(list) > 1 {
		n = fmt.Sprintf("%d problems", len(list))
	}
	return failure.SayInstead(err, fmt.Sprintf("%s: %s; nothing ran", list[0].File, n), "")
}

// warnSkipped reports note lines a reader skipped.
func warnSkipped(e *Env, warns []gitstore.Warning) {
	for _, w := range warns {
		fmt.Fprintf(e.Stderr, "git-codex: warning: skipped %s\n", w.String())
	}
}

// plan is the --dry-run --json document.
type plan struct {
	Workflow string     `json:"workflow"`
	File     string     `json:"file"`
	Topic    string     `json:"topic"`
	Jobs     int        `json:"jobs"`
	Steps    []planStep `json:"steps"`
	Order    []string   `json:"order"`
	Levels   [][]string `json:"levels"`
	Critical []string   `json:"critical_path"`
	Warnings []string   `json:"warnings,omitempty"`
}

type planStep struct {
	ID      string   `json:"id"`
	After   []string `json:"after,omitempty"`
	ReplyTo string   `json:"reply_to,omitempty"`
	Topic   string   `json:"topic"`
	Check   []string `json:"check,omitempty"`
	Sandbox string   `json:"sandbox,omitempty"`
	Model   string   `json:"model,omitempty"`
}

// printPlan prints what a run would do, sending nothing.
func printPlan(e *Env, wf *workflow.Workflow, branch, topic string, opts *RunOptions) error {
	topics, err := wf.Topics(branch)
	if err != nil {
		return err
	}
	p := wf.Plan()
	doc := plan{Workflow: wf.Name, File: wf.File, Topic: topic, Jobs: opts.Jobs, Order: p.Order, Levels: p.Levels, Critical: p.Critical}
	for _, s := range wf.Steps {
		doc.Steps = append(doc.Steps, planStep{ID: s.ID, After: wf.Deps(s.ID), ReplyTo: s.ReplyTo, Topic: topics[s.ID],
			Check: s.Check, Sandbox: s.Sandbox, Model: s.Model})
	}
	for _, w := range wf.Warnings {
		doc.Warnings = append(doc.Warnings, w.Error())
	}
	if opts.JSON {
		return writeJSON(e.Stdout, doc)
	}
	w := e.Stdout
	fmt.Fprintf(w, "workflow %s (%s): %d steps, -j %d; runs recorded in topic %s\n", wf.Name, wf.File, len(wf.Steps), opts.Jobs, topic)
	fmt.Fprintf(w, "order:         %s\n", strings.Join(p.Order, ", "))
	var levels []string
	for i, l := range p.Levels {
		levels = append(levels, fmt.Sprintf("%d. %s", i+1, strings.Join(l, ", ")))
	}
	fmt.Fprintf(w, "at once:       %s\n", strings.Join(levels, "  "))
	fmt.Fprintf(w, "critical path: %s (%d steps)\n", strings.Join(p.Critical, " → "), len(p.Critical))
	rows := make([][]string, 0, len(wf.Steps))
	for _, s := range doc.Steps {
		waits := strings.Join(s.After, ", ")
		if s.ReplyTo != "" {
			waits = "continues " + s.ReplyTo
			if len(s.After) > 1 {
				waits += "; after " + strings.Join(s.After, ", ")
			}
		}
		rows = append(rows, []string{s.ID, s.Topic, waits})
	}
	fmt.Fprintln(w)
	return tableTo(e, w, []string{"STEP", "TOPIC", "WAITS FOR"}, 2, rows)
}
