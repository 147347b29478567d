package gitstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
)

// Plain git reads what we write: notes list/show, log --notes, fsck.
func TestGitReadsOurNotes(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	s := r.Notes()
	a, b := rec("hello from a"), rec("hello from b")
	appendOK(t, s, "feature/x", head, a)
	appendOK(t, s, "feature/x", head, b)
	ref := s.Ref("feature/x")
	if ref != "refs/notes/codex/feature%2Fx" {
		t.Fatalf("ref = %q", ref)
	}
	if got := git(t, dir, "notes", "--ref="+ref, "list"); !strings.Contains(got, head) {
		t.Fatalf("git notes list = %q, want note on %s", got, head)
	}
	show := git(t, dir, "notes", "--ref="+ref, "show", head)
	lines := strings.Split(show, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"v":1,"ts":"`) {
		t.Fatalf("git notes show = %q", show)
	}
	if !sort.StringsAreSorted(lines) {
		t.Fatalf("note lines not in cat_sort_uniq order: %q", lines)
	}
	if out := git(t, dir, "log", "-1", "--notes="+ref, "--format=%N"); !strings.Contains(out, "hello from b") {
		t.Fatalf("git log --notes = %q", out)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// We read notes written by `git notes add` and `git notes append` (which
// inserts blank lines), flat and, past git's fan-out point, fanned out.
func TestWeReadGitWrittenNotes(t *testing.T) {
	dir := newRepo(t)
	ref := "refs/notes/codex/" + EncodeTopic("gitmade")
	var commits []string
	for i := 0; i < 80; i++ {
		git(t, dir, "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("c%d", i))
		commits = append(commits, git(t, dir, "rev-parse", "HEAD"))
	}
	for i, c := range commits {
		r := rec(fmt.Sprintf("note %d", i))
		b := r.Line
		git(t, dir, "notes", "--ref="+ref, "add", "-m", string(b), c)
	}
	// A hand-edited line and an append with git's blank separator.
	git(t, dir, "notes", "--ref="+ref, "append", "-m", "this is not json", commits[0])
	tree := git(t, dir, "ls-tree", ref)
	if !strings.Contains(tree, "tree") {
		t.Fatalf("expected git to fan out past 50 notes, tree is flat:\n%.300s", tree)
	}
	r := openRepo(t, dir)
	recs, warns, err := r.Notes().Read(context.Background(), "gitmade")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(commits) {
		t.Fatalf("read %d records from %d git notes", len(recs), len(commits))
	}
	if len(warns) != 1 || !strings.Contains(warns[0].String(), "malformed") {
		t.Fatalf("warnings = %v, want one for the hand-written line", warns)
	}
	// And we can append into git's fan-out layout without duplicating notes.
	appendOK(t, r.Notes(), "gitmade", commits[5], rec("ours"))
	show := git(t, dir, "notes", "--ref="+ref, "show", commits[5])
	if strings.Count(show, "\n") != 1 || !strings.Contains(show, "ours") || !strings.Contains(show, "note 5") {
		t.Fatalf("note after our append = %q", show)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// Trees merged by `git notes merge -s cat_sort_uniq` read back as the union.
func TestReadCatSortUniqMerge(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	s := r.Notes()
	base := rec("base")
	appendOK(t, s, "m", head, base)
	ref := s.Ref("m")
	git(t, dir, "update-ref", "refs/notes/other", ref)
	appendOK(t, s, "m", head, rec("local"))
	other := rec("remote")
	ob := other.Line
	git(t, dir, "notes", "--ref=refs/notes/other", "append", "-m", string(ob), head)
	git(t, dir, "notes", "--ref="+ref, "merge", "-q", "-s", "cat_sort_uniq", "refs/notes/other")
	r2 := openRepo(t, dir)
	recs, warns, err := r2.Notes().Read(context.Background(), "m")
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	var texts []string
	for _, x := range recs {
		texts = append(texts, textOf(x))
	}
	if strings.Join(texts, ",") != "base,local,remote" {
		t.Fatalf("after cat_sort_uniq merge read %v", texts)
	}
}

// MergeFrom: union, fast-forward, idempotence, and a pushable history.
func TestMergeFrom(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	s := r.Notes()
	appendOK(t, s, "m", head, rec("base"))
	ref := s.Ref("m")
	base := git(t, dir, "rev-parse", ref)
	appendOK(t, s, "m", head, rec("local"))
	// A diverged "remote" side built from base with git itself.
	git(t, dir, "update-ref", "refs/notes/remote", base)
	o := rec("remote")
	ob := o.Line
	git(t, dir, "notes", "--ref=refs/notes/remote", "append", "-m", string(ob), head)
	remote := git(t, dir, "rev-parse", "refs/notes/remote")
	ctx := context.Background()
	changed, err := s.MergeFrom(ctx, "m", remote)
	if err != nil || !changed {
		t.Fatalf("MergeFrom = %v, %v", changed, err)
	}
	recs, _, _ := s.Read(ctx, "m")
	if len(recs) != 3 {
		t.Fatalf("merged %d records, want 3", len(recs))
	}
	git(t, dir, "merge-base", "--is-ancestor", remote, ref)
	if changed, err := s.MergeFrom(ctx, "m", remote); err != nil || changed {
		t.Fatalf("second MergeFrom = %v, %v; want no change", changed, err)
	}
	if changed, err := s.MergeFrom(ctx, "new-topic", remote); err != nil || !changed {
		t.Fatalf("MergeFrom into a missing ref = %v, %v", changed, err)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// Writes rewrite only the path to one note; past the threshold the tree
// is fanned out once and stays readable by git.
func TestFanOutOnWrite(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	s := r.Notes()
	for i := 0; i < fanoutThreshold+5; i++ {
		appendOK(t, s, "big", fmt.Sprintf("%040x", i*7919+1), rec(fmt.Sprint(i)))
	}
	ref := s.Ref("big")
	if top := git(t, dir, "ls-tree", ref); !strings.Contains(top, " tree ") {
		t.Fatalf("not fanned out:\n%.200s", top)
	}
	if n := len(strings.Split(git(t, dir, "notes", "--ref="+ref, "list"), "\n")); n != fanoutThreshold+5 {
		t.Fatalf("git lists %d notes", n)
	}
	recs, _, err := s.Read(context.Background(), "big")
	if err != nil || len(recs) != fanoutThreshold+5 {
		t.Fatalf("read %d, %v", len(recs), err)
	}
}

// Turns on an unborn branch attach to the empty tree.
func TestUnbornBranch(t *testing.T) {
	gittest.Hermetic(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	r := openRepo(t, dir)
	h, err := r.Head()
	if err != nil || !h.Unborn() || h.Branch != "main" || h.Target() != EmptyTree {
		t.Fatalf("Head = %+v, %v", h, err)
	}
	appendOK(t, r.Notes(), "main", h.Target(), rec("before the first commit"))
	if got := git(t, dir, "notes", "--ref="+r.TopicRef("main"), "list"); !strings.HasSuffix(got, EmptyTree) {
		t.Fatalf("notes list = %q", got)
	}
}

// Malformed refs and notes never crash readers.
func TestBrokenDataIsReported(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	path := filepath.Join(dir, ".git", "refs", "notes", "codex", "broken")
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, nil, 0o644)
	if _, _, err := r.Notes().Read(context.Background(), "broken"); err == nil || !strings.Contains(err.Error(), "broken ref") {
		t.Fatalf("zero-byte ref read: %v", err)
	}
}

// After amends git copies notes to the new commit (notes.rewriteRef): Read
// returns every copy, each with the object its note annotates. Which one a
// reader shows is the session package's read policy (session/read_test.go).
func TestReadReturnsEveryCopy(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	git(t, dir, "config", "notes.rewriteRef", "refs/notes/codex/*")
	git(t, dir, "config", "notes.rewriteMode", "cat_sort_uniq")
	orig := git(t, dir, "rev-parse", "HEAD")
	x := recOn("asked before the amends", orig)
	appendOK(t, r.Notes(), "amend", orig, x)
	want := map[string]bool{orig: true}
	for i := 0; i < 3; i++ {
		git(t, dir, "commit", "-q", "--amend", "-m", fmt.Sprintf("amended %d", i))
		want[git(t, dir, "rev-parse", "HEAD")] = true
	}
	recs, _, err := openRepo(t, dir).Notes().Read(context.Background(), "amend")
	if err != nil || len(recs) != 4 {
		t.Fatalf("read %d copies, %v; want 4", len(recs), err)
	}
	for i, c := range recs {
		if c.ID != x.ID || c.Commit != orig || !want[c.NoteObject] || string(c.Line) != string(x.Line) {
			t.Errorf("copy %d = %+v", i, c)
		}
		delete(want, c.NoteObject)
		if i > 0 && recs[i-1].NoteObject >= c.NoteObject {
			t.Errorf("copies not sorted by note object: %s then %s", recs[i-1].NoteObject, c.NoteObject)
		}
	}
}

// Updates leave reflog entries as git's own would (core.logAllRefUpdates
// defaults to true in a work tree), so plain git can recover an earlier
// notes commit; a bare repository logs nothing unless asked.
func TestNotesRefHasReflog(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	appendOK(t, r.Notes(), "logged", head, rec("one"))
	first := git(t, dir, "rev-parse", r.TopicRef("logged"))
	appendOK(t, r.Notes(), "logged", head, rec("two"))
	out := git(t, dir, "reflog", "show", "--format=%H %gs", r.TopicRef("logged"))
	lines := strings.Split(out, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], first+" notes: git codex") {
		t.Fatalf("reflog = %q", out)
	}
	if got := git(t, dir, "rev-parse", r.TopicRef("logged")+"@{1}"); got != first {
		t.Fatalf("%s@{1} = %s, want %s", r.TopicRef("logged"), got, first)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")

	bare := filepath.Join(t.TempDir(), "b.git")
	git(t, dir, "clone", "-q", "--bare", dir, bare)
	appendOK(t, openRepo(t, bare).Notes(), "logged", head, rec("bare"))
	if _, err := os.Stat(filepath.Join(bare, "logs", "refs", "notes")); err == nil {
		t.Fatal("a bare repository got a reflog without core.logAllRefUpdates")
	}
}
