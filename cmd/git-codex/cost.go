package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/pricing"
)

// Prices reads the cost ledger's price table once: the built-in table
// (dated pricing.Date) overridden by git config codex.price.<model>.input,
// .cached and .output (US dollars per million tokens). A bad value is a
// configuration error (exit 4) naming the key.
func (e *Env) Prices() (*pricing.Table, error) {
	repo, err := e.Repo()
	if err != nil {
		return nil, err
	}
	t, err := pricing.New(repo.ConfigWithPrefix(pricing.ConfigPrefix))
	if err != nil {
		return nil, failure.SayInstead(failure.ErrBadConfig, err.Error(),
			"set prices in US dollars per million tokens: git config codex.price.MODEL.input 1.25 (and .output, .cached)")
	}
	return t, nil
}

// costNote is an amount after a turn's tokens: "$0.0123", "cost unknown".
func costNote(a pricing.Amount) string {
	if a.Priced == 0 && a.Unpriced > 0 {
		return "cost unknown"
	}
	return a.String()
}

// relative matches git-style relative dates: "2.weeks", "3.days.ago",
// "3 days ago", "12h", "90 minutes".
var relative = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\d+)[. ]?(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?|months?|y|years?)(?:[. ]ago)?$`)
})

// parseWhen reads a --since/--until value, in local time as git does:
// "now", "today", "yesterday"; an ISO date (2026-01-02: the start of that
// day, or with until the start of the next, so that --until names the last
// day counted); a date and time (2026-01-02T15:04, 2026-01-02 15:04:05,
// RFC 3339 with a zone); or a time ago as git writes it ("2.weeks",
// "3.days.ago", "3 days ago", "12h"; a month is a calendar month).
func parseWhen(s string, now time.Time, until bool) (time.Time, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	loc := now.Location()
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	endOf := func(t time.Time) time.Time {
		if until {
			return t.AddDate(0, 0, 1)
		}
		return t
	}
	switch v {
	case "now":
		return now, nil
	case "today":
		return endOf(day(now)), nil
	case "yesterday":
		return endOf(day(now).AddDate(0, 0, -1)), nil
	}
	raw := strings.TrimSpace(s)
	if t, err := time.ParseInLocation("2006-01-02", raw, loc); err == nil {
		return endOf(t), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, raw); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil {
			return t, nil
		}
	}
	if m := relative().FindStringSubmatch(v); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil {
			switch u := m[2]; {
			case u == "s" || strings.HasPrefix(u, "sec"):
				return now.Add(-time.Duration(n) * time.Second), nil
			case u == "m" || strings.HasPrefix(u, "min"):
				return now.Add(-time.Duration(n) * time.Minute), nil
			case u == "h" || strings.HasPrefix(u, "hour"):
				return now.Add(-time.Duration(n) * time.Hour), nil
			case u == "d" || strings.HasPrefix(u, "day"):
				return now.AddDate(0, 0, -n), nil
			case u == "w" || strings.HasPrefix(u, "week"):
				return now.AddDate(0, 0, -7*n), nil
			case strings.HasPrefix(u, "month"):
				return now.AddDate(0, -n, 0), nil
			default:
				return now.AddDate(-n, 0, 0), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}
