package scaffold

import (
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// --- Python modules ---

type pyModule struct {
	name string // dotted
	file string // relative path
	doc  string
	pkg  bool // an __init__.py
	deps []string
	main bool // a __main__.py
}

// explorePython finds Python packages (directories with __init__.py at the
// top level or under src/) and top-level modules, reads their docstrings and
// which local modules they import.
func (p *project) explorePython() {
	p.readPyProjects()
	if p.langCount["Python"] == 0 {
		return
	}
	// Import roots: the top level and src/.
	var files []string
	for _, dir := range p.sortedDirs() {
		base := pyImportRoot(dir)
		if base == "" || p.aside(dir) != "" {
			continue
		}
		for _, n := range p.dirFiles[dir] {
			if !strings.HasSuffix(n, ".py") || strings.HasPrefix(n, "test_") || n == "conftest.py" || n == "setup.py" {
				continue
			}
			if dir == base || p.isPyPackage(dir, base) {
				files = append(files, path.Join(dir, n))
			}
		}
	}
	sort.Strings(files)
	if len(files) > maxParsedFiles {
		files = files[:maxParsedFiles]
	}
	for _, f := range files {
		base := pyImportRoot(path.Dir(f))
		mod := strings.TrimSuffix(relTo(base, f), ".py")
		m := &pyModule{file: f}
		if strings.HasSuffix(mod, "/__init__") || mod == "__init__" {
			mod, m.pkg = strings.TrimSuffix(mod, "/__init__"), true
		}
		if strings.HasSuffix(mod, "/__main__") {
			m.main = true
		}
		m.name = strings.ReplaceAll(mod, "/", ".")
		if m.name == "__init__" || m.name == "" {
			continue
		}
		p.pyMods[m.name] = m
	}
	for _, m := range p.pyMods {
		m.doc, m.deps = p.scanPython(m)
	}
}

// pyImportRoot is the directory imports are relative to for files in dir:
// "src" for the src layout, "." otherwise; "" for directories that are not
// importable code (tests, docs, scripts).
func pyImportRoot(dir string) string {
	top, _, _ := strings.Cut(dir, "/")
	switch top {
	case "src":
		return "src"
	case "tests", "test", "docs", "doc", "scripts", "examples", "benchmarks":
		return ""
	}
	return "."
}

// isPyPackage reports whether every directory from base down to dir holds an
// __init__.py, so that dir's modules are importable.
func (p *project) isPyPackage(dir, base string) bool {
	for d := dir; d != base && d != "."; d = path.Dir(d) {
		if !p.has(path.Join(d, "__init__.py")) {
			return false
		}
	}
	return true
}

var (
	pyImportRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)`)
	})
	pyFromRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?\s*([\w, ]*)`)
	})
	// pyTypeCheckingRe matches `if TYPE_CHECKING:`, `if typing.TYPE_CHECKING:`, `if t.TYPE_CHECKING:`.
	pyTypeCheckingRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*if\s+(?:[A-Za-z_]\w*\.)?TYPE_CHECKING\s*:`) })
)

// scanPython reads a module's docstring and its imports of local modules.
func (p *project) scanPython(m *pyModule) (string, []string) {
	text := readHead(filepath.Join(p.root, filepath.FromSlash(m.file)), 64<<10)
	doc := pyDocstring(text)
	pkgParts := strings.Split(m.name, ".")
	if !m.pkg {
		pkgParts = pkgParts[:len(pkgParts)-1]
	}
	deps := map[string]bool{}
	add := func(name string) {
		for name != "" {
			if dep, ok := p.pyMods[name]; ok {
				if dep != m {
					deps[dep.name] = true
				}
				return
			}
			i := strings.LastIndexByte(name, '.')
			if i < 0 {
				return
			}
			name = name[:i]
		}
	}
	typeOnly := -1 // indentation of an `if TYPE_CHECKING:` block we are in
	for _, line := range strings.Split(text, "\n") {
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			if typeOnly >= 0 && indent <= typeOnly {
				typeOnly = -1
			}
			if typeOnly < 0 && pyTypeCheckingRe().MatchString(line) {
				typeOnly = indent // imports for type checkers only: no run-time edge
				continue
			}
		}
		if typeOnly >= 0 {
			continue
		}
		if sm := pyImportRe().FindStringSubmatch(line); sm != nil {
			for _, part := range strings.Split(sm[1], ",") {
				f := strings.Fields(part)
				if len(f) > 0 {
					add(f[0])
				}
			}
			continue
		}
		sm := pyFromRe().FindStringSubmatch(line)
		if sm == nil {
			continue
		}
		base := sm[2]
		if dots := len(sm[1]); dots > 0 {
			if dots-1 > len(pkgParts) {
				continue
			}
			parent := strings.Join(pkgParts[:len(pkgParts)-(dots-1)], ".")
			base = strings.Trim(parent+"."+sm[2], ".")
		}
		// "from pkg import mod" imports a submodule when one exists.
		found := false
		for _, name := range strings.Split(sm[3], ",") {
			if f := strings.Fields(name); len(f) > 0 {
				if _, ok := p.pyMods[strings.Trim(base+"."+f[0], ".")]; ok {
					add(strings.Trim(base+"."+f[0], "."))
					found = true
				}
			}
		}
		if !found {
			add(base)
		}
	}
	return doc, slices.Sorted(maps.Keys(deps))
}

// pyDocstring returns the first sentence of a module docstring.
func pyDocstring(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimLeft(t, "rRuU")
		for _, q := range []string{`"""`, `'''`, `"`, `'`} {
			if !strings.HasPrefix(t, q) {
				continue
			}
			rest := strings.Join(append([]string{t[len(q):]}, lines[i+1:]...), "\n")
			if end := strings.Index(rest, q); end >= 0 {
				return firstSentence(rest[:end])
			}
			return ""
		}
		return ""
	}
	return ""
}

// --- JavaScript / TypeScript ---

type jsFile struct {
	file string
	doc  string
	deps []string
}

// jsTypeImportRe matches imports that TypeScript erases: `import type …`,
// `export type … from`, and `import { type A, type B } from`.
var jsTypeImportRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\s*(?:import|export)\s+type\s[^;]*?from\s*['"][^'"]*['"]|(?m)^\s*import\s*\{\s*type\s+\w+(?:\s+as\s+\w+)?(?:\s*,\s*type\s+\w+(?:\s+as\s+\w+)?)*\s*,?\s*\}\s*from\s*['"][^'"]*['"]`)
})

var jsImportRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:require\s*\(\s*|import\s*\(\s*|from\s+|import\s+)['"](\.{1,2}/[^'"]*)['"]`)
})

func isJSName(n string) bool {
	switch path.Ext(n) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts":
		return !strings.HasSuffix(n, ".d.ts") && !strings.HasSuffix(n, ".min.js")
	}
	return false
}

// exploreJS reads the leading comment and the relative imports of every
// JavaScript or TypeScript source file (tests and configs excluded).
func (p *project) exploreJS() {
	var files []string
	for _, dir := range p.sortedDirs() {
		for _, n := range p.dirFiles[dir] {
			if isJSName(n) && !isJSTestFile(n, dir) && !strings.Contains(n, ".config.") && !strings.HasPrefix(n, ".") &&
				p.aside(path.Join(dir, n)) == "" {
				files = append(files, path.Join(dir, n))
			}
		}
	}
	if len(files) > maxParsedFiles {
		files = files[:maxParsedFiles]
	}
	for _, f := range files {
		p.jsFiles[f] = &jsFile{file: f}
	}
	for _, f := range files {
		jf := p.jsFiles[f]
		text := readHead(filepath.Join(p.root, filepath.FromSlash(f)), 64<<10)
		if isGeneratedHeader(firstLines(text, 3)) {
			p.markGenerated(f)
			delete(p.jsFiles, f)
			continue
		}
		jf.doc = jsLeadingComment(text)
		deps := map[string]bool{}
		for _, sm := range jsImportRe().FindAllStringSubmatch(jsTypeImportRe().ReplaceAllString(text, ""), -1) {
			if dep := p.resolveJS(path.Dir(f), sm[1]); dep != "" && dep != f {
				deps[dep] = true
			}
		}
		jf.deps = slices.Sorted(maps.Keys(deps))
	}
}

// resolveJS resolves a relative import the way Node and bundlers do.
func (p *project) resolveJS(dir, spec string) string {
	base := path.Join(dir, spec)
	cands := []string{base}
	trimmed := strings.TrimSuffix(base, path.Ext(base)) // "./x.js" written for x.ts
	for _, ext := range []string{".js", ".ts", ".tsx", ".jsx", ".mjs", ".cjs"} {
		cands = append(cands, base+ext, trimmed+ext)
	}
	for _, ext := range []string{".js", ".ts", ".tsx", ".jsx", ".mjs"} {
		cands = append(cands, path.Join(base, "index"+ext))
	}
	for _, c := range cands {
		if _, ok := p.jsFiles[c]; ok {
			return c
		}
	}
	return ""
}

// jsLeadingComment returns the first sentence of a file's leading comment
// (after a shebang and "use strict"), skipping license headers.
func jsLeadingComment(text string) string {
	lines := strings.Split(text, "\n")
	var doc []string
	inBlock := false
	for _, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case inBlock:
			end := strings.Contains(t, "*/")
			t = strings.TrimSpace(strings.TrimPrefix(strings.Split(t, "*/")[0], "*"))
			if t != "" && !strings.HasPrefix(t, "@") {
				doc = append(doc, t)
			}
			if end {
				inBlock = false
				if !isLicense(doc) {
					return firstSentence(strings.Join(doc, "\n"))
				}
				doc = nil
			}
		case strings.HasPrefix(t, "#!"), t == "", t == `"use strict";`, t == `'use strict';`:
			if len(doc) > 0 {
				if !isLicense(doc) {
					return firstSentence(strings.Join(doc, "\n"))
				}
				doc = nil
			}
		case strings.HasPrefix(t, "/*"):
			inBlock = true
			t = strings.TrimSpace(strings.TrimLeft(t, "/*"))
			if strings.Contains(t, "*/") {
				inBlock = false
				t = strings.TrimSpace(strings.Split(t, "*/")[0])
				if t != "" && !isLicense([]string{t}) {
					return firstSentence(t)
				}
				continue
			}
			if t != "" {
				doc = append(doc, t)
			}
		case strings.HasPrefix(t, "//"):
			doc = append(doc, strings.TrimSpace(strings.TrimLeft(t, "/")))
		default:
			if len(doc) > 0 && !isLicense(doc) {
				return firstSentence(strings.Join(doc, "\n"))
			}
			return ""
		}
	}
	return ""
}

func isLicense(doc []string) bool {
	s := strings.ToLower(strings.Join(doc, " "))
	for _, boiler := range []string{"module dependencies", "module exports", "dependencies", "imports", "module variables", "private"} {
		if strings.TrimSuffix(s, ".") == boiler || strings.HasPrefix(s, boiler+". @") {
			return true // boilerplate, not a description
		}
	}
	return strings.Contains(s, "copyright") || strings.Contains(s, "license") || strings.HasPrefix(s, "eslint") ||
		strings.HasPrefix(s, "@ts-") || strings.HasPrefix(s, "prettier-ignore")
}

// firstLines returns the first n lines of text.
func firstLines(text string, n int) string {
	i := 0
	for k := 0; k < n; k++ {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			return text
		}
		i += j + 1
	}
	return text[:i]
}
