package codexcli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/internal/codextest"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

var record = flag.Bool("record", false, "TestCodexEndToEnd: write the real Codex CLI's event streams to testdata/streams")

// realCodex is a hermetic setup around the real Codex CLI: a git work tree,
// a loopback model server, a CODEX_HOME that keeps Codex offline and a proxy
// that proves it.
type realCodex struct {
	bin  *codexcli.Binary
	self string // this test binary
	dir  string
	srv  *openaitest.Server
	env  *codextest.Env
}

func newRealCodex(t testing.TB) *realCodex {
	t.Helper()
	path := codextest.Bin(t)
	gittest.Hermetic(t)
	bin, err := codexcli.Find(context.Background(), codexcli.FindOptions{Path: path})
	if err != nil {
		t.Fatalf("find codex: %v", err)
	}
	if bin.Version.String() != codextest.Version {
		t.Logf("codex %s, not the pinned %s: recordings and expectations were made with the latter", bin.Version, codextest.Version)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# demo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, dir, "init", "-q")
	gittest.Git(t, dir, "add", "-A")
	gittest.Git(t, dir, "commit", "-q", "-m", "initial")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := openaitest.New(t)
	return &realCodex{bin: bin, self: self, dir: dir, srv: srv, env: codextest.New(t, srv)}
}

func (rc *realCodex) request(prompt string) codexcli.Request {
	return codexcli.Request{
		Bin:    rc.bin,
		Dir:    rc.dir,
		Prompt: prompt,
		Model:  "test-model",
		Config: rc.env.Config(),
		Env:    rc.env.Environ(os.Environ()),
		Grace:  2 * time.Second,
	}
}

// TestCodexEndToEnd runs the scenarios in order with the real Codex CLI: a
// new thread and two follow-ups resumed in it, commands with their exit
// codes, a patch, a refused request, Ctrl-C while a command runs and a
// resume after it, a resume on a machine that lost the thread, and the
// restart in a new thread. It checks what reached the model server and that
// nothing tried to leave the machine.
func TestCodexEndToEnd(t *testing.T) {
	rc := newRealCodex(t)
	threads := map[string]string{}        // scenario -> thread id
	totals := map[string]codexcli.Usage{} // thread id -> running total
	// counted is, per thread, how many server requests its last completed
	// turn saw. A turn's usage covers its own requests — and, after an
	// interrupted turn (which reports none), maybe that turn's requests
	// too: whether Codex saved their count in the thread before SIGINT
	// ended it is a race.
	counted := map[string]int{}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.wipe {
				if err := rc.env.Wipe(); err != nil {
					t.Fatal(err)
				}
			}
			rc.srv.Enqueue(sc.replies...)
			if sc.fault != nil {
				rc.srv.Inject(*sc.fault)
			}
			req := rc.request(sc.prompt)
			req.Sandbox = sc.sandbox
			if sc.config != nil {
				req.Config = append(req.Config, sc.config(rc.self)...)
			}
			if sc.resume != "" {
				req.ThreadID = threads[sc.resume]
				if req.ThreadID == "" {
					t.Fatalf("no thread from %s", sc.resume)
				}
				req.PriorUsage = totals[req.ThreadID]
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			before := len(rc.srv.Requests())
			var lines [][]byte
			req.Sink = codexcli.SinkFunc(func(e codexcli.Event) {
				lines = append(lines, e.Raw)
				if sc.interruptAt != nil && sc.interruptAt(e) {
					// Ctrl-C once the turn's model request is out: Codex
					// may print turn.started before it sends it.
					go func() {
						for deadline := time.Now().Add(10 * time.Second); len(rc.srv.Requests()) == before && time.Now().Before(deadline); {
							time.Sleep(5 * time.Millisecond)
						}
						cancel()
					}()
				}
			})
			start := time.Now()
			turn, err := codexcli.Run(ctx, req)
			t.Logf("%s: %v, %d events", sc.name, time.Since(start).Round(time.Millisecond), len(lines))
			sc.want.check(t, turn, err, req.PriorUsage)
			all := rc.srv.Requests()
			rc.checkRequests(t, sc, turn, all[before:], threads)
			if turn != nil && turn.Status == codexcli.TurnCompleted {
				from := before
				if n, ok := counted[turn.ThreadID]; ok {
					from = n
				}
				checkUsage(t, turn, all[from:before], all[before:])
				threads[sc.name] = turn.ThreadID
				totals[turn.ThreadID] = turn.ThreadUsage
				counted[turn.ThreadID] = len(all)
			}
			if turn != nil && turn.Status == codexcli.TurnInterrupted {
				threads[sc.name] = turn.ThreadID
			}
			if *record && turn != nil {
				writeRecording(t, rc, sc, req, turn, lines)
			}
		})
	}
	rc.env.CheckNoEgress(t)
}

