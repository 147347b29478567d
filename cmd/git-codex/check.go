package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/internal/text"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	repoctx "github.com/git-codex/git-codex/context"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/hooks"
	"github.com/git-codex/git-codex/session"
)

// CheckOptions are the inputs of `git codex check`.
type CheckOptions struct {
	JSON bool
}

// checkReport is what check prints with --json.
type checkReport struct {
	OK       bool                      `json:"ok"`
	Context  []repoctx.Problem         `json:"context"`
	Storage  []gitstore.StorageProblem `json:"storage"`
	Install  *hooks.InstallStatus      `json:"install,omitempty"`
	Warnings []string                  `json:"warnings,omitempty"`
	// Stale lists where ARCHITECTURE.md no longer matches the tree: warnings,
	// or problems when codex.strictContext is true (Strict).
	Stale  []repoctx.Staleness `json:"stale,omitempty"`
	Strict bool                `json:"strictContext,omitempty"`
	// Bare is set in a bare repository, where there are no context files to check.
	Bare bool `json:"bare,omitempty"`
}

// recordWarnings reads every topic and reports what readers skip or what
// was left half done: malformed lines (hand edits) and turns without an
// answer (a killed process). Neither is damage: nothing is lost, readers
// cope, so they are warnings.
func recordWarnings(ctx context.Context, repo *gitstore.Repo) ([]string, error) {
	audits, err := session.AuditTopics(ctx, repo.Notes())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range audits {
		for _, w := range a.Skipped {
			out = append(out, "skipped by readers: "+w.String())
		}
		for _, r := range a.Unanswered {
			out = append(out, fmt.Sprintf("topic %s: turn %s of session %s has no answer (interrupted?); the next 'git codex reply -s %s' sends it again",
				a.Topic, text.ShortID(r.ID), text.ShortID(r.Session), text.ShortID(r.Session)))
		}
	}
	return out, nil
}

func newCheckCommand(e *Env, runF func(context.Context, *CheckOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *CheckOptions) error { return runCheck(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "check",
		Usage:     "exit 3 when a context file is missing or session storage is damaged; say what to run",
		UsageText: "git codex check [--json]",
		Description: "Checks, without changing anything:\n" +
			"  - ARCHITECTURE.md and AGENTS.md exist at the top of the work tree and are not empty,\n" +
			"    and (a warning only) are committed: untracked or changed files reach no clone;\n" +
			"  - the notes refs under refs/notes/codex/ are sound: no zero-byte or garbage ref files,\n" +
			"    no stale .lock files, no ref pointing at a missing object;\n" +
			"  - (a warning only) the pre-push hook and the notes-rewrite config 'init' sets are in place;\n" +
			"  - (a warning, a problem with 'git config codex.strictContext true') ARCHITECTURE.md\n" +
			"    names no path that is gone and mentions every top-level directory holding code.\n" +
			"Each problem comes with the command that fixes it. Exit status: 0 when sound, 3 when\n" +
			"something must be fixed, 1 when the check itself failed.\n\n" +
			"Examples:\n" +
			"  git codex check\n" +
			"  git codex check --json | jq .storage",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return failure.Usagef("run 'git codex check --help'", "check takes no arguments")
			}
			return runF(c.Context, &CheckOptions{JSON: c.Bool("json")})
		},
	}
}

