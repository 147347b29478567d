package history

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// Unit tests of the history views against fakes of the small interfaces in
// repo.go; the real-git tests are in the other _test files.

// fakeCommits is a commit graph in a table.
type fakeCommits struct {
	commits   map[string]gitstore.Commit // the commits that exist
	pids      map[string]string          // commit → patch-id
	ancestors map[string][]string        // commit → its ancestors
	asked     []string                   // commits whose patch-ids were computed
}

func (f *fakeCommits) Commit(id string) (gitstore.Commit, error) {
	c, ok := f.commits[id]
	if !ok {
		return gitstore.Commit{}, fmt.Errorf("commit %s: %w", id, gitstore.ErrNotFound)
	}
	return c, nil
}

func (f *fakeCommits) PatchIDs(ctx context.Context, ids []string) (map[string]string, error) {
	f.asked = append(f.asked, ids...)
	out := map[string]string{}
	for _, id := range ids {
		if p := f.pids[id]; p != "" {
			out[id] = p
		}
	}
	return out, nil
}

func (f *fakeCommits) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	if _, ok := f.commits[a]; !ok {
		return false, errors.New("asked about a commit that does not exist")
	}
	return slices.Contains(f.ancestors[b], a), nil
}

func commitAt(id, author string, minute int, parent, subject, body string) gitstore.Commit {
	return gitstore.Commit{Hash: id, Parents: []string{parent}, Author: author, Email: author + "@example.com",
		Time: time.Date(2026, 1, 2, 4, minute, 0, 0, time.UTC), Subject: subject, Body: body}
}

// indexOf builds an index holding one turn of topic on each noted object.
func indexOf(noted map[string]string) *Index {
	idx := &Index{ByObject: map[string][]session.Record{}}
	for obj, topic := range noted {
		idx.ByObject[obj] = []session.Record{{ID: "R-" + obj, Kind: session.KindTurn, Topic: topic, Session: "S-" + obj, Commit: obj}}
	}
	return idx
}

// hexID is a stable 40-hex-digit id for a name in a test.
func hexID(name string) string { return fmt.Sprintf("%x", sha1.Sum([]byte(name))) }