// checkRequests checks what reached the model server during a turn.
func (rc *realCodex) checkRequests(t *testing.T, sc scenario, turn *codexcli.Turn, reqs []openaitest.Request, threads map[string]string) {
	t.Helper()
	if sc.want.err == codexcli.ErrThreadNotFound {
		if len(reqs) != 0 {
			t.Errorf("a resume of an unknown thread sent %d model requests", len(reqs))
		}
		return
	}
	if len(reqs) == 0 {
		t.Fatal("no model request reached the server")
	}
	for _, r := range reqs {
		if got := codextest.ThreadID(r); got != turn.ThreadID {
			t.Errorf("request for thread %q during a turn of thread %q", got, turn.ThreadID)
		}
		if store, _ := r.JSON["store"].(bool); store {
			t.Errorf("codex asked the server to store the response")
		}
	}
	msgs := codextest.UserMessages(reqs[0])
	if len(msgs) == 0 || msgs[len(msgs)-1] != sc.prompt {
		t.Errorf("the first request's last user message is not the prompt: %q", msgs)
	}
	if sc.resume != "" {
		// Codex resends the thread: the first scenario's prompt is there.
		first := ""
		for _, s := range scenarios {
			if s.name == sc.resume {
				first = s.prompt
			}
		}
		if !slices.Contains(msgs, first) {
			t.Errorf("resumed turn: the request does not carry %q from the thread's first turn: %q", first, msgs)
		}
	} else if len(msgs) != 1 {
		t.Errorf("new thread: the request carries %d user messages, want 1: %q", len(msgs), msgs)
	}
	switch sc.name {
	case "file_change":
		for name, want := range map[string]string{"notes.txt": "first note\nsecond note\n", "README.md": "# demo, edited by codex\n"} {
			b, err := os.ReadFile(filepath.Join(rc.dir, name))
			if err != nil || string(b) != want {
				t.Errorf("%s = %q (%v), want %q", name, b, err, want)
			}
		}
	case "interrupted":
		// Codex's sandbox (bubblewrap, --die-with-parent) ends with Codex,
		// which the kernel carries out a moment after Codex is gone.
		var pids []int
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if pids = processesWith(interruptMarker); len(pids) == 0 {
				break
			}
		}
		if len(pids) > 0 {
			t.Errorf("processes left running after the interruption: %v", pids)
		}
	case "restart":
		if turn.ThreadID == threads["first_turn"] {
			t.Errorf("the restart reused thread %s", turn.ThreadID)
		}
	}
}

// checkUsage checks that a completed turn's own usage is what the server
// counted (a token per 4 bytes of body) for the thread's requests in own,
// plus maybe some in earlier: those of interrupted turns, in the thread's
// total when their response completed and Codex saved the count before
// SIGINT ended it (a race).
func checkUsage(t *testing.T, turn *codexcli.Turn, earlier, own []openaitest.Request) {
	t.Helper()
	tokens := func(r openaitest.Request) int64 { return int64((len(r.Body) + 3) / 4) }
	var mine int64
	for _, r := range own {
		if codextest.ThreadID(r) == turn.ThreadID {
			mine += tokens(r)
		}
	}
	var extra []int64
	for _, r := range earlier {
		if codextest.ThreadID(r) == turn.ThreadID {
			extra = append(extra, tokens(r))
		}
	}
	for mask := 0; mask < 1<<len(extra); mask++ {
		sum := mine
		for i, n := range extra {
			if mask&(1<<i) != 0 {
				sum += n
			}
		}
		if turn.Usage.Input == sum {
			return
		}
	}
	t.Errorf("turn input tokens = %d, the server counted %d for the turn's requests (and %v for interrupted ones)", turn.Usage.Input, mine, extra)
}

// processesWith returns the pids of the live (not zombie) processes whose
// command line contains s (Linux).
func processesWith(s string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(b, []byte(s)) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if _, rest, ok := strings.Cut(string(stat), ") "); err == nil && ok && strings.HasPrefix(rest, "Z") {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// recordedRequest is what a recording keeps of the request besides the
// arguments.
type recordedRequest struct {
	ThreadID   string         `json:"thread_id,omitempty"`
	PriorUsage codexcli.Usage `json:"prior_usage"`
	Interrupt  bool           `json:"interrupt,omitempty"`
}

// workTree and the other placeholders replace the run's temporary paths in
// recordings.
const (
	workTree   = "/WORKTREE"
	codexHome  = "/CODEX_HOME"
	serverURL  = "http://127.0.0.1:9/v1"
	testBinary = "/CODEXCLI_TEST_BINARY"
)

// writeRecording stores one run as testdata/streams/NAME.txtar.
func writeRecording(t *testing.T, rc *realCodex, sc scenario, req codexcli.Request, turn *codexcli.Turn, lines [][]byte) {
	t.Helper()
	norm := strings.NewReplacer(rc.dir, workTree, rc.env.Home, codexHome, rc.srv.URL(), serverURL, rc.self, testBinary).Replace
	args, err := codexcli.Args(req)
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(recordedRequest{ThreadID: req.ThreadID, PriorUsage: req.PriorUsage, Interrupt: sc.interruptAt != nil})
	var stdout strings.Builder
	for _, l := range lines {
		stdout.Write(l)
		stdout.WriteByte('\n')
	}
	a := &txtar.Archive{
		Comment: []byte("Recorded from codex-cli " + rc.bin.Version.String() + " against internal/openaitest by\n" +
			"go test ./codexcli -run TestCodexEndToEnd -record (paths and URLs replaced).\n"),
		Files: []txtar.File{
			{Name: "request.json", Data: append(meta, '\n')},
			{Name: "args", Data: []byte(norm(strings.Join(args, "\n")) + "\n")},
			{Name: "prompt", Data: []byte(sc.prompt + "\n")},
			{Name: "stdout", Data: []byte(norm(stdout.String()))},
			{Name: "stderr", Data: []byte(norm(turn.Stderr))},
			{Name: "exit", Data: []byte(strconv.Itoa(turn.ExitCode) + "\n")},
		},
	}
	if err := os.MkdirAll(filepath.Join("testdata", "streams"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "streams", sc.name+".txtar"), txtar.Format(a), 0o644); err != nil {
		t.Fatal(err)
	}
}
