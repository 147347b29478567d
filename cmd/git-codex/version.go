package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// VersionOptions are the inputs of `git codex version` (it has none).
type VersionOptions struct{}

func newVersionCommand(e *Env, runF func(context.Context, *VersionOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *VersionOptions) error { return runVersion(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "version",
		Usage:     "print the version of git-codex (also: git codex --version)",
		UsageText: "git codex version",
		Description: "Prints the module version and the commit it was built from, as the Go build\n" +
			"recorded them: \"git-codex version v1.2.0\" for a release, or a pseudo-version with\n" +
			"the commit and \"+dirty\" for a build from a work tree with changes.\n\n" +
			"Examples:\n" +
			"  git codex --version\n" +
			"  git codex version",
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex version'", "version takes no arguments"); err != nil {
				return err
			}
			return runF(c.Context, &VersionOptions{})
		},
	}
}

func runVersion(_ context.Context, e *Env, _ *VersionOptions) error {
	_, err := fmt.Fprintln(e.Stdout, versionLine(debug.ReadBuildInfo()))
	return err
}

// version is the module version the binary was built as.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return moduleVersion(bi)
}

// versionLine is what `git codex --version` prints, like `git --version`:
// "git-codex version v1.2.0", plus the commit when the version does not
// already name it ("git-codex version devel (commit 705357e1a2b3, modified)").
func versionLine(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return "git-codex version unknown"
	}
	v := moduleVersion(bi)
	rev, modified := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	line := "git-codex version " + v
	if rev == "" || strings.Contains(v, rev) {
		return line // a pseudo-version names the commit (and +dirty) itself
	}
	if modified {
		return line + " (commit " + rev + ", modified)"
	}
	return line + " (commit " + rev + ")"
}

// moduleVersion is the main module's version: a tag, a pseudo-version, or
// "devel" for a build outside the module cache without VCS information.
func moduleVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}
