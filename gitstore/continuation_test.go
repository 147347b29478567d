package gitstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// smallBound makes notes roll over at n bytes for one test.
func smallBound(t *testing.T, n int64) {
	old := noteBound
	noteBound = n
	t.Cleanup(func() { noteBound = old })
}

// appendN appends n records (one per append) to topic on target.
func appendN(t *testing.T, s *NotesStore, topic, target, prefix string, n int) []string {
	t.Helper()
	var texts []string
	for i := 0; i < n; i++ {
		text := fmt.Sprintf("%s-%03d %s", prefix, i, strings.Repeat("x", 100))
		appendOK(t, s, topic, target, recOn(text, target))
		texts = append(texts, text)
	}
	return texts
}

func readTexts(t *testing.T, s *NotesStore, topic string) (texts []string, objects map[string]int) {
	t.Helper()
	recs, warns, err := s.Read(context.Background(), topic)
	if err != nil || len(warns) != 0 {
		t.Fatalf("Read: %v %v", err, warns)
	}
	objects = map[string]int{}
	for _, r := range recs {
		if r.Kind == KindContinuation {
			t.Fatal("Read returned a continuation marker")
		}
		texts = append(texts, textOf(r))
		objects[r.NoteObject]++
	}
	sort.Strings(texts)
	return texts, objects
}

// A note past the bound rolls over: the note itself stops growing, new
// records go to continuation notes, readers see every record on the object
// it belongs to, and git shows the note's first part.
func TestNoteRollsOver(t *testing.T) {
	smallBound(t, 2048)
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	s := r.Notes()
	want := appendN(t, s, "big", head, "r", 60) // ~9 KB of records: the note and 4 continuations

	got, objects := readTexts(t, s, "big")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	if len(objects) != 1 || objects[head] != 60 {
		t.Fatalf("records are on %v, want all 60 on %s", objects, head)
	}
	notes, err := s.ListNotes(context.Background(), git(t, dir, "rev-parse", s.Ref("big")))
	if err != nil {
		t.Fatal(err)
	}
	byObject := map[string]NoteBlob{}
	for _, n := range notes {
		byObject[n.Object] = n
	}
	if len(notes) < 4 || byObject[head].Blob == "" || byObject[ContinuationID(head, 1)].Blob == "" {
		t.Fatalf("notes = %v, want the note on HEAD and its continuations", notes)
	}
	for _, n := range notes {
		size := len(git(t, dir, "cat-file", "-p", n.Blob)) + 1
		// A note is never rewritten past the bound: it is at most the
		// bound plus the last append (one record and a marker).
		if size > 2048+400 {
			t.Errorf("note on %s is %d bytes", n.Object, size)
		}
		note, err := s.ReadNote(context.Background(), n.Blob)
		if err != nil {
			t.Fatal(err)
		}
		if wantBase := map[bool]string{true: "", false: head}[n.Object == head]; note.Continues != wantBase {
			t.Errorf("note on %s continues %q, want %q", n.Object, note.Continues, wantBase)
		}
	}
	// git shows the first part, the oldest records, and lists them all.
	show := git(t, dir, "notes", "--ref="+s.Ref("big"), "show", head)
	if !strings.Contains(show, "r-000 ") || strings.Contains(show, "r-059 ") {
		t.Fatalf("git notes show = %.200q…", show)
	}
	if list := git(t, dir, "notes", "--ref="+s.Ref("big"), "list"); strings.Count(list, "\n")+1 != len(notes) {
		t.Fatalf("git notes list = %q", list)
	}
	git(t, dir, "fsck", "--strict", "--no-dangling")
}

// Two sides that both rolled over merge into the union, by git's
// cat_sort_uniq and by MergeFrom, and amend with notes.rewriteRef moves the
// first part while the rest stays readable on the old commit.
func TestRolledOverNotesMerge(t *testing.T) {
	smallBound(t, 2048)
	dir := newRepo(t)
	r := openRepo(t, dir)
	head := git(t, dir, "rev-parse", "HEAD")
	s := r.Notes()
	base := appendN(t, s, "m", head, "base", 12)
	ref := s.Ref("m")
	git(t, dir, "update-ref", "refs/notes/other", ref)
	git(t, dir, "update-ref", "refs/notes/mine", ref)
	local := appendN(t, s, "m", head, "local", 30)
	// The other side: the same store under another topic ref.
	git(t, dir, "update-ref", s.Ref("other"), git(t, dir, "rev-parse", "refs/notes/other"))
	remote := appendN(t, s, "other", head, "remote", 30)
	all := append(append(append([]string{}, base...), local...), remote...)
	sort.Strings(all)

	// git's own merge, into a copy of the local ref.
	git(t, dir, "update-ref", "refs/notes/gitmerged", ref)
	git(t, dir, "notes", "--ref=refs/notes/gitmerged", "merge", "-q", "-s", "cat_sort_uniq", s.Ref("other"))
	git(t, dir, "update-ref", s.Ref("gitmerged"), "refs/notes/gitmerged")
	got, objects := readTexts(t, openRepo(t, dir).Notes(), "gitmerged")
	if strings.Join(got, "\n") != strings.Join(all, "\n") || len(objects) != 1 {
		t.Fatalf("after git's merge: %d records on %v, want %d on one object", len(got), objects, len(all))
	}
	// Ours.
	if _, err := s.MergeFrom(context.Background(), "m", git(t, dir, "rev-parse", s.Ref("other"))); err != nil {
		t.Fatal(err)
	}
	got, _ = readTexts(t, s, "m")
	if strings.Join(got, "\n") != strings.Join(all, "\n") {
		t.Fatalf("after MergeFrom: %d records, want %d", len(got), len(all))
	}

	// Amend with notes following: the first part goes to the new commit,
	// the continuations stay on the old one; nothing is lost.
	git(t, dir, "config", "notes.rewriteRef", "refs/notes/codex/*")
	git(t, dir, "commit", "-q", "--amend", "-m", "amended")
	amended := git(t, dir, "rev-parse", "HEAD")
	got, objects = readTexts(t, openRepo(t, dir).Notes(), "m")
	if len(got) < len(all) || objects[amended] == 0 || objects[head] == 0 {
		t.Fatalf("after amend: %d records on %v", len(got), objects)
	}
}
