package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// cancelOnWrite cancels the command's context once the answer starts to
// stream: Ctrl-C in the middle of an answer.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel()
	return w.buf.Write(p)
}

func TestInterruptSaysSoOnce(t *testing.T) {
	hookEnv(t)
	dir := workWithHook(t, false)
	srv := openaitest.New(t)
	srv.SetChunkSize(4)
	srv.Enqueue(openaitest.Reply{Text: strings.Repeat("word ", 2000)})
	env := map[string]string{"OPENAI_BASE_URL": srv.URL(), "OPENAI_PRIMARY_MODEL": "test-model"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &cancelOnWrite{cancel: cancel}
	var stderr bytes.Buffer
	e := newEnv(strings.NewReader(""), stdout, &stderr, func(k string) string { return env[k] })
	e.Dir = dir
	defer e.close()
	code := run(ctx, e, []string{"git-codex", "delegate", "Tell me a lot"})
	if code != failure.ExitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, failure.ExitInterrupted, stderr.String())
	}
	if n := strings.Count(stderr.String(), "interrupted"); n != 1 {
		t.Errorf("%q said %d times, want once:\n%s", "interrupted", n, stderr.String())
	}
	if !strings.Contains(gittest.Git(t, dir, "notes", "--ref=refs/notes/codex/main", "show", "HEAD"), `"status":"incomplete"`) {
		t.Error("the partial answer is not stored as incomplete")
	}
}
