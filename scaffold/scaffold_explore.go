package scaffold

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// skipDirs are directory names never explored: vendored code, dependencies,
// build output and caches.
var skipDirs = map[string]bool{
	"vendor": true, "node_modules": true, "bower_components": true, "third_party": true,
	"build": true, "dist": true, "out": true, "target": true, "obj": true,
	"coverage": true, "htmlcov": true, "site-packages": true, "venv": true,
	"__pycache__": true, "testdata": true,
}

// conventionalDirs describe common top-level directories that say nothing
// about themselves.
var conventionalDirs = map[string]string{
	"docs": "documentation", "doc": "documentation", "scripts": "helper scripts",
	"script": "helper scripts", "tests": "tests", "test": "tests", "examples": "examples",
	"example": "examples", "tools": "development tools", "hack": "development scripts",
	"assets": "static assets", "static": "static assets", "public": "static files served as they are",
	"config": "configuration", "configs": "configuration", "deploy": "deployment files",
	"migrations": "database migrations", "benchmarks": "benchmarks", "bench": "benchmarks",
}

var languages = map[string]string{
	".go": "Go", ".py": "Python", ".pyi": "Python", ".js": "JavaScript", ".mjs": "JavaScript",
	".cjs": "JavaScript", ".jsx": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript",
	".mts": "TypeScript", ".cts": "TypeScript", ".rs": "Rust", ".java": "Java", ".kt": "Kotlin",
	".kts": "Kotlin", ".rb": "Ruby", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++",
	".cxx": "C++", ".hpp": "C++", ".hh": "C++", ".cs": "C#", ".swift": "Swift", ".php": "PHP",
	".sh": "Shell", ".bash": "Shell", ".zsh": "Shell", ".scala": "Scala", ".lua": "Lua",
	".ex": "Elixir", ".exs": "Elixir", ".erl": "Erlang", ".hs": "Haskell", ".ml": "OCaml",
	".clj": "Clojure", ".dart": "Dart", ".zig": "Zig", ".vue": "Vue", ".svelte": "Svelte",
	".sql": "SQL", ".proto": "Protocol Buffers", ".html": "HTML", ".css": "CSS", ".scss": "SCSS",
	".r": "R", ".jl": "Julia", ".tf": "Terraform", ".nix": "Nix",
}

// project is what exploring a tree found. Paths are slash-separated and
// relative to the root.
type project struct {
	root      string
	dirName   string
	truncated bool // the file cap was reached

	langCount map[string]int
	topDirs   []string        // non-hidden, non-skipped top-level directories
	topFiles  map[string]bool // files at the top level
	dirFiles  map[string][]string

	readme string // first paragraph of the top-level README

	goMods   []goModule
	goPkgs   map[string]*goPackage // by dir
	npm      []npmPackage
	py       []pyProject
	pyMods   map[string]*pyModule // by dotted name
	jsFiles  map[string]*jsFile   // by path
	cargo    []cargoPackage
	make     []makeTarget
	tests    testLayout
	hasTests map[string]bool
}

type testLayout struct {
	goTests  int
	pyTests  int
	jsTests  int
	rsTests  int
	pyTestDs []string
}

// exploreProject walks root, bounded by maxFiles, and parses what it finds.
func exploreProject(root string, maxFiles int) *project {
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	p := &project{
		root: root, dirName: filepath.Base(abs),
		langCount: map[string]int{}, topFiles: map[string]bool{}, dirFiles: map[string][]string{},
		goPkgs: map[string]*goPackage{}, pyMods: map[string]*pyModule{}, jsFiles: map[string]*jsFile{},
	}
	visited := 0
	_ = filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, full)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if strings.HasPrefix(name, ".") || skipDirs[name] || strings.HasSuffix(name, ".egg-info") {
				return fs.SkipDir
			}
			if _, err := os.Stat(filepath.Join(full, "pyvenv.cfg")); err == nil {
				return fs.SkipDir // a Python virtual environment under another name
			}
			if !strings.Contains(rel, "/") {
				p.topDirs = append(p.topDirs, rel)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if visited >= maxFiles {
			p.truncated = true
			return fs.SkipAll
		}
		visited++
		dir := path.Dir(rel)
		if dir == "." {
			p.topFiles[name] = true
		}
		p.dirFiles[dir] = append(p.dirFiles[dir], name)
		if lang, ok := languages[strings.ToLower(path.Ext(name))]; ok && !strings.HasPrefix(name, ".") {
			p.langCount[lang]++
		}
		return nil
	})
	for _, n := range []string{"README.md", "README", "README.markdown", "README.rst", "README.txt"} {
		if p.topFiles[n] {
			p.readme = firstParagraph(readHead(filepath.Join(root, n), 32<<10))
			break
		}
	}
	p.exploreGo()
	p.exploreNode()
	p.explorePython()
	p.exploreRust()
	p.make = parseMakefile(root, p.topFiles)
	p.countTests()
	return p
}

