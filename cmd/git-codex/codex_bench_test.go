//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/internal/codextest"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/session"
)

// BenchmarkCodexOverhead measures what git codex adds around a Codex turn:
// `git codex reply` on a session of the codex engine, side by side with
// running the same Codex binary directly with the same arguments,
// environment, work tree and prompt (`codex exec resume <thread> … -`, the
// prompt on stdin) — both resume the session's thread against the same
// loopback model server, so every turn is the same work for Codex. What git
// codex adds: starting (through git's dispatch, or in this process), reading
// the session from its notes, finding Codex, storing the turn (while Codex
// starts up), decoding the stream, storing the answer.
//
// The two alternate in ABBA order, so drift (the thread grows by a turn
// each time) and load hit them alike. It reports the median wall time of
// each and the median of the per-pair differences (the goal is under 15 ms).
// Codex's own time varies by tens of milliseconds from turn to turn on a
// loaded machine; BenchmarkCodexOverheadStandIn measures the same with a
// stand-in for Codex that answers at once. Through git, the test binary
// runs as git-codex: build it as make install builds git-codex, without cgo
// (a binary linked to libc starts ~1 ms later).
//
//	CGO_ENABLED=0 go test ./cmd/git-codex -run '^$' -bench 'CodexOverhead$' -benchtime 20x
func BenchmarkCodexOverhead(b *testing.B) {
	codexOverhead(b, codextest.Bin(b), true)
}

