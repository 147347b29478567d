package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/scaffold"
	"github.com/git-codex/git-codex/session"
)

// improveDrafts is `init --llm`: the drafts are written, a session on topic
// codex-init asks the model to improve them (it reads them and the code
// with the read-only tools), its version is shown as a diff and written
// when accepted. Otherwise the files are put back as they were, so a
// second run (with --yes) finds the same state.
func improveDrafts(ctx context.Context, e *Env, root string, opts *InitOptions) ([]scaffold.Written, error) {
	drafts, err := scaffold.Drafts(root, scaffold.ScaffoldOptions{Force: opts.Force})
	if err != nil {
		return nil, err
	}
	var out []scaffold.Written
	var todo []scaffold.Draft
	for _, d := range drafts {
		if d.Action == scaffold.ActionKept {
			out = append(out, d.Written)
			continue
		}
		todo = append(todo, d)
	}
	if len(todo) == 0 {
		fmt.Fprintln(e.Stderr, "git-codex: --llm: nothing to draft: the context files have content (add --force to redraft them)")
		return out, nil
	}
	accepted := false
	var written []scaffold.Draft
	defer func() {
		if accepted {
			return
		}
		for _, d := range written {
			if err := scaffold.Restore(root, d); err != nil {
				e.warnf("%v", err)
			}
		}
	}()
	var names []string
	for _, d := range todo {
		if err := scaffold.Write(root, d.File, d.Text); err != nil {
			return out, err
		}
		written = append(written, d)
		names = append(names, d.File)
	}

	// The answer holds whole files: it is parsed and shown as a diff.
	eng, err := e.Engine(EngineOptions{Model: true, HideAnswer: true})
	if err != nil {
		return out, err
	}
	fmt.Fprintf(e.Stderr, "git-codex: asking the model to improve %s (topic %s)…\n", strings.Join(names, " and "), prompt.InitTopic)
	res, err := eng.Delegate(ctx, session.DelegateOptions{Topic: prompt.InitTopic, Task: prompt.InitImproveTask(names)})
	if err != nil {
		return out, err
	}
	improved := prompt.ParseFiles(res.Text, names)
	if len(improved) == 0 {
		return out, failure.SayInstead(failure.ErrModelAnswer, "the model's answer holds no context file",
			"read it with 'git codex show -t "+prompt.InitTopic+"'; the drafts were not written")
	}
	changed := false
	for _, d := range todo {
		text, ok := improved[d.File]
		if !ok || text == d.Text {
			fmt.Fprintf(e.Stdout, "%s: the model left the draft as it was\n", d.File)
			continue
		}
		changed = true
		e.Stdout.Write(diff.Diff(d.File+" (draft)", []byte(d.Text), d.File+" (model)", []byte(text)))
	}
	switch {
	case !changed:
		accepted = true // the drafts stand
	case opts.Yes:
		accepted = true
	case isTerminal(e.Stderr) && stdinIsTerminal(e):
		fmt.Fprint(e.Stderr, "Write the model's version? [y/N] ")
		line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
		a := strings.ToLower(strings.TrimSpace(line))
		accepted = a == "y" || a == "yes"
	default:
		fmt.Fprintln(e.Stderr, "git-codex: not written: no terminal to confirm on; run again with --yes to write the model's version")
	}
	if !accepted {
		for _, d := range todo {
			w := d.Written
			w.Action = scaffold.ActionSkipped
			out = append(out, w)
		}
		return out, nil
	}
	for _, d := range todo {
		w := d.Written
		if text, ok := improved[d.File]; ok && text != d.Text {
			if err := scaffold.Write(root, d.File, text); err != nil {
				return out, err
			}
			w.Source += " and the model"
		}
		out = append(out, w)
	}
	return out, nil
}

// stdinIsTerminal reports whether the user can answer a question.
func stdinIsTerminal(e *Env) bool {
	f, ok := e.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
