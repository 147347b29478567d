package scaffold

import (
	repoctx "github.com/git-codex/git-codex/context"

	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the want/ sections of testdata/scaffold/*.txtar")

// TestScaffoldGolden scaffolds each project shape in testdata/scaffold (the
// files of a txtar archive) and compares the drafts with the archive's want/
// files. Run with -update to refresh them.
func TestScaffoldGolden(t *testing.T) {
	archives, err := filepath.Glob("testdata/scaffold/*.txtar")
	if err != nil || len(archives) == 0 {
		t.Fatalf("no golden archives: %v", err)
	}
	for _, file := range archives {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			want := map[string]string{}
			for _, f := range ar.Files {
				if w, ok := strings.CutPrefix(f.Name, "want/"); ok {
					want[w] = string(f.Data)
					continue
				}
				writeTestFile(t, root, f.Name, string(f.Data))
			}
			written, err := Scaffold(root, ScaffoldOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range written {
				if w.Action != ActionCreated {
					t.Errorf("%s: action %s, want created", w.File, w.Action)
				}
			}
			got := map[string]string{}
			for _, f := range repoctx.RequiredFiles {
				b, err := os.ReadFile(filepath.Join(root, f))
				if err != nil {
					t.Fatal(err)
				}
				got[f] = string(b)
				if strings.Contains(got[f], root) {
					t.Errorf("%s mentions the temporary directory %s", f, root)
				}
			}
			if *update {
				for i, f := range ar.Files {
					if w, ok := strings.CutPrefix(f.Name, "want/"); ok {
						ar.Files[i].Data = []byte(got[w])
					}
				}
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, f := range repoctx.RequiredFiles {
				if got[f] != want[f] {
					t.Errorf("%s differs from want/%s in %s (rerun with -update to accept):\n%s", f, f, file, lineDiff(want[f], got[f]))
				}
			}
			if repoctx.Check(root) != nil {
				t.Errorf("Check after Scaffold: %v", repoctx.Check(root))
			}
		})
	}
}

// TestScaffoldSources checks what each draft is built from.
func TestScaffoldSources(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		source string
		has    []string
		hasNot []string
	}{
		{
			name:   "claude architecture section wins",
			files:  map[string]string{"CLAUDE.md": "# Guide\n\n## Architecture\n\nThree layers.\n\n## Style\n\nTabs.\n", "go.mod": "module x\n"},
			source: "CLAUDE.md",
			has:    []string{"## Architecture\n\nThree layers."},
			hasNot: []string{"Tabs.", "Go module"},
		},
		{
			name:   "claude without architecture falls back to code",
			files:  map[string]string{"CLAUDE.md": "# Guide\n\n## Style\n\nTabs.\n", "go.mod": "module x\n", "main.go": "package main\n"},
			source: "code",
			has:    []string{"Go module `x`", "`./` — Go command `x`"},
			hasNot: []string{"Tabs."},
		},
		{
			name:   "claude in .claude directory",
			files:  map[string]string{".claude/CLAUDE.md": "# G\n\n## Design\n\nA pipeline.\n"},
			source: ".claude/CLAUDE.md",
			has:    []string{"## Design\n\nA pipeline."},
		},
		{
			name:   "empty tree",
			files:  map[string]string{},
			source: "code",
			has:    []string{"# Architecture", "## Overview"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, data := range tt.files {
				writeTestFile(t, root, name, data)
			}
			written, err := Scaffold(root, ScaffoldOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(written) != 2 || written[0].File != repoctx.ArchitectureFile || written[0].Source != tt.source {
				t.Fatalf("written = %+v, want ARCHITECTURE.md from %s first", written, tt.source)
			}
			b, _ := os.ReadFile(filepath.Join(root, repoctx.ArchitectureFile))
			for _, s := range tt.has {
				if !strings.Contains(string(b), s) {
					t.Errorf("ARCHITECTURE.md lacks %q:\n%s", s, b)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(string(b), s) {
					t.Errorf("ARCHITECTURE.md has %q:\n%s", s, b)
				}
			}
		})
	}
}

// TestScaffoldNeverOverwrites covers kept, blank and forced files.
func TestScaffoldNeverOverwrites(t *testing.T) {
	tests := []struct {
		name     string
		existing string // content of an existing ARCHITECTURE.md; "-" for none
		force    bool
		action   Action
		keep     bool
	}{
		{"missing is created", "-", false, ActionCreated, false},
		{"blank is filled", " \n\t\n", false, ActionCreated, false},
		{"content is kept", "# Mine\n", false, ActionKept, true},
		{"content is replaced with force", "# Mine\n", true, ActionReplaced, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTestFile(t, root, "go.mod", "module example.com/x\n")
			path := filepath.Join(root, repoctx.ArchitectureFile)
			if tt.existing != "-" {
				writeTestFile(t, root, repoctx.ArchitectureFile, tt.existing)
			}
			written, err := Scaffold(root, ScaffoldOptions{Force: tt.force})
			if err != nil {
				t.Fatal(err)
			}
			if written[0].Action != tt.action {
				t.Errorf("action = %s, want %s", written[0].Action, tt.action)
			}
			b, _ := os.ReadFile(path)
			if kept := string(b) == tt.existing; kept != tt.keep {
				t.Errorf("file kept = %v, want %v; content:\n%s", kept, tt.keep, b)
			}
			again, err := Scaffold(root, ScaffoldOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range again {
				if w.Action != ActionKept {
					t.Errorf("second run: %s %s, want kept", w.File, w.Action)
				}
			}
		})
	}
}

func TestScaffoldRefusesDirectory(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, repoctx.AgentsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Scaffold(root, ScaffoldOptions{Force: true})
	if err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("err = %v, want one naming the directory", err)
	}
}

// TestScaffoldBounded checks that exploration stops at MaxFiles and says so.
func TestScaffoldBounded(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, root, "go.mod", "module example.com/big\n")
	for i := range 50 {
		writeTestFile(t, root, fmt.Sprintf("p%02d/f.go", i), fmt.Sprintf("// Package p%02d is number %d.\npackage p%02d\n", i, i, i))
	}
	if _, err := Scaffold(root, ScaffoldOptions{MaxFiles: 10}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, repoctx.ArchitectureFile))
	if !strings.Contains(string(b), "exploration stopped") {
		t.Errorf("no truncation notice:\n%s", b)
	}
	if n := strings.Count(string(b), "Package p"); n > 10 {
		t.Errorf("%d packages described, want at most 10", n)
	}
}

func BenchmarkScaffoldExplore(b *testing.B) {
	root := b.TempDir()
	writeTestFile(b, root, "go.mod", "module example.com/big\n")
	for i := range 300 {
		writeTestFile(b, root, fmt.Sprintf("p%03d/f.go", i),
			fmt.Sprintf("// Package p%03d is number %d.\npackage p%03d\n\nimport _ \"example.com/big/p%03d\"\n", i, i, i, (i+1)%300))
	}
	b.ResetTimer()
	for range b.N {
		p := exploreProject(root, 0)
		_ = renderArchitectureFromCode(p)
	}
}

func writeTestFile(t testing.TB, root, name, data string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant: %s\n got: %s", i+1, wl, gl)
		}
	}
	return "(same lines)"
}
