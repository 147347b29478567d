package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/session"
)

// TestDatasetsAreInTheStoreFormat imports small datasets of each shape with
// real git and checks every note against the store's own reader and writer:
// each line is what gitstore.Record.Marshal writes for it (canonical key
// order and escaping), lines are sorted and unique, ParseNote has nothing to
// warn about, the tree is flat up to 256 notes and 2/38 past them, every
// record names the commit it is attached to and comes after it, and the
// counts match what the meta file says and what census counts. (Only this
// test imports gitstore: the program itself must not import go-git.)
func TestDatasetsAreInTheStoreFormat(t *testing.T) {
	for _, c := range []struct {
		name string
		d    dataset
	}{
		{"one topic, flat", dataset{commits: 7, topics: 1, records: 1500}},
		{"one topic, fanned out", dataset{commits: 300, topics: 1, records: 2000}},
		{"many topics", dataset{commits: 40, topics: 25}},
	} {
		t.Run(c.name, func(t *testing.T) {
			gittest.Hermetic(t)
			dir := t.TempDir()
			gittest.Git(t, dir, "init", "-q")
			var hist bytes.Buffer
			if err := history(&hist, c.d); err != nil {
				t.Fatal(err)
			}
			if out, err := gittest.GitErr(dir, hist.String(), "fast-import", "--quiet"); err != nil {
				t.Fatalf("fast-import the history: %v\n%s", err, out)
			}
			ids := strings.Fields(gittest.Git(t, dir, "rev-list", "--reverse", "main"))
			var stream bytes.Buffer
			meta, err := notes(&stream, c.name, c.d, ids)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := gittest.GitErr(dir, stream.String(), "fast-import", "--quiet"); err != nil {
				t.Fatalf("fast-import the notes: %v\n%s", err, out)
			}

			refs := strings.Fields(gittest.Git(t, dir, "for-each-ref", "--format=%(refname)", "refs/notes/codex/"))
			if want := c.d.topics; len(refs) != want {
				t.Fatalf("%d topic refs, want %d", len(refs), want)
			}
			commitTimes := map[string]time.Time{}
			for _, l := range strings.Split(gittest.Git(t, dir, "log", "--format=%H %ct", "main"), "\n") {
				f := strings.Fields(l)
				sec, _ := strconv.ParseInt(f[1], 10, 64)
				commitTimes[f[0]] = time.Unix(sec, 0)
			}
			records, sessions, notesSeen := 0, 0, 0
			ids2 := map[string]bool{}
			for _, ref := range refs {
				tree := strings.Split(gittest.Git(t, dir, "ls-tree", "-r", "--name-only", ref), "\n")
				for _, path := range tree {
					notesSeen++
					object := strings.ReplaceAll(path, "/", "")
					if fanned := strings.Contains(path, "/"); fanned != (len(tree) > 256) {
						t.Errorf("%s: note at %q in a tree of %d notes", ref, path, len(tree))
					}
					blob := gittest.Git(t, dir, "cat-file", "blob", ref+":"+path) + "\n"
					if _, warns := gitstore.ParseNote([]byte(blob)); len(warns) > 0 {
						t.Errorf("%s %s: ParseNote warns: %v", ref, path, warns)
					}
					lines := strings.Split(strings.TrimSuffix(blob, "\n"), "\n")
					for i, line := range lines {
						if i > 0 && line <= lines[i-1] {
							t.Fatalf("%s %s: line %d is not after line %d", ref, path, i+1, i)
						}
						g, err := gitstore.ParseRecord([]byte(line))
						if err != nil {
							t.Fatalf("%s %s: %v", ref, path, err)
						}
						r, err := session.Decode(g)
						if err != nil {
							t.Fatalf("%s %s: %v", ref, path, err)
						}
						again, err := r.Encode()
						if err != nil || string(again.Line) != line {
							t.Fatalf("not canonical:\n got %s\nwant %s (%v)", line, again.Line, err)
						}
						if r.Commit != object {
							t.Errorf("record %s on the note of %s names commit %s", r.ID, object, r.Commit)
						}
						if !r.Timestamp().After(commitTimes[object]) {
							t.Errorf("record %s (%s) is not after its commit (%s)", r.ID, r.Time, commitTimes[object])
						}
						if ids2[r.ID] {
							t.Errorf("id %s twice", r.ID)
						}
						ids2[r.ID] = true
						if r.Kind == session.KindSession {
							sessions++
						}
						records++
					}
				}
			}
			for key, got := range map[string]int{"records": records, "sessions": sessions, "notes": notesSeen} {
				if meta[key] != fmt.Sprint(got) {
					t.Errorf("meta says %s=%s, the notes hold %d", key, meta[key], got)
				}
			}
			if c.d.records > 0 && records != c.d.records {
				t.Errorf("%d records, want %d", records, c.d.records)
			}

			t.Chdir(dir)
			var out bytes.Buffer
			if err := census(&out, "", refs); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("records=%d ", records); !strings.HasPrefix(out.String(), want) {
				t.Errorf("census: %s, want %s…", out.String(), want)
			}
		})
	}
}

