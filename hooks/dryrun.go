package hooks

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxAncestors bounds how far up the process tree the hook looks for the
// `git push` that runs it (git push → sh → git → git-codex at most).
const maxAncestors = 5

// pushIsDryRun reports whether the `git push` running this hook is a dry
// run (--dry-run, -n): git runs the pre-push hook then too, but nothing may
// be written to the remote. git does not tell hooks, so it reads the
// command lines of the ancestor processes (Linux /proc); where that is not
// possible it reports false.
func pushIsDryRun() bool {
	pid := os.Getppid()
	for i := 0; i < maxAncestors && pid > 1; i++ {
		args, ppid, ok := processArgs(pid)
		if !ok {
			return false
		}
		if dry, isPush := gitPushDryRun(args); isPush {
			return dry
		}
		pid = ppid
	}
	return false
}

// processArgs reads a process's arguments and parent from /proc.
func processArgs(pid int) ([]string, int, bool) {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil, 0, false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, 0, false
	}
	// "pid (comm) state ppid …"; comm may contain spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, 0, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return nil, 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return nil, 0, false
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	return args, ppid, true
}

// gitPushDryRun parses a git command line: isPush when it runs `git push`
// (after git's own options), dry when its options ask for a dry run.
func gitPushDryRun(args []string) (dry, isPush bool) {
	if len(args) == 0 {
		return false, false
	}
	base := filepath.Base(args[0])
	i := 1
	switch base {
	case "git-push":
	case "git":
		for ; i < len(args); i++ {
			a := args[i]
			if a == "-C" || a == "-c" || a == "--git-dir" || a == "--work-tree" || a == "--namespace" ||
				a == "--config-env" {
				i++
				continue
			}
			if strings.HasPrefix(a, "-") {
				continue
			}
			break
		}
		if i >= len(args) || args[i] != "push" {
			return false, false
		}
		i++
	default:
		return false, false
	}
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return dry, true
		case a == "--dry-run":
			dry = true
		case a == "--no-dry-run":
			dry = false
		case a == "--push-option" || a == "--receive-pack" || a == "--exec" || a == "--repo":
			i++ // the option's value
		case strings.HasPrefix(a, "--") || !strings.HasPrefix(a, "-") || a == "-":
		default:
			for _, c := range a[1:] {
				if c == 'o' { // -o VALUE or -oVALUE: the rest is the value
					if strings.IndexByte(a, 'o') == len(a)-1 {
						i++
					}
					break
				}
				if c == 'n' {
					dry = true
				}
			}
		}
	}
	return dry, true
}
