package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
)

// turnOn is a turn record made at second i of a fixed day, on commit.
func turnOn(i int, commit, text string) Record {
	now := time.Date(2026, 1, 2, 3, 4, i, 0, time.UTC)
	return Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: KindTurn, Session: "S1", Commit: commit, Text: text}
}

// After amends git copies notes to the new commit (notes.rewriteRef); a
// record then sits on several commits and readers show the newest copy,
// not whichever hash sorts first.
func TestReadPrefersRewrittenCopy(t *testing.T) {
	repo := newGitRepo(t)
	dir := repo.WorkTree()
	gittest.Git(t, dir, "config", "notes.rewriteRef", "refs/notes/codex/*")
	gittest.Git(t, dir, "config", "notes.rewriteMode", "cat_sort_uniq")
	orig := gittest.Git(t, dir, "rev-parse", "HEAD")
	x := turnOn(1, orig, "asked before the amends")
	if err := (&Engine{Store: repo.Notes()}).append(context.Background(), "amend", orig, x); err != nil {
		t.Fatal(err)
	}
	var last string
	for i := 0; i < 3; i++ {
		t.Setenv("GIT_COMMITTER_DATE", fmt.Sprintf("2026-01-0%dT03:04:05Z", 3+i))
		gittest.Git(t, dir, "commit", "-q", "--amend", "-m", fmt.Sprintf("amended %d", i))
		last = gittest.Git(t, dir, "rev-parse", "HEAD")
	}
	if n := len(strings.Split(gittest.Git(t, dir, "notes", "--ref="+repo.TopicRef("amend"), "list"), "\n")); n != 4 {
		t.Fatalf("git kept %d copies of the note, want 4", n)
	}
	read := func() []Record {
		t.Helper()
		r, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		recs, _, err := readRecords(context.Background(), r.Notes(), r, "amend")
		if err != nil || len(recs) != 1 {
			t.Fatalf("read %d records, %v", len(recs), err)
		}
		return recs
	}
	if recs := read(); recs[0].NoteObject != last {
		t.Fatalf("record shown on %s, want the newest amend %s (original %s)", recs[0].NoteObject, last, orig)
	}

	// Amended again within the same second, then abandoned (reset back):
	// the copy on the current branch wins the tie.
	gittest.Git(t, dir, "commit", "-q", "--amend", "-m", "same second, abandoned")
	side := gittest.Git(t, dir, "rev-parse", "HEAD")
	gittest.Git(t, dir, "reset", "-q", "--hard", last)
	current := last
	if recs := read(); recs[0].NoteObject != current {
		t.Fatalf("record shown on %s, want %s on the current branch (side copy %s)", recs[0].NoteObject, current, side)
	}
}

// fakeCommits answers the read policy from a table: commit times, and the
// commits on HEAD's history.
type fakeCommits struct {
	times  map[string]int // commit → committer second; absent: unreadable
	onHead map[string]bool
	asked  map[string]int // IsAncestor calls per commit
}

func (f *fakeCommits) Commit(id string) (gitstore.Commit, error) {
	s, ok := f.times[id]
	if !ok {
		return gitstore.Commit{}, gitstore.ErrNotFound
	}
	return gitstore.Commit{Hash: id, CommitTime: time.Unix(int64(s), 0)}, nil
}

func (f *fakeCommits) Head() (gitstore.Head, error) {
	return gitstore.Head{Branch: "main", Commit: "head"}, nil
}

func (f *fakeCommits) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	if f.asked == nil {
		f.asked = map[string]int{}
	}
	f.asked[a]++
	if b != "head" {
		return false, errors.New("asked about another commit than HEAD")
	}
	return f.onHead[a], nil
}

