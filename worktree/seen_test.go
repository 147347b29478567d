package worktree_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/worktree"
)

// architecture is an 8 KB context file, as ARCHITECTURE.md might be.
func architecture() string {
	var b strings.Builder
	for i := 1; b.Len() < 8<<10; i++ {
		fmt.Fprintf(&b, "Line %d of the architecture: the layers, who imports whom, and why.\n", i)
	}
	return b.String()
}

func seenTree(t *testing.T) (root string, arch string) {
	t.Helper()
	root = t.TempDir()
	arch = architecture()
	if err := os.WriteFile(filepath.Join(root, "ARCHITECTURE.md"), []byte(arch), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../ARCHITECTURE.md", filepath.Join(root, "docs", "arch.md")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	return root, arch
}

func newSeen(t *testing.T, turn int, prior []worktree.SeenEntry, load worktree.BlobLoader) *worktree.Seen {
	t.Helper()
	s, err := worktree.NewSeen(worktree.SHA1, turn, prior, load)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func read(t *testing.T, tools *worktree.Tools, path string, lines ...int) string {
	t.Helper()
	a := map[string]any{"path": path}
	if len(lines) == 2 {
		a["start_line"], a["end_line"] = lines[0], lines[1]
	}
	out, err := tools.Call(context.Background(), worktree.ToolReadFile, args(a))
	if err != nil {
		t.Fatalf("read_file %v: %v", a, err)
	}
	return out
}

// TestSeenDeltas: read_file with a Seen answers a first read in full, an
// unchanged re-read in a line, a changed file with a diff against what was
// read, and a range by range.
func TestSeenDeltas(t *testing.T) {
	root, arch := seenTree(t)
	plain := newTools(t, root, worktree.ToolOptions{})
	s := newSeen(t, 1, nil, nil)
	tools := newTools(t, root, worktree.ToolOptions{Seen: s})

	full := read(t, tools, "ARCHITECTURE.md")
	if want := read(t, plain, "ARCHITECTURE.md"); full != want {
		t.Fatalf("first read differs from the tools without Seen:\n%q\n%q", full, want)
	}
	s.SetTurn(2)
	again := read(t, tools, "ARCHITECTURE.md")
	blob := blobID(t, arch, "sha1")
	want := fmt.Sprintf("ARCHITECTURE.md: unchanged since you read it in turn 1 (blob %s, %d lines); what you read then still holds.\n", blob[:12], strings.Count(arch, "\n"))
	if again != want {
		t.Errorf("re-read = %q, want %q", again, want)
	}
	if len(again) >= 300 {
		t.Errorf("re-read answered in %d bytes, want under 300", len(again))
	}
	// The same file through a symlink is the same file.
	if got := read(t, tools, "docs/arch.md"); !strings.HasPrefix(got, "docs/arch.md: unchanged since you read it in turn 2") {
		t.Errorf("through a symlink: %q", got)
	}

	changed := strings.Replace(arch, "Line 40 of", "Line forty of", 1)
	if err := os.WriteFile(filepath.Join(root, "ARCHITECTURE.md"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	s.SetTurn(3)
	delta := read(t, tools, "ARCHITECTURE.md")
	assertInOrder(t, delta, []string{
		fmt.Sprintf("ARCHITECTURE.md changed since you read it in turn 2 (blob %s, now %s); the diff from what you read:\n", blob[:12], blobID(t, changed, "sha1")[:12]),
		"--- a/ARCHITECTURE.md\n+++ b/ARCHITECTURE.md\n@@ -37,7 +37,7 @@\n",
		"-Line 40 of the architecture", "+Line forty of the architecture",
	}, nil)
	if len(delta) > len(full)/10 {
		t.Errorf("the diff answer is %d bytes, the file %d", len(delta), len(full))
	}
	if got := read(t, tools, "ARCHITECTURE.md"); !strings.Contains(got, "unchanged since you read it in turn 3") {
		t.Errorf("re-read after the diff: %q", got)
	}

	// Ranges: by range; a changed file answers the range in full.
	first := read(t, tools, "ARCHITECTURE.md", 1, 5)
	if !strings.HasPrefix(first, "ARCHITECTURE.md lines 1-5\n") {
		t.Errorf("first ranged read: %q", first)
	}
	if got := read(t, tools, "ARCHITECTURE.md", 1, 5); !strings.HasPrefix(got, "ARCHITECTURE.md lines 1-5: unchanged since you read it in turn 3") {
		t.Errorf("ranged re-read: %q", got)
	}
	if err := os.WriteFile(filepath.Join(root, "ARCHITECTURE.md"), []byte("short now\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := read(t, tools, "ARCHITECTURE.md", 1, 5); got != "ARCHITECTURE.md lines 1-1\n     1\tshort now\n" {
		t.Errorf("ranged read of a changed file: %q", got)
	}
	// A rewrite whose diff is larger than the file is answered in full.
	if got := read(t, tools, "ARCHITECTURE.md"); got != "ARCHITECTURE.md lines 1-1\n     1\tshort now\n" {
		t.Errorf("rewritten file: %q", got)
	}

	obs := s.Take()
	if len(obs) != 9 {
		t.Fatalf("%d observations, want 9 (one a read)", len(obs))
	}
	for _, o := range obs {
		if worktree.BlobID(worktree.SHA1, o.Content) != o.Blob || o.Path != "ARCHITECTURE.md" {
			t.Errorf("observation %+v: content does not match its blob, or the path is not the resolved one", o.SeenEntry)
		}
	}
	if got := s.Take(); len(got) != 0 {
		t.Errorf("a second Take returned %d observations", len(got))
	}
}

// TestSeenAcrossProcesses: a later process, given the entries and the
// blobs (as the session keeps them in git), answers as if it had read the
// files itself; without the blobs, it answers a changed file in full.
func TestSeenAcrossProcesses(t *testing.T) {
	root, arch := seenTree(t)
	s1 := newSeen(t, 1, nil, nil)
	read(t, newTools(t, root, worktree.ToolOptions{Seen: s1}), "ARCHITECTURE.md")
	odb := map[string][]byte{}
	for _, o := range s1.Take() {
		odb[o.Blob] = o.Content
	}
	entries := s1.Entries()
	if len(entries) != 1 || entries[0].Turn != 1 || entries[0].Blob != blobID(t, arch, "sha1") {
		t.Fatalf("entries %+v", entries)
	}
	load := func(_ context.Context, id string) ([]byte, error) {
		if b, ok := odb[id]; ok {
			return b, nil
		}
		return nil, errors.New("no such blob")
	}

	s2 := newSeen(t, 2, entries, load)
	tools := newTools(t, root, worktree.ToolOptions{Seen: s2})
	if got := read(t, tools, "ARCHITECTURE.md"); !strings.HasPrefix(got, "ARCHITECTURE.md: unchanged since you read it in turn 1") {
		t.Errorf("unchanged in a later process: %q", got)
	}
	changed := arch + "One more line.\n"
	if err := os.WriteFile(filepath.Join(root, "ARCHITECTURE.md"), []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	s3 := newSeen(t, 3, entries, load)
	if got := read(t, newTools(t, root, worktree.ToolOptions{Seen: s3}), "ARCHITECTURE.md"); !strings.Contains(got, "+One more line.") || len(got) > 1000 {
		t.Errorf("changed, blob loaded: %q", got)
	}
	for name, l := range map[string]worktree.BlobLoader{
		"no loader":       nil,
		"missing blob":    func(context.Context, string) ([]byte, error) { return nil, errors.New("gone") },
		"not the blob id": func(context.Context, string) ([]byte, error) { return []byte("other content\n"), nil },
	} {
		s := newSeen(t, 3, entries, l)
		if got := read(t, newTools(t, root, worktree.ToolOptions{Seen: s}), "ARCHITECTURE.md"); !strings.HasPrefix(got, "ARCHITECTURE.md lines 1-") {
			t.Errorf("%s: want the file in full, got %.80q", name, got)
		}
	}
}

// TestSeenAndEdits: the editor refuses to patch a file that changed since
// the model read it, records its own patches (so the next patch needs no
// re-read), and a re-read shows the model its change as a diff.
func TestSeenAndEdits(t *testing.T) {
	root := t.TempDir()
	filler := strings.Repeat("// A comment line long enough to make the file larger than a diff of it.\n", 30)
	if err := os.WriteFile(filepath.Join(root, "a.go"), []byte("package a\n\n"+filler+"var X = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSeen(t, 1, nil, nil)
	tools := newTools(t, root, worktree.ToolOptions{Seen: s})
	e := newEditor(t, root, worktree.EditOptions{Seen: s})
	patch := func(diff string) error {
		p, err := e.Prepare(context.Background(), worktree.Operation{Type: worktree.OpUpdate, Path: "a.go", Diff: diff})
		if err == nil {
			err = p.Commit(context.Background())
		}
		return err
	}
	// Never read: no stale check.
	if err := patch("-var X = 1\n+var X = 2\n"); err != nil {
		t.Fatalf("patch of an unread file: %v", err)
	}
	if last, ok := s.Last("a.go"); !ok || !last.Edited || last.Blob != blobID(t, "package a\n\n"+filler+"var X = 2\n", "sha1") {
		t.Errorf("after the patch, Last = %+v, %v", last, ok)
	}
	read(t, tools, "a.go")
	s.SetTurn(2)
	if err := patch("-var X = 2\n+var X = 3\n"); err != nil {
		t.Fatalf("patch after a read: %v", err)
	}
	if err := patch("-var X = 3\n+var X = 4\n"); err != nil {
		t.Fatalf("second patch without a re-read: %v", err)
	}
	if got := read(t, tools, "a.go"); !strings.Contains(got, "changed since you read it in turn 1") || !strings.Contains(got, "-var X = 2\n+var X = 4\n") {
		t.Errorf("re-read after the model's patches: %q", got)
	}
	if err := os.WriteFile(filepath.Join(root, "a.go"), []byte("package a\n\n"+filler+"var X = 4 // the user's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := patch("-var X = 4 // the user's\n+var X = 5\n")
	if !errors.Is(err, worktree.ErrStale) || !strings.Contains(err.Error(), "a.go changed since you read it in turn 2") {
		t.Errorf("patch after the user's edit: %v", err)
	}
	read(t, tools, "a.go")
	if err := patch("-var X = 4 // the user's\n+var X = 5\n"); err != nil {
		t.Errorf("patch after a re-read: %v", err)
	}
	if err := patch("-var X = 5\n+var X = 6\n"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "a.go"), []byte("package a\n"), 0o644)
	if err := patch("-package a\n+package b\n"); !errors.Is(err, worktree.ErrStale) || !strings.Contains(err.Error(), "changed since you patched it in turn 2") {
		t.Errorf("patch after the user changed the model's patch: %v", err)
	}
	p, err := e.Prepare(context.Background(), worktree.Operation{Type: worktree.OpDelete, Path: "a.go"})
	if !errors.Is(err, worktree.ErrStale) {
		t.Fatalf("delete of a stale file: %v, %v", p, err)
	}
	s.Forget("a.go")
	if _, ok := s.Last("a.go"); ok {
		t.Errorf("Forget kept the path")
	}
}

// TestContextDeltaFigures is the 10-turn session of the issue, at the
// tools' level: a model re-reads an 8 KB ARCHITECTURE.md every turn. It
// prints the bytes of read_file's answers with and without a Seen, and of
// whole requests under the assumption that each carries 2 KB of
// instructions and tools besides the answer (the wire benchmark proper
// belongs to the session).
func TestContextDeltaFigures(t *testing.T) {
	root, _ := seenTree(t)
	s := newSeen(t, 1, nil, nil)
	with := newTools(t, root, worktree.ToolOptions{Seen: s})
	without := newTools(t, root, worktree.ToolOptions{})
	const overhead = 2 << 10
	var bytesWith, bytesWithout, reqWith, reqWithout int
	for turn := 1; turn <= 10; turn++ {
		s.SetTurn(turn)
		a, b := read(t, with, "ARCHITECTURE.md"), read(t, without, "ARCHITECTURE.md")
		if turn == 1 {
			continue
		}
		if len(a) >= 300 {
			t.Errorf("turn %d: unchanged re-read answered in %d bytes", turn, len(a))
		}
		bytesWith += len(a)
		bytesWithout += len(b)
		reqWith += overhead + len(a)
		reqWithout += overhead + len(b)
	}
	t.Logf("turns 2-10: read_file answers %d bytes with context deltas, %d without (%.1fx); requests of 2 KB + the answer: %d vs %d bytes (%.1fx)",
		bytesWith, bytesWithout, float64(bytesWithout)/float64(bytesWith), reqWith, reqWithout, float64(reqWithout)/float64(reqWith))
	if reqWithout < 3*reqWith {
		t.Errorf("requests only %.1fx smaller with context deltas", float64(reqWithout)/float64(reqWith))
	}
}
