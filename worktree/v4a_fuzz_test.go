package worktree_test

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/git-codex/git-codex/worktree"
)

// seedCorpus adds every patch of testdata/v4a to a fuzz target's seeds.
func seedCorpus(f *testing.F, add func(c corpusCase)) {
	files, err := filepath.Glob(filepath.Join("testdata", "v4a", "*.txtar"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var c corpusCase
		for _, af := range a.Files {
			switch af.Name {
			case "before":
				c.before = string(af.Data)
			case "diff":
				c.diff = string(af.Data)
			case "after":
				c.after = string(af.Data)
			}
		}
		add(c)
	}
}

// FuzzApplyV4A feeds arbitrary diffs and files to every operation: the
// applier never panics, and every failure is a *PatchError of one of the
// two kinds, with a message.
func FuzzApplyV4A(f *testing.F) {
	seedCorpus(f, func(c corpusCase) {
		f.Add([]byte(c.before), c.diff, uint8(0))
		f.Add([]byte(c.before), c.diff, uint8(1))
	})
	f.Add([]byte("a\r\nb\r\n"), "@@\n-a\n+x\n*** End of File\n@@ b\n+y", uint8(0))
	f.Fuzz(func(t *testing.T, old []byte, diff string, op uint8) {
		ops := []worktree.OpType{worktree.OpUpdate, worktree.OpCreate, worktree.OpDelete, "bogus"}
		o := ops[int(op)%len(ops)]
		out, fuzzy, err := worktree.ApplyV4A(o, old, diff)
		if err != nil {
			var pe *worktree.PatchError
			if !errors.As(err, &pe) || pe.Msg == "" {
				t.Fatalf("error %T %q is not a *PatchError with a message", err, err)
			}
			if !errors.Is(err, worktree.ErrMalformedPatch) && !errors.Is(err, worktree.ErrPatchMismatch) {
				t.Fatalf("error %q wraps neither kind", err)
			}
			return
		}
		if fuzzy < 0 {
			t.Fatalf("fuzzy = %d", fuzzy)
		}
		if o == worktree.OpCreate && len(out) > 0 && out[len(out)-1] != '\n' {
			t.Fatalf("created content %q does not end in a line break", out)
		}
		// Deterministic: the same input gives the same output.
		again, _, err := worktree.ApplyV4A(o, old, diff)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second application differs: %q, %v", again, err)
		}
	})
}

// FuzzV4ARoundTrip writes a V4A diff from one text to another (with three
// lines of context, more where the context would first match elsewhere)
// and applies it: the result is the other text, byte for byte, in LF and
// CRLF files alike. A create_file diff of the new text gives it back too.
func FuzzV4ARoundTrip(f *testing.F) {
	seedCorpus(f, func(c corpusCase) {
		if c.after != "" {
			f.Add(c.before, c.after, false)
			f.Add(c.before, c.after, true)
		}
	})
	f.Add("a\nb\na\nb\nc\n", "a\nb\na\nB\nc\n", false)
	f.Add("", "x\n", true)
	f.Fuzz(func(t *testing.T, old, new string, crlf bool) {
		old, new = strings.ReplaceAll(old, "\r", ""), strings.ReplaceAll(new, "\r", "")
		// A byte order mark is no part of the first line: the diff is
		// written without it, and the file keeps it.
		bom := ""
		if strings.HasPrefix(old, "\ufeff") {
			bom = "\ufeff"
		}
		old, new = strings.TrimLeft(old, "\ufeff"), strings.TrimLeft(new, "\ufeff")
		if len(old) > 4096 || len(new) > 4096 {
			return
		}
		// A file without a line break has no usual one: added lines get LF.
		if crlf && strings.Contains(old, "\n") {
			old, new = strings.ReplaceAll(old, "\n", "\r\n"), strings.ReplaceAll(new, "\n", "\r\n")
		}
		// create_file, written as the reference appliers read it: the new
		// text's lines joined by line breaks (a final "+" alone for a final
		// line break).
		var cd strings.Builder
		for _, l := range strings.Split(strings.ReplaceAll(new, "\r\n", "\n"), "\n") {
			cd.WriteString("+" + l + "\n")
		}
		if new == "" {
			cd.Reset()
		}
		created, _, err := worktree.ApplyV4A(worktree.OpCreate, nil, cd.String())
		if err != nil {
			t.Fatalf("create_file %q: %v", cd.String(), err)
		}
		wantCreated := strings.ReplaceAll(new, "\r\n", "\n")
		if wantCreated != "" && !strings.HasSuffix(wantCreated, "\n") {
			wantCreated += "\n"
		}
		if string(created) != wantCreated {
			t.Fatalf("create_file %q = %q, want %q", cd.String(), created, wantCreated)
		}
		// update_file
		if old == new {
			return
		}
		diff := v4aDiff(strings.ReplaceAll(old, "\r\n", "\n"), strings.ReplaceAll(new, "\r\n", "\n"))
		old, new = bom+old, bom+new
		out, fuzzy, err := worktree.ApplyV4A(worktree.OpUpdate, []byte(old), diff)
		if err != nil {
			t.Fatalf("update_file %q with\n%s: %v", old, diff, err)
		}
		if string(out) != new || fuzzy != 0 {
			t.Fatalf("update_file %q with\n%s\n= %q (fuzzy %d), want %q", old, diff, out, fuzzy, new)
		}
	})
}

