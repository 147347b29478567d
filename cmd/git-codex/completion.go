package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/cmd/git-codex/ui"
)

// completionScripts are the shell scripts `git codex completion SHELL`
// prints. They are thin: every candidate comes from `git codex __complete`,
// which reads the command table and the notes, so they never go stale.
//
//go:embed completion/git-codex.bash completion/git-codex.zsh completion/git-codex.fish
var completionScripts embed.FS

var completionShells = []string{"bash", "zsh", "fish"}

// CompletionOptions are the inputs of `git codex completion`.
type CompletionOptions struct {
	Shell string
}

func newCompletionCommand(e *Env, runF func(context.Context, *CompletionOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *CompletionOptions) error { return runCompletion(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "Prints a script that completes commands, flags, topics and session ids. For bash\n" +
			"it defines _git_codex, which git's own completion calls for 'git codex <TAB>' (and\n" +
			"completes 'git-codex <TAB>' too); zsh gets _git-codex, which zsh's git completion\n" +
			"calls; fish completes git-codex, which fish's git completion uses for 'git codex'.\n\n" +
			"Examples:\n" +
			"  echo 'source <(git codex completion bash)' >> ~/.bashrc\n" +
			"  git codex completion bash > ~/.local/share/bash-completion/completions/git-codex\n" +
			"  git codex completion zsh > \"${fpath[1]}/_git-codex\"\n" +
			"  git codex completion fish > ~/.config/fish/completions/git-codex.fish",
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "SHELL"); err != nil {
				return err
			}
			if c.NArg() != 1 {
				return failure.Usagef("run 'git codex completion bash' (or zsh, fish)", "completion takes one shell name")
			}
			return runF(c.Context, &CompletionOptions{Shell: c.Args().First()})
		},
	}
}

func runCompletion(_ context.Context, e *Env, opts *CompletionOptions) error {
	b, err := completionScripts.ReadFile("completion/git-codex." + opts.Shell)
	if err != nil {
		return failure.Usagef("choose bash, zsh or fish", "no completion for shell %q", opts.Shell)
	}
	_, err = e.Stdout.Write(b)
	return err
}

// newCompleteCommand is the hidden command the completion scripts call:
//
//	git codex __complete --shell bash -- WORDS... CURRENT
//
// WORDS are the words after "codex" before the one being completed; CURRENT
// is that word ("" at a fresh position). It prints one candidate a line,
// "value<TAB>description", first a ":files", ":dirs" or ":default" line when
// the shell should complete file names or fall back to its default instead.
// Errors are never shown: completion must stay quiet.
// CompleteOptions are the inputs of the hidden `git codex __complete`.
type CompleteOptions struct {
	Shell string
	// Words are the words before the one completed, Current that word.
	Words   []string
	Current string
	// app is the command line whose commands and flags complete.
	app *cli.App
}

func newCompleteCommand(e *Env, runF func(context.Context, *CompleteOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *CompleteOptions) error { return runComplete(ctx, e, opts) }
	}
	return &cli.Command{
		Name:            "__complete",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			shell := "bash"
			if len(args) >= 2 && args[0] == "--shell" {
				shell, args = args[1], args[2:]
			}
			if len(args) > 0 && args[0] == "--" {
				args = args[1:]
			}
			cur := ""
			if len(args) > 0 {
				cur, args = args[len(args)-1], args[:len(args)-1]
			}
			// The output flags (--no-pager, --color…) may stand anywhere;
			// the command table does not know them.
			if rest, _, err := ui.TakeOutputFlags(append([]string{""}, args...)); err == nil {
				args = rest[1:]
			}
			return runF(c.Context, &CompleteOptions{Shell: shell, Words: args, Current: cur, app: c.App})
		},
	}
}

func runComplete(ctx context.Context, e *Env, opts *CompleteOptions) error {
	writeCompletions(e.Stdout, completeWords(ctx, opts.app, opts.Words, opts.Current, opts.Shell, repoValues{e}))
	return nil
}

// completion is what __complete answers: a directive for the shell, or
// candidates.
type completion struct {
	directive  string // "", "files", "dirs" or "default"
	candidates []candidate
}

type candidate struct{ value, desc string }

