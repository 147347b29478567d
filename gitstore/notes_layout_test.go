package gitstore

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// ReadNote with session ids keeps the lines naming them, whole, and
// reports skipped lines by their line number in the note, as a full read
// does; a last line without a newline is a line like any other.
func TestReadNoteFiltered(t *testing.T) {
	rec := func(id, session string) string {
		return `{"v":1,"ts":"2026-01-01T00:00:00Z","id":"` + id + `","kind":"turn","session":"` + session + `"}`
	}
	tests := []struct {
		name      string
		note      string
		wantIDs   []string
		wantLines []int // of the warnings
	}{
		{"last line without newline", rec("a", "S2") + "\n" + rec("b", "S1"), []string{"b"}, nil},
		{"only line without newline", rec("b", "S1"), []string{"b"}, nil},
		{"no line names it", rec("a", "S2") + "\n", nil, nil},
		{"skipped lines keep their numbers", rec("a", "S2") + "\n" + rec("b", "S1") + "\n{broken S1\n" + rec("c", "S2") + "\nnot a record S1",
			[]string{"b"}, []int{3, 5}},
	}
	dir := newRepo(t)
	s := openRepo(t, dir).Notes()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blob, err := gitErr(dir, tt.note, "hash-object", "-w", "--stdin")
			if err != nil {
				t.Fatal(err)
			}
			note, err := s.ReadNote(context.Background(), strings.TrimSpace(blob), "S1")
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range note.Records {
				ids = append(ids, r.ID)
			}
			var lines []int
			for _, w := range note.Warnings {
				lines = append(lines, w.Line)
			}
			if !reflect.DeepEqual(ids, tt.wantIDs) || !reflect.DeepEqual(lines, tt.wantLines) || note.Size != len(tt.note) {
				t.Errorf("records %v, warnings at lines %v, size %d; want %v, %v, %d", ids, lines, note.Size, tt.wantIDs, tt.wantLines, len(tt.note))
			}
		})
	}
}
