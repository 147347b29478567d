package scaffold

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// skipDirs are directory names never descended into: dependencies, build
// output and caches. Vendored directories are noted (see asideDirs) but not
// read either.
var skipDirs = map[string]bool{
	"node_modules": true, "bower_components": true, "jspm_packages": true,
	"build": true, "dist": true, "out": true, "target": true, "obj": true,
	"coverage": true, "htmlcov": true, "site-packages": true, "venv": true,
	"__pycache__": true, "vendor": true, "third_party": true, "third-party": true,
	"thirdparty": true, "_build": true, "__snapshots__": true,
}

// asideKind names a group of directories that are not the project's main
// code: they are listed apart and kept out of the module lists, the entry
// points and the import graph.
type asideKind string

const (
	asideExamples  asideKind = "Examples"
	asideDocs      asideKind = "Documentation"
	asideTests     asideKind = "Tests"
	asideFixtures  asideKind = "Test fixtures"
	asideBench     asideKind = "Benchmarks"
	asideFuzz      asideKind = "Fuzzing"
	asideVendored  asideKind = "Vendored code"
	asideTooling   asideKind = "Tooling and scripts"
	asideGenerated asideKind = "Generated code"
	asideAssets    asideKind = "Static assets"
)

// asideOrder is the order the groups are listed in.
var asideOrder = []asideKind{asideExamples, asideDocs, asideTests, asideFixtures, asideBench, asideFuzz,
	asideTooling, asideAssets, asideVendored, asideGenerated}

// asideDirs maps a directory name, at any depth, to its group.
var asideDirs = map[string]asideKind{
	"examples": asideExamples, "example": asideExamples, "samples": asideExamples, "sample": asideExamples,
	"demo": asideExamples, "demos": asideExamples, "tutorial": asideExamples, "tutorials": asideExamples,
	"docs": asideDocs, "doc": asideDocs, "documentation": asideDocs, "site": asideDocs, "website": asideDocs,
	"book": asideDocs, "docs_src": asideDocs,
	"tests": asideTests, "test": asideTests, "__tests__": asideTests, "spec": asideTests, "e2e": asideTests,
	"integration_tests": asideTests,
	"testdata":          asideFixtures, "fixtures": asideFixtures, "__fixtures__": asideFixtures, "test-fixtures": asideFixtures,
	"test_data": asideFixtures,
	"bench":     asideBench, "benches": asideBench, "benchmarks": asideBench, "benchmark": asideBench, "benchsuite": asideBench,
	"fuzz": asideFuzz, "fuzzing": asideFuzz,
	"vendor": asideVendored, "third_party": asideVendored, "third-party": asideVendored, "thirdparty": asideVendored,
	"external": asideVendored, "extern": asideVendored,
	"scripts": asideTooling, "script": asideTooling, "tools": asideTooling, "hack": asideTooling, "ci": asideTooling,
	"assets": asideAssets, "static": asideAssets, "public": asideAssets,
	"generated": asideGenerated, "_generated": asideGenerated, "gen": asideGenerated,
}

// conventionalDirs describe common top-level directories that say nothing
// about themselves.
var conventionalDirs = map[string]string{
	"config": "configuration", "configs": "configuration", "deploy": "deployment files",
	"migrations": "database migrations",
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

// manifestNames are the files that make a directory a module, package or
// crate, recorded at any depth.
var manifestNames = map[string]bool{
	"go.mod": true, "go.work": true, "Cargo.toml": true, "package.json": true, "pyproject.toml": true,
	"setup.py": true, "setup.cfg": true,
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
	manifests map[string][]string // manifest name → dirs holding one, sorted
	vendored  []string            // vendored directories noted but not read
	generated []string            // generated source files (by name or header)

	readme string // first paragraph of the top-level README

	goMods     []goModule
	goWork     []string              // dirs named by go.work's use directives
	goPkgs     map[string]*goPackage // by dir
	npm        []npmPackage
	py         []pyProject
	pyMods     map[string]*pyModule // by dotted name
	jsFiles    map[string]*jsFile   // by path
	cargo      []cargoPackage
	cargoWS    *cargoWorkspace
	make       []makeTarget
	just       []runnerTask
	tox        toxConfig
	nox        []string
	cargoAlias []kv
	ci         []ciCommand
	docCmds    []ciCommand // commands from CONTRIBUTING and similar docs
	policies   []Policy
	tests      testLayout
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
		manifests: map[string][]string{},
		goPkgs:    map[string]*goPackage{}, pyMods: map[string]*pyModule{}, jsFiles: map[string]*jsFile{},
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
			if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".egg-info") {
				return fs.SkipDir
			}
			if skipDirs[name] {
				if asideDirs[name] == asideVendored {
					p.vendored = append(p.vendored, rel)
				}
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
		if manifestNames[name] {
			p.manifests[name] = append(p.manifests[name], dir)
		}
		if lang, ok := languages[strings.ToLower(path.Ext(name))]; ok && !strings.HasPrefix(name, ".") {
			p.langCount[lang]++
			if generatedName(name) {
				p.generated = append(p.generated, rel)
			}
		}
		return nil
	})
	for _, dirs := range p.manifests {
		sort.Strings(dirs)
	}
	for _, n := range []string{"README.md", "README", "README.markdown", "README.rst", "README.txt", "Readme.md", "readme.md"} {
		if p.topFiles[n] {
			p.readme = firstParagraph(readHead(filepath.Join(root, n), 32<<10))
			break
		}
	}
	p.exploreGo()
	p.exploreNode()
	p.explorePython()
	p.exploreRust()
	p.exploreRunners()
	p.exploreCI()
	p.exploreDocs()
	p.policies = findPolicies(root, p)
	p.countTests()
	sort.Strings(p.generated)
	return p
}

