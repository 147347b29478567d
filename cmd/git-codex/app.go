package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/cmd/git-codex/ui"
)

// Main runs git-codex with the given arguments and streams and returns the
// process exit code. Nothing else in this program writes to the process's
// own stdout or stderr.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	// A reader that goes away (`git codex reply … | head -1`) must not kill
	// the process before the answer is stored: ignore SIGPIPE and let
	// pipeWriter swallow the write errors instead.
	signal.Ignore(syscall.SIGPIPE)
	e := newEnv(stdin, &pipeWriter{w: stdout}, stderr, getenv)
	defer e.close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, e, args)
}

// run is Main with the Env already built; tests call it directly.
func run(ctx context.Context, e *Env, args []string) int {
	args, out, err := ui.TakeOutputFlags(args)
	if err != nil {
		return report(e, failure.Usagef("use --color=always, --color=never or --color=auto", "%v", err))
	}
	e.Output = out
	app := newApp(e, commands(e))
	if helpWanted(args) {
		paintHelp(app, e.Palette())
	}
	err = app.RunContext(ctx, gitStyleArgs(args))
	if err == nil {
		return failure.ExitOK
	}
	return report(e, err)
}

// newApp is the command line of git codex with the given commands.
func newApp(e *Env, cmds []*cli.Command) *cli.App {
	sort.SliceStable(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	for _, c := range cmds {
		setUsageHandler(c)
	}
	return &cli.App{
		Name:      "git-codex",
		HelpName:  "git codex",
		Usage:     "keep AI coding-agent sessions in git, next to the code they are about",
		UsageText: "git codex <command> [options] [arguments]",
		Description: "Sessions are opened once with file-based context (delegate), continued with short\n" +
			"follow-ups (reply), and stored as git notes under refs/notes/codex/<topic>, each turn\n" +
			"attached to the commit that was HEAD. See 'git codex <command> --help'.",
		Reader:      e.Stdin,
		Writer:      e.Stdout,
		ErrWriter:   e.Stderr,
		Suggest:     true,
		HideVersion: true,
		// The help command is ours (help.go); urfave/cli then leaves out
		// its -h/--help flag, so it is added here.
		Flags:           []cli.Flag{cli.HelpFlag},
		Commands:        cmds,
		ExitErrHandler:  func(*cli.Context, error) {}, // Main maps errors to exit codes
		OnUsageError:    onUsageError,
		CommandNotFound: func(c *cli.Context, name string) {},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				name := c.Args().First()
				hint := "run 'git codex -h' for the list of commands"
				if s := cli.SuggestCommand(c.App.Commands, name); s != "" {
					hint = s
				}
				return failure.Usagef(hint, "unknown command %q", name)
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// commands is the command table. Each command lives in its own file:
// newXCommand fills an XOptions from the flags and arguments and hands it
// to runX (or, in tests, to the runF they pass instead).
func commands(e *Env) []*cli.Command {
	return []*cli.Command{
		newListCommand(e, nil),
		newShowCommand(e, nil),
		newDelegateCommand(e, nil),
		newReplyCommand(e, nil),
		newFixCommand(e, nil),
		newUndoCommand(e, nil),
		newCloseCommand(e, nil),
		newCompactCommand(e, nil),
		newRunCommand(e, nil),
		newRunsCommand(e, nil),
		newStatsCommand(e, nil),
		newHookCommand(e, nil),
		newSyncCommand(e, nil),
		newShareCommand(e, nil),
		newUnshareCommand(e, nil),
		newLogCommand(e, nil),
		newPRSummaryCommand(e, nil),
		newReattachCommand(e, nil),
		newInitCommand(e, nil),
		newCheckCommand(e, nil),
		newHelpCommand(e, nil),
		newVersionCommand(e, nil),
		newInstallManCommand(e, nil),
		newCompletionCommand(e, nil),
		newCompleteCommand(e, nil),
		newMCPCommand(e, nil),
	}
}

func setUsageHandler(c *cli.Command) {
	// urfave/cli does not inherit OnUsageError into subcommands.
	c.OnUsageError = onUsageError
	for _, sub := range c.Subcommands {
		setUsageHandler(sub)
	}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	name := "git codex"
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		name += " " + c.Command.Name
	}
	// urfave/cli says `invalid value "x" for flag -n: parse error`.
	if m := badValueRE().FindStringSubmatch(err.Error()); m != nil {
		flag := "-" + m[2]
		if len(m[2]) > 1 {
			flag = "--" + m[2]
		}
		return failure.Usagef(fmt.Sprintf("run '%s --help'", name), "%s wants a number, not %q", flag, m[1])
	}
	return failure.Usagef(fmt.Sprintf("run '%s --help'", name), "%v", err)
}

var badValueRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^invalid value "(.*)" for flag -{1,2}([\w-]+): parse error$`)
})

// gitStyleArgs accepts git's habits: gluing a number to -n ("log -n1",
// "log -5"), split into "-n 1", which urfave/cli understands; and
// "--version" as the version command, as git does. Nothing after a literal
// "--" is touched.
func gitStyleArgs(args []string) []string {
	out := make([]string, 0, len(args)+1)
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		switch {
		case i == 1 && a == "--version":
			out = append(out, "version")
		case len(a) > 2 && strings.HasPrefix(a, "-n") && isDigits(a[2:]):
			out = append(out, "-n", a[2:])
		case len(a) > 1 && a[0] == '-' && isDigits(a[1:]) && i > 0 && args[1] == "log" && !isCountFlag(args[i-1]):
			out = append(out, "-n", a[1:])
		default:
			out = append(out, a)
		}
	}
	return out
}

// isCountFlag reports whether flag is one of log's flags that takes the next
// argument as its value: "-n -1" is a negative count, not -1 for -n.
func isCountFlag(flag string) bool { return flag == "-n" || flag == "--max-count" }

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// pipeWriter passes writes through until the reader goes away; after an
// EPIPE it discards everything, so a command whose output is cut short
// (`| head -1`) still finishes its work (storing the model's answer).
type pipeWriter struct {
	w      io.Writer
	broken bool
}

func (p *pipeWriter) Write(b []byte) (int, error) {
	if p.broken {
		return len(b), nil
	}
	n, err := p.w.Write(b)
	if errors.Is(err, syscall.EPIPE) {
		p.broken = true
		return len(b), nil
	}
	return n, err
}
