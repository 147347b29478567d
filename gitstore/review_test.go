package gitstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Adversarial tests from the storage-layer review: every case is a path on
// which a record could be lost or hidden, or where we disagree with git.

// mkBlob writes data as a blob with git and returns its id.
func mkBlob(t *testing.T, dir, data string) string {
	t.Helper()
	out, err := gitErr(dir, data, "hash-object", "-w", "--stdin")
	if err != nil {
		t.Fatalf("hash-object: %v %s", err, out)
	}
	return out
}

// mkTree writes a tree with git mktree from "mode type id\tname" lines.
func mkTree(t *testing.T, dir string, entries ...string) string {
	t.Helper()
	out, err := gitErr(dir, strings.Join(entries, "\n")+"\n", "mktree")
	if err != nil {
		t.Fatalf("mktree: %v %s", err, out)
	}
	return out
}

func line(t *testing.T, r Record) string {
	t.Helper()
	return string(r.Line)
}

// An upper-case object id is a valid hash to go-git, but our reader only
// took lower-case paths as notes: the record was written and never read.
func TestReviewUpperCaseTargetIsReadBack(t *testing.T) {
	dir := newRepo(t)
	head := git(t, dir, "rev-parse", "HEAD")
	for _, s := range []Store{openRepo(t, dir).Notes(), NewMemoryStore()} {
		t.Run(fmt.Sprintf("%T", s), func(t *testing.T) {
			appendOK(t, s, "up", strings.ToUpper(head), rec("shouted"))
			recs, _, err := s.Read(context.Background(), "up")
			if err != nil || len(recs) != 1 || recs[0].NoteObject != head {
				t.Fatalf("Read = %+v, %v; want one record on %s", recs, err, head)
			}
		})
	}
	ref := openRepo(t, dir).TopicRef("up")
	if got := git(t, dir, "notes", "--ref="+ref, "show", head); !strings.Contains(got, "shouted") {
		t.Fatalf("git notes show = %q", got)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// Notes for one object at several depths (flat, 2/38, 2/2/36, as a mix of
// git versions and tools can leave them) plus a non-note: an append keeps
// every line, and git shows one note afterwards.
func TestReviewMixedDepthsAppendKeepsEveryLine(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	other := strings.Repeat("ab", 20)
	flat, f238, f2236 := rec("flat"), rec("two-38"), rec("two-two-36")
	otherRec := rec("other object")
	sub36 := mkTree(t, dir, "100644 blob "+mkBlob(t, dir, line(t, f2236)+"\n")+"\t"+head[4:])
	sub38 := mkTree(t, dir,
		"100644 blob "+mkBlob(t, dir, line(t, f238)+"\n")+"\t"+head[2:],
		"040000 tree "+sub36+"\t"+head[2:4])
	root := []string{
		"100644 blob " + mkBlob(t, dir, line(t, flat)+"\n") + "\t" + head,
		"100644 blob " + mkBlob(t, dir, line(t, otherRec)+"\n") + "\t" + other,
		"100644 blob " + mkBlob(t, dir, "not a note\n") + "\tREADME",
		"040000 tree " + sub38 + "\t" + head[:2],
	}
	tree := mkTree(t, dir, root...)
	commit := git(t, dir, "commit-tree", "-m", "hand-made notes", tree)
	ref := r.TopicRef("mixed")
	git(t, dir, "update-ref", ref, commit)

	byObj, _, err := r.Notes().ReadByObject(context.Background(), "mixed")
	if err != nil || len(byObj[head]) != 3 || len(byObj[other]) != 1 {
		t.Fatalf("ReadByObject before append = %v, %v", byObj, err)
	}
	appendOK(t, r.Notes(), "mixed", head, rec("appended"))
	show := git(t, dir, "notes", "--ref="+ref, "show", head)
	for _, want := range []string{"flat", "two-38", "two-two-36", "appended"} {
		if !strings.Contains(show, `"text":"`+want+`"`) {
			t.Fatalf("after append git shows %q; %q lost", show, want)
		}
	}
	if strings.Contains(show, "\n\n") {
		t.Fatalf("after append git still sees several notes: %q", show)
	}
	if got := git(t, dir, "notes", "--ref="+ref, "show", other); !strings.Contains(got, "other object") {
		t.Fatalf("note on other object = %q", got)
	}
	if got := git(t, dir, "cat-file", "-p", ref+":README"); got != "not a note" {
		t.Fatalf("non-note = %q", got)
	}
	recs, _, _ := r.Notes().Read(context.Background(), "mixed")
	if len(recs) != 5 {
		t.Fatalf("read %d records, want 5", len(recs))
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// The same line noted flat and fanned out is one record, not two, for
// readers grouping by object.
func TestReviewSameLineAtTwoDepthsIsOneRecord(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	x := rec("twice")
	blob := mkBlob(t, dir, line(t, x)+"\n")
	sub := mkTree(t, dir, "100644 blob "+blob+"\t"+head[2:])
	tree := mkTree(t, dir, "100644 blob "+blob+"\t"+head, "040000 tree "+sub+"\t"+head[:2])
	git(t, dir, "update-ref", r.TopicRef("dup"), git(t, dir, "commit-tree", "-m", "dup", tree))
	byObj, _, err := r.Notes().ReadByObject(context.Background(), "dup")
	if err != nil || len(byObj[head]) != 1 {
		t.Fatalf("ReadByObject = %+v, %v; want one record", byObj[head], err)
	}
}

// MergeFrom of a 2/2/36 tree with a flat one keeps every line of both.
func TestReviewMergeFromDifferentLayouts(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	s := r.Notes()
	head := git(t, dir, "rev-parse", "HEAD")
	ctx := context.Background()
	appendOK(t, s, "lay", head, rec("base"))
	ref := s.Ref("lay")
	base := git(t, dir, "rev-parse", ref)
	appendOK(t, s, "lay", head, rec("local"))
	remoteRec := rec("remote deep")
	sub36 := mkTree(t, dir, "100644 blob "+mkBlob(t, dir, line(t, remoteRec)+"\n")+"\t"+head[4:])
	sub2 := mkTree(t, dir, "040000 tree "+sub36+"\t"+head[2:4])
	otherObj := strings.Repeat("cd", 20)
	tree := mkTree(t, dir, "040000 tree "+sub2+"\t"+head[:2],
		"100644 blob "+mkBlob(t, dir, line(t, rec("remote flat other"))+"\n")+"\t"+otherObj)
	remote := git(t, dir, "commit-tree", "-p", base, "-m", "remote", tree)
	if changed, err := s.MergeFrom(ctx, "lay", remote); err != nil || !changed {
		t.Fatalf("MergeFrom = %v, %v", changed, err)
	}
	recs, _, err := s.Read(ctx, "lay")
	var texts []string
	for _, x := range recs {
		texts = append(texts, textOf(x))
	}
	sort.Strings(texts)
	if err != nil || strings.Join(texts, ",") != "base,local,remote deep,remote flat other" {
		t.Fatalf("after merge read %q, %v", texts, err)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// A notes ref that is a symbolic ref (`git symbolic-ref`): git writes
// through it to its target. We used to compare "ref: …" with an object id
// under the lock, fail the compare-and-swap a thousand times and give up.
func TestReviewSymbolicNotesRef(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	s := r.Notes()
	ctx := context.Background()
	head := git(t, dir, "rev-parse", "HEAD")
	appendOK(t, s, "real", head, rec("on the real ref"))
	git(t, dir, "symbolic-ref", r.TopicRef("alias"), r.TopicRef("real"))
	appendOK(t, s, "alias", head, rec("through the alias"))
	if got := git(t, dir, "symbolic-ref", r.TopicRef("alias")); got != r.TopicRef("real") {
		t.Fatalf("alias now %q: the symbolic ref was overwritten", got)
	}
	recs, _, err := s.Read(ctx, "real")
	if err != nil || len(recs) != 2 {
		t.Fatalf("real topic holds %d records, %v", len(recs), err)
	}
	// MergeFrom through the alias merges into the target.
	git(t, dir, "update-ref", "refs/notes/remote", git(t, dir, "rev-parse", r.TopicRef("real")+"~1"))
	o := rec("remote")
	git(t, dir, "notes", "--ref=refs/notes/remote", "append", "-m", line(t, o), head)
	if _, err := s.MergeFrom(ctx, "alias", git(t, dir, "rev-parse", "refs/notes/remote")); err != nil {
		t.Fatalf("MergeFrom through a symbolic ref: %v", err)
	}
	if recs, _, _ := s.Read(ctx, "real"); len(recs) != 3 {
		t.Fatalf("after merge real holds %d records", len(recs))
	}
	// A dangling symbolic ref is created through, as git does.
	git(t, dir, "symbolic-ref", r.TopicRef("dangling"), r.TopicRef("fresh"))
	appendOK(t, s, "dangling", head, rec("creates fresh"))
	if recs, _, _ := s.Read(ctx, "fresh"); len(recs) != 1 {
		t.Fatalf("fresh holds %d records", len(recs))
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// A loose ref path that is a directory (refs of other tools below it) means
// "no loose ref" to git, which then consults packed-refs.
func TestReviewRefPathIsDirectory(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "update-ref", "refs/notes/codex/x/below", head)
	recs, _, err := r.Notes().Read(context.Background(), "x")
	if err != nil || len(recs) != 0 {
		t.Fatalf("Read of a topic whose ref path is a directory = %v, %v", recs, err)
	}
	if _, err := r.ReadRef("refs/notes/codex/x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadRef = %v, want ErrNotFound", err)
	}
}

// Redaction must not rewrite the caller's records in place.
func TestReviewRedactionLeavesCallerRecordAlone(t *testing.T) {
	secret := "OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789"
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	x := testRecord{Time: FormatTime(now), ID: NewID(now), Kind: kindTurn, Text: "t",
		Context: []string{secret}, Decisions: []string{secret}, Next: []string{secret}}.record()
	before := string(x.Line)
	s := NewMemoryStore()
	appendOK(t, s, "t", EmptyTree, x)
	if string(x.Line) != before || strings.Count(before, secret) != 3 {
		t.Fatalf("caller's record was redacted in place: %s", x.Line)
	}
	recs, _, _ := s.Read(context.Background(), "t")
	if len(recs) != 1 || strings.Contains(string(recs[0].Line), "abcdefghijklmnopqrstuvwxyz") {
		t.Fatalf("stored %+v", recs)
	}
}

// Every valid topic must be writable: a long non-ASCII topic encodes to a
// ref file name longer than the file system allows.
func TestReviewLongTopics(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	tests := []struct {
		name  string
		topic string
	}{
		{"200 ascii bytes", strings.Repeat("a", 200)},
		{"66 three-byte runes", strings.Repeat("日", 66)},
		{"200 bytes of escapes", strings.Repeat("%", 200)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateTopic(tc.topic); err != nil {
				if !errors.Is(err, ErrInvalidTopic) {
					t.Fatalf("ValidateTopic = %v", err)
				}
				return // refused up front: fine
			}
			appendOK(t, r.Notes(), tc.topic, EmptyTree, rec("long"))
		})
	}
}

// MemoryStore follows NotesStore's rules on targets and empty appends.
func TestReviewMemoryStoreAgreesWithNotesStore(t *testing.T) {
	dir := newRepo(t)
	stores := map[string]Store{"notes": openRepo(t, dir).Notes(), "memory": NewMemoryStore()}
	ctx := context.Background()
	tests := []struct {
		name   string
		target string
		recs   []Record
	}{
		{"not an object id", "HEAD", []Record{rec("x")}},
		{"short id", "abc123", []Record{rec("x")}},
		{"no records", EmptyTree, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for name, s := range stores {
				err := s.Append(ctx, "agree-"+tc.name, tc.target, tc.recs...)
				topics, _ := s.Topics(ctx)
				got[name] = fmt.Sprintf("err=%v topics=%d", err != nil, len(topics))
			}
			if got["notes"] != got["memory"] {
				t.Fatalf("stores disagree: %v", got)
			}
		})
	}
}

// Topics must never miss a topic while `git pack-refs --all --prune` moves
// loose refs into packed-refs: git reads loose refs before packed-refs.
func TestReviewTopicsBesidePackRefs(t *testing.T) {
	if testing.Short() {
		t.Skip("race test")
	}
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	const n = 20
	for i := 0; i < n; i++ {
		appendOK(t, r.Notes(), fmt.Sprintf("t%02d", i), head, rec("x"))
	}
	empty := git(t, dir, "commit-tree", "-m", "e", EmptyTree)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// Make every ref loose again, then pack them all.
			var cmds strings.Builder
			for j := 0; j < n; j++ {
				fmt.Fprintf(&cmds, "update %s %s\n", r.TopicRef(fmt.Sprintf("t%02d", j)), empty)
			}
			gitErr(dir, cmds.String(), "update-ref", "--stdin")
			gitErr(dir, "", "pack-refs", "--all", "--prune")
		}
	}()
	misses := 0
	for i := 0; i < 400 && misses == 0; i++ {
		topics, err := r.Notes().Topics(context.Background())
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("Topics: %v", err)
		}
		if len(topics) != n {
			misses++
			t.Errorf("Topics listed %d of %d topics", len(topics), n)
		}
	}
	close(stop)
	wg.Wait()
}

// A pack written by git after our first object read (a fetch keeping its
// pack, gc, repack) must be seen: go-git loads pack indexes once.
func TestReviewObjectsRepackedAfterOpen(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	s := r.Notes()
	ctx := context.Background()
	head := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "repack", "-q", "-a", "-d")
	git(t, dir, "prune-packed")
	if _, err := r.Commit(head); err != nil { // loads the pack indexes
		t.Fatal(err)
	}
	appendOK(t, s, "packed", head, rec("one"))
	if recs, _, err := s.Read(ctx, "packed"); err != nil || len(recs) != 1 {
		t.Fatalf("read %d, %v", len(recs), err)
	}
	// git adds a note of its own; then everything moves into one new pack.
	git(t, dir, "notes", "--ref="+s.Ref("packed"), "append", "-m", line(t, rec("by git")), head)
	git(t, dir, "repack", "-q", "-a", "-d")
	git(t, dir, "prune-packed")
	if entries, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??")); len(entries) != 0 {
		t.Fatalf("loose objects left: %v", entries)
	}
	recs, warns, err := s.Read(ctx, "packed")
	if err != nil || len(warns) != 0 || len(recs) != 2 {
		t.Fatalf("after repack: read %d records, %v, %v", len(recs), warns, err)
	}
	appendOK(t, s, "packed", head, rec("two"))
	if _, err := r.Commit(head); err != nil {
		t.Fatalf("Commit after repack: %v", err)
	}
	if recs, _, _ := s.Read(ctx, "packed"); len(recs) != 3 {
		t.Fatalf("after append read %d records", len(recs))
	}
}

