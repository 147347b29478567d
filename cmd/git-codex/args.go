package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
)

// checkArgs is called first by every command's Action. It returns a usage
// error (exit 2) when
//   - a positional argument is one of the command's own flags
//     (`reply "hello" -t p1`): urfave/cli v2 stops parsing flags at the first
//     positional argument, so the flag would silently become part of the
//     message. what names the positional arguments in the error ("MESSAGE",
//     "TASK", "-- CMD…"). Nothing after a literal "--" is inspected.
//   - -t/--topic or -s/--session is given with an empty value, which would
//     otherwise fall back silently to the current branch.
func checkArgs(c *cli.Context, what string) error {
	for _, name := range []string{"topic", "session"} {
		if c.IsSet(name) && strings.TrimSpace(c.String(name)) == "" {
			return failure.Usagef("leave the flag out to use the current branch, or give a value",
				"--%s needs a non-empty value", name)
		}
	}
	for _, a := range inspectedArgs(c) {
		f, ok := ownFlag(c.Command, a)
		if !ok {
			if looksLikeFlag(a) {
				// A mistyped flag (--modle) after the message would be
				// sent to the model as text and paid for.
				return failure.Usagef("put flags before the message; text that looks like a flag can follow a literal --",
					"unknown flag %s after the arguments of %s", a, c.Command.Name)
			}
			continue
		}
		usage := strings.TrimSpace("git codex " + c.Command.Name + " " + flagExample(f, a) + " " + what)
		noun := "the message"
		switch {
		case c.Command.Name == "delegate":
			noun = "the task"
		case c.Command.Name == "fix":
			noun = "--"
		case c.Command.Name != "reply":
			noun = "the arguments"
		}
		return failure.Usagef("text that looks like a flag can follow a literal --",
			"flags go before %s: %s", noun, usage)
	}
	return nil
}

// noArgs is checkArgs for a command that takes no arguments: any argument
// is refused with msg, and hint says what to do instead.
func noArgs(c *cli.Context, hint, msg string) error {
	if err := checkArgs(c, ""); err != nil {
		return err
	}
	if c.Args().Present() {
		return failure.Usagef(hint, "%s", msg)
	}
	return nil
}

// inspectedArgs returns the command's positional arguments up to the first
// literal "--". When flag parsing itself consumed a "--" (`reply -- -t`),
// nothing is inspected.
func inspectedArgs(c *cli.Context) []string {
	pos := c.Args().Slice()
	if raw, ok := rawArgs(c); ok && len(raw) >= len(pos) {
		prefix := raw[:len(raw)-len(pos)]
		if n := len(prefix); n > 0 && prefix[n-1] == "--" {
			return nil
		}
	}
	for i, a := range pos {
		if a == "--" {
			return pos[:i]
		}
	}
	return pos
}

// rawArgs returns the command's arguments as typed, before flag parsing:
// the parent context still holds them after the command name.
func rawArgs(c *cli.Context) ([]string, bool) {
	if c.Command == nil {
		return nil, false
	}
	for _, p := range c.Lineage()[1:] {
		if p == nil {
			continue
		}
		if args := p.Args(); args.Present() && c.Command.HasName(args.First()) {
			return args.Tail(), true
		}
	}
	return nil, false
}

// ownFlag reports whether arg spells one of cmd's flags: -t, --topic,
// --topic=x, -topic (Go's flag package accepts one or two dashes).
func ownFlag(cmd *cli.Command, arg string) (cli.Flag, bool) {
	if cmd == nil || len(arg) < 2 || arg[0] != '-' {
		return nil, false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	name, _, _ = strings.Cut(name, "=")
	if name == "" || strings.HasPrefix(name, "-") {
		return nil, false
	}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f, true
			}
		}
	}
	return nil, false
}

// flagExample shows the flag as it should be typed, with a placeholder for
// its value: "-t TOPIC", "--json".
func flagExample(f cli.Flag, typed string) string {
	name, _, _ := strings.Cut(typed, "=")
	vf, ok := f.(cli.DocGenerationFlag)
	if !ok || !vf.TakesValue() {
		return name
	}
	placeholder := strings.ToUpper(f.Names()[0])
	if u := vf.GetUsage(); strings.Count(u, "`") >= 2 {
		placeholder = strings.SplitN(u, "`", 3)[1]
	}
	return name + " " + placeholder
}

// looksLikeFlag reports whether a word is spelled like a flag: -x, --name,
// --name=value. A quoted message with spaces ("- a list item") is not.
func looksLikeFlag(a string) bool {
	if len(a) < 2 || a[0] != '-' || strings.ContainsAny(a, " \t\n") {
		return false
	}
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	name, _, _ = strings.Cut(name, "=")
	if name == "" {
		return false
	}
	c := name[0]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
