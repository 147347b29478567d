package worktree_test

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/git-codex/git-codex/worktree"
)

// corpusCase is one patch of testdata/v4a: a file's content before, an
// operation's diff, and the content after or the exact error.
//
// The archive's comment holds directives, one a line:
//
//	op: create_file|update_file|delete_file (default update_file)
//	crlf: SECTION...   turn every "\n" of these sections into "\r\n"
//	noeol: SECTION...  drop the final "\n" of these sections
//	fuzzy: N           the number of fuzzy matches expected (default 0)
//
// Sections: "before" (absent for create_file), "diff", and "after" or
// "error" (the message, without its final line break).
type corpusCase struct {
	name                  string
	op                    worktree.OpType
	before, diff, after   string
	hasAfter              bool
	wantErr               string
	fuzzy                 int
	description           string
	sections, crlf, noeol map[string]bool
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "v4a", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Fatalf("testdata/v4a holds %d cases; the corpus is missing", len(files))
	}
	var cases []corpusCase
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(f), ".txtar"), op: worktree.OpUpdate,
			sections: map[string]bool{}, crlf: map[string]bool{}, noeol: map[string]bool{}}
		for _, line := range strings.Split(string(a.Comment), "\n") {
			key, val, ok := strings.Cut(line, ":")
			if !ok {
				c.description += line
				continue
			}
			val = strings.TrimSpace(val)
			switch key {
			case "op":
				c.op = worktree.OpType(val)
			case "crlf":
				for _, s := range strings.Fields(val) {
					c.crlf[s] = true
				}
			case "noeol":
				for _, s := range strings.Fields(val) {
					c.noeol[s] = true
				}
			case "fuzzy":
				if c.fuzzy, err = strconv.Atoi(val); err != nil {
					t.Fatalf("%s: fuzzy: %v", f, err)
				}
			default:
				c.description += line
			}
		}
		for _, af := range a.Files {
			data := string(af.Data)
			if c.noeol[af.Name] {
				data = strings.TrimSuffix(data, "\n")
			}
			if c.crlf[af.Name] {
				data = strings.ReplaceAll(data, "\n", "\r\n")
			}
			c.sections[af.Name] = true
			switch af.Name {
			case "before":
				c.before = data
			case "diff":
				c.diff = data
			case "after":
				c.after, c.hasAfter = data, true
			case "error":
				c.wantErr = strings.TrimSuffix(data, "\n")
			default:
				t.Fatalf("%s: unknown section %q", f, af.Name)
			}
		}
		if c.hasAfter == (c.wantErr != "") {
			t.Fatalf("%s: want exactly one of the sections after and error", f)
		}
		cases = append(cases, c)
	}
	return cases
}

// TestV4ACorpus applies every patch of the corpus and checks the exact
// result or the exact error message.
func TestV4ACorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			var old []byte
			if c.sections["before"] {
				old = []byte(c.before)
			}
			out, fuzzy, err := worktree.ApplyV4A(c.op, old, c.diff)
			if c.wantErr != "" {
				if err == nil {
					t.Fatalf("applied; want error %q; got:\n%q", c.wantErr, out)
				}
				var pe *worktree.PatchError
				if !errors.As(err, &pe) {
					t.Fatalf("error %T %v is not a *PatchError", err, err)
				}
				if !errors.Is(err, worktree.ErrMalformedPatch) && !errors.Is(err, worktree.ErrPatchMismatch) {
					t.Errorf("error %v wraps neither ErrMalformedPatch nor ErrPatchMismatch", err)
				}
				if got := err.Error(); got != c.wantErr {
					t.Errorf("error:\n got %s\nwant %s", got, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyV4A: %v", err)
			}
			if string(out) != c.after {
				t.Errorf("result:\n got %q\nwant %q", out, c.after)
			}
			if fuzzy != c.fuzzy {
				t.Errorf("fuzzy = %d, want %d", fuzzy, c.fuzzy)
			}
		})
	}
}