// sortedDirs returns the directories that hold files, sorted.
func (p *project) sortedDirs() []string {
	dirs := make([]string, 0, len(p.dirFiles))
	for d := range p.dirFiles {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// has reports whether the file rel (slash-separated) was visited.
func (p *project) has(rel string) bool {
	dir, name := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	for _, n := range p.dirFiles[dir] {
		if n == name {
			return true
		}
	}
	return false
}

func (p *project) countTests() {
	for dir, names := range p.dirFiles {
		for _, n := range names {
			switch {
			case strings.HasSuffix(n, "_test.go"):
				p.tests.goTests++
			case strings.HasSuffix(n, ".py") && (strings.HasPrefix(n, "test_") || strings.HasSuffix(n, "_test.py")):
				p.tests.pyTests++
				top, _, _ := strings.Cut(dir, "/")
				if top == "tests" || top == "test" {
					if !contains(p.tests.pyTestDs, top) {
						p.tests.pyTestDs = append(p.tests.pyTestDs, top)
					}
				}
			case isJSTestFile(n, dir):
				p.tests.jsTests++
			case strings.HasSuffix(n, ".rs") && (strings.HasPrefix(dir, "tests") || strings.Contains(dir, "/tests")):
				p.tests.rsTests++
			}
		}
	}
	sort.Strings(p.tests.pyTestDs)
}

func isJSTestFile(name, dir string) bool {
	if !isJSName(name) {
		return false
	}
	for _, s := range []string{".test.", ".spec."} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return strings.Contains("/"+dir+"/", "/__tests__/")
}

// languageList returns languages by file count, most first.
func (p *project) languageList() []langCount {
	var ls []langCount
	for l, n := range p.langCount {
		ls = append(ls, langCount{l, n})
	}
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].n != ls[j].n {
			return ls[i].n > ls[j].n
		}
		return ls[i].lang < ls[j].lang
	})
	return ls
}

type langCount struct {
	lang string
	n    int
}

// readHead reads at most n bytes of a file; "" on any error.
func readHead(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, n))
	return string(b)
}

// readLines calls fn for each line of the first n bytes of a file.
func readLines(path string, n int64, fn func(line string) bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, n))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if !fn(sc.Text()) {
			return
		}
	}
}

// firstParagraph returns the first prose paragraph of a README: no headings,
// badges, HTML or front matter, joined into one line.
func firstParagraph(text string) string {
	var para []string
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			if len(para) > 0 {
				break
			}
			continue
		}
		if inFence {
			continue
		}
		if t == "" {
			if len(para) > 0 {
				break
			}
			continue
		}
		if strings.HasPrefix(t, "#") || strings.HasPrefix(t, "[![") || strings.HasPrefix(t, "![") ||
			strings.HasPrefix(t, "<") || strings.HasPrefix(t, "===") || strings.HasPrefix(t, "---") ||
			strings.HasPrefix(t, "|") || strings.HasPrefix(t, "..") {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, t)
	}
	return strings.Join(para, " ")
}

// firstSentence returns the first sentence of a doc comment or docstring,
// joined into one line.
func firstSentence(text string) string {
	text = strings.TrimSpace(text)
	if i := strings.Index(text, "\n\n"); i >= 0 {
		text = text[:i]
	}
	text = strings.Join(strings.Fields(text), " ")
	for i := 0; i < len(text); i++ {
		if text[i] == '.' && (i+1 == len(text) || text[i+1] == ' ') {
			// not an abbreviation like "e.g." or "i.e."
			if i >= 3 && (text[i-2] == '.' || text[i-3:i] == " vs") {
				continue
			}
			return clip(text[:i+1])
		}
	}
	return clip(text)
}

// clip shortens s to about 200 bytes at a word boundary.
func clip(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	cut := strings.LastIndexByte(s[:limit], ' ')
	if cut < limit/2 {
		cut = limit
	}
	return strings.TrimRight(s[:cut], " ,;:") + " …"
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
