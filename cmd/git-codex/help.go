package main

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/cmd/git-codex/ui"
)

// newHelpCommand replaces urfave/cli's help command, which prints nothing and
// exits 0 for an unknown topic: here that is a usage error with a
// suggestion. `git codex --help` never reaches it: git turns it into
// `git help codex`, which shows the manual (see install-man).
//
// Help is about the command line itself, so its options carry the running
// app: showing urfave/cli's help texts is all it does.
func newHelpCommand(e *Env, runF func(context.Context, *HelpOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *HelpOptions) error { return runHelp(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "help",
		Aliases:   []string{"h"},
		Usage:     "show the list of commands, or one command's help",
		ArgsUsage: "[COMMAND]",
		Action: func(c *cli.Context) error {
			opts := &HelpOptions{Topics: c.Args().Slice(), app: c.App}
			if len(opts.Topics) == 0 {
				opts.show = func() error { return cli.ShowAppHelp(c) }
			}
			return runF(c.Context, opts)
		},
	}
}

// HelpOptions are the inputs of `git codex help`.
type HelpOptions struct {
	// Topics are the arguments: none for the list of commands, or one command.
	Topics []string
	app    *cli.App
	show   func() error // prints the list of commands
}

func runHelp(ctx context.Context, _ *Env, opts *HelpOptions) error {
	if len(opts.Topics) == 0 {
		return opts.show()
	}
	cmd := opts.app.Command(opts.Topics[0])
	if cmd == nil || cmd.Hidden {
		hint := "run 'git codex help' for the list of commands"
		if s := cli.SuggestCommand(visibleCommands(opts.app.Commands), opts.Topics[0]); s != "" {
			hint = s
		}
		return failure.Usagef(hint, "no help topic %q", opts.Topics[0])
	}
	if len(opts.Topics) > 1 {
		return failure.Usagef("run 'git codex help "+cmd.Name+"'", "help takes one command")
	}
	// What `git codex CMD -h` prints. (cli.ShowCommandHelp looks among the
	// help command's own subcommands and finds nothing.)
	return opts.app.RunContext(ctx, []string{opts.app.Name, cmd.Name, "--help"})
}

// visibleCommands leaves out the hidden ones, which suggestions must not name.
func visibleCommands(cmds []*cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

// helpWanted reports whether the command line asks for help text: no
// command, help, or -h/--help before a literal "--".
func helpWanted(args []string) bool {
	if len(args) <= 1 {
		return true
	}
	for _, a := range args[1:] {
		switch a {
		case "--":
			return false
		case "-h", "--help", "help", "h":
			return true
		}
	}
	return false
}

// helpHeading finds the section headings of urfave/cli's help templates
// ("NAME:", "GLOBAL OPTIONS:").
var helpHeading = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^([A-Z][A-Z ]*[A-Z]):`) })

// paintHelp makes the help texts show their headings in the palette's header
// colour; with colour off it changes nothing.
func paintHelp(app *cli.App, p ui.Palette) {
	if !p.Enabled() {
		return
	}
	paint := func(tmpl string) string {
		return helpHeading().ReplaceAllStringFunc(tmpl, func(h string) string {
			return p.Paint(ui.SlotHeader, strings.TrimSuffix(h, ":")) + ":"
		})
	}
	app.CustomAppHelpTemplate = paint(cli.AppHelpTemplate)
	var walk func(cmds []*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			if len(c.Subcommands) > 0 {
				c.CustomHelpTemplate = paint(cli.SubcommandHelpTemplate)
				walk(c.Subcommands)
			} else {
				c.CustomHelpTemplate = paint(cli.CommandHelpTemplate)
			}
		}
	}
	walk(app.Commands)
}