func writeCompletions(w io.Writer, c completion) {
	if c.directive != "" {
		fmt.Fprintf(w, ":%s\n", c.directive)
	}
	for _, cand := range c.candidates {
		desc := strings.Join(strings.Fields(cand.desc), " ")
		if desc == "" {
			fmt.Fprintln(w, cand.value)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\n", cand.value, desc)
	}
}

// completionValues supplies the values that live in the repository.
type completionValues interface {
	Topics(ctx context.Context) []candidate
	Sessions(ctx context.Context) []candidate
	Refs(ctx context.Context) []candidate
	Remotes(ctx context.Context) []candidate
}

// completeWords computes the candidates for cur, the word being typed after
// the words args (those after "codex"), from the command table.
func completeWords(ctx context.Context, app *cli.App, args []string, cur, shell string, values completionValues) completion {
	if len(args) == 0 {
		if strings.HasPrefix(cur, "-") {
			return filterCandidates([]candidate{{"--version", "print the version"}, {"--help", "show help"}}, cur)
		}
		return filterCandidates(commandCandidates(app.Commands), cur)
	}
	cmd := app.Command(args[0])
	if cmd == nil || cmd.Hidden {
		return completion{}
	}
	rest := args[1:]
	switch cmd.Name {
	case "help":
		if len(rest) == 0 {
			return filterCandidates(commandCandidates(app.Commands), cur)
		}
		return completion{}
	case "completion":
		if len(rest) == 0 {
			var cs []candidate
			for _, s := range completionShells {
				cs = append(cs, candidate{s, ""})
			}
			return filterCandidates(cs, cur)
		}
		return completion{}
	}
	if len(cmd.Subcommands) > 0 {
		if len(rest) == 0 {
			return filterCandidates(commandCandidates(cmd.Subcommands), cur)
		}
		sub := cmd.Command(rest[0])
		if sub == nil {
			return completion{}
		}
		cmd, rest = sub, rest[1:]
	}

	// Where are we: after "--", after a flag that takes a value, or at a
	// positional argument?
	positional := 0
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		if w == "--" {
			return completion{directive: "default"} // fix -- CMD…: the shell's own
		}
		if f, ok := ownFlag(cmd, w); ok && !strings.Contains(w, "=") && takesValue(f) {
			if i == len(rest)-1 {
				return flagValues(ctx, f, cur, "", values)
			}
			i++
			continue
		}
		if !strings.HasPrefix(w, "-") {
			positional++
		}
	}
	if strings.HasPrefix(cur, "-") {
		if name, val, ok := strings.Cut(cur, "="); ok {
			if f, ok := ownFlag(cmd, name); ok && takesValue(f) {
				prefix := ""
				if shell != "bash" {
					prefix = name + "=" // bash completes the part after "=" only
				}
				return flagValues(ctx, f, val, prefix, values)
			}
			return completion{}
		}
		return filterCandidates(flagCandidates(cmd), cur)
	}
	switch cmd.Name {
	case "show":
		if positional == 0 {
			return filterCandidates(append(values.Sessions(ctx), values.Topics(ctx)...), cur)
		}
	case "run":
		if positional == 0 {
			return completion{directive: "files"} // the workflow file
		}
	case "log":
		return refCandidates(ctx, cur, values)
	case "sync":
		if positional == 0 {
			return filterCandidates(values.Remotes(ctx), cur)
		}
	}
	return completion{}
}

// flagValues completes the value of flag f; prefix goes before each value.
func flagValues(ctx context.Context, f cli.Flag, cur, prefix string, values completionValues) completion {
	var cs []candidate
	switch f.Names()[0] {
	case "topic":
		cs = values.Topics(ctx)
	case "session":
		cs = values.Sessions(ctx)
	case "engine":
		cs = []candidate{{"responses", "Responses API, server-side state"}, {"chat", "Chat Completions, history from git"}, {"codex", "the Codex CLI, its threads kept in git"}}
	case "sandbox":
		cs = []candidate{{"read-only", "the model reads and proposes"}, {"workspace-write", "the model changes files with apply_patch"}}
	case "approval":
		cs = []candidate{{"untrusted", "ask before every edit"}, {"on-request", "ask before changes and deletes"}, {"never", "apply without asking"}}
	case "format":
		cs = []candidate{{"markdown", ""}, {"json", ""}}
	case "base":
		return refCandidates(ctx, cur, values)
	case "context", "file", "write":
		return completion{directive: "files"}
	case "prefix":
		return completion{directive: "dirs"}
	default:
		return completion{}
	}
	c := filterCandidates(cs, cur)
	for i := range c.candidates {
		c.candidates[i].value = prefix + c.candidates[i].value
	}
	return c
}