// The read policy picks one copy per record, with fakes for the commits.
func TestChooseCopy(t *testing.T) {
	copyOf := func(id, commit, note, remote string) gitstore.Record {
		return gitstore.Record{ID: id, Time: "2026-01-02T00:00:00.000000000Z", Kind: "turn", Commit: commit, NoteObject: note, Remote: remote}
	}
	tests := []struct {
		name   string
		copies []gitstore.Record
		repo   *fakeCommits
		want   string // NoteObject of the chosen copy
		remote string
	}{
		{"one copy", []gitstore.Record{copyOf("A", "c1", "c1", "")}, &fakeCommits{}, "c1", ""},
		{"the moved copy wins", []gitstore.Record{copyOf("A", "c2", "c1", ""), copyOf("A", "c2", "c2", "")},
			&fakeCommits{times: map[string]int{"c1": 1, "c2": 2}}, "c1", ""},
		{"the newer commit wins", []gitstore.Record{copyOf("A", "c0", "c1", ""), copyOf("A", "c0", "c2", "")},
			&fakeCommits{times: map[string]int{"c1": 2, "c2": 1}}, "c1", ""},
		{"a readable commit beats a collected one", []gitstore.Record{copyOf("A", "c0", "c1", ""), copyOf("A", "c0", "c2", "")},
			&fakeCommits{times: map[string]int{"c2": 1}}, "c2", ""},
		{"a tie goes to HEAD's history", []gitstore.Record{copyOf("A", "c0", "c1", ""), copyOf("A", "c0", "c2", "")},
			&fakeCommits{times: map[string]int{"c1": 5, "c2": 5}, onHead: map[string]bool{"c2": true}}, "c2", ""},
		{"a local copy makes the record local", []gitstore.Record{copyOf("A", "c0", "c1", "origin"), copyOf("A", "c0", "c2", "")},
			&fakeCommits{times: map[string]int{"c1": 9, "c2": 1}}, "c1", ""},
		{"only fetched copies", []gitstore.Record{copyOf("A", "c0", "c1", "origin")}, &fakeCommits{}, "c1", "origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := choose(tt.copies, commitOrder(context.Background(), tt.repo))
			if len(got) != 1 || got[0].NoteObject != tt.want || got[0].Remote != tt.remote {
				t.Fatalf("choose = %+v; want the copy on %s, remote %q", got, tt.want, tt.remote)
			}
		})
	}
	// Without a repository the first copy in note-object order stays,
	// unless another is moved.
	if got := choose([]gitstore.Record{copyOf("A", "c0", "c1", ""), copyOf("A", "c0", "c2", "")}, nil); got[0].NoteObject != "c1" {
		t.Errorf("without a repository: %+v", got)
	}
}

// Ancestry is asked once per commit however many records sit on it.
func TestCommitOrderIsMemoised(t *testing.T) {
	repo := &fakeCommits{times: map[string]int{"c1": 5, "c2": 5}, onHead: map[string]bool{"c2": true}}
	var copies []gitstore.Record
	for i := 0; i < 50; i++ {
		id := fmt.Sprintf("R%02d", i)
		for _, note := range []string{"c1", "c2"} {
			copies = append(copies, gitstore.Record{ID: id, Time: "t", Commit: "c0", NoteObject: note})
		}
	}
	got := choose(copies, commitOrder(context.Background(), repo))
	if len(got) != 50 || repo.asked["c1"] != 1 || repo.asked["c2"] != 1 {
		t.Fatalf("%d records; ancestry asked %v times", len(got), repo.asked)
	}
	for _, r := range got {
		if r.NoteObject != "c2" {
			t.Fatalf("record %s shown on %s", r.ID, r.NoteObject)
		}
	}
}

// A line whose envelope is sound but whose fields do not fit the schema is
// skipped with a warning naming the record, not shown half read.
func TestDecodeSkipsMalformedRecords(t *testing.T) {
	good := turnOn(1, "c1", "fine")
	g, err := good.Encode()
	if err != nil {
		t.Fatal(err)
	}
	bad, err := gitstore.ParseRecord([]byte(`{"v":1,"ts":"2026-01-02T03:04:06.000000000Z","id":"BAD","kind":"answer","usage":{"input":"many"}}`))
	if err != nil {
		t.Fatal(err)
	}
	recs, warns := decodeAll([]gitstore.Record{g, bad})
	if len(recs) != 1 || recs[0].Text != "fine" {
		t.Errorf("decoded %+v", recs)
	}
	if len(warns) != 1 || warns[0].Record != "BAD" || !strings.Contains(warns[0].String(), "skipped malformed record") {
		t.Errorf("warnings = %v", warns)
	}
}

