package scaffold

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// maxListed bounds every list in the drafts; the rest is counted.
const maxListed = 40

// renderArchitecture drafts ARCHITECTURE.md and says what it was built from.
func renderArchitecture(root string, explore func() *project) (string, string) {
	if text, name := readClaude(root); text != "" {
		if secs, _ := markdownSections(text, architectureWords, 2, nil); secs != "" {
			var b strings.Builder
			b.WriteString("# Architecture\n\n")
			fmt.Fprintf(&b, "> Drafted by `git codex init` from the architecture sections of %s. "+
				"Keep it current: every `git codex delegate` points the model here.\n\n", name)
			b.WriteString(secs)
			return b.String(), name
		}
	}
	return renderArchitectureFromCode(explore()), "code"
}

func renderArchitectureFromCode(p *project) string {
	var b strings.Builder
	b.WriteString("# Architecture\n\n")
	b.WriteString("> Drafted by `git codex init` from the code: manifests, package comments and imports. " +
		"Correct what it got wrong and add what code cannot say — why the parts are split this way.\n\n")

	b.WriteString("## Overview\n\n")
	name, desc := p.identity()
	switch {
	case desc != "":
		fmt.Fprintf(&b, "**%s** — %s\n\n", name, strings.TrimSuffix(desc, ".")+".")
	default:
		fmt.Fprintf(&b, "**%s**\n\n", name)
	}
	if ls := p.languageList(); len(ls) > 0 {
		var parts []string
		for i, l := range ls {
			if i == 6 {
				parts = append(parts, fmt.Sprintf("and %d more", len(ls)-6))
				break
			}
			parts = append(parts, fmt.Sprintf("%s (%s)", l.lang, plural(l.n, "file")))
		}
		fmt.Fprintf(&b, "Languages: %s.\n\n", strings.Join(parts, ", "))
	}
	if p.truncated {
		b.WriteString("The tree is large: exploration stopped after a bounded number of files, so lists below may be incomplete.\n\n")
	}

	if mods := p.moduleLines(); len(mods) > 0 {
		b.WriteString("## Modules\n\n")
		writeList(&b, mods)
	}
	if eps := p.entryPoints(); len(eps) > 0 {
		b.WriteString("## Entry points\n\n")
		writeList(&b, eps)
	}
	if lay := p.layoutLines(); len(lay) > 0 {
		b.WriteString("## Layout\n\n")
		writeList(&b, lay)
	}
	if pk := p.packageLines(); len(pk) > 0 {
		b.WriteString("## Packages and modules\n\n")
		writeList(&b, pk)
	}
	if deps := p.dependencyLines(); len(deps) > 0 {
		b.WriteString("## How the parts depend on each other\n\n")
		b.WriteString("Imports between the project's own packages (an arrow reads \"imports\"):\n\n")
		writeList(&b, deps)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// identity returns the project's name and one-line description.
func (p *project) identity() (string, string) {
	name, desc := "", ""
	for _, n := range p.npm {
		if n.dir == "." {
			name, desc = n.name, n.description
		}
	}
	for _, py := range p.py {
		if py.dir == "." && name == "" {
			name, desc = py.name, py.description
		}
	}
	for _, c := range p.cargo {
		if c.dir == "." && name == "" {
			name, desc = c.name, c.description
		}
	}
	for _, m := range p.goMods {
		if m.dir == "." && name == "" {
			name = m.path
			if pkg := p.goPkgs["."]; pkg != nil {
				desc = pkg.doc
			}
		}
	}
	if name == "" {
		name = p.dirName
	}
	if p.readme != "" {
		desc = firstSentence(p.readme)
	}
	return name, desc
}

func (p *project) moduleLines() []string {
	var out []string
	at := func(dir string) string {
		if dir == "." {
			return "at the top level"
		}
		return "in `" + dir + "/`"
	}
	for _, m := range p.goMods {
		v := ""
		if m.version != "" {
			v = ", go " + m.version
		}
		out = append(out, fmt.Sprintf("Go module `%s` (%s%s)", m.path, at(m.dir), v))
	}
	for _, n := range p.npm {
		out = append(out, withDesc(fmt.Sprintf("npm package `%s` (%s)", orDir(n.name, n.dir), at(n.dir)), n.description))
	}
	for _, py := range p.py {
		out = append(out, withDesc(fmt.Sprintf("Python project `%s` (%s)", orDir(py.name, py.dir), at(py.dir)), py.description))
	}
	for _, c := range p.cargo {
		l := withDesc(fmt.Sprintf("Rust crate `%s` (%s)", orDir(c.name, c.dir), at(c.dir)), c.description)
		if c.name == "" && len(c.workspace) > 0 {
			l = fmt.Sprintf("Cargo workspace (%s) with members %s", at(c.dir), codeList(c.workspace))
		}
		out = append(out, l)
	}
	return out
}

func (p *project) entryPoints() []string {
	var out []string
	for _, pkg := range p.goPackageList() {
		if pkg.name != "main" {
			continue
		}
		cmd := path.Base(pkg.dir)
		if pkg.dir == "." {
			cmd = path.Base(pkg.importPath)
		}
		out = append(out, withDesc(fmt.Sprintf("`%s` — Go command `%s`", dirLabel(pkg.dir), cmd), pkg.doc))
	}
	for _, n := range p.npm {
		for _, b := range n.bins {
			out = append(out, fmt.Sprintf("`%s` — command `%s` (package.json `bin`)", path.Join(n.dir, b.v), b.k))
		}
		if n.main != "" {
			out = append(out, fmt.Sprintf("`%s` — the package's main module (package.json `main`)", path.Join(n.dir, n.main)))
		}
		if n.module != "" && n.module != n.main {
			out = append(out, fmt.Sprintf("`%s` — the ES module entry (package.json `module`)", path.Join(n.dir, n.module)))
		}
		for _, s := range n.scripts {
			if s.k == "start" || s.k == "dev" || s.k == "serve" {
				out = append(out, fmt.Sprintf("`%s` runs `%s`", p.npmRun(n, s.k), s.v))
			}
		}
	}
	for _, py := range p.py {
		for _, s := range py.scripts {
			out = append(out, fmt.Sprintf("command `%s` → `%s` (pyproject.toml scripts)", s.k, s.v))
		}
	}
	for _, m := range p.pyModuleList() {
		if m.main {
			out = append(out, fmt.Sprintf("`python -m %s` (%s)", strings.TrimSuffix(m.name, ".__main__"), m.file))
		}
	}
	for _, c := range p.cargo {
		for _, b := range c.bins {
			out = append(out, fmt.Sprintf("binary `%s` (`%s`)", b.k, path.Join(c.dir, b.v)))
		}
		if p.has(path.Join(c.dir, "src/main.rs")) {
			out = append(out, fmt.Sprintf("`%s` — binary `%s`", path.Join(c.dir, "src/main.rs"), orDir(c.name, c.dir)))
		}
		for _, f := range p.dirFiles[path.Join(c.dir, "src/bin")] {
			if strings.HasSuffix(f, ".rs") {
				out = append(out, fmt.Sprintf("`%s` — binary `%s`", path.Join(c.dir, "src/bin", f), strings.TrimSuffix(f, ".rs")))
			}
		}
	}
	return out
}

// layoutLines describes each top-level directory.
func (p *project) layoutLines() []string {
	dirs := append([]string(nil), p.topDirs...)
	sort.Strings(dirs)
	var out []string
	for _, d := range dirs {
		if !p.hasFilesUnder(d) {
			continue
		}
		out = append(out, fmt.Sprintf("`%s/` — %s", d, p.describeDir(d)))
	}
	return out
}

func (p *project) describeDir(d string) string {
	if pkg := p.goPkgs[d]; pkg != nil {
		if pkg.doc != "" {
			return pkg.doc
		}
		return fmt.Sprintf("Go package `%s`", pkg.name)
	}
	if m := p.pyMods[strings.ReplaceAll(d, "/", ".")]; m != nil && m.doc != "" {
		return m.doc
	}
	for _, n := range p.npm {
		if n.dir == d {
			return withDesc(fmt.Sprintf("npm package `%s`", orDir(n.name, d)), n.description)
		}
	}
	for _, c := range p.cargo {
		if c.dir == d {
			return withDesc(fmt.Sprintf("Rust crate `%s`", orDir(c.name, d)), c.description)
		}
	}
	for _, py := range p.py {
		if py.dir == d {
			return withDesc(fmt.Sprintf("Python project `%s`", orDir(py.name, d)), py.description)
		}
	}
	if d == "src" {
		var pkgs []string
		for _, m := range p.pyModuleList() {
			if m.pkg && !strings.Contains(m.name, ".") && strings.HasPrefix(m.file, "src/") {
				pkgs = append(pkgs, m.name)
			}
		}
		if len(pkgs) > 0 {
			return "source root of the Python packages " + codeList(pkgs)
		}
	}
	for _, n := range []string{"README.md", "README"} {
		if contains(p.dirFiles[d], n) {
			if s := firstParagraph(readHead(filepath.Join(p.root, d, n), 16<<10)); s != "" {
				return firstSentence(s)
			}
		}
	}
	var sub []string
	for _, pkg := range p.goPackageList() {
		if strings.HasPrefix(pkg.dir, d+"/") {
			sub = append(sub, strings.TrimPrefix(pkg.dir, d+"/"))
		}
	}
	if len(sub) > 0 {
		if d == "cmd" {
			return "the commands: " + codeList(sub)
		}
		return "Go packages " + codeList(sub)
	}
	if s, ok := conventionalDirs[d]; ok {
		return s
	}
	counts := map[string]int{}
	total := 0
	for dir, names := range p.dirFiles {
		if dir == d || strings.HasPrefix(dir, d+"/") {
			for _, n := range names {
				total++
				if l, ok := languages[strings.ToLower(path.Ext(n))]; ok {
					counts[l]++
				}
			}
		}
	}
	var ls []string
	for l := range counts {
		ls = append(ls, l)
	}
	sort.Strings(ls)
	if len(ls) > 0 {
		return fmt.Sprintf("%s (%s)", plural(total, "file"), strings.Join(ls, ", "))
	}
	return plural(total, "file")
}

// packageLines lists packages and modules below the top level with what
// their doc comments say.
func (p *project) packageLines() []string {
	var out []string
	for _, pkg := range p.goPackageList() {
		if (!strings.Contains(pkg.dir, "/") && pkg.dir != ".") || pkg.name == "main" {
			continue // described in Layout or Entry points
		}
		desc := pkg.doc
		if desc == "" {
			desc = "(no package comment)"
		}
		out = append(out, fmt.Sprintf("`%s` (package %s) — %s", dirLabel(pkg.dir), pkg.name, desc))
	}
	for _, m := range p.pyModuleList() {
		if !strings.Contains(m.name, ".") && m.pkg && p.goPkgs[m.name] == nil && !strings.HasPrefix(m.file, "src/") {
			continue // a top-level package directory is described in Layout
		}
		if m.doc == "" && !m.pkg {
			out = append(out, fmt.Sprintf("`%s` (%s)", m.name, m.file))
			continue
		}
		out = append(out, withDesc(fmt.Sprintf("`%s` (%s)", m.name, m.file), m.doc))
	}
	for _, f := range p.jsFileList() {
		out = append(out, withDesc(fmt.Sprintf("`%s`", f.file), f.doc))
	}
	return out
}

func (p *project) dependencyLines() []string {
	var out []string
	for _, pkg := range p.goPackageList() {
		if len(pkg.deps) > 0 {
			var ds []string
			for _, d := range pkg.deps {
				ds = append(ds, dirLabel(d))
			}
			out = append(out, fmt.Sprintf("`%s` → %s", dirLabel(pkg.dir), codeList(ds)))
		}
	}
	for _, m := range p.pyModuleList() {
		if len(m.deps) > 0 {
			out = append(out, fmt.Sprintf("`%s` → %s", m.name, codeList(m.deps)))
		}
	}
	for _, f := range p.jsFileList() {
		if len(f.deps) > 0 {
			out = append(out, fmt.Sprintf("`%s` → %s", f.file, codeList(f.deps)))
		}
	}
	return out
}

// hasFilesUnder reports whether any file was visited under top-level dir d.
func (p *project) hasFilesUnder(d string) bool {
	for dir := range p.dirFiles {
		if dir == d || strings.HasPrefix(dir, d+"/") {
			return true
		}
	}
	return false
}

func (p *project) pyModuleList() []*pyModule {
	var out []*pyModule
	for _, m := range p.pyMods {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (p *project) jsFileList() []*jsFile {
	var out []*jsFile
	for _, f := range p.jsFiles {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}

// --- small formatting helpers ---

func writeList(b *strings.Builder, items []string) {
	for i, it := range items {
		if i == maxListed {
			fmt.Fprintf(b, "- … and %d more\n", len(items)-maxListed)
			break
		}
		b.WriteString("- " + it + "\n")
	}
	b.WriteString("\n")
}

func withDesc(s, desc string) string {
	if desc == "" {
		return s
	}
	return s + " — " + desc
}

func codeList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = "`" + s + "`"
	}
	return strings.Join(q, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orDir(name, dir string) string {
	if name != "" {
		return name
	}
	return dir
}

func dirLabel(dir string) string {
	if dir == "." {
		return "./"
	}
	return dir
}

func (p *project) npmRun(n npmPackage, script string) string {
	pm := p.packageManager(n.dir).name
	if script == "test" || script == "start" {
		return cdPrefix(n.dir) + pm + " " + script
	}
	return cdPrefix(n.dir) + pm + " run " + script
}
