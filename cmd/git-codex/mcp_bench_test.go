//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/cmd/git-codex/mcpserver"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// The overhead of the MCP server, measured against an instant loopback model
// server so that only git codex's own work counts. Figures only, no timed
// assertion:
//
//	go test ./cmd/git-codex -run '^$' -bench MCP -benchtime 30x
//
// (BenchmarkMCPVersusCLI sets the server against the command line on the
// same load; BenchmarkMCPTopics wants -benchtime 5x: each round takes a
// second.)
//
// BenchmarkMCPReply: one codex-reply through a running server (goal: median
// under 10 ms), the server in this process (the SDK's client over an
// in-memory connection) and as a real process (`git codex mcp` started
// through git's dispatch by the SDK's CommandTransport, JSON-RPC over pipes;
// the binary is built from this package for the benchmark, so the test
// harness is not in it). The stdio case also reports the server process's
// resident memory when idle after the handshake and after the calls (goal:
// idle under 30 MB).
func BenchmarkMCPReply(b *testing.B) {
	bin := buildGitCodex(b)
	for _, mode := range []string{"in-process", "stdio"} {
		b.Run(mode, func(b *testing.B) {
			dir := benchRepo(b)
			srv := openaitest.New(b)
			srv.SetChunkSize(1 << 10)
			var cs *mcp.ClientSession
			var pid int
			if mode == "in-process" {
				cs = inProcessServer(b, dir, srv.URL())
			} else {
				cs, pid = stdioServer(b, bin, dir, srv.URL())
			}
			idle := rss(pid)
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "codex", Arguments: map[string]any{"prompt": "Find why the cache test is flaky"}})
			if err != nil || res.IsError {
				b.Fatalf("codex: %v %v", err, res)
			}
			thread := res.StructuredContent.(map[string]any)["threadId"].(string)
			reply := func(msg string) error {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "codex-reply", Arguments: map[string]any{"threadId": thread, "prompt": msg}})
				if err == nil && res.IsError {
					err = fmt.Errorf("%v", res.Content)
				}
				return err
			}
			if err := reply("Also: warm up"); err != nil {
				b.Fatal(err)
			}
			samples := make([]time.Duration, 0, b.N)
			cpu := make([]time.Duration, 0, b.N)
			serverCPU := procCPU(pid)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start, used := time.Now(), cpuTime()
				if err := reply(fmt.Sprintf("Also: check caller %d", i)); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(start))
				cpu = append(cpu, cpuTime()-used)
			}
			b.StopTimer()
			serverCPU = procCPU(pid) - serverCPU
			if got := countModelRequests(srv); got != b.N+2 {
				b.Fatalf("the server saw %d model requests, want %d", got, b.N+2)
			}
			med, p90 := percentile(samples, 50), percentile(samples, 90)
			b.ReportMetric(ms(med), "median-ms")
			b.ReportMetric(ms(p90), "p90-ms")
			line := fmt.Sprintf("%s: %d codex-reply calls: median %.1f ms, p90 %.1f ms (goal: median < 10 ms)", mode, b.N, ms(med), ms(p90))
			if pid == 0 {
				// Client and server share this process (and its git children).
				b.ReportMetric(ms(percentile(cpu, 50)), "cpu-ms")
				line += fmt.Sprintf("; CPU %.1f ms (median, client and server)", ms(percentile(cpu, 50)))
			} else {
				// The server process and the git it ran, a mean: /proc counts in ticks.
				b.ReportMetric(ms(serverCPU)/float64(b.N), "server-cpu-ms")
				line += fmt.Sprintf("; server CPU %.1f ms (mean)", ms(serverCPU)/float64(b.N))
			}
			if pid != 0 {
				after := rss(pid)
				b.ReportMetric(idle/1024, "idle-rss-MB")
				b.ReportMetric(after/1024, "rss-MB")
				line += fmt.Sprintf("; server RSS %.1f MB idle, %.1f MB after the calls (goal: idle < 30 MB)", idle/1024, after/1024)
			}
			b.Log(line)
		})
	}
}

// BenchmarkMCPVersusCLI alternates, on one session in one repository, a
// codex-reply through the server (in process) and `git codex reply -s ID`
// run in process, so that both see the same machine load; it reports both
// medians and the median of the paired differences: what the server adds to
// the command's own work.
func BenchmarkMCPVersusCLI(b *testing.B) {
	dir := benchRepo(b)
	srv := openaitest.New(b)
	srv.SetChunkSize(1 << 10)
	b.Setenv("OPENAI_BASE_URL", srv.URL())
	b.Setenv("OPENAI_PRIMARY_MODEL", "test-model")
	b.Setenv("OPENAI_API_KEY", "")
	b.Chdir(dir)
	cs := inProcessServer(b, dir, srv.URL())
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "codex", Arguments: map[string]any{"prompt": "Find why the cache test is flaky"}})
	if err != nil || res.IsError {
		b.Fatalf("codex: %v %v", err, res)
	}
	thread := res.StructuredContent.(map[string]any)["threadId"].(string)
	viaMCP := func(msg string) error {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "codex-reply", Arguments: map[string]any{"threadId": thread, "prompt": msg}})
		if err == nil && res.IsError {
			err = fmt.Errorf("%v", res.Content)
		}
		return err
	}
	viaCLI := func(msg string) error { return mainInProcess("reply", "-s", thread, msg) }
	for _, warm := range []func(string) error{viaMCP, viaCLI} {
		if err := warm("Also: warm up"); err != nil {
			b.Fatal(err)
		}
	}
	var mcpT, cliT, diff []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// ABBA: the order alternates, so neither always runs second.
		first, second := viaMCP, viaCLI
		if i%2 == 1 {
			first, second = viaCLI, viaMCP
		}
		var d [2]time.Duration
		for j, f := range []func(string) error{first, second} {
			start := time.Now()
			if err := f(fmt.Sprintf("Also: caller %d.%d", i, j)); err != nil {
				b.Fatal(err)
			}
			d[j] = time.Since(start)
		}
		m, c := d[0], d[1]
		if i%2 == 1 {
			m, c = d[1], d[0]
		}
		mcpT, cliT, diff = append(mcpT, m), append(cliT, c), append(diff, m-c)
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(mcpT, 50)), "mcp-ms")
	b.ReportMetric(ms(percentile(cliT, 50)), "cli-ms")
	b.ReportMetric(ms(percentile(diff, 50)), "added-ms")
	b.Logf("%d pairs: codex-reply through the server median %.1f ms, git codex reply in process %.1f ms; the server adds a median %.2f ms",
		b.N, ms(percentile(mcpT, 50)), ms(percentile(cliT, 50)), ms(percentile(diff, 50)))
}

