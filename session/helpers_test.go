package session

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/worktree"
)

// fakeRepo is a work tree without git: HEAD is fixed, git log is canned,
// blobs are kept in memory.
type fakeRepo struct {
	dir  string
	head gitstore.Head

	mu    sync.Mutex
	blobs map[string][]byte
}

func (r *fakeRepo) WriteBlobs(ctx context.Context, topic string, contents ...[]byte) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.blobs == nil {
		r.blobs = map[string][]byte{}
	}
	var ids []string
	for _, c := range contents {
		id := worktree.BlobID(worktree.SHA1, c)
		r.blobs[id] = append([]byte(nil), c...)
		ids = append(ids, id)
	}
	return ids, nil
}

func (r *fakeRepo) ReadBlob(ctx context.Context, id string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.blobs[id]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("read blob %s: %w", id, gitstore.ErrNotFound)
}

func (r *fakeRepo) Head() (gitstore.Head, error) { return r.head, nil }
func (r *fakeRepo) WorkTree() string             { return r.dir }
func (r *fakeRepo) RevList(ctx context.Context, opt gitstore.RevListOptions) ([]gitstore.Commit, error) {
	return []gitstore.Commit{{Hash: "abc1234", Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Author: "Test User", Subject: "initial commit"}}, nil
}
func (r *fakeRepo) IndexBlob(ctx context.Context, rel string) (string, bool) { return "", false }
func (r *fakeRepo) Commit(id string) (gitstore.Commit, error) {
	return gitstore.Commit{}, gitstore.ErrNotFound
}
func (r *fakeRepo) IsAncestor(ctx context.Context, a, b string) (bool, error) { return false, nil }

// The fake work tree is all committed: nothing is dirty, HEAD holds no
// file, git ignores nothing.
func (r *fakeRepo) DirtyPaths(ctx context.Context) ([]string, error) { return nil, nil }
func (r *fakeRepo) TreeFiles(ctx context.Context, commit string, paths []string) (map[string]gitstore.TreeFile, error) {
	return nil, nil
}
func (r *fakeRepo) IgnoredPaths(ctx context.Context, paths []string) (map[string]bool, error) {
	return nil, nil
}

// textOutput renders the engine's output as text: the answer to out, one
// "git-codex: <kind>: <text>" line per event to err, a command's output as
// it is. A nil writer drops its part.
type textOutput struct{ out, err io.Writer }

func (o textOutput) Delta(text string) {
	if o.out != nil {
		_, _ = io.WriteString(o.out, text)
	}
}

func (o textOutput) Event(ev Event) {
	switch {
	case o.err == nil, ev.Kind == EventWaiting, ev.Kind == EventAnswerEnd, ev.Kind == EventTurn, ev.Kind == EventAnswered:
	case ev.Kind == EventOutput:
		_, _ = io.WriteString(o.err, ev.Text)
	default:
		fmt.Fprintf(o.err, "git-codex: %s: %s\n", ev.Kind, ev.Text)
	}
}

func (o textOutput) Approve(context.Context, Approval) (Decision, error) { return Deny, nil }

// tick is a clock that advances one millisecond per call, so records sort
// in the order they were made.
type tick struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tick) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

type harness struct {
	t      *testing.T
	srv    *openaitest.Server
	store  *gitstore.MemoryStore
	repo   *fakeRepo
	eng    *Engine
	out    *bytes.Buffer
	errOut *bytes.Buffer
}

// newHarness builds an engine over a memory store, a work tree with the
// context files and a loopback test server.
func newHarness(t *testing.T, engine model.Engine) *harness {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"ARCHITECTURE.md": strings.Repeat("The storage layer keeps records in git notes.\n", 200),
		"AGENTS.md":       strings.Repeat("Run go test ./... before you finish.\n", 100),
		"cache/cache.go":  "package cache\n\n// Get returns a value.\nfunc Get(k string) string { return k }\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{
		t:      t,
		srv:    openaitest.New(t),
		store:  gitstore.NewMemoryStore(),
		repo:   &fakeRepo{dir: dir, head: gitstore.Head{Branch: "main", Commit: "1111111111111111111111111111111111111111"}},
		out:    &bytes.Buffer{},
		errOut: &bytes.Buffer{},
	}
	clock := &tick{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	h.eng = &Engine{
		Store: h.store,
		Repo:  h.repo,
		Config: model.Config{
			Engine:  engine,
			BaseURL: h.srv.URL(),
			Model:   "test-model",
			Sleep:   func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		},
		Now: clock.now,
		Out: textOutput{out: h.out, err: h.errOut},
	}
	return h
}

// records returns the stored records of topic of the given kind ("" = all).
func (h *harness) records(topic string, kind Kind) []Record {
	h.t.Helper()
	recs, warns, err := readRecords(context.Background(), h.store, nil, topic)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(warns) > 0 {
		h.t.Fatalf("warnings: %v", warns)
	}
	var out []Record
	for _, r := range recs {
		if kind == "" || r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// modelRequests returns the decoded bodies of the model requests received.
func (h *harness) modelRequests() []map[string]any {
	var out []map[string]any
	for _, r := range h.srv.Requests() {
		if strings.HasSuffix(r.Path, "/responses") || strings.HasSuffix(r.Path, "/chat/completions") {
			out = append(out, r.JSON)
		}
	}
	return out
}

func (h *harness) delegate(task string) Result {
	h.t.Helper()
	res, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: task, Context: []string{"cache/cache.go"}})
	if err != nil {
		h.t.Fatalf("delegate: %v", err)
	}
	return res
}

func (h *harness) reply(msg string) Result {
	h.t.Helper()
	res, err := h.eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: msg})
	if err != nil {
		h.t.Fatalf("reply: %v", err)
	}
	return res
}

// inputText returns the text of a Responses request's input (string or items).
func inputText(body map[string]any) string {
	switch in := body["input"].(type) {
	case string:
		return in
	case []any:
		b, _ := json.Marshal(in)
		return string(b)
	}
	return ""
}
