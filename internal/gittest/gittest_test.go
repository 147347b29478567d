package gittest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestNewRepoIsHermetic(t *testing.T) {
	t.Setenv("GIT_DIR", "/nonexistent")
	home := Hermetic(t)
	if got := os.Getenv("HOME"); got != home {
		t.Fatalf("HOME = %q, want %q", got, home)
	}
	if _, set := os.LookupEnv("GIT_DIR"); set {
		t.Errorf("GIT_DIR still set")
	}
	dir := NewRepo(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"author", []string{"log", "-1", "--format=%an <%ae> %aI"}, "Test User <test@example.com> 2026-01-02T03:04:05+00:00"},
		{"committer", []string{"log", "-1", "--format=%cn <%ce> %cI"}, "Test User <test@example.com> 2026-01-02T03:04:05+00:00"},
		{"branch", []string{"symbolic-ref", "--short", "HEAD"}, "main"},
		{"files", []string{"ls-files"}, "README.md"},
		{"gc off", []string{"config", "gc.auto"}, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := GitErr(dir, "", tt.args...)
			if err != nil || out != tt.want {
				t.Errorf("git %v = %q, %v; want %q", tt.args, out, err, tt.want)
			}
		})
	}
	// Only HOME's and the repository's configuration apply.
	for _, line := range strings.Split(Git(t, dir, "config", "--list", "--show-origin"), "\n") {
		origin, _, _ := strings.Cut(line, "\t")
		if origin != "file:"+filepath.Join(home, ".gitconfig") && origin != "file:.git/config" {
			t.Errorf("config from outside the test: %q", line)
		}
	}
	// Two hermetic repositories made alike have the same commit id.
	if a, b := Git(t, dir, "rev-parse", "HEAD"), Git(t, NewRepo(t), "rev-parse", "HEAD"); a != b {
		t.Errorf("commit ids differ: %s and %s", a, b)
	}
}

func TestGitErrAndGitEnv(t *testing.T) {
	Hermetic(t)
	dir := NewRepo(t)
	id, err := GitErr(dir, "some data\n", "hash-object", "-w", "--stdin")
	if err != nil {
		t.Fatal(err)
	}
	if got := Git(t, dir, "cat-file", "blob", id); got != "some data" {
		t.Errorf("blob = %q", got)
	}
	if out, err := GitErr(dir, "", "rev-parse", "--verify", "nosuchref"); err == nil {
		t.Errorf("rev-parse of a missing ref succeeded: %q", out)
	}
	GitEnv(t, dir, []string{"GIT_COMMITTER_DATE=2026-01-02T04:00:00Z"}, "commit", "-q", "--allow-empty", "-m", "second")
	if got := Git(t, dir, "log", "-1", "--format=%cI %aI"); got != "2026-01-02T04:00:00+00:00 2026-01-02T03:04:05+00:00" {
		t.Errorf("dates = %q", got)
	}
}

// TestOnlyTestsImport enforces the package's contract: no non-test file of
// the module imports it.
func TestOnlyTestsImport(t *testing.T) {
	const self = "github.com/git-codex/git-codex/internal/gittest"
	root := filepath.Join("..", "..")
	var checked int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == self {
				t.Errorf("%s imports %s, which is for tests only", p, self)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no Go files to check")
	}
}