// refCandidates completes a revision or a range: after "A..", the refs
// are offered with "A.." in front.
func refCandidates(ctx context.Context, cur string, values completionValues) completion {
	prefix, word := "", cur
	if i := strings.LastIndex(cur, ".."); i >= 0 {
		prefix, word = cur[:i+2], cur[i+2:] // "A..." ends in the last "..": prefix "A..."
	}
	c := filterCandidates(values.Refs(ctx), word)
	for i := range c.candidates {
		c.candidates[i].value = prefix + c.candidates[i].value
	}
	return c
}

func takesValue(f cli.Flag) bool {
	df, ok := f.(cli.DocGenerationFlag)
	return ok && df.TakesValue()
}

func commandCandidates(cmds []*cli.Command) []candidate {
	var cs []candidate
	for _, c := range cmds {
		if !c.Hidden {
			cs = append(cs, candidate{c.Name, c.Usage})
		}
	}
	return cs
}

func flagCandidates(cmd *cli.Command) []candidate {
	cs := []candidate{{"--help", "show help"}}
	for _, f := range cmd.VisibleFlags() {
		usage := ""
		if df, ok := f.(cli.DocGenerationFlag); ok {
			usage = strings.ReplaceAll(df.GetUsage(), "`", "")
		}
		for _, n := range f.Names() {
			if len(n) > 1 {
				cs = append(cs, candidate{"--" + n, usage})
			}
		}
	}
	return cs
}

func filterCandidates(cs []candidate, prefix string) completion {
	var out []candidate
	seen := map[string]bool{}
	for _, c := range cs {
		if strings.HasPrefix(c.value, prefix) && !seen[c.value] {
			seen[c.value] = true
			out = append(out, c)
		}
	}
	return completion{candidates: out}
}

// repoValues reads completion values from the repository around Env.Dir;
// outside a repository there are none.
type repoValues struct{ e *Env }

func (v repoValues) Topics(ctx context.Context) []candidate {
	repo, err := v.e.Repo()
	if err != nil {
		return nil
	}
	topics, err := repo.Notes().Topics(ctx)
	if err != nil {
		return nil
	}
	var cs []candidate
	for _, t := range topics {
		cs = append(cs, candidate{t, "topic"})
	}
	return cs
}

func (v repoValues) Sessions(ctx context.Context) []candidate {
	eng, err := v.e.Engine(EngineOptions{Quiet: true})
	if err != nil {
		return nil
	}
	list, err := eng.List(ctx)
	if err != nil {
		return nil
	}
	// Newest first: the session one most likely means.
	sort.SliceStable(list, func(i, j int) bool { return list[i].Last > list[j].Last })
	var cs []candidate
	for _, o := range list {
		cs = append(cs, candidate{o.ID, fmt.Sprintf("%s, %s: %s", o.Topic, o.Status, o.Title)})
	}
	return cs
}

func (v repoValues) Refs(ctx context.Context) []candidate {
	repo, err := v.e.Repo()
	if err != nil {
		return nil
	}
	var cs []candidate
	for _, prefix := range []string{"refs/heads/", "refs/tags/", "refs/remotes/"} {
		refs, err := repo.ListRefs(prefix)
		if err != nil {
			continue
		}
		names := make([]string, 0, len(refs))
		for name := range refs {
			short := strings.TrimPrefix(name, prefix)
			if prefix == "refs/remotes/" && strings.HasSuffix(short, "/HEAD") {
				continue
			}
			names = append(names, short)
		}
		sort.Strings(names)
		for _, n := range names {
			cs = append(cs, candidate{n, "ref"})
		}
	}
	return cs
}

func (v repoValues) Remotes(ctx context.Context) []candidate {
	repo, err := v.e.Repo()
	if err != nil {
		return nil
	}
	var cs []candidate
	for _, r := range repo.Remotes() {
		cs = append(cs, candidate{r, "remote"})
	}
	return cs
}
