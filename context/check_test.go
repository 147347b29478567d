package repoctx

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		want  map[string]ProblemKind // file → kind
	}{
		{
			name:  "both missing",
			setup: func(t *testing.T, root string) {},
			want:  map[string]ProblemKind{ArchitectureFile: ProblemMissing, AgentsFile: ProblemMissing},
		},
		{
			name: "both present",
			setup: func(t *testing.T, root string) {
				writeTestFile(t, root, ArchitectureFile, "# A\n")
				writeTestFile(t, root, AgentsFile, "# B\n")
			},
			want: map[string]ProblemKind{},
		},
		{
			name: "blank and missing",
			setup: func(t *testing.T, root string) {
				writeTestFile(t, root, ArchitectureFile, "\n  \n")
			},
			want: map[string]ProblemKind{ArchitectureFile: ProblemEmpty, AgentsFile: ProblemMissing},
		},
		{
			name: "directory and dangling symlink",
			setup: func(t *testing.T, root string) {
				if err := os.Mkdir(filepath.Join(root, ArchitectureFile), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("nowhere.md", filepath.Join(root, AgentsFile)); err != nil {
					t.Fatal(err)
				}
			},
			want: map[string]ProblemKind{ArchitectureFile: ProblemUnreadable, AgentsFile: ProblemUnreadable},
		},
		{
			name: "symlink to a file counts",
			setup: func(t *testing.T, root string) {
				writeTestFile(t, root, "docs/arch.md", "# A\n")
				writeTestFile(t, root, AgentsFile, "# B\n")
				if err := os.Symlink("docs/arch.md", filepath.Join(root, ArchitectureFile)); err != nil {
					t.Fatal(err)
				}
			},
			want: map[string]ProblemKind{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			got := map[string]ProblemKind{}
			for _, p := range Check(root) {
				got[p.File] = p.Kind
				if p.Detail == "" || p.String() == "" {
					t.Errorf("problem %+v has no detail", p)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check = %v, want %v", got, tt.want)
			}
		})
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