// Git run by Repo.git must see the same repository as Open did, also when
// GIT_COMMON_DIR was given relative to the starting directory.
func TestReviewRelativeCommonDir(t *testing.T) {
	main := newRepo(t)
	wt := filepath.Join(t.TempDir(), "wt")
	git(t, main, "worktree", "add", "-q", "-b", "side", wt)
	gitDir := git(t, wt, "rev-parse", "--absolute-git-dir")
	start := t.TempDir()
	rel, err := filepath.Rel(start, filepath.Join(main, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(start)
	t.Setenv("GIT_DIR", gitDir)
	t.Setenv("GIT_COMMON_DIR", rel)
	t.Setenv("GIT_WORK_TREE", wt)
	r, err := Open(".", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !filepath.IsAbs(r.CommonDir()) || r.CommonDir() != filepath.Join(main, ".git") {
		t.Fatalf("CommonDir = %q", r.CommonDir())
	}
	out, err := r.git(context.Background(), nil, "rev-parse", "--git-common-dir")
	if err != nil || filepath.Clean(strings.TrimSpace(string(out))) != filepath.Join(main, ".git") {
		t.Fatalf("git under Repo.git sees common dir %q, %v", out, err)
	}
}

// Log must list what `git rev-list` lists, in the same order, on a history
// with merges, equal commit dates (scripts commit within one second) and
// clock skew, with exclusions, -n and --first-parent.
func TestReviewLogMatchesRevList(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	ctx := context.Background()
	tree := git(t, dir, "mktree")
	rng := rand.New(rand.NewPCG(7, 11))
	tips := []string{git(t, dir, "rev-parse", "HEAD"), "", ""}
	var all []string
	for i := 0; i < 60; i++ {
		b := rng.IntN(len(tips))
		args := []string{"commit-tree", "-m", fmt.Sprintf("c%d", i)}
		if tips[b] != "" {
			args = append(args, "-p", tips[b])
		}
		if o := rng.IntN(len(tips)); o != b && tips[o] != "" && rng.IntN(4) == 0 {
			args = append(args, "-p", tips[o]) // a merge
		}
		if tips[b] == "" && len(args) == 3 {
			args = append(args, "-p", tips[0])
		}
		// Dates from a small set, not increasing with history: ties and skew.
		t.Setenv("GIT_COMMITTER_DATE", fmt.Sprintf("%d +0000", 1700000000+rng.IntN(6)*60))
		c := git(t, dir, append(args, tree)...)
		tips[b] = c
		all = append(all, c)
	}
	revs := append([]string{}, tips...)
	for i := 0; i < 4; i++ {
		revs = append(revs, all[rng.IntN(len(all))])
	}
	type tcase struct {
		name        string
		include     []string
		exclude     []string
		max         int
		firstParent bool
	}
	var tests []tcase
	for i, a := range revs {
		tests = append(tests, tcase{name: fmt.Sprintf("%d", i), include: []string{a}})
		for j, b := range revs {
			if i == j {
				continue
			}
			for _, fp := range []bool{false, true} {
				for _, max := range []int{0, 3} {
					tests = append(tests, tcase{fmt.Sprintf("%d^%d/fp=%v/n=%d", i, j, fp, max), []string{a}, []string{b}, max, fp})
				}
			}
		}
	}
	tests = append(tests, tcase{name: "two tips", include: []string{revs[0], revs[1]}, exclude: []string{revs[2]}})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"rev-list"}
			if tc.max > 0 {
				args = append(args, fmt.Sprintf("-n%d", tc.max))
			}
			if tc.firstParent {
				args = append(args, "--first-parent")
			}
			args = append(args, tc.include...)
			for _, x := range tc.exclude {
				args = append(args, "^"+x)
			}
			want := strings.Fields(git(t, dir, args...))
			spec := append([]string(nil), tc.include...)
			for _, x := range tc.exclude {
				spec = append(spec, "^"+x)
			}
			commits, err := r.RevList(ctx, RevListOptions{Revs: spec, Max: tc.max, FirstParent: tc.firstParent})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range commits {
				got = append(got, c.Hash)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("git %s\n got  %v\n want %v", strings.Join(args, " "), short(got), short(want))
			}
		})
	}
}