func runCheck(ctx context.Context, e *Env, opts *CheckOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	rep := checkReport{Context: []repoctx.Problem{}, Storage: []gitstore.StorageProblem{}}
	if root := repo.WorkTree(); root != "" {
		if p := repoctx.Check(root); p != nil {
			rep.Context = p
		}
		rep.Stale = repoctx.Stale(root)
		rep.Strict = repo.ConfigBool(strictContextKey, false)
		// A file in place here but not committed passes the check above,
		// yet no clone (teammate, CI) gets it: a warning.
		probs, err := repoctx.CheckTracked(ctx, repo)
		if err != nil {
			rep.Warnings = append(rep.Warnings, err.Error())
		}
		for _, p := range probs {
			rep.Warnings = append(rep.Warnings, p.File+" "+p.Detail+" (run '"+repoctx.CommitHint(p)+"')")
		}
	}
	rep.Storage, err = repo.VerifyNotesRefs(ctx)
	if err != nil {
		return err
	}
	if rep.Storage == nil {
		rep.Storage = []gitstore.StorageProblem{}
	}
	if st, err := hooks.Status(ctx, repo); err != nil {
		rep.Warnings = append(rep.Warnings, "could not inspect the hook: "+err.Error())
	} else {
		rep.Install = &st
		if !st.HookInstalled {
			rep.Warnings = append(rep.Warnings, "the pre-push hook is not installed at "+st.Hook+": session notes will not travel with git push (run 'git codex init')")
		}
		for _, kv := range st.MissingConfig {
			rep.Warnings = append(rep.Warnings, "config "+kv+" is not set: sessions may not follow amends and rebases (run 'git codex init')")
		}
	}
	if len(rep.Storage) == 0 {
		w, err := recordWarnings(ctx, repo)
		if err != nil {
			return err
		}
		rep.Warnings = append(rep.Warnings, w...)
	}
	rep.Bare = repo.WorkTree() == ""
	rep.OK = len(rep.Context) == 0 && len(rep.Storage) == 0 && !(rep.Strict && len(rep.Stale) > 0)

	if opts.JSON {
		if err := writeJSON(e.Stdout, rep); err != nil {
			return err
		}
	} else {
		printCheck(e, rep)
	}
	if rep.OK {
		return nil
	}
	n := len(rep.Context) + len(rep.Storage)
	hint := "fix the storage problems with the commands shown"
	if rep.Strict && len(rep.Stale) > 0 {
		n += len(rep.Stale)
		hint = "update ARCHITECTURE.md (or redraft it with 'git codex init --force --no-hooks'), or unset codex.strictContext"
	}
	if len(rep.Context) > 0 {
		hint = "run 'git codex init' to scaffold the missing context files"
		if len(rep.Storage) > 0 {
			hint += ", and fix the storage problems with the commands shown"
		}
	}
	return failure.SayInstead(failure.ErrCheckFailed, countNoun(n, "problem")+" found", hint)
}

func printCheck(e *Env, rep checkReport) {
	w := e.Stdout
	p := e.Palette()
	// label pads a status word to 8 columns, painted: problems in the
	// error colour, warnings in the warning colour, ok in green.
	label := func(word string) string {
		slot := ui.SlotError
		switch word {
		case "ok":
			slot = ui.SlotNew
		case "warning":
			slot = ui.SlotWarning
		case "skipped":
			slot = ui.SlotDim
		}
		return p.Paint(slot, word) + strings.Repeat(" ", max(0, 8-len(word)))
	}
	bad := map[string]repoctx.Problem{}
	for _, p := range rep.Context {
		bad[p.File] = p
	}
	for _, f := range repoctx.RequiredFiles {
		if rep.Bare {
			fmt.Fprintf(w, "%s %s (bare repository: no work tree)\n", label("skipped"), f)
			continue
		}
		if p, ok := bad[f]; ok {
			fmt.Fprintf(w, "%s %s %s — run 'git codex init'\n", label(string(p.Kind)), f, p.Detail)
		} else {
			fmt.Fprintf(w, "%s %s\n", label("ok"), f)
		}
	}
	if len(rep.Storage) == 0 {
		fmt.Fprintf(w, "%s session storage\n", label("ok"))
	}
	for _, p := range rep.Storage {
		fmt.Fprintf(w, "%s %s: %s\n         fix: %s\n", label("damaged"), p.Ref, p.Detail, p.Fix)
	}
	if rep.Install != nil && rep.Install.Installed() {
		fmt.Fprintf(w, "%s pre-push hook and notes config\n", label("ok"))
	}
	for _, s := range rep.Stale {
		word := "warning"
		if rep.Strict {
			word = "stale"
		}
		fmt.Fprintf(w, "%s %s\n", label(word), s)
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "%s %s\n", label("warning"), warn)
	}
}

// strictContextKey makes check fail when ARCHITECTURE.md is stale.
const strictContextKey = "codex.strictContext"

func countNoun(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
