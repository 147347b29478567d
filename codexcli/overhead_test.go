//go:build unix

package codexcli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-codex/git-codex/codexcli"
)

// BenchmarkTurnOverhead measures what the driver adds around a Codex turn,
// side by side with running the same Codex binary directly with the same
// arguments, environment, work tree and prompt (both start a new thread
// against the same loopback server, so every turn is the same work):
//
//   - direct: exec the native binary, prompt on stdin, stdout into a buffer;
//   - driver: what git codex does per turn: Find (with the npm wrapper
//     resolved), Args, Run with a Sink (process group, streaming decode,
//     the Turn).
//
// The two alternate in ABBA order, so drift and load hit them alike. It
// reports the median wall time of each, the difference of the medians and
// the median of the per-pair differences driver − direct (the goal is under
// 15 ms). Codex's own time varies by tens of milliseconds from turn to turn
// on a loaded machine; BenchmarkDriverOverhead isolates the driver's share
// with a Codex stand-in that only prints a recorded stream. Then a few runs
// through npm's bin/codex show what resolving the node wrapper saves.
//
//	CODEX_BIN=… go test ./codexcli -run '^$' -bench TurnOverhead -benchtime 20x
func BenchmarkTurnOverhead(b *testing.B) {
	rc := newRealCodex(b)
	wrapper := rc.bin.Found
	bin, err := codexcli.Find(context.Background(), codexcli.FindOptions{Path: wrapper})
	if err != nil {
		b.Fatal(err)
	}
	base := rc.request("Say hello.")
	args, err := codexcli.Args(base)
	if err != nil {
		b.Fatal(err)
	}
	direct := func(path string) error {
		cmd := exec.Command(path, args...)
		cmd.Dir, cmd.Env = base.Dir, append(base.Env, bin.Env...)
		cmd.Stdin = strings.NewReader(base.Prompt)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w: %s", path, err, stderr.String())
		}
		if !bytes.Contains(stdout.Bytes(), []byte(`"turn.completed"`)) {
			return fmt.Errorf("no turn.completed in %s", stdout.String())
		}
		return nil
	}
	driver := func() error {
		found, err := codexcli.Find(context.Background(), codexcli.FindOptions{Path: wrapper})
		if err != nil {
			return err
		}
		req := base
		req.Bin = found
		events := 0
		req.Sink = codexcli.SinkFunc(func(codexcli.Event) { events++ })
		turn, err := codexcli.Run(context.Background(), req)
		if err != nil {
			return err
		}
		if turn.Status != codexcli.TurnCompleted || events == 0 {
			return fmt.Errorf("turn %s after %d events", turn.Status, events)
		}
		return nil
	}
	timed := func(f func() error) time.Duration {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// A warm-up turn each: the first run in an empty CODEX_HOME sets it up.
	b.Logf("warm-up: direct %v, driver %v", timed(func() error { return direct(bin.Path) }).Round(time.Millisecond), timed(driver).Round(time.Millisecond))
	var directT, driverT, diffs []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var d, r time.Duration
		if i%4 == 0 || i%4 == 3 {
			d = timed(func() error { return direct(bin.Path) })
			r = timed(driver)
		} else {
			r = timed(driver)
			d = timed(func() error { return direct(bin.Path) })
		}
		directT, driverT, diffs = append(directT, d), append(driverT, r), append(diffs, r-d)
	}
	b.StopTimer()
	var npmT []time.Duration
	if wrapper != bin.Path {
		for i := 0; i < min(b.N, 5); i++ {
			npmT = append(npmT, timed(func() error { return direct(wrapper) }))
		}
	}
	rc.srv.Reset()
	b.ReportMetric(ms(median(directT)), "direct-ms")
	b.ReportMetric(ms(median(driverT)), "driver-ms")
	b.ReportMetric(ms(median(diffs)), "overhead-ms")
	b.Logf("%d turns each, medians: direct %.1f ms, driver %.1f ms (difference %.1f ms), paired difference %.1f ms (goal: < 15 ms); through npm's node wrapper %.1f ms (%d turns)",
		b.N, ms(median(directT)), ms(median(driverT)), ms(median(driverT)-median(directT)), ms(median(diffs)), ms(median(npmT)), len(npmT))
	rc.env.CheckNoEgress(b)
}

// BenchmarkDriverOverhead measures the driver alone: a stand-in for Codex
// (a shell script that prints the recorded command turn, 10 events, and
// exits) run directly and through Find + Run, taking turns. It reports the
// median wall time of each, the median paired difference (the overhead)
// and the driver's own CPU time per turn (this process: fork and exec,
// watching, decoding, the Turn):
//
//	go test ./codexcli -run '^$' -bench DriverOverhead -benchtime 200x
func BenchmarkDriverOverhead(b *testing.B) {
	rec := loadRecording(b, "command")
	dir := b.TempDir()
	stream := filepath.Join(dir, "stream.jsonl")
	if err := os.WriteFile(stream, []byte(rec.files["stdout"]), 0o644); err != nil {
		b.Fatal(err)
	}
	fake := writeExe(b, filepath.Join(dir, "bin", "codex"), `case "$1" in
--version) echo codex-cli 0.169.0 ;;
*) cat >/dev/null; exec cat `+stream+` ;;
esac
`)
	req := codexcli.Request{Dir: dir, Prompt: "Run two commands.", ThreadID: rec.req.ThreadID, PriorUsage: rec.req.PriorUsage,
		Model: "test-model", Env: os.Environ()}
	args, err := codexcli.Args(req)
	if err != nil {
		b.Fatal(err)
	}
	cache := filepath.Join(dir, "codex-version")
	direct := func() error {
		cmd := exec.Command(fake, args...)
		cmd.Dir, cmd.Env, cmd.Stdin = dir, req.Env, strings.NewReader(req.Prompt)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		return cmd.Run()
	}
	driver := func() error {
		bin, err := codexcli.Find(context.Background(), codexcli.FindOptions{Path: fake, VersionCache: cache})
		if err != nil {
			return err
		}
		r := req
		r.Bin = bin
		r.Sink = codexcli.SinkFunc(func(codexcli.Event) {})
		turn, err := codexcli.Run(context.Background(), r)
		if err == nil && len(turn.ItemsOf(codexcli.ItemCommand)) != 2 {
			err = fmt.Errorf("turn %+v", turn)
		}
		return err
	}
	if err := driver(); err != nil { // fills the version cache
		b.Fatal(err)
	}
	var directT, driverT, diffs, cpu []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var d, r time.Duration
		run := func(f func() error, took *time.Duration) {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			*took = time.Since(start)
		}
		if i%2 == 0 {
			run(direct, &d)
		}
		before := selfTime()
		run(driver, &r)
		cpu = append(cpu, selfTime()-before)
		if i%2 == 1 {
			run(direct, &d)
		}
		directT, driverT, diffs = append(directT, d), append(driverT, r), append(diffs, r-d)
	}
	b.StopTimer()
	b.ReportMetric(ms(median(directT)), "direct-ms")
	b.ReportMetric(ms(median(driverT)), "driver-ms")
	b.ReportMetric(ms(median(diffs)), "overhead-ms")
	b.ReportMetric(ms(median(cpu)), "driver-cpu-ms")
	b.Logf("%d turns each, medians: direct %.2f ms, driver %.2f ms, overhead (paired) %.2f ms, driver CPU %.2f ms per turn",
		b.N, ms(median(directT)), ms(median(driverT)), ms(median(diffs)), ms(median(cpu)))
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// selfTime is this process's user+system CPU time (children excluded).
func selfTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
