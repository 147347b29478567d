package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/session"
)

// ListOptions are the inputs of `git codex list`.
type ListOptions struct {
	Topic string // "" = every topic
	JSON  bool
}

func newListCommand(e *Env) *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list sessions by topic: status, turns, tokens, last activity, summary",
		UsageText: "git codex list [-t TOPIC] [--json]",
		Description: "Lists every session stored in this repository (all topics unless -t is given).\n" +
			"The topic's current session, the one 'reply' continues, is marked with '*'.\n\n" +
			"Examples:\n" +
			"  git codex list\n" +
			"  git codex list -t feature/login --json | jq '.[] | select(.status==\"open\")'",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "topic", Aliases: []string{"t"}, Usage: "only this topic"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, ""); err != nil {
				return err
			}
			if c.Args().Present() {
				return usageErrorf("run 'git codex list --help'", "list takes no arguments")
			}
			return runList(c, envFrom(c), ListOptions{Topic: c.String("topic"), JSON: c.Bool("json")})
		},
	}
}

func runList(c *cli.Context, e *Env, opts ListOptions) error {
	eng, err := readEngine(e)
	if err != nil {
		return err
	}
	var topics []string
	if opts.Topic != "" {
		topics = []string{opts.Topic}
	}
	all, err := eng.List(c.Context, topics...)
	if err != nil {
		return err
	}
	if opts.JSON {
		if all == nil {
			all = []session.Overview{} // `jq '.[]'` needs an array, even an empty one
		}
		return writeJSON(e.Stdout, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(e.Stderr, "no sessions yet; open one with: git codex delegate \"TASK\"")
		return nil
	}
	return printList(e.Stdout, all)
}

func printList(w io.Writer, all []session.Overview) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tSESSION\tSTATUS\tTURNS\tTOKENS (in/cached/out)\tLAST ACTIVITY\tSUMMARY")
	for _, o := range all {
		mark := " "
		if o.Current {
			mark = "*"
		}
		status := o.Status
		if o.Forks > 0 {
			status += fmt.Sprintf(" (%d fork)", o.Forks)
		}
		title := o.Summary
		if title == "" {
			title = o.Title
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%d\t%d/%d/%d\t%s\t%s\n", o.Topic, mark, shortID(o.ID), status, o.Turns,
			o.Usage.Input, o.Usage.Cached, o.Usage.Output, shortTime(o.Last), oneLine(title, 60))
	}
	return tw.Flush()
}

// readEngine builds a session engine for commands that only read sessions:
// it needs no model configuration and sends nothing. newSessionEngine adds
// the model configuration to it.
func readEngine(e *Env) (*session.Engine, error) {
	repo, err := e.Repo()
	if err != nil {
		return nil, err
	}
	return &session.Engine{Store: repo.Notes(), Repo: repo, Now: e.Now, Stdout: e.Stdout, Stderr: e.Stderr}, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// shortTime shows a record timestamp to the second.
func shortTime(ts string) string {
	if len(ts) >= 19 {
		return ts[:10] + " " + ts[11:19]
	}
	return ts
}

// oneLine returns the first line of s, redacted, cut to n runes: columns
// are cut from redacted text only (see redact.Line).
func oneLine(s string, n int) string { return redact.Line(s, n) }
