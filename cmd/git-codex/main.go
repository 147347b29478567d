// Command git-codex keeps AI coding-agent sessions in git notes. Run it as
// `git codex <command>`.
package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
)

func main() {
	collectLater()
	os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// startupMemory is the memory the process may take before its first
// garbage collection. 32 MiB: list at 10,000 topics holds ~25 MB (the
// session index file it reads, 7 MB, and what it shows), and collecting
// it two or three times cost ~10 ms of ~80 on two cores; a reply at
// 300,000 records stays under it.
const startupMemory = 32 << 20

// collectLater lets a short command run without collecting garbage: the
// collector first runs when the process's memory reaches startupMemory
// (GOGC off under a memory limit), and that first collection restores Go's
// usual pacing (GOGC=100, no limit) for the rest of a long one. With the
// default 4 MB heap goal at start-up, a reply collected once while reading
// the session, before Codex could start (~1 ms of the turn). GOGC or
// GOMEMLIMIT set in the environment are left as they say.
func collectLater() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(startupMemory)
	// Unreachable from the start: the first collection frees it, and its
	// cleanup runs then. (Large enough not to share a tiny allocation.)
	first := new([64]byte)
	runtime.AddCleanup(first, func(struct{}) {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}, struct{}{})
}