// Encode writes the canonical line: v, ts, id first, no HTML escaping, and
// Decode reads back what Encode wrote.
func TestRecordRoundTrip(t *testing.T) {
	r := turnOn(1, "c1", "if a < b && c > d")
	r.Usage = &Usage{Input: 3}
	r.ToolCalls = []ToolCall{{Name: "read_file", Args: `{"path":"x"}`}}
	g, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(g.Line), `{"v":1,"ts":"`+r.Time+`","id":"`+r.ID+`","kind":"turn"`) || !strings.Contains(string(g.Line), "a < b && c > d") {
		t.Errorf("line = %s", g.Line)
	}
	if g.ID != r.ID || g.Time != r.Time || g.Kind != "turn" || g.Commit != "c1" {
		t.Errorf("envelope = %+v", g)
	}
	g.NoteObject, g.Remote = "c2", "origin"
	back, err := Decode(g)
	if err != nil || back.Text != r.Text || back.Usage.Input != 3 || back.ToolCalls[0].Args != r.ToolCalls[0].Args ||
		back.NoteObject != "c2" || back.Remote != "origin" || back.V != RecordVersion {
		t.Errorf("Decode = %+v, %v", back, err)
	}
	if _, err := (Record{ID: "X"}).Encode(); err == nil {
		t.Error("a record without kind and time was encoded")
	}
}

// BenchmarkReadRewrittenCopies reads a 200-record session whose note git
// copied to two amends made within the same second: every record has three
// copies, and picking the one to show needs commit times and, on ties, git's
// ancestry answer. The order is memoised per commit, not asked per record.
func BenchmarkReadRewrittenCopies(b *testing.B) {
	repo := newGitRepo(b)
	dir := repo.WorkTree()
	gittest.Git(b, dir, "config", "notes.rewriteRef", "refs/notes/codex/*")
	gittest.Git(b, dir, "config", "notes.rewriteMode", "cat_sort_uniq")
	head := gittest.Git(b, dir, "rev-parse", "HEAD")
	var recs []Record
	for i := 0; i < 200; i++ {
		recs = append(recs, turnOn(i%60, head, fmt.Sprint(i)))
	}
	if err := (&Engine{Store: repo.Notes()}).append(context.Background(), "copies", head, recs...); err != nil {
		b.Fatal(err)
	}
	gittest.Git(b, dir, "commit", "-q", "--amend", "-m", "two") // fixed committer date: a tie
	gittest.Git(b, dir, "commit", "-q", "--amend", "-m", "three")
	last := gittest.Git(b, dir, "rev-parse", "HEAD")
	b.ResetTimer()
	for b.Loop() {
		r2, err := gitstore.Open(dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		got, _, err := readRecords(context.Background(), r2.Notes(), r2, "copies")
		if err != nil || len(got) != 200 || got[0].NoteObject != last {
			b.Fatalf("read %d records on %s, %v", len(got), got[0].NoteObject, err)
		}
		r2.Close()
	}
}

// Notes written before the schema moved out of storage read back as they
// were: decoding a line with every field and encoding it again gives the
// same bytes (the canonical key order is unchanged on disk).
func TestCanonicalLineUnchanged(t *testing.T) {
	line := `{"v":1,"ts":"2026-01-02T03:04:05.000000000Z","id":"01JA0000000000000000000A01","kind":"answer",` +
		`"session":"01JA0000000000000000000000","topic":"feature/x","commit":"1111111111111111111111111111111111111111",` +
		`"patch_id":"2222222222222222222222222222222222222222","parent":"P","turn":"01JA0000000000000000000T01",` +
		`"engine":"responses","model":"gpt-5","title":"a < b","context":["ARCHITECTURE.md","AGENTS.md"],` +
		`"text":"Done & dusted","tool_calls":[{"name":"read_file","args":"{\"path\":\"x\"}","result":"ok","error":"e"}],` +
		`"usage":{"input":10,"cached":4,"output":2},"response_id":"resp_1","bytes_sent":123,"status":"complete",` +
		`"error":"none","decisions":["d1"],"next":["n1"],"through":"T","event":"restart"}`
	g, err := gitstore.ParseRecord([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(g)
	if err != nil {
		t.Fatal(err)
	}
	back, err := r.Encode()
	if err != nil || string(back.Line) != line {
		t.Fatalf("re-encoded line differs (%v):\n got %s\nwant %s", err, back.Line, line)
	}
}
