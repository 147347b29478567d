package repoctx

import (
	"reflect"
	"sort"
	"testing"
)

func TestStale(t *testing.T) {
	const arch = "# Architecture\n\n" +
		"- `cmd/tool` — the command\n" +
		"- `internal/` — helpers; `internal/old/parse.go` parses\n" +
		"- `legacy/` — gone\n" +
		"- see [the store](store/README.md#layout) and [Go](https://go.dev)\n" +
		"- not paths: `go test ./...`, `github.com/x/y`, `refs/notes/codex/`, `<dir>/x`, `cmd/*.go`, `a/b`, `node_modules/`\n" +
		"\n```\nghost/ in a code block is not checked\n```\n"
	tests := []struct {
		name  string
		files map[string]string
		want  []string // kind:path
	}{
		{
			name:  "missing paths and an unmentioned module",
			files: map[string]string{"cmd/tool/main.go": "package main", "internal/x.go": "package internal", "newsvc/svc.go": "package newsvc", "docs/a.md": "x"},
			want:  []string{"missing-path:internal/old/parse.go", "missing-path:legacy/", "missing-path:store/README.md", "unlisted-module:newsvc/"},
		},
		{
			name: "up to date",
			files: map[string]string{"cmd/tool/main.go": "package main", "internal/old/parse.go": "package old", "legacy/l.py": "",
				"store/README.md": "# store", "scripts/gen.sh": "echo", "assets/logo.svg": "<svg/>"},
			want: nil,
		},
		{
			name:  "a directory without code is no module",
			files: map[string]string{"cmd/tool/main.go": "", "internal/old/parse.go": "", "legacy/a.go": "", "store/README.md": "", "notes/todo.txt": "x"},
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTestFile(t, root, ArchitectureFile, arch)
			for name, data := range tt.files {
				writeTestFile(t, root, name, data)
			}
			var got []string
			for _, s := range Stale(root) {
				got = append(got, string(s.Kind)+":"+s.Path)
				if s.String() == "" || s.File != ArchitectureFile {
					t.Errorf("bad staleness %+v", s)
				}
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Stale = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStaleWithoutArchitecture(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, root, "pkg/a.go", "package pkg")
	if s := Stale(root); s != nil {
		t.Errorf("Stale without ARCHITECTURE.md = %v, want nothing (Check reports the missing file)", s)
	}
}