// TestCensusCountsMarkedReplies checks the figures contention.sh relies
// on: the union of several refs (a record in both counts once), the turns
// whose text holds the marker, those of them that have an answer, and a
// digest that depends only on the set of ids.
func TestCensusCountsMarkedReplies(t *testing.T) {
	gittest.Hermetic(t)
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q")
	line := func(id, kind, extra string) string {
		return fmt.Sprintf(`{"v":1,"ts":"2025-01-06T09:00:00.000000000Z","id":%q,"kind":%q%s}`, id, kind, extra)
	}
	both := line("A1", "turn", `,"text":"ctn-c1-n1: why?"`) + "\n" + line("A2", "answer", `,"turn":"A1"`) + "\n"
	onlyA := line("A3", "turn", `,"text":"ctn-c1-n2: and?"`) + "\n" // not answered
	onlyB := line("B1", "turn", `,"text":"unrelated"`) + "\n" + line("B2", "answer", `,"turn":"B1"`) + "\n"
	obj := strings.Repeat("ab", 20)
	stream := fmt.Sprintf("commit refs/notes/codex/a\ncommitter B <b@example.com> 1700000000 +0000\ndata 0\nM 100644 inline %s\ndata %d\n%s\n"+
		"commit refs/notes/codex/b\ncommitter B <b@example.com> 1700000000 +0000\ndata 0\nM 100644 inline %s\ndata %d\n%s\n",
		obj, len(both+onlyA), both+onlyA, obj, len(both+onlyB+"{not json\n"), both+onlyB+"{not json\n")
	if out, err := gittest.GitErr(dir, stream, "fast-import", "--quiet"); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}
	t.Chdir(dir)
	run := func(refs ...string) map[string]string {
		var out bytes.Buffer
		if err := census(&out, "ctn-", refs); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, f := range strings.Fields(out.String()) {
			k, v, _ := strings.Cut(f, "=")
			m[k] = v
		}
		return m
	}
	got := run("refs/notes/codex/a", "refs/notes/codex/b")
	want := map[string]string{"records": "5", "turns": "3", "answers": "2", "marked": "2", "answered": "1", "malformed": "1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%s, want %s (%v)", k, got[k], v, got)
		}
	}
	if a, ab := run("refs/notes/codex/a"), run("refs/notes/codex/a", "refs/notes/codex/a"); a["digest"] != ab["digest"] {
		t.Errorf("the digest of a ref read twice changed: %s, %s", a["digest"], ab["digest"])
	}
	if a := run("refs/notes/codex/a"); a["digest"] == got["digest"] {
		t.Errorf("the digest of a subset equals that of the union: %s", a["digest"])
	}
}
