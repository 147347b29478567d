package repoctx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// StaleKind says how ARCHITECTURE.md has fallen behind the tree.
type StaleKind string

// Staleness kinds reported by Stale.
const (
	// StaleMissingPath: the file names a path that does not exist.
	StaleMissingPath StaleKind = "missing-path"
	// StaleUnlisted: a top-level directory holding code is not mentioned.
	StaleUnlisted StaleKind = "unlisted-module"
)

// Staleness is one way ARCHITECTURE.md no longer matches the tree.
type Staleness struct {
	File string    `json:"file"` // the context file, ARCHITECTURE.md
	Kind StaleKind `json:"kind"`
	Path string    `json:"path"` // slash-separated, relative to the top of the work tree
}

func (s Staleness) String() string {
	switch s.Kind {
	case StaleMissingPath:
		return fmt.Sprintf("%s names %s, which does not exist", s.File, s.Path)
	default:
		return fmt.Sprintf("%s does not mention %s, a top-level module (added since it was written?)", s.File, s.Path)
	}
}

// ignoredDirs are never expected in ARCHITECTURE.md: dependencies, build
// output, and directories that hold no module of their own.
var ignoredDirs = map[string]bool{
	"node_modules": true, "vendor": true, "third_party": true, "dist": true, "build": true, "out": true,
	"target": true, "coverage": true, "venv": true, "__pycache__": true, "bin": true, "obj": true,
	"docs": true, "doc": true, "test": true, "tests": true, "testdata": true, "examples": true, "example": true,
	"fixtures": true, "scripts": true, "script": true, "tools": true, "hack": true, "ci": true,
	"bench": true, "benches": true, "benchmarks": true, "assets": true, "static": true, "public": true,
	"site": true, "website": true, "fuzz": true,
}

// sourceExts are the extensions that make a directory hold code.
var sourceExts = map[string]bool{
	".go": true, ".py": true, ".js": true, ".mjs": true, ".cjs": true, ".ts": true, ".tsx": true, ".jsx": true,
	".rs": true, ".java": true, ".kt": true, ".rb": true, ".c": true, ".cc": true, ".cpp": true, ".h": true,
	".cs": true, ".swift": true, ".php": true, ".scala": true, ".ex": true, ".hs": true, ".zig": true,
	".vue": true, ".svelte": true, ".dart": true, ".lua": true,
}

var (
	codeSpanRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("`([^`\n]+)`") })
	mdLinkRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\]\(([^)\s]+)\)`) })
)

// Stale reports how ARCHITECTURE.md under root has fallen behind the tree:
// paths it names (in code spans and links, outside code blocks) that do not
// exist, and top-level directories holding code that it never mentions.
// A missing or unreadable ARCHITECTURE.md reports nothing: Check says so.
// It reads at most 1 MiB of the file and a bounded number of directory
// entries.
func Stale(root string) []Staleness {
	b, err := readHead(filepath.Join(root, ArchitectureFile), 1<<20)
	if err != nil {
		return nil
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	var out []Staleness
	seen := map[string]bool{}
	spans, links := namedPaths(text)
	for _, ref := range append(spans, links...) {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if !contains(links, ref) && !namesPath(root, ref) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(ref, "/")))); errors.Is(err, fs.ErrNotExist) {
			out = append(out, Staleness{File: ArchitectureFile, Kind: StaleMissingPath, Path: ref})
		}
	}
	for _, d := range codeDirs(root) {
		re := regexp.MustCompile(`(^|[^A-Za-z0-9_.-])` + regexp.QuoteMeta(d) + `($|[^A-Za-z0-9_-])`)
		if !re.MatchString(text) {
			out = append(out, Staleness{File: ArchitectureFile, Kind: StaleUnlisted, Path: d + "/"})
		}
	}
	return out
}

// namedPaths returns the references of a Markdown text outside fenced code
// blocks: code spans, and relative link targets (which always name paths).
func namedPaths(text string) (spans, links []string) {
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			continue
		}
		for _, m := range codeSpanRe().FindAllStringSubmatch(line, -1) {
			spans = append(spans, m[1])
		}
		for _, m := range mdLinkRe().FindAllStringSubmatch(line, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target != "" && !strings.Contains(target, ":") && !strings.HasPrefix(target, "/") && !strings.Contains(target, "..") {
				links = append(links, strings.TrimPrefix(target, "./"))
			}
		}
	}
	return spans, links
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// namesPath reports whether a reference is meant as a path in this tree:
// a directory (trailing slash) or a path under a top-level directory that
// exists. Commands, module paths, globs, placeholders and refs are not.
func namesPath(root, ref string) bool {
	if ref == "" || strings.ContainsAny(ref, " \t<>*?{}$:=@()'\"|…,;") || strings.HasPrefix(ref, "-") ||
		strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "~") || strings.Contains(ref, "..") ||
		strings.HasPrefix(ref, "refs/") || strings.HasPrefix(ref, ".git/") || ref == "./" {
		return false
	}
	ref = strings.TrimPrefix(ref, "./")
	first, rest, nested := strings.Cut(strings.TrimSuffix(ref, "/"), "/")
	if ignoredDirs[first] && !nested {
		return false
	}
	if strings.HasSuffix(ref, "/") && !nested {
		return true // `internal/`: a top-level directory
	}
	if !nested || rest == "" {
		return false
	}
	fi, err := os.Stat(filepath.Join(root, first))
	return err == nil && fi.IsDir()
}

// codeDirs returns the top-level directories that hold source files,
// skipping hidden, dependency, documentation and test directories.
func codeDirs(root string) []string {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || ignoredDirs[strings.ToLower(name)] {
			continue
		}
		if holdsCode(filepath.Join(root, name), 2000) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// holdsCode reports whether a source file lies under dir, looking at no
// more than budget entries.
func holdsCode(dir string, budget int) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		budget--
		if budget < 0 {
			return fs.SkipAll
		}
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(d.Name(), ".") || ignoredDirs[d.Name()]) {
				return fs.SkipDir
			}
			return nil
		}
		if sourceExts[strings.ToLower(path.Ext(d.Name()))] {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

// readHead reads at most n bytes of a file.
func readHead(file string, n int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := f.Read(buf)
	if err != nil && k == 0 {
		return nil, err
	}
	for k < len(buf) {
		m, err := f.Read(buf[k:])
		k += m
		if err != nil || m == 0 {
			break
		}
	}
	return buf[:k], nil
}
