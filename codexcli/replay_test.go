package codexcli_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
)

// recording is one file of testdata/streams.
type recording struct {
	path  string
	req   recordedRequest
	files map[string]string
}

func loadRecording(t testing.TB, name string) recording {
	t.Helper()
	path := filepath.Join("testdata", "streams", name+".txtar")
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatalf("%v (record it: go test ./codexcli -run TestCodexEndToEnd -record)", err)
	}
	r := recording{path: path, files: map[string]string{}}
	for _, f := range a.Files {
		r.files[f.Name] = string(f.Data)
	}
	if err := json.Unmarshal([]byte(r.files["request.json"]), &r.req); err != nil {
		t.Fatalf("%s: request.json: %v", path, err)
	}
	return r
}

// streamView is what the stream alone shows of a want: an interruption or
// a missing thread is known from the process (signal, stderr), not from the
// events.
func (w want) streamView() want {
	w.err = nil
	if w.status == codexcli.TurnInterrupted {
		w.status = codexcli.TurnIncomplete
	}
	if w.status != codexcli.TurnFailed {
		w.errorContains = ""
	}
	return w
}

// TestRecordedStreams decodes the event streams the real Codex CLI printed
// (testdata/streams) into turns: thread, messages, reasoning, commands with
// exit codes, file changes relative to the work tree, usage for the turn.
func TestRecordedStreams(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := loadRecording(t, sc.name)
			var events []codexcli.Event
			turn, err := codexcli.Stream(strings.NewReader(rec.files["stdout"]), codexcli.StreamOptions{
				Dir: workTree, ThreadID: rec.req.ThreadID, PriorUsage: rec.req.PriorUsage,
				Sink: codexcli.SinkFunc(func(e codexcli.Event) { events = append(events, e) }),
			})
			if err != nil {
				t.Fatal(err)
			}
			sc.want.streamView().check(t, turn, nil, rec.req.PriorUsage)

			lines := strings.Split(strings.TrimSpace(rec.files["stdout"]), "\n")
			if lines[0] == "" {
				lines = nil
			}
			if len(events) != len(lines) || turn.Events != len(lines) {
				t.Fatalf("%d events to the sink, %d counted, for %d lines", len(events), turn.Events, len(lines))
			}
			for i, e := range events {
				if string(e.Raw) != lines[i] {
					t.Errorf("event %d raw = %s, want line %s", i, e.Raw, lines[i])
				}
				if e.Unknown {
					t.Errorf("event %d of type %q unknown to the parser", i, e.Type)
				}
			}
			if len(turn.Unknown) != 0 {
				t.Errorf("unknown lines: %q", turn.Unknown)
			}
			// Codex 0.169 warns on every turn that it has no metadata for
			// the test model: a warning, never fatal.
			if len(lines) > 0 && !slices.ContainsFunc(turn.Warnings, func(w string) bool { return strings.Contains(w, "Model metadata") }) {
				t.Errorf("warnings = %q, want the model metadata one", turn.Warnings)
			}
		})
	}
}

// TestRunReplay runs each recording through Run with a fake Codex (this
// test binary, replaying the recording's stdout, stderr and exit code): the
// arguments Run passes are the recorded ones, the prompt goes on stdin, the
// outcome is classified as with the real one — including an interruption
// and a child left holding the output pipe.
func TestRunReplay(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec := loadRecording(t, sc.name)
			abs, _ := filepath.Abs(rec.path)
			dir := t.TempDir()
			logFile, childFile := filepath.Join(t.TempDir(), "log.json"), filepath.Join(t.TempDir(), "child")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req := codexcli.Request{
				Bin:        &codexcli.Binary{Path: self, Env: []string{"FAKE_WRAPPER_VAR=1"}},
				Dir:        dir,
				Prompt:     strings.TrimSuffix(rec.files["prompt"], "\n"),
				ThreadID:   rec.req.ThreadID,
				Model:      "test-model",
				Sandbox:    sc.sandbox,
				Config:     config(sc),
				Env:        append(os.Environ(), fakeStream+"="+abs, fakeLog+"="+logFile, fakeChild+"="+childFile),
				PriorUsage: rec.req.PriorUsage,
				Grace:      200 * time.Millisecond,
				Sink: codexcli.SinkFunc(func(e codexcli.Event) {
					if sc.interruptAt != nil && sc.interruptAt(e) {
						cancel()
					}
				}),
			}
			turn, err := codexcli.Run(ctx, req)
			sc.want.check(t, turn, err, rec.req.PriorUsage)

			var got fakeLogEntry
			b, rerr := os.ReadFile(logFile)
			if rerr != nil || json.Unmarshal(b, &got) != nil {
				t.Fatalf("the fake left no log: %v", rerr)
			}
			wantArgs := strings.Split(strings.TrimSpace(rec.files["args"]), "\n")
			if !slices.Equal(got.Args, wantArgs) {
				t.Errorf("args = %q\nrecorded %q", got.Args, wantArgs)
			}
			if got.Stdin != req.Prompt {
				t.Errorf("stdin = %q, want the prompt %q", got.Stdin, req.Prompt)
			}
			if got.Dir != dir {
				t.Errorf("codex ran in %s, want the work tree %s", got.Dir, dir)
			}
			if code, _ := strconv.Atoi(strings.TrimSpace(rec.files["exit"])); turn.ExitCode != code {
				t.Errorf("exit code = %d, recorded %d", turn.ExitCode, code)
			}
			if sc.interruptAt != nil {
				checkGone(t, childFile)
			}
		})
	}
}

