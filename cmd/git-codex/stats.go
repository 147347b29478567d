package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/session"
)

// StatsOptions are the inputs of `git codex stats`.
type StatsOptions struct {
	Topic string
	JSON  bool
}

func newStatsCommand(e *Env, runF func(context.Context, *StatsOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *StatsOptions) error { return runStats(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "stats",
		Usage:     "tokens and bytes per session and topic, and the saving against one-off delegations",
		ArgsUsage: " ",
		Description: "Adds up the usage recorded with every answer: input, cached and output tokens and\n" +
			"request bytes. ONE-OFF estimates what one-off delegations would have sent for the same\n" +
			"turns, each inlining the context files (measured in the work tree now); SAVED is the\n" +
			"share of that not sent. Without -t, every topic is shown.\n\n" +
			"Examples:\n" +
			"  git codex stats\n" +
			"  git codex stats -t main --json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "topic", Aliases: []string{"t"}, Usage: "only this topic (default: all topics)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, ""); err != nil {
				return err
			}
			if c.NArg() > 0 {
				return usageErrorf("run 'git codex stats --help'", "stats takes no arguments")
			}
			return runF(c.Context, &StatsOptions{Topic: c.String("topic"), JSON: c.Bool("json")})
		},
	}
}

func runStats(ctx context.Context, e *Env, opts *StatsOptions) error {
	eng, err := e.Engine(EngineOptions{})
	if err != nil {
		return err
	}
	stats, err := eng.Stats(ctx, opts.Topic)
	if err != nil {
		return err
	}
	if opts.JSON {
		if stats == nil {
			stats = []session.TopicStats{}
		}
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(stats)
	}
	if len(stats) == 0 {
		fmt.Fprintln(e.Stderr, "git-codex: no sessions yet; open one with 'git codex delegate TASK'")
		return nil
	}
	w := tabwriter.NewWriter(e.Stdout, 0, 0, 2, ' ', 0)
	for i, t := range stats {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "topic %s\n", t.Topic)
		fmt.Fprintln(w, "SESSION\tTURNS\tINPUT\tCACHED\tOUTPUT\tSENT\tONE-OFF\tSAVED\tTITLE")
		for _, s := range t.Sessions {
			row(w, text.ShortID(s.ID), s.Figures, s.Title)
		}
		row(w, "total", t.Total, "")
	}
	return w.Flush()
}

func row(w *tabwriter.Writer, name string, f session.Figures, title string) {
	// Codex turns report no request bytes: nothing to compare.
	saved := "-"
	if f.OneOffBytes > 0 {
		saved = fmt.Sprintf("%.0f%%", f.Saving())
	}
	fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n",
		name, f.Turns, f.Input, f.Cached, f.Output, size(f.BytesSent), size(f.OneOffBytes), saved, title)
}

// size formats a byte count for people.
func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