func short(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id[:7]
	}
	return out
}

// PatchID is stored in records and compared across clones: it must not
// depend on the user's configuration. core.quotePath=false (common with
// non-ASCII file names) changed the diff header, hence the id.
func TestReviewPatchIDIgnoresUserConfig(t *testing.T) {
	dir := newRepo(t)
	name := filepath.Join(dir, "fïle 日本.txt")
	for i, body := range []string{"a\nb\n", "a\nB\n"} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, dir, "add", ".")
		git(t, dir, "commit", "-q", "-m", fmt.Sprint("change ", i))
	}
	head := git(t, dir, "rev-parse", "HEAD")
	ctx := context.Background()
	want, err := openRepo(t, dir).PatchID(ctx, head)
	if err != nil || len(want) != 40 {
		t.Fatalf("PatchID = %q, %v", want, err)
	}
	for _, kv := range [][2]string{
		{"core.quotePath", "false"}, {"diff.noprefix", "true"}, {"diff.mnemonicPrefix", "true"},
		{"diff.context", "9"}, {"diff.algorithm", "patience"}, {"diff.renames", "copies"},
	} {
		t.Run(kv[0], func(t *testing.T) {
			git(t, dir, "config", kv[0], kv[1])
			defer git(t, dir, "config", "--unset", kv[0])
			if got, err := openRepo(t, dir).PatchID(ctx, head); got != want || err != nil {
				t.Fatalf("with %s=%s PatchID = %q, %v; want %q", kv[0], kv[1], got, err, want)
			}
		})
	}
	// A merge has no patch-id of its own.
	git(t, dir, "checkout", "-q", "-b", "side", "HEAD~1")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", "side")
	git(t, dir, "merge", "-q", "--no-edit", "main")
	if got, err := openRepo(t, dir).PatchID(ctx, git(t, dir, "rev-parse", "HEAD")); got != "" || err != nil {
		t.Fatalf("merge PatchID = %q, %v", got, err)
	}
}

