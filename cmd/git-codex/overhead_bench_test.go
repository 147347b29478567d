//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// BenchmarkReplyOverhead measures the local overhead of `git codex reply`
// on a real git repository against an instant loopback test server, so the
// model's own time is excluded: parse flags, open the repository, resolve
// the topic's session from its notes ref, store the turn, render and send
// the request, stream the answer, store it.
//
//   - in-process: Main called in the benchmark process (the command's own work);
//   - git-dispatch: `git codex reply` run as a user runs it, through git's
//     dispatch to git-codex on PATH (the test binary, which TestMain turns
//     into git-codex), so process start-up is included.
//
// Every iteration adds a turn to the same session, which starts with one
// delegate and one warm-up reply. It reports the median and the 90th
// percentile in ms (the goal is a median under 30 ms), and the median CPU
// time (user+system, with child processes) in ms, which a loaded machine
// inflates less than wall time. -benchtime 30x gives a session of realistic
// length:
//
//	go test ./cmd/git-codex -run '^$' -bench ReplyOverhead -benchtime 30x
func BenchmarkReplyOverhead(b *testing.B) {
	for _, mode := range []string{"in-process", "git-dispatch"} {
		b.Run(mode, func(b *testing.B) {
			dir := benchRepo(b)
			srv := openaitest.New(b)
			srv.SetChunkSize(1 << 10)
			b.Setenv("OPENAI_BASE_URL", srv.URL())
			b.Setenv("OPENAI_PRIMARY_MODEL", "test-model")
			b.Setenv("OPENAI_API_KEY", "")
			b.Chdir(dir)

			// reply sends one message and returns the CPU time it used.
			var reply func(msg string) (time.Duration, error)
			switch mode {
			case "in-process":
				reply = func(msg string) (time.Duration, error) {
					before := cpuTime()
					err := mainInProcess("reply", msg)
					return cpuTime() - before, err
				}
			default:
				if _, err := exec.LookPath("git-codex"); err != nil {
					b.Skipf("git-codex is not on PATH (TestMain puts the test binary there): %v", err)
				}
				reply = func(msg string) (time.Duration, error) {
					cmd := exec.Command("git", "codex", "reply", msg)
					cmd.Dir = dir
					if out, err := cmd.CombinedOutput(); err != nil {
						return 0, fmt.Errorf("git codex reply: %w\n%s", err, out)
					}
					// The child's rusage includes its waited-for children
					// (git-codex and the git commands it runs).
					return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
				}
			}
			if err := mainInProcess("delegate", "Find why the cache test is flaky"); err != nil {
				b.Fatal(err)
			}
			if _, err := reply("Also: warm up"); err != nil {
				b.Fatal(err)
			}
			samples := make([]time.Duration, 0, b.N)
			cpu := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				used, err := reply(fmt.Sprintf("Also: check caller %d", i))
				if err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
				cpu = append(cpu, used)
			}
			b.StopTimer()
			if got := countModelRequests(srv); got != b.N+2 {
				b.Fatalf("the server saw %d model requests, want %d", got, b.N+2)
			}
			med, p90, cpuMed := percentile(samples, 50), percentile(samples, 90), percentile(cpu, 50)
			b.ReportMetric(ms(med), "median-ms")
			b.ReportMetric(ms(p90), "p90-ms")
			b.ReportMetric(ms(cpuMed), "cpu-ms")
			b.Logf("%s: %d replies after delegate+warm-up: median %.1f ms, p90 %.1f ms, CPU %.1f ms (goal: median < 30 ms)",
				mode, b.N, ms(med), ms(p90), ms(cpuMed))
		})
	}
}

// mainInProcess runs Main with args in the current directory and fails with
// its stderr when it exits non-zero.
func mainInProcess(args ...string) error {
	var stdout, stderr bytes.Buffer
	if code := Main(append([]string{"git-codex"}, args...), strings.NewReader(""), &stdout, &stderr, os.Getenv); code != 0 {
		return fmt.Errorf("git codex %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	return nil
}

// benchRepo makes a hermetic repository on branch main with the context
// files committed, and points HOME and git's identity at fixed values.
func benchRepo(b *testing.B) string {
	b.Helper()
	gittest.Hermetic(b)
	b.Setenv("NO_COLOR", "1")
	dir := b.TempDir()
	files := map[string]string{
		"ARCHITECTURE.md": strings.Repeat("The cache keeps entries in memory and evicts the least recently used one.\n", 160),
		"AGENTS.md":       strings.Repeat("Run go test ./... before you finish.\n", 100),
		"cache/cache.go":  "package cache\n\n// Get returns a value.\nfunc Get(k string) string { return k }\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "initial"}} {
		gittest.Git(b, dir, args...)
	}
	return dir
}

func countModelRequests(srv *openaitest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/responses") || strings.HasSuffix(r.Path, "/chat/completions") {
			n++
		}
	}
	return n
}

// percentile returns the p-th percentile of samples (nearest rank).
func percentile(samples []time.Duration, p int) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

// cpuTime returns the user+system time of this process and its waited-for
// children so far.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