// Each reattachment rule, the ancestor exclusion, and patch-ids computed
// only for the pairs whose headers say they may be rewrites of each other.
func TestFindReattachmentsRules(t *testing.T) {
	names := map[string]string{}
	id := func(name string) string {
		h := hexID(name)
		names[h] = name
		return h
	}
	N1, N2, N3, N4, P0, P9 := id("N1"), id("N2"), id("N3"), id("N4"), id("P0"), id("P9")
	C1, C2, C3, C4, C5 := id("C1"), id("C2"), id("C3"), id("C4"), id("C5")
	repo := &fakeCommits{
		commits: map[string]gitstore.Commit{
			N1: commitAt(N1, "ann", 1, P0, "Add the parser", ""),
			N2: commitAt(N2, "bob", 2, P0, "Fix the crash", ""),
			N4: commitAt(N4, "ann", 4, P0, "Old work", ""),
			// N3 was collected after a squash merge.
		},
		pids:      map[string]string{N1: "pid-1", C1: "pid-1", N4: "pid-4", C5: "pid-4"},
		ancestors: map[string][]string{C5: {N4, P0}},
	}
	idx := indexOf(map[string]string{N1: "parser", N2: "crash", N3: "gone", N4: "old"})
	targets := []gitstore.Commit{
		// cherry-picked onto another base: same author and time
		commitAt(C1, "ann", 1, P9, "Add the parser", ""),
		// cherry-pick -x of a commit by someone else
		commitAt(C2, "cid", 30, P9, "Fix the crash", "(cherry picked from commit "+N2+")"),
		// git merge --squash names commits that were collected since
		commitAt(C3, "cid", 31, P9, "Squashed commit of the following:", "commit "+N3),
		// GitHub's squash lists subjects; the noted commit must exist
		commitAt(C4, "cid", 32, P9, "Feature (#1)", "* Add the parser\n* Lost work"),
		// a change made again on top of the original: N4 is its ancestor
		commitAt(C5, "ann", 4, N4, "Old work", ""),
	}
	srcs, _, _ := readSources(repo, idx, nil, nil)
	matches, err := findReattachments(context.Background(), repo, idx, srcs, targets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range matches {
		got = append(got, names[m.Commit]+"<-"+names[m.Source]+" "+m.Rule+" "+m.Topic)
	}
	sort.Strings(got)
	want := []string{
		"C1<-N1 patch-id parser",
		"C2<-N2 cherry-pick-x crash",
		"C3<-N3 squash gone",
		"C4<-N1 squash-subject parser",
	}
	if !slices.Equal(got, want) {
		t.Errorf("matches:\n got %q\nwant %q", got, want)
	}
	var asked []string
	for _, h := range repo.asked {
		asked = append(asked, names[h])
	}
	sort.Strings(asked)
	if !slices.Equal(asked, []string{"C1", "C5", "N1", "N4"}) {
		t.Errorf("patch-ids computed for %v; want only the pairs with the same author and time or parent", asked)
	}
}

// fakeRevisions resolves names from a table.
type fakeRevisions struct {
	head     gitstore.Head
	upstream string
	refs     map[string]string // resolvable revision → commit
}

func (f *fakeRevisions) Head() (gitstore.Head, error) { return f.head, nil }

func (f *fakeRevisions) Resolve(ctx context.Context, rev string) (string, error) {
	if c, ok := f.refs[rev]; ok {
		return c, nil
	}
	return "", gitstore.ErrNotFound
}

func (f *fakeRevisions) MergeBase(ctx context.Context, a, b string) (string, error) {
	return "base(" + a + "," + b + ")", nil
}

func (f *fakeRevisions) Upstream(ctx context.Context) (string, error) { return f.upstream, nil }

func (f *fakeRevisions) RevList(ctx context.Context, opt gitstore.RevListOptions) ([]gitstore.Commit, error) {
	return nil, errors.New("not used")
}

// The PR base: the upstream when it is another branch, else the usual
// names in order.
func TestDefaultBaseOrder(t *testing.T) {
	tests := []struct {
		name     string
		repo     *fakeRevisions
		wantRef  string
		wantBase string
	}{
		{"a tracking branch of another name", &fakeRevisions{head: gitstore.Head{Branch: "feature"}, upstream: "origin/main",
			refs: map[string]string{"origin/main": "m", "main": "m"}}, "origin/main", "base(origin/main,H)"},
		{"the branch's own upstream is where it is pushed", &fakeRevisions{head: gitstore.Head{Branch: "feature"},
			upstream: "origin/feature", refs: map[string]string{"origin/feature": "f", "main": "m"}}, "main", "base(main,H)"},
		{"origin/HEAD first", &fakeRevisions{head: gitstore.Head{Branch: "x"},
			refs: map[string]string{"origin/HEAD": "o", "main": "m"}}, "origin/HEAD", "base(origin/HEAD,H)"},
		{"detached", &fakeRevisions{refs: map[string]string{"master": "m"}}, "master", "base(master,H)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, ref, err := defaultBase(context.Background(), tt.repo, "H")
			if err != nil || ref != tt.wantRef || base != tt.wantBase {
				t.Errorf("defaultBase = %q, %q, %v; want %q, %q", base, ref, err, tt.wantBase, tt.wantRef)
			}
		})
	}
	if _, _, err := defaultBase(context.Background(), &fakeRevisions{}, "H"); !errors.Is(err, ErrNoBase) {
		t.Errorf("without any base: %v, want ErrNoBase", err)
	}
}

// fakeNotes serves notes commits from memory and counts the reads.
type fakeNotes struct {
	local   map[string]string // topic → notes commit
	tracked []gitstore.Tracked
	commits map[string]map[string][]gitstore.Record // notes commit → object → records
	reads   map[string]int
}

