package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/internal/text"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/session"
)

// StatsOptions are the inputs of `git codex stats`.
type StatsOptions struct {
	Topic string
	JSON  bool
	// Since and Until are --since and --until as typed (see parseWhen).
	Since, Until string
}

func newStatsCommand(e *Env, runF func(context.Context, *StatsOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *StatsOptions) error { return runStats(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "stats",
		Usage:     "tokens, bytes and cost per session and topic, and the saving against one-off delegations",
		ArgsUsage: " ",
		Description: "Adds up the usage recorded with every answer: input, cached and output tokens,\n" +
			"request bytes and cost (each answer priced with its model: git config\n" +
			"codex.price.<model>.input/.cached/.output, else the built-in table; \"unknown\", never\n" +
			"$0, for a model without a price). ONE-OFF estimates what one-off delegations would have\n" +
			"sent for the same turns, each inlining the context files (measured in the work tree\n" +
			"now); SAVED is the share of that not sent. Without -t, every topic is shown.\n" +
			"--since and --until count only the answers stored in that time: a date (2026-01-02;\n" +
			"--until counts that whole day), a date and time (2026-01-02T15:04, local time unless\n" +
			"a zone is given), today, yesterday, or a time ago as git writes it (2.weeks,\n" +
			"3.days.ago, 12h).\n\n" +
			"Examples:\n" +
			"  git codex stats\n" +
			"  git codex stats --since 1.week\n" +
			"  git codex stats -t main --since 2026-01-01 --until 2026-01-31 --json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "topic", Aliases: []string{"t"}, Usage: "only this topic (default: all topics)"},
			&cli.StringFlag{Name: "since", Usage: "count answers from `DATE` on (2026-01-02, 2.weeks, yesterday)"},
			&cli.StringFlag{Name: "until", Usage: "count answers before `DATE` (a date alone counts that whole day)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex stats --help'", "stats takes no arguments"); err != nil {
				return err
			}
			return runF(c.Context, &StatsOptions{Topic: c.String("topic"), JSON: c.Bool("json"), Since: c.String("since"), Until: c.String("until")})
		},
	}
}

func runStats(ctx context.Context, e *Env, opts *StatsOptions) error {
	eng, err := e.Engine(EngineOptions{})
	if err != nil {
		return err
	}
	if eng.Prices, err = e.Prices(); err != nil {
		return err
	}
	so := session.StatsOptions{Topic: opts.Topic}
	for _, f := range []struct {
		flag, value string
		until       bool
		t           *time.Time
	}{{"--since", opts.Since, false, &so.Since}, {"--until", opts.Until, true, &so.Until}} {
		if f.value == "" {
			continue
		}
		if *f.t, err = parseWhen(f.value, e.Now(), f.until); err != nil {
			return failure.Usagef("use a date (2026-01-02), a date and time (2026-01-02T15:04), today, yesterday or 2.weeks", "%s: %v", f.flag, err)
		}
	}
	stats, err := eng.StatsOf(ctx, so)
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
	if len(stats) == 0 && (opts.Since != "" || opts.Until != "") {
		fmt.Fprintln(e.Stderr, "git-codex: no answers in that time")
		return nil
	}
	if len(stats) == 0 {
		fmt.Fprintln(e.Stderr, "git-codex: no sessions yet; open one with 'git codex delegate TASK'")
		return nil
	}
	e.Page()
	return printStats(e.Stdout, stats, e.Width(), e.Palette())
}

// printStats writes a table per topic fitted to width (0: not fitted), the
// title giving up room first.
func printStats(w io.Writer, stats []session.TopicStats, width int, p ui.Palette) error {
	header := []string{"SESSION", "TURNS", "INPUT", "CACHED", "OUTPUT", "COST", "SENT", "ONE-OFF", "SAVED", "TITLE"}
	row := func(name string, f session.Figures, title string) []string {
		return []string{name, strconv.Itoa(f.Turns), strconv.Itoa(f.Input), strconv.Itoa(f.Cached), strconv.Itoa(f.Output),
			f.Cost.String(), text.Size(f.BytesSent), text.Size(f.OneOffBytes), saved(f), title}
	}
	for i, t := range stats {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "topic %s\n", t.Topic)
		rows := make([][]string, 0, len(t.Sessions)+1)
		for _, s := range t.Sessions {
			rows = append(rows, row(text.ShortID(s.ID), s.Figures, s.Title))
		}
		rows = append(rows, row("total", t.Total, ""))
		paint := func(r, col int, s string) string {
			if col == 0 && r < len(t.Sessions) {
				return p.Paint(ui.SlotID, s)
			}
			return s
		}
		if err := (ui.Table{Header: header, Flex: len(header) - 1, Width: width, Palette: p, Paint: paint}).Write(w, rows); err != nil {
			return err
		}
	}
	return nil
}

// saved is the saving against one-off delegations, "-" where there is
// nothing to compare (Codex turns report no request bytes).
func saved(f session.Figures) string {
	if f.OneOffBytes == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", f.Saving())
}