// BenchmarkMCPTopics: 1 and then 10 concurrent codex calls, each on a topic
// of its own (ten worktrees, ten branches), against a model server that
// takes 300 ms for every answer, through a real server process. Calls on
// different topics run in parallel, so ten take about the time of one.
func BenchmarkMCPTopics(b *testing.B) {
	const delay = 300 * time.Millisecond
	bin := buildGitCodex(b)
	dir := benchRepo(b)
	srv := openaitest.New(b)
	srv.Inject(openaitest.Fault{Kind: openaitest.FaultSlow, DelayMS: int(delay / time.Millisecond), Count: -1})
	cs, _ := stdioServer(b, bin, dir, srv.URL())
	trees := make([]string, 10)
	for i := range trees {
		trees[i] = filepath.Join(b.TempDir(), "wt")
		gittest.Git(b, dir, "worktree", "add", "-q", "-b", fmt.Sprintf("topic-%d", i), trees[i])
	}
	call := func(n int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "codex", Arguments: map[string]any{"prompt": "Review this branch", "cwd": trees[i]}})
				if err != nil || res.IsError {
					b.Errorf("codex on %s: %v %v", trees[i], err, res)
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	call(10) // warm up
	var one, ten []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		one = append(one, call(1))
		ten = append(ten, call(10))
	}
	b.StopTimer()
	m1, m10 := percentile(one, 50), percentile(ten, 50)
	b.ReportMetric(ms(m1), "one-ms")
	b.ReportMetric(ms(m10), "ten-ms")
	b.ReportMetric(float64(m10)/float64(m1), "ten/one")
	b.Logf("model answers in %v: one codex call %.0f ms, ten on ten topics at once %.0f ms (medians of %d), ratio %.2f",
		delay, ms(m1), ms(m10), b.N, float64(m10)/float64(m1))
}

// inProcessServer serves the repository in this process and connects the
// SDK's client to it in memory.
func inProcessServer(b *testing.B, dir, baseURL string) *mcp.ClientSession {
	b.Helper()
	getenv := func(k string) string {
		switch k {
		case "OPENAI_BASE_URL":
			return baseURL
		case "OPENAI_PRIMARY_MODEL":
			return "test-model"
		case "OPENAI_API_KEY":
			return ""
		}
		return os.Getenv(k)
	}
	e := newEnv(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, getenv)
	e.Dir = dir
	server := mcpserver.New(mcpserver.Options{Backend: mcpBackend{e}, Dir: dir, Version: "bench"})
	ctx, cancel := context.WithCancel(context.Background())
	ct, st := mcp.NewInMemoryTransports()
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, st) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cs.Close()
		cancel()
		<-done
	})
	return cs
}

// buildGitCodex builds git-codex from this package into a directory of its
// own and returns the directory. Call it before anything moves HOME (the
// Go build cache is under it).
func buildGitCodex(b *testing.B) string {
	b.Helper()
	bin := b.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "git-codex"), ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// stdioServer starts `git codex mcp` in dir through git's dispatch, with
// the git-codex in bin first on PATH, and connects the SDK's client to it.
// It returns the session and the server process's id (git's child).
func stdioServer(b *testing.B, bin, dir, baseURL string) (*mcp.ClientSession, int) {
	b.Helper()
	cmd := exec.Command("git", "codex", "mcp")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"OPENAI_BASE_URL="+baseURL, "OPENAI_PRIMARY_MODEL=test-model", "OPENAI_API_KEY=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		b.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	b.Cleanup(func() { cs.Close() })
	return cs, childOf(b, cmd.Process.Pid)
}

// childOf returns the one child process of pid (git runs git-codex as one).
func childOf(b *testing.B, pid int) int {
	b.Helper()
	for range 100 {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if f := strings.Fields(string(data)); len(f) == 1 {
			child, err := strconv.Atoi(f[0])
			if err == nil {
				return child
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("no child of git (%d) to measure", pid)
	return 0
}

// rss is the resident memory of process pid in KiB (VmRSS), 0 for pid 0.
func rss(pid int) float64 {
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb
		}
	}
	return 0
}

// procCPU is the CPU time process pid and its waited-for children have used
// (utime, stime, cutime, cstime of /proc/PID/stat), 0 for pid 0.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count after its ")".
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // fields 14-17, 1-based, after pid and comm
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