// v4aDiff writes a V4A update_file diff turning old into new (LF texts):
// hunks with three lines of context around each change, whose context and
// removed lines start at the cursor when they would otherwise first match
// above the change.
func v4aDiff(old, new string) string {
	a, b := strings.Split(old, "\n"), strings.Split(new, "\n")
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // index in a of a ' ' or '-' line
	}
	// Longest common subsequence, by dynamic programming (small texts).
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, op{'+', b[j], -1})
			j++
		default:
			ops = append(ops, op{'-', a[i], i})
			i++
		}
	}
	// Hunks: runs of ops around changes, with up to 3 context lines.
	const ctx = 3
	var hunks [][2]int // [start, end) in ops
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := k
		for n := 0; start > 0 && ops[start-1].kind == ' ' && n < ctx; n++ {
			start--
		}
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run < len(ops) && run-end <= 2*ctx {
				end = run // the next change is close: same hunk
				continue
			}
			end = min(end+ctx, run)
			break
		}
		if len(hunks) > 0 && start < hunks[len(hunks)-1][1] {
			start = hunks[len(hunks)-1][1]
		}
		hunks = append(hunks, [2]int{start, end})
		k = end
	}
	// Where each hunk's old lines would be searched from (the cursor) and
	// first found: extend the leading context back to the cursor when that
	// is not where they are.
	oldOf := func(s, e int) []string {
		var o []string
		for _, x := range ops[s:e] {
			if x.kind != '+' {
				o = append(o, x.line)
			}
		}
		return o
	}
	firstAt := func(o []string, from int) int {
		for p := from; p+len(o) <= len(a); p++ {
			ok := true
			for q := range o {
				if a[p+q] != o[q] {
					ok = false
					break
				}
			}
			if ok {
				return p
			}
		}
		return -1
	}
	var d strings.Builder
	cursor, prevEnd := 0, 0
	for _, h := range hunks {
		s, e := h[0], h[1]
		pos := -1
		for _, x := range ops[s:e] {
			if x.kind != '+' {
				pos = x.ai
				break
			}
		}
		o := oldOf(s, e)
		if pos < 0 || firstAt(o, cursor) != pos {
			s = prevEnd // every op since the last hunk, so its old lines start at the cursor
		}
		d.WriteString("@@\n")
		for _, x := range ops[s:e] {
			fmt.Fprintf(&d, "%c%s\n", x.kind, x.line)
		}
		for _, x := range ops[s:e] {
			if x.kind != '+' {
				cursor = x.ai + 1
			}
		}
		prevEnd = e
	}
	return d.String()
}
