package scaffold

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// maxParsedFiles bounds the source files parsed per language.
const maxParsedFiles = 3000

type goModule struct {
	dir       string // "." for the root
	path      string // module path
	version   string // the go directive
	toolchain string // the toolchain directive
}

type goPackage struct {
	dir        string // relative, slash-separated
	name       string // package clause
	importPath string
	doc        string   // first sentence of the package comment
	deps       []string // dirs of packages in this tree it imports, sorted
	files      []string // non-test source files, relative paths
	api        []goDecl // exported types and functions (small projects only)
}

// goDecl is an exported top-level type or function.
type goDecl struct {
	name string // "Type" or "Func()"
	doc  string
}

// maxAPIPackages: projects with at most this many library packages get
// their exported types and functions listed (a single-package library
// would otherwise get a nearly empty draft).
const maxAPIPackages = 3

// exploreGo reads go.mod files at the root and one level down, then parses
// the imports and package comments of every Go package under them.
func (p *project) exploreGo() {
	for _, dir := range p.mainDirs("go.mod") {
		m := goModule{dir: dir}
		readLines(filepath.Join(p.root, filepath.FromSlash(dir), "go.mod"), 64<<10, func(line string) bool {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "module" {
				m.path = strings.Trim(f[1], `"`)
			}
			if len(f) >= 2 && f[0] == "go" {
				m.version = f[1]
			}
			if len(f) >= 2 && f[0] == "toolchain" {
				m.toolchain = f[1]
			}
			return true
		})
		if m.path != "" {
			p.goMods = append(p.goMods, m)
		}
	}
	if p.topFiles["go.work"] {
		inUse := false
		readLines(filepath.Join(p.root, "go.work"), 64<<10, func(line string) bool {
			f := strings.Fields(strings.Split(line, "//")[0])
			switch {
			case len(f) == 0:
			case f[0] == "use" && len(f) >= 2 && f[1] == "(":
				inUse = true
			case f[0] == "use" && len(f) >= 2:
				p.goWork = append(p.goWork, cleanRel(f[1]))
			case inUse && f[0] == ")":
				inUse = false
			case inUse:
				p.goWork = append(p.goWork, cleanRel(f[0]))
			}
			return true
		})
	}
	if len(p.goMods) == 0 {
		return
	}
	parsed := 0
	byImport := map[string]*goPackage{}
	imports := map[string]map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range p.sortedDirs() {
		mod, ok := p.moduleOf(dir)
		if !ok || p.aside(dir) != "" {
			continue
		}
		var names []string
		for _, n := range p.dirFiles[dir] {
			if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		sort.Slice(names, func(i, j int) bool { // doc.go first: it holds the package comment
			if (names[i] == "doc.go") != (names[j] == "doc.go") {
				return names[i] == "doc.go"
			}
			return names[i] < names[j]
		})
		pkg := &goPackage{dir: dir, importPath: mod.path}
		if rel := relTo(mod.dir, dir); rel != "." {
			pkg.importPath = mod.path + "/" + rel
		}
		imps := map[string]bool{}
		for _, n := range names {
			if parsed >= maxParsedFiles {
				break
			}
			parsed++
			f, err := parser.ParseFile(fset, filepath.Join(p.root, filepath.FromSlash(dir), n), nil,
				parser.ImportsOnly|parser.ParseComments)
			if err != nil || f.Name == nil {
				continue
			}
			if generatedGo(f) {
				p.markGenerated(path.Join(dir, n))
				continue
			}
			if pkg.name == "" || (pkg.name != f.Name.Name && strings.HasSuffix(pkg.name, "_test")) {
				pkg.name = f.Name.Name
			}
			if pkg.doc == "" && f.Doc != nil {
				pkg.doc = firstSentence(f.Doc.Text())
			}
			for _, im := range f.Imports {
				if v, err := strconv.Unquote(im.Path.Value); err == nil {
					imps[v] = true
				}
			}
		}
		if pkg.name == "" {
			continue
		}
		for _, n := range names {
			pkg.files = append(pkg.files, path.Join(dir, n))
		}
		p.goPkgs[dir] = pkg
		byImport[pkg.importPath] = pkg
		imports[dir] = imps
	}
	for dir, imps := range imports {
		pkg := p.goPkgs[dir]
		for im := range imps {
			if dep, ok := byImport[im]; ok && dep != pkg {
				pkg.deps = append(pkg.deps, dep.dir)
			}
		}
		sort.Strings(pkg.deps)
	}
	var libs []*goPackage
	for _, pkg := range p.goPkgs {
		if pkg.name != "main" {
			libs = append(libs, pkg)
		}
	}
	if len(libs) <= maxAPIPackages {
		for _, pkg := range libs {
			pkg.api = p.goAPI(pkg)
		}
	}
}

// goAPI lists a package's exported types and functions (not methods), types
// first, each with the first sentence of its doc comment.
func (p *project) goAPI(pkg *goPackage) []goDecl {
	var types, funcs []goDecl
	fset := token.NewFileSet()
	for _, f := range pkg.files {
		if contains(p.generated, f) {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(p.root, filepath.FromSlash(f)), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					funcs = append(funcs, goDecl{d.Name.Name + "()", firstSentence(d.Doc.Text())})
				}
			case *ast.GenDecl:
				if d.Tok != token.TYPE {
					continue
				}
				for _, sp := range d.Specs {
					ts := sp.(*ast.TypeSpec)
					if !ts.Name.IsExported() {
						continue
					}
					doc := ts.Doc.Text()
					if doc == "" && len(d.Specs) == 1 {
						doc = d.Doc.Text()
					}
					types = append(types, goDecl{ts.Name.Name, firstSentence(doc)})
				}
			}
		}
	}
	sort.Slice(types, func(i, j int) bool { return types[i].name < types[j].name })
	sort.Slice(funcs, func(i, j int) bool { return funcs[i].name < funcs[j].name })
	return append(types, funcs...)
}

// moduleOf returns the innermost Go module containing dir.
func (p *project) moduleOf(dir string) (goModule, bool) {
	best, score := goModule{}, -1
	for _, m := range p.goMods {
		s := -1
		switch {
		case m.dir == ".":
			s = 0
		case dir == m.dir || strings.HasPrefix(dir, m.dir+"/"):
			s = len(m.dir)
		}
		if s > score {
			best, score = m, s
		}
	}
	return best, score >= 0
}

// goPackageList returns the Go packages sorted by directory.
func (p *project) goPackageList() []*goPackage {
	var out []*goPackage
	for _, pkg := range p.goPkgs {
		out = append(out, pkg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

// relTo returns target relative to base, both slash-separated and relative
// to the same root.
func relTo(base, target string) string {
	if base == "." {
		return target
	}
	if target == base {
		return "."
	}
	return strings.TrimPrefix(target, base+"/")
}

// generatedGo reports a file with a "Code generated … DO NOT EDIT." comment
// before its package clause (https://go.dev/s/generatedcode).
func generatedGo(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			return false
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "// Code generated ") && strings.HasSuffix(c.Text, " DO NOT EDIT.") {
				return true
			}
		}
	}
	return false
}
