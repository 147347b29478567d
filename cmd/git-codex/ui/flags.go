package ui

import (
	"fmt"
	"strings"
)

// OutputFlags are the output options every command accepts, like git's
// global ones: --color[=WHEN], --no-color, --no-pager (-P).
type OutputFlags struct {
	// Color is the --color/--no-color choice; nil when neither was given.
	Color *ColorMode
	// NoPager is set by --no-pager or -P.
	NoPager bool
}

// TakeOutputFlags removes the output flags from a command line (args[0] is
// the program) and returns the rest and the flags. They are taken anywhere
// before a literal "--", so `git codex --no-pager log` and `git codex log
// --no-pager` both work; a bad --color=WHEN is an error.
func TakeOutputFlags(args []string) ([]string, OutputFlags, error) {
	var f OutputFlags
	out := make([]string, 0, len(args))
	for i, a := range args {
		if i == 0 {
			out = append(out, a)
			continue
		}
		if a == "--" {
			return append(out, args[i:]...), f, nil
		}
		switch {
		case a == "--no-pager" || a == "-P":
			f.NoPager = true
		case a == "--no-color":
			m := ColorNever
			f.Color = &m
		case a == "--color":
			m := ColorAlways // git: a bare --color means always
			f.Color = &m
		case strings.HasPrefix(a, "--color="):
			v := strings.TrimPrefix(a, "--color=")
			m, ok := ParseColorMode(v)
			if !ok || v == "" {
				return nil, f, fmt.Errorf("--color=%s: want always, never or auto", v)
			}
			f.Color = &m
		default:
			out = append(out, a)
		}
	}
	return out, f, nil
}