// A bare repository (a shared remote) takes appends too, and git reads them.
func TestReviewBareRepositoryAppend(t *testing.T) {
	main := newRepo(t)
	bare := filepath.Join(t.TempDir(), "b.git")
	git(t, main, "clone", "-q", "--bare", main, bare)
	r := openRepo(t, filepath.Join(bare, "refs"))
	if r.GitDir() != bare || r.WorkTree() != "" {
		t.Fatalf("Open found %q / %q", r.GitDir(), r.WorkTree())
	}
	head := git(t, main, "rev-parse", "HEAD")
	appendOK(t, r.Notes(), "t", head, rec("in bare"))
	if got := git(t, bare, "notes", "--ref="+r.TopicRef("t"), "show", head); !strings.Contains(got, "in bare") {
		t.Fatalf("git notes show in bare = %q", got)
	}
	git(t, bare, "fsck", "--strict", "--no-dangling")
}

// git keeps the non-note entries of the local side when it merges notes;
// so must MergeFrom (Append already keeps them).
func TestReviewMergeFromKeepsLocalNonNotes(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	s := r.Notes()
	ctx := context.Background()
	head := git(t, dir, "rev-parse", "HEAD")
	tree := mkTree(t, dir,
		"100644 blob "+mkBlob(t, dir, line(t, rec("base"))+"\n")+"\t"+head,
		"100644 blob "+mkBlob(t, dir, "kept by git\n")+"\tREADME")
	base := git(t, dir, "commit-tree", "-m", "base", tree)
	ref := s.Ref("nn")
	git(t, dir, "update-ref", ref, base)
	appendOK(t, s, "nn", head, rec("local"))
	git(t, dir, "update-ref", "refs/notes/remote", base)
	git(t, dir, "notes", "--ref=refs/notes/remote", "append", "-m", line(t, rec("remote")), head)
	if _, err := s.MergeFrom(ctx, "nn", git(t, dir, "rev-parse", "refs/notes/remote")); err != nil {
		t.Fatal(err)
	}
	if got, err := gitErr(dir, "", "cat-file", "-p", ref+":README"); err != nil || got != "kept by git" {
		t.Fatalf("README after merge = %q, %v", got, err)
	}
	if recs, _, _ := s.Read(ctx, "nn"); len(recs) != 3 {
		t.Fatalf("merged %d records", len(recs))
	}
}