func (f *fakeNotes) Topics(ctx context.Context) ([]string, error) {
	var out []string
	for t := range f.local {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

func (f *fakeNotes) Ref(topic string) string { return "refs/notes/codex/" + topic }

func (f *fakeNotes) ReadRef(name string) (string, error) {
	if c, ok := f.local[strings.TrimPrefix(name, "refs/notes/codex/")]; ok {
		return c, nil
	}
	return "", gitstore.ErrNotFound
}

func (f *fakeNotes) TrackedTopics() ([]gitstore.Tracked, error) { return f.tracked, nil }

func (f *fakeNotes) ReadCommit(ctx context.Context, ref, id string) (map[string][]gitstore.Record, []gitstore.Warning, error) {
	if f.reads == nil {
		f.reads = map[string]int{}
	}
	f.reads[id]++
	return f.commits[id], []gitstore.Warning{{Ref: ref, Object: "obj", Line: 1, Reason: "bad line"}}, nil
}

// line encodes a session record for a fake notes commit.
func line(t *testing.T, r session.Record) gitstore.Record {
	t.Helper()
	g, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The index reads each notes commit once (a tracking ref at the local ref's
// commit shares its entry) and names the topic of records that lack one
// after their ref.
func TestLoadIndexFromFakeNotes(t *testing.T) {
	ts := "2026-01-02T05:00:00.000000000Z"
	turn := session.Record{Time: ts, ID: "T1", Kind: session.KindTurn, Session: "S"}
	answer := session.Record{Time: ts, ID: "A1", Kind: session.KindAnswer, Session: "S", Turn: "T1", Topic: "feature"}
	theirs := session.Record{Time: ts, ID: "T2", Kind: session.KindTurn, Session: "S2"}
	notes := &fakeNotes{
		local: map[string]string{"feature": "n1"},
		tracked: []gitstore.Tracked{
			{Ref: "refs/notes/remotes/origin/codex/feature", Remote: "origin", Topic: "feature", Commit: "n1"},
			{Ref: "refs/notes/remotes/origin/codex/review", Remote: "origin", Topic: "review", Commit: "n2"},
		},
		commits: map[string]map[string][]gitstore.Record{
			"n1": {"c1": {line(t, turn), line(t, answer)}},
			"n2": {"c1": {line(t, theirs)}},
		},
	}
	idx, err := loadIndex(context.Background(), notes, true)
	if err != nil {
		t.Fatal(err)
	}
	if notes.reads["n1"] != 1 || notes.reads["n2"] != 1 {
		t.Errorf("notes commits read %v times, want once each", notes.reads)
	}
	var got []string
	for _, r := range idx.ByObject["c1"] {
		got = append(got, r.ID+":"+r.Topic)
	}
	sort.Strings(got)
	if !slices.Equal(got, []string{"A1:feature", "T1:feature", "T2:review"}) {
		t.Errorf("ByObject[c1] = %v", got)
	}
	if len(idx.Answers["T1"]) != 1 || len(idx.BySession["S"]) != 2 || len(idx.Warnings) != 2 {
		t.Errorf("answers %v, sessions %v, warnings %v", idx.Answers, idx.BySession, idx.Warnings)
	}
	// Without the fetched notes: local only.
	local, err := loadIndex(context.Background(), notes, false)
	if err != nil || len(local.ByObject["c1"]) != 2 {
		t.Errorf("local index = %v, %v", local.ByObject, err)
	}
}

// memCache is a cache file in memory.
type memCache map[string][]byte

func (m memCache) ReadCache(name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, errors.New("no such file")
	}
	return b, nil
}

func (m memCache) WriteCache(name string, data []byte) error {
	m[name] = data
	return nil
}

// The cache round-trips through its file, and a file written by another
// build, or not a cache at all, reads as empty.
func TestNotesFactsFile(t *testing.T) {
	if binaryID() == "" {
		t.Skip("the test binary has no identity: the cache is off")
	}
	files := memCache{}
	c := readNotesFacts(files)
	c.Blobs["b1"] = &blobFacts{Sessions: []string{"S"}, PatchIDs: map[string]string{"c1": "p1"}}
	writeNotesFacts(files, c)
	if got := readNotesFacts(files); got.Blobs["b1"] == nil || got.Blobs["b1"].PatchIDs["c1"] != "p1" {
		t.Fatalf("read back %+v", got)
	}
	c.Binary = "another build"
	writeNotesFacts(files, c)
	if got := readNotesFacts(files); len(got.Blobs) != 0 {
		t.Errorf("another build's cache was used: %+v", got)
	}
	files[notesFactsName] = []byte("not a cache")
	if got := readNotesFacts(files); len(got.Blobs) != 0 {
		t.Errorf("garbage read as %+v", got)
	}
}
