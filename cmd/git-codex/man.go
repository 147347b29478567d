package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
)

// InstallManOptions are the inputs of `git codex install-man`.
type InstallManOptions struct {
	// Prefix is the installation prefix; the page goes to
	// PREFIX/share/man/man1/git-codex.1. "" means the directory above the
	// running binary's, where man-db looks for the pages of programs on PATH.
	Prefix string
	// Stdout prints the page instead of installing it.
	Stdout bool
	// app is the command line the page describes (the one running).
	app *cli.App
}

func newInstallManCommand(e *Env, runF func(context.Context, *InstallManOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *InstallManOptions) error { return runInstallMan(ctx, e, opts) }
	}
	return &cli.Command{
		Name:  "install-man",
		Usage: "install the git-codex(1) manual, so that man git-codex and git codex --help show it",
		UsageText: "git codex install-man [--prefix DIR]\n" +
			"git codex install-man --stdout",
		Description: "Writes the manual page, generated from this binary's commands, to\n" +
			"PREFIX/share/man/man1/git-codex.1. The default PREFIX is the directory above the\n" +
			"binary's (for $(go env GOPATH)/bin/git-codex that is $(go env GOPATH)), where man\n" +
			"finds the pages of the programs on PATH: after it, 'man git-codex', 'git help codex'\n" +
			"and 'git codex --help' show the manual. Run it again after upgrading.\n\n" +
			"Examples:\n" +
			"  git codex install-man\n" +
			"  git codex install-man --prefix ~/.local\n" +
			"  git codex install-man --stdout | man -l -",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "prefix", Usage: "install under `DIR`/share/man/man1 (default: the directory above the binary's)"},
			&cli.BoolFlag{Name: "stdout", Usage: "print the page (roff) instead of installing it"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex install-man --help'", "install-man takes no arguments"); err != nil {
				return err
			}
			return runF(c.Context, &InstallManOptions{Prefix: c.String("prefix"), Stdout: c.Bool("stdout"), app: c.App})
		},
	}
}

func runInstallMan(_ context.Context, e *Env, opts *InstallManOptions) error {
	page := manPage(opts.app, version())
	if opts.Stdout {
		_, err := e.Stdout.Write(page)
		return err
	}
	prefix := opts.Prefix
	if prefix == "" {
		exe, err := os.Executable()
		if err != nil {
			return failure.WithHint(fmt.Errorf("find the running binary: %w", err), "pass --prefix DIR")
		}
		prefix = defaultManPrefix(exe)
	}
	path := filepath.Join(prefix, "share", "man", "man1", "git-codex.1")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return failure.WithHint(fmt.Errorf("install the manual: %w", err), "pass --prefix DIR for a directory you can write to")
	}
	if err := os.WriteFile(path, page, 0o644); err != nil {
		return failure.WithHint(fmt.Errorf("install the manual: %w", err), "pass --prefix DIR for a directory you can write to")
	}
	fmt.Fprintf(e.Stderr, "git-codex: installed %s\n", path)
	if opts.Prefix != "" {
		fmt.Fprintf(e.Stderr, "hint: man finds it when %s is on PATH, or with MANPATH=%s:\n",
			filepath.Join(prefix, "bin"), filepath.Join(prefix, "share", "man"))
	}
	return nil
}

// defaultManPrefix is the directory above the one holding the binary: man-db
// searches DIR/../share/man for every DIR on PATH.
func defaultManPrefix(exe string) string {
	return filepath.Dir(filepath.Dir(exe))
}

// manPage renders the git-codex(1) manual page from the command table, so
// it lists exactly the commands this binary has.
func manPage(app *cli.App, version string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%% GIT-CODEX 1 \"\" \"git-codex %s\" \"Git Manual\"\n\n", version)
	b.WriteString("# NAME\n\ngit-codex - " + mdEscape(app.Usage) + "\n\n")

	b.WriteString("# SYNOPSIS\n\n```\n")
	b.WriteString("git codex --version\ngit codex help [COMMAND]\n")
	for _, c := range manCommands(app.Commands, "") {
		if len(c.cmd.Subcommands) == 0 {
			b.WriteString(strings.Join(c.usage, "\n") + "\n")
		}
	}
	b.WriteString("```\n\n")

	b.WriteString("# DESCRIPTION\n\n")
	b.WriteString(mdParagraphs(app.Description))
	b.WriteString(manIntro)

	b.WriteString("# COMMANDS\n\n")
	for _, c := range manCommands(app.Commands, "") {
		fmt.Fprintf(&b, "### git codex %s\n\n", c.name)
		b.WriteString("```\n" + strings.Join(c.usage, "\n") + "\n```\n\n")
		b.WriteString(mdEscape(upperFirst(c.cmd.Usage)) + ".\n\n")
		b.WriteString(mdParagraphs(c.cmd.Description))
		for _, f := range c.cmd.VisibleFlags() {
			b.WriteString(manFlag(f))
		}
	}
	b.WriteString(manTrailer)
	return md2man.Render([]byte(b.String()))
}