// The configured key is never written, whatever its characters or length:
// not as written, not JSON-escaped (tool arguments are JSON), in no field
// (issue 8: a key holding "<>&\ or shorter than 8 bytes reached titles and
// tool results).
func TestReviewSecretsOfAnyShapeNeverWritten(t *testing.T) {
	for _, key := range []string{`k"<>&\y`, "abc7", "QAQAQAQAQAQAQAQAQAQA"} {
		t.Run(key, func(t *testing.T) {
			dir := newRepo(t)
			r := openRepo(t, dir)
			r.AddSecrets(key)
			head := git(t, dir, "rev-parse", "HEAD")
			args, err := json.Marshal(map[string]string{"path": "x", "content": "key " + key + " end"})
			if err != nil {
				t.Fatal(err)
			}
			seq++
			now := time.Date(2026, 1, 2, 3, 4, 5, seq, time.UTC)
			x := testRecord{Time: FormatTime(now), ID: NewID(now), Kind: kindTurn, Session: "S1",
				Text: "text " + key + " end", Title: "title " + key, Model: key, Context: []string{key},
				ToolCalls: []testToolCall{{Name: "write_file", Args: string(args), Result: "wrote " + key, Error: key + ": no"}}}.record()
			appendOK(t, r.Notes(), "t", head, x)
			note := git(t, dir, "notes", "--ref="+r.TopicRef("t"), "show", head)
			escaped, _ := json.Marshal(key)
			for _, form := range []string{key, string(escaped[1 : len(escaped)-1]), strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(string(escaped[1 : len(escaped)-1]))} {
				if strings.Contains(note, form) {
					t.Errorf("the key is written as %s:\n%s", form, note)
				}
			}
			if n := strings.Count(note, "[REDACTED:configured-secret]"); n < 7 {
				t.Errorf("%d markers, want 7:\n%s", n, note)
			}
		})
	}
}
