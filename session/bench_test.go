package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
)

// realisticContext writes context files of typical sizes: a 12 KiB
// ARCHITECTURE.md, a 4 KiB AGENTS.md and a 6 KiB source file.
func realisticContext(tb testing.TB, dir string) { writeContext(tb, dir, 1) }

// writeContext writes the context files scaled by k.
func writeContext(tb testing.TB, dir string, k float64) {
	tb.Helper()
	for name, n := range map[string]int{"ARCHITECTURE.md": int(k * (12 << 10)), "AGENTS.md": int(k * (4 << 10)), "cache/cache.go": int(k * (6 << 10))} {
		line := "// The cache keeps entries in memory and evicts the least recently used one.\n"
		body := strings.Repeat(line, n/len(line)+1)[:n]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

var sixTurns = []string{
	"Find why the cache test is flaky",
	"Also: check the eviction path",
	"Fix: take the locks in the same order",
	"Failed: `go test ./cache` TestTTL expected 5s got 5ms. Fix.",
	"Based on that, which TTL unit should the API take?",
	"Also: list the callers to update",
}

// TestSixTurnEconomy measures the bytes a six-turn session sends against six
// one-off delegations that each inline the same context files (really sent,
// not estimated). The goal is at least 85% fewer bytes; the figures are
// logged, the assertion only checks the session is the cheaper one.
func TestSixTurnEconomy(t *testing.T) {
	for _, c := range []struct {
		engine model.Engine
		scale  float64 // of the 22 KiB context
	}{
		{model.EngineResponses, 0.5}, {model.EngineResponses, 1}, {model.EngineResponses, 2},
		{model.EngineChat, 1},
	} {
		engine := c.engine
		t.Run(fmt.Sprintf("%s/context=%.0fKiB", engine, 22*c.scale), func(t *testing.T) {
			h := newHarness(t, engine)
			writeContext(t, h.repo.dir, c.scale)
			h.eng.Stdout = io.Discard
			session := 0
			for i, msg := range sixTurns {
				var r Result
				var err error
				if i == 0 {
					r, err = h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: msg, Context: []string{"cache/cache.go"}})
				} else {
					r, err = h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: msg})
				}
				if err != nil {
					t.Fatal(err)
				}
				session += r.BytesSent
			}
			oneOff := 0
			for i, msg := range sixTurns {
				task := sixTurns[0]
				if i > 0 {
					task += "\n\n" + msg
				}
				r, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "one-off", Task: task, Context: []string{"cache/cache.go"}, Inline: true})
				if err != nil {
					t.Fatal(err)
				}
				oneOff += r.BytesSent
			}
			saving := 100 * (1 - float64(session)/float64(oneOff))
			t.Logf("%s, %.0f KiB context: six-turn session sent %d bytes; six one-off inline delegations sent %d bytes; %.1f%% fewer (goal ≥ 85%%)", engine, 22*c.scale, session, oneOff, saving)
			if session >= oneOff {
				t.Errorf("the session sent more than the one-off delegations")
			}
			stats, err := h.eng.Stats(context.Background(), "main")
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: stats estimate: sent %d, one-off estimate %d, %.1f%% saved", engine, stats[0].Total.BytesSent, stats[0].Total.OneOffBytes, stats[0].SavingPct)
		})
	}
}

// newGitRepo makes a real repository with one commit, hermetically.
func newGitRepo(tb testing.TB) *gitstore.Repo {
	tb.Helper()
	home := tb.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "Test User", "GIT_AUTHOR_EMAIL": "test@example.com",
		"GIT_COMMITTER_NAME": "Test User", "GIT_COMMITTER_EMAIL": "test@example.com",
		"GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
	} {
		tb.Setenv(k, v)
	}
	dir := tb.TempDir()
	realisticContext(tb, dir)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "initial"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	repo, err := gitstore.Open(dir, os.Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = repo.Close() })
	return repo
}

// BenchmarkReply measures the local overhead of one reply — resolve the
// session, store the turn, build the request, send it to an instant loopback
// server, store the answer — with git notes on a real repository ("notes")
// and with the memory store ("memory", the engine's own share). It reports
// the median in ms (goal < 30 ms for notes).
func BenchmarkReply(b *testing.B) {
	for _, store := range []string{"notes", "memory"} {
		b.Run(store, func(b *testing.B) {
			repo := newGitRepo(b)
			srv := openaitest.New(b)
			eng := &Engine{
				Store:  repo.Notes(),
				Repo:   repo,
				Config: model.Config{Engine: model.EngineResponses, BaseURL: srv.URL(), Model: "test-model"},
				Stdout: io.Discard, Stderr: io.Discard,
			}
			if store == "memory" {
				eng.Store = gitstore.NewMemoryStore()
			}
			ctx := context.Background()
			if _, err := eng.Delegate(ctx, DelegateOptions{Topic: "main", Task: "Investigate the cache"}); err != nil {
				b.Fatal(err)
			}
			var samples []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: fmt.Sprintf("Also: point %d", i)}); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
			b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "median-ms")
		})
	}
}