// manCommand is one command (or subcommand) as the manual shows it.
type manCommand struct {
	name  string // "hook pre-push"
	usage []string
	cmd   *cli.Command
}

func manCommands(cmds []*cli.Command, parent string) []manCommand {
	var out []manCommand
	for _, c := range cmds {
		if c.Hidden || c.Name == "help" {
			continue
		}
		name := strings.TrimSpace(parent + " " + c.Name)
		usage := strings.Split(strings.TrimSpace(c.UsageText), "\n")
		if c.UsageText == "" {
			line := "git codex " + name
			if len(c.VisibleFlags()) > 0 {
				line += " [options]"
			}
			if c.ArgsUsage != "" {
				line += " " + c.ArgsUsage
			}
			usage = []string{line}
		}
		for i := range usage {
			usage[i] = strings.TrimSpace(usage[i])
		}
		out = append(out, manCommand{name: name, usage: usage, cmd: c})
		out = append(out, manCommands(c.Subcommands, name)...)
	}
	return out
}

// manFlag renders one option as a definition list entry.
func manFlag(f cli.Flag) string {
	var names []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			names = append(names, "**-"+n+"**")
		} else {
			names = append(names, "**--"+n+"**")
		}
	}
	head := strings.Join(names, ", ")
	usage := ""
	if df, ok := f.(cli.DocGenerationFlag); ok {
		usage = df.GetUsage()
		if df.TakesValue() {
			placeholder := strings.ToUpper(f.Names()[0])
			if parts := strings.SplitN(usage, "`", 3); len(parts) == 3 {
				placeholder = parts[1]
			}
			head += " *" + mdEscape(placeholder) + "*"
		}
		if d := df.GetDefaultText(); df.TakesValue() && d != "" && d != `""` {
			usage += " (default: " + d + ")"
		}
	}
	return head + "\n: " + mdEscape(strings.ReplaceAll(usage, "`", "")) + "\n\n"
}

// mdParagraphs turns a command description (plain text with examples
// indented by two spaces) into Markdown: text paragraphs, and code blocks for
// the indented lines.
func mdParagraphs(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		var prose, code []string
		flush := func() {
			if len(prose) > 0 {
				b.WriteString(mdEscape(strings.Join(prose, " ")) + "\n\n")
				prose = nil
			}
			if len(code) > 0 {
				b.WriteString("```\n" + strings.Join(code, "\n") + "\n```\n\n")
				code = nil
			}
		}
		for _, line := range strings.Split(para, "\n") {
			if strings.HasPrefix(line, "  ") {
				if len(prose) > 0 {
					flush()
				}
				code = append(code, strings.TrimPrefix(line, "  "))
				continue
			}
			if len(code) > 0 {
				flush()
			}
			prose = append(prose, strings.TrimSpace(line))
		}
		flush()
	}
	return b.String()
}

// mdEscape keeps Markdown from reading text as markup (<topic> as HTML,
// *, _ and backticks as emphasis or code).
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>#|", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// manIntro follows the app's description in DESCRIPTION.
const manIntro = `Commands that act on a session take **-t**/**--topic** (default: the current branch; a detached HEAD needs **-t**) and **-s**/**--session** *ID* (a unique prefix is enough). Commands whose output is data take **--json**. Every command has help with examples: **git codex** *command* **-h**.

`

// manTrailer holds what the command definitions do not say: environment,
// configuration, exit status, storage.
const manTrailer = `# ENVIRONMENT

OPENAI\_API\_KEY
: the API key; read from the environment only, never written anywhere. Not needed for a local server.

OPENAI\_BASE\_URL
: an OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, OpenRouter), with http:// or https://; overrides codex.baseURL.

OPENAI\_PRIMARY\_MODEL
: the model for new sessions; overrides codex.model.

NO\_COLOR
: no colour, even on a terminal.

# CONFIGURATION

codex.model, codex.fallbackModel, codex.engine (responses, chat or codex), codex.baseURL, codex.idleTimeout, codex.compactThreshold, codex.notesRef, codex.strictContext, codex.requireContextFiles, codex.codexPath, codex.codexConfig: see the README.

# EXIT STATUS

0
: ok

1
: error (no session, closed session, a fix command still failing, git failure)

2
: usage: bad flags or arguments, unknown command or help topic, ambiguous session id, detached HEAD without -t

3
: check found something to fix

4
: configuration or authentication: no OPENAI\_API\_KEY, key refused, model not found, a server without the Responses API, an unusable base URL, the Codex CLI missing or too old

5
: the model API failed: quota, still rate-limited or unavailable after retries; a Codex turn that failed

130
: interrupted (Ctrl-C); the partial answer is stored as incomplete

# FILES

Sessions are git notes under refs/notes/codex/*topic*, one JSON record a line; **git notes --ref=refs/notes/codex/main list** and **git log --notes=refs/notes/codex/main** read them.

# SEE ALSO

**git-notes**(1), **git-log**(1), **git-push**(1)
`