// config is a scenario's -c overrides as recorded.
func config(sc scenario) []string {
	c := (&codextest.Env{ServerURL: serverURL}).Config()
	if sc.config != nil {
		c = append(c, sc.config(testBinary)...)
	}
	return c
}

// checkGone checks that the process whose pid is in file ends (or becomes
// a zombie waiting for init) — a SIGKILL sent is not yet a process gone, so
// it gives the kernel a moment.
func checkGone(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no child pid: %v", err)
	}
	pid, _ := strconv.Atoi(string(b))
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			return
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return
		}
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
	t.Errorf("child %d of the interrupted codex is still running", pid)
}

// TestRunEscalates checks that a Codex that ignores SIGINT and SIGTERM is
// killed, and the turn still comes back with what arrived.
func TestRunEscalates(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rec := loadRecording(t, "interrupted")
	abs, _ := filepath.Abs(rec.path)
	childFile := filepath.Join(t.TempDir(), "child")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var signalled time.Time
	turn, err := codexcli.Run(ctx, codexcli.Request{
		Bin:      &codexcli.Binary{Path: self},
		Dir:      t.TempDir(),
		Prompt:   "x",
		ThreadID: rec.req.ThreadID,
		Env:      append(os.Environ(), fakeStream+"="+abs, fakeChild+"="+childFile, fakeStubborn+"=1"),
		Grace:    100 * time.Millisecond,
		Sink: codexcli.SinkFunc(func(e codexcli.Event) {
			if e.Type == codexcli.EventItemStarted {
				signalled = time.Now()
				cancel()
			}
		}),
	})
	if !errors.Is(err, context.Canceled) || turn == nil || turn.Status != codexcli.TurnInterrupted {
		t.Fatalf("Run = %+v, %v; want an interrupted turn", turn, err)
	}
	if turn.ExitCode != -1 {
		t.Errorf("exit code %d, want -1 (killed)", turn.ExitCode)
	}
	if got := turn.Messages(); len(got) != 1 {
		t.Errorf("messages = %q, want the one that arrived", got)
	}
	checkGone(t, childFile)
	t.Logf("SIGINT, SIGTERM, SIGKILL: Run returned %v after the cancel", time.Since(signalled).Round(time.Millisecond))
}

// TestRunNotStarted checks the requests Run refuses before starting Codex.
func TestRunNotStarted(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		req  codexcli.Request
		want error
	}{
		{"no binary", context.Background(), codexcli.Request{}, nil},
		{"a bad request", context.Background(), codexcli.Request{Bin: &codexcli.Binary{Path: "/bin/true"}, Approval: "untrusted"}, codexcli.ErrUnsupported},
		{"interrupted already", done, codexcli.Request{Bin: &codexcli.Binary{Path: "/bin/true"}}, context.Canceled},
		{"a binary that does not start", context.Background(), codexcli.Request{Bin: &codexcli.Binary{Path: filepath.Join(t.TempDir(), "codex")}}, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			turn, err := codexcli.Run(tt.ctx, tt.req)
			if turn != nil || err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Run = %v, %v; want no turn and %v", turn, err, tt.want)
			}
		})
	}
}

// TestRunGate checks Request.Gate: it runs once Codex is started and before
// Codex gets the prompt, which then arrives whole (larger than a pipe's
// buffer); a failing Gate ends Codex before it read the prompt, and Run
// returns Gate's error and no turn.
func TestRunGate(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rec := loadRecording(t, "resume")
	abs, _ := filepath.Abs(rec.path)
	gateErr := errors.New("could not store the message")
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "log.json")
			prompt := "Go on. " + strings.Repeat("a long first message ", 8<<10)
			calls, events := 0, 0
			turn, err := codexcli.Run(context.Background(), codexcli.Request{
				Bin:      &codexcli.Binary{Path: self},
				Dir:      t.TempDir(),
				Prompt:   prompt,
				ThreadID: rec.req.ThreadID,
				Env:      append(os.Environ(), fakeStream+"="+abs, fakeLog+"="+logFile),
				Sink:     codexcli.SinkFunc(func(codexcli.Event) { events++ }),
				Gate: func(ctx context.Context) error {
					calls++
					if events != 0 {
						t.Errorf("%d events before the gate opened", events)
					}
					if fail {
						return gateErr
					}
					return nil
				},
			})
			if calls != 1 {
				t.Errorf("gate called %d times, want once", calls)
			}
			b, _ := os.ReadFile(logFile)
			var got fakeLogEntry
			_ = json.Unmarshal(b, &got)
			if fail {
				if !errors.Is(err, gateErr) || turn != nil {
					t.Fatalf("Run = %v, %v; want no turn and the gate's error", turn, err)
				}
				if got.Stdin != "" {
					t.Errorf("codex read %d bytes of the prompt although the gate failed", len(got.Stdin))
				}
				return
			}
			if err != nil || turn.Status != codexcli.TurnCompleted {
				t.Fatalf("Run = %+v, %v", turn, err)
			}
			if got.Stdin != prompt {
				t.Errorf("codex read %d bytes of the %d-byte prompt", len(got.Stdin), len(prompt))
			}
		})
	}
}