// aside reports the group of not-main code a path (file or directory) falls
// in, judged by its directory names; "" for main code.
func (p *project) aside(rel string) asideKind {
	for _, v := range p.vendored {
		if rel == v || strings.HasPrefix(rel, v+"/") {
			return asideVendored
		}
	}
	for _, g := range p.generated {
		if rel == g {
			return asideGenerated
		}
	}
	return asidePath(rel)
}

// topOnlyAside are aside names that are ordinary package names below the
// top level (cmd/demo, internal/gen, crates/core/flags/doc).
var topOnlyAside = map[string]bool{
	"demo": true, "demos": true, "sample": true, "samples": true, "tutorial": true, "tutorials": true,
	"doc": true, "site": true, "website": true, "book": true, "spec": true, "e2e": true, "gen": true,
	"scripts": true, "script": true, "tools": true, "hack": true, "ci": true, "assets": true, "static": true,
	"public": true, "external": true, "extern": true, "bench": true, "benchmark": true,
}

// asidePath is aside judged by the directory names of rel alone.
func asidePath(rel string) asideKind {
	if rel == "." || rel == "" {
		return ""
	}
	for i, part := range strings.Split(rel, "/") {
		part = strings.ToLower(part)
		if k, ok := asideDirs[part]; ok && (i == 0 || !topOnlyAside[part]) {
			return k
		}
	}
	return ""
}

// generatedName reports file names that generators use.
func generatedName(name string) bool {
	for _, s := range []string{".pb.go", ".pb.gw.go", "_pb2.py", "_pb2_grpc.py", ".gen.go", "_gen.go",
		".generated.ts", ".generated.js", "_generated.go", "_generated.rs", ".g.dart"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return strings.HasPrefix(name, "zz_generated")
}

// markGenerated records a file whose header says it is generated.
func (p *project) markGenerated(rel string) {
	if !contains(p.generated, rel) {
		p.generated = append(p.generated, rel)
	}
}

// isGeneratedHeader reports a "Code generated … DO NOT EDIT" style header.
func isGeneratedHeader(head string) bool {
	h := strings.ToLower(head)
	return strings.Contains(h, "do not edit") && (strings.Contains(h, "generated") || strings.Contains(h, "autogenerated"))
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

// firstParagraph returns the first prose paragraph of a README: no
// headings, badges, HTML, tables or front matter, joined into one line.
func firstParagraph(text string) string {
	var keep []string
	inFence := false
	for _, line := range strings.Split(stripFrontMatter(strings.ReplaceAll(text, "\r\n", "\n")), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			keep = append(keep, "")
			continue
		}
		if inFence || strings.HasPrefix(t, "[![") || strings.HasPrefix(t, "![") || strings.HasPrefix(t, "<") ||
			strings.HasPrefix(t, "|") || (strings.HasPrefix(t, "[") && strings.Contains(t, "]: ")) {
			keep = append(keep, "")
			continue
		}
		keep = append(keep, line)
	}
	return plainDoc(strings.Join(keep, "\n"))
}

// firstSentence returns the first sentence of a doc comment or docstring,
// joined into one line, with its markup stripped (see plainDoc).
func firstSentence(text string) string {
	text = plainDoc(text)
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

var (
	roleRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(":[a-z][a-z:_-]*:`([^`]+)`") })
	rstLinkRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("`([^`<]+?)\\s*<[^>]+>`__?") })
	mdLinkRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])?`) })
	fieldRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^:[A-Za-z][\w ]*:`) })
)

// isUnderline reports an rST title underline or overline, or a Markdown
// rule: one punctuation character repeated at least three times.
func isUnderline(t string) bool {
	if len(t) < 3 || !strings.ContainsRune("=-~^\"'`#*+.:_", rune(t[0])) {
		return false
	}
	return strings.Count(t, t[:1]) == len(t)
}

// plainDoc returns the first prose paragraph of a doc comment, docstring or
// README section as one line of plain text: reStructuredText and Markdown
// titles (with their underlines), directives, field lists and inline markup
// are removed. A title alone is used only when no paragraph follows it.
func plainDoc(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var paras [][]string
	var cur []string
	titles := map[int]bool{} // paragraph index → it is a title
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, cur)
			cur = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		switch {
		case t == "":
			flush()
		case isUnderline(t):
			// An underline makes the paragraph above it a title; an
			// overline or a rule stands alone.
			if len(cur) > 0 {
				flush()
				titles[len(paras)-1] = true
			}
		case strings.HasPrefix(t, "#") && strings.TrimLeft(t, "#") != t && (strings.TrimLeft(t, "#") == "" || strings.TrimLeft(t, "#")[0] == ' '):
			flush()
			cur = append(cur, strings.TrimSpace(strings.Trim(t, "#")))
			flush()
			titles[len(paras)-1] = true
		case strings.HasPrefix(t, ".. "), fieldRe().MatchString(t), strings.HasPrefix(t, ">>>"):
			flush()
			// skip the directive's or field's indented body
			for i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") && strings.TrimSpace(lines[i+1]) != "" {
				i++
			}
		default:
			cur = append(cur, t)
		}
	}
	flush()
	pick := -1
	for i := range paras {
		if !titles[i] {
			pick = i
			break
		}
	}
	if pick < 0 {
		if len(paras) == 0 {
			return ""
		}
		pick = 0
	}
	s := strings.Join(strings.Fields(strings.Join(paras[pick], " ")), " ")
	s = roleRe().ReplaceAllString(s, "$1")
	s = rstLinkRe().ReplaceAllString(s, "$1")
	s = mdLinkRe().ReplaceAllString(s, "$1")
	s = strings.ReplaceAll(s, "``", "`")
	s = strings.ReplaceAll(s, "**", "")
	return strings.TrimSpace(s)
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