// BenchmarkCodexOverheadStandIn is BenchmarkCodexOverhead with a stand-in
// for Codex that keeps Codex's timing but not its variance: a shell script
// that starts up for 40 ms before it reads the prompt, answers 100 ms later
// (thread.started with the thread it was asked to resume, a message,
// turn.completed) and exits 45 ms after that — the figures measured for
// Codex 0.169 here (codexcli's Gate and OnEnd) — and sleeps rather than
// computes, so the paired difference is git codex's own time on the turn's
// critical path: start-up, reading the session, starting Codex, anything
// that outlasts Codex's start-up or exit, and exit.
//
//	CGO_ENABLED=0 go test ./cmd/git-codex -run '^$' -bench CodexOverheadStandIn -benchtime 100x
func BenchmarkCodexOverheadStandIn(b *testing.B) {
	fake := filepath.Join(b.TempDir(), "codex")
	script := `#!/bin/sh
case "$1" in --version) echo "codex-cli 0.169.0"; exit 0 ;; esac
for a; do thread=$prev; prev=$a; done
[ "$2" = resume ] || thread=01a2326a-f443-72f3-b654-6b717e839e55
sleep 0.04
cat >/dev/null
sleep 0.1
echo '{"type":"thread.started","thread_id":"'$thread'"}'
echo '{"type":"turn.started"}'
echo '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"An answer."}}'
echo '{"type":"turn.completed","usage":{"input_tokens":9933,"cached_input_tokens":0,"output_tokens":14}}'
sleep 0.045
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	codexOverhead(b, fake, false)
}

func codexOverhead(b *testing.B, path string, real bool) {
	for _, mode := range []string{"git-dispatch", "in-process"} {
		b.Run(mode, func(b *testing.B) {
			dir := benchRepo(b)
			srv := openaitest.New(b)
			env := codextest.New(b, srv)
			for k, v := range env.Vars() {
				b.Setenv(k, v)
			}
			b.Setenv("OPENAI_PRIMARY_MODEL", "test-model")
			b.Setenv("OPENAI_API_KEY", "")
			b.Chdir(dir)
			git := func(args ...string) {
				if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
					b.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			git("config", "codex.codexPath", path)
			for _, kv := range env.Config() {
				git("config", "--add", "codex.codexConfig", kv)
			}
			var reply func(msg string) error
			switch mode {
			case "in-process":
				reply = func(msg string) error { return mainInProcess("reply", msg) }
			default:
				if _, err := exec.LookPath("git-codex"); err != nil {
					b.Skipf("git-codex is not on PATH (TestMain puts the test binary there): %v", err)
				}
				reply = func(msg string) error {
					cmd := exec.Command("git", "codex", "reply", msg)
					if out, err := cmd.CombinedOutput(); err != nil {
						return fmt.Errorf("git codex reply: %w\n%s", err, out)
					}
					return nil
				}
			}
			if err := mainInProcess("delegate", "--engine", "codex", "Find why the cache test is flaky"); err != nil {
				b.Fatal(err)
			}
			if err := reply("Also: warm up"); err != nil {
				b.Fatal(err)
			}
			// The direct run: what git codex runs, with the same inputs.
			thread := codexThread(b, dir)
			bin, err := codexcli.Find(context.Background(), codexcli.FindOptions{Path: path})
			if err != nil {
				b.Fatal(err)
			}
			args, err := codexcli.Args(codexcli.Request{ThreadID: thread, Model: "test-model",
				Sandbox: session.SandboxReadOnly, Approval: session.ApprovalOnRequest, Config: env.Config()})
			if err != nil {
				b.Fatal(err)
			}
			direct := func(msg string) error {
				cmd := exec.Command(bin.Path, args...)
				cmd.Dir, cmd.Env = dir, append(os.Environ(), bin.Env...)
				cmd.Stdin = strings.NewReader(msg)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					return fmt.Errorf("codex: %w: %s", err, stderr.String())
				}
				if !bytes.Contains(stdout.Bytes(), []byte(`"turn.completed"`)) {
					return fmt.Errorf("no turn.completed in %s", stdout.String())
				}
				return nil
			}
			timed := func(f func(string) error, msg string) time.Duration {
				start := time.Now()
				if err := f(msg); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			var directT, gitT, diffs []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				msg := fmt.Sprintf("Also: check caller %d", i)
				var d, g time.Duration
				if i%4 == 0 || i%4 == 3 {
					d, g = timed(direct, msg), timed(reply, msg)
				} else {
					g, d = timed(reply, msg), timed(direct, msg)
				}
				directT, gitT, diffs = append(directT, d), append(gitT, g), append(diffs, g-d)
			}
			b.StopTimer()
			if got := codexThread(b, dir); got != thread {
				b.Fatalf("the session moved from thread %s to %s: the turns were not the same work", thread, got)
			}
			b.ReportMetric(ms(percentile(directT, 50)), "codex-ms")
			b.ReportMetric(ms(percentile(gitT, 50)), "git-codex-ms")
			b.ReportMetric(ms(percentile(diffs, 50)), "overhead-ms")
			what := "codex alone"
			if !real {
				what = "the stand-in alone"
			}
			b.Logf("%s: %d turns each, medians: %s %.1f ms, git codex reply %.1f ms (difference %.1f ms); paired overhead median %.1f ms, p90 %.1f ms (goal: < 15 ms)",
				mode, b.N, what, ms(percentile(directT, 50)), ms(percentile(gitT, 50)), ms(percentile(gitT, 50)-percentile(directT, 50)),
				ms(percentile(diffs, 50)), ms(percentile(diffs, 90)))
			env.CheckNoEgress(b)
		})
	}
}

// codexThread is the Codex thread of the newest answer of topic main.
func codexThread(b *testing.B, dir string) string {
	b.Helper()
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"git-codex", "show", "--json"}, strings.NewReader(""), &stdout, &stderr, os.Getenv); code != 0 {
		b.Fatalf("show: %s", stderr.String())
	}
	var tr session.Transcript
	if err := json.Unmarshal(stdout.Bytes(), &tr); err != nil {
		b.Fatal(err)
	}
	id := ""
	for _, t := range tr.Turns {
		if t.Answer != nil && t.Answer.Thread != "" {
			id = t.Answer.Thread
		}
	}
	return id
}
