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

	if head, mods := p.moduleLines(); len(mods) > 0 {
		b.WriteString("## Modules\n\n")
		if head != "" {
			b.WriteString(head + "\n\n")
		}
		writeList(&b, mods)
	}
	if eps := p.entryPoints(); len(eps) > 0 {
		b.WriteString("## Entry points\n\n")
		writeList(&b, eps)
	}
	if flow := p.flowLines(); len(flow) > 0 {
		b.WriteString("## How a command flows\n\n")
		b.WriteString("Derived from the imports, from the entry point down: each step lists what the steps above it use that was not named yet.\n\n")
		for i, l := range flow {
			fmt.Fprintf(&b, "%d. %s\n", i+1, l)
		}
		b.WriteString("\n")
	}
	if lay := p.layoutLines(); len(lay) > 0 {
		b.WriteString("## Layout\n\n")
		writeList(&b, lay)
	}
	if pk := p.packageLines(); len(pk) > 0 {
		b.WriteString("## Packages and modules\n\n")
		writeList(&b, pk)
	}
	if api := p.apiLines(); len(api) > 0 {
		b.WriteString("## Main types and functions\n\n")
		b.WriteString("The exported API, from the doc comments (methods left out):\n\n")
		writeList(&b, api)
	}
	if deps, cycles := p.dependencyLines(); len(deps) > 0 {
		b.WriteString("## How the parts depend on each other\n\n")
		b.WriteString("Imports between the project's own packages at run time (an arrow reads \"imports\"; imports made only for type checkers are left out):\n\n")
		writeList(&b, deps)
		if len(cycles) > 0 {
			b.WriteString("Import cycles: " + strings.Join(cycles, "; ") + ".\n\n")
		}
	}
	if aside := p.asideLines(); len(aside) > 0 {
		b.WriteString("## Not the main code\n\n")
		b.WriteString("Kept out of the lists above; read them when a task is about them.\n\n")
		writeList(&b, aside)
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
	return name, strings.Join(strings.Fields(desc), " ")
}

// moduleLines lists the project's modules: Go modules, workspace members,
// packages and crates, each with its own description; aside ones are left
// to asideLines.
func (p *project) moduleLines() (string, []string) {
	var out []string
	var heads []string
	at := func(dir string) string {
		if dir == "." {
			return "at the top level"
		}
		return "`" + dir + "/`"
	}
	if len(p.goMods) > 1 || len(p.goWork) > 0 {
		h := fmt.Sprintf("%d Go modules", len(p.goMods))
		if len(p.goWork) > 0 {
			h += fmt.Sprintf(" (go.work uses %s)", codeList(p.goWork))
		}
		h += "; `./...` stops at a module's boundary, so each is built and tested from its own directory"
		heads = append(heads, h+".")
	}
	for _, m := range p.goMods {
		v := ""
		if m.version != "" {
			v = ", go " + m.version
		}
		doc := ""
		if pkg := p.goPkgs[m.dir]; pkg != nil {
			doc = pkg.doc
		}
		out = append(out, withDesc(fmt.Sprintf("Go module `%s` (%s%s)", m.path, at(m.dir), v), doc))
	}
	if root := p.rootNPM(); len(root.workspaces) > 0 {
		n := 0
		for _, pkg := range p.npm {
			if pkg.member {
				n++
			}
		}
		heads = append(heads, fmt.Sprintf("%s workspace with %s (%s).", p.packageManager(".").name, plural(n, "member"), codeList(root.workspaces)))
	}
	for _, n := range p.npm {
		l := fmt.Sprintf("npm package `%s` (%s)", orDir(n.name, n.dir), at(n.dir))
		if n.private && n.dir == "." && len(n.workspaces) > 0 {
			l = fmt.Sprintf("workspace root `%s` (private, not published)", orDir(n.name, n.dir))
		}
		if n.dir != "." && !n.member && len(p.rootNPM().workspaces) > 0 {
			l += " (not a workspace member)"
		}
		out = append(out, withDesc(l, n.description))
	}
	for _, py := range p.py {
		out = append(out, withDesc(fmt.Sprintf("Python project `%s` (%s)", orDir(py.name, py.dir), at(py.dir)), py.description))
	}
	if ws := p.cargoWS; ws != nil {
		h := fmt.Sprintf("Cargo workspace (Cargo.toml) with %s", plural(len(ws.members), "member"))
		if len(p.cargo) > 0 && p.cargo[0].dir == "." {
			h += " besides the root package"
		}
		heads = append(heads, h+"; `cargo test` without `--workspace` tests the root package only.")
	}
	for _, c := range p.cargo {
		kind := "Rust crate"
		switch {
		case c.hasLib && len(c.bins) > 0:
			kind = "Rust crate (library and binary)"
		case len(c.bins) > 0:
			kind = "Rust crate (binary)"
		}
		l := fmt.Sprintf("%s `%s` (%s)", kind, orDir(c.name, c.dir), at(c.dir))
		if p.cargoWS != nil && c.dir != "." && !c.member {
			l += " (not a workspace member)"
		}
		out = append(out, withDesc(l, c.description))
	}
	if ws := p.cargoWS; ws != nil {
		for _, m := range ws.members {
			found := false
			for _, c := range p.cargo {
				found = found || c.dir == m
			}
			if !found {
				out = append(out, fmt.Sprintf("Rust crate in `%s/` (its Cargo.toml could not be read)", m))
			}
		}
	}
	return strings.Join(heads, " "), out
}

func (p *project) entryPoints() []string {
	var out []string
	for _, pkg := range p.goPackageList() {
		if pkg.name != "main" {
			continue
		}
		out = append(out, withDesc(fmt.Sprintf("`%s` — Go command `%s`", dirLabel(pkg.dir), p.goCommandName(pkg)), pkg.doc))
	}
	for _, n := range p.npm {
		for _, b := range n.bins {
			out = append(out, fmt.Sprintf("`%s` — command `%s` (package.json `bin` of `%s`)", path.Join(n.dir, b.v), b.k, orDir(n.name, n.dir)))
		}
		if n.main != "" {
			field := "package.json `" + n.mainField + "`"
			if n.mainField == "default" {
				field = "no `main` field: Node loads index.js"
			}
			out = append(out, withDesc(fmt.Sprintf("`%s` — the main module of `%s` (%s)", path.Join(n.dir, n.main), orDir(n.name, n.dir), field),
				p.jsDoc(path.Join(n.dir, n.main))))
		}
		if n.module != "" && n.module != n.main {
			out = append(out, fmt.Sprintf("`%s` — the ES module entry of `%s` (package.json `module`)", path.Join(n.dir, n.module), orDir(n.name, n.dir)))
		}
		for _, s := range n.scripts {
			if s.k == "start" || s.k == "dev" || s.k == "serve" {
				out = append(out, fmt.Sprintf("`%s` runs `%s`", p.npmRun(n, s.k), s.v))
			}
		}
	}
	for _, py := range p.py {
		for _, s := range py.scripts {
			out = append(out, fmt.Sprintf("command `%s` → `%s` (console script in %s)", s.k, s.v, path.Join(py.dir, "pyproject.toml")))
		}
	}
	for _, m := range p.pyModuleList() {
		if m.main {
			out = append(out, fmt.Sprintf("`python -m %s` (%s)", strings.TrimSuffix(m.name, ".__main__"), m.file))
		}
	}
	for _, c := range p.cargo {
		for _, b := range c.bins {
			out = append(out, fmt.Sprintf("`%s` — binary `%s` of crate `%s`", b.v, b.k, orDir(c.name, c.dir)))
		}
	}
	return out
}

// goCommandName is the name `go install` gives a main package.
func (p *project) goCommandName(pkg *goPackage) string {
	if pkg.dir == "." {
		return path.Base(pkg.importPath)
	}
	return path.Base(pkg.dir)
}

// layoutLines describes each top-level directory that holds main code.
func (p *project) layoutLines() []string {
	dirs := append([]string(nil), p.topDirs...)
	sort.Strings(dirs)
	var out []string
	for _, d := range dirs {
		if !p.hasFilesUnder(d) || p.aside(d) != "" {
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
	var members []string
	for _, n := range p.npm {
		if strings.HasPrefix(n.dir, d+"/") {
			members = append(members, orDir(n.name, n.dir))
		}
	}
	for _, c := range p.cargo {
		if strings.HasPrefix(c.dir, d+"/") {
			members = append(members, orDir(c.name, c.dir))
		}
	}
	for _, m := range p.goMods {
		if strings.HasPrefix(m.dir, d+"/") {
			members = append(members, m.path)
		}
	}
	if len(members) > 0 {
		return "the packages " + codeList(capList(members, 12))
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
	for _, n := range []string{"README.md", "README", "README.rst"} {
		if contains(p.dirFiles[d], n) {
			if s := firstSentence(readHead(filepath.Join(p.root, d, n), 16<<10)); s != "" {
				return s
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
			return "the commands: " + codeList(capList(sub, 12))
		}
		return "Go packages " + codeList(capList(sub, 12))
	}
	if s, ok := conventionalDirs[d]; ok {
		return s
	}
	return p.fileSummary(d)
}

// fileSummary counts the files under d by language.
func (p *project) fileSummary(d string) string {
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
// their doc comments say. When the JavaScript or Python files are too many
// to list, they are listed by directory.
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
	var py []string
	for _, m := range p.pyModuleList() {
		if !strings.Contains(m.name, ".") && m.pkg && p.goPkgs[m.name] == nil && !strings.HasPrefix(m.file, "src/") {
			continue // a top-level package directory is described in Layout
		}
		if m.doc == "" && !m.pkg {
			py = append(py, fmt.Sprintf("`%s` (%s)", m.name, m.file))
			continue
		}
		py = append(py, withDesc(fmt.Sprintf("`%s` (%s)", m.name, m.file), m.doc))
	}
	if len(py) > maxListed {
		py = p.byDirectory(func(f string) bool { return strings.HasSuffix(f, ".py") && p.pyFile(f) })
	}
	out = append(out, py...)
	files := p.jsFileList()
	if len(files) > maxListed {
		out = append(out, p.byDirectory(func(f string) bool { return p.jsFiles[f] != nil })...)
	} else {
		for _, f := range files {
			out = append(out, withDesc(fmt.Sprintf("`%s`", f.file), f.doc))
		}
	}
	return out
}

func (p *project) pyFile(f string) bool {
	for _, m := range p.pyMods {
		if m.file == f {
			return true
		}
	}
	return false
}

// byDirectory lists directories holding files that keep selects, most
// files first, with the doc of their index or __init__ file.
func (p *project) byDirectory(keep func(file string) bool) []string {
	count := map[string]int{}
	for dir, names := range p.dirFiles {
		for _, n := range names {
			if keep(path.Join(dir, n)) {
				count[dir]++
			}
		}
	}
	dirs := make([]string, 0, len(count))
	for d := range count {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool {
		if count[dirs[i]] != count[dirs[j]] {
			return count[dirs[i]] > count[dirs[j]]
		}
		return dirs[i] < dirs[j]
	})
	var out []string
	for _, d := range dirs {
		doc := ""
		for _, idx := range []string{"index.ts", "index.js", "index.mjs", "index.tsx", "__init__.py", "mod.ts"} {
			if f := p.jsFiles[path.Join(d, idx)]; f != nil {
				doc = f.doc
			}
			if m := p.pyMods[strings.ReplaceAll(strings.TrimPrefix(d, "src/"), "/", ".")]; m != nil && idx == "__init__.py" {
				doc = m.doc
			}
		}
		out = append(out, withDesc(fmt.Sprintf("`%s/` (%s)", d, plural(count[d], "file")), doc))
	}
	return out
}

// dependencyLines returns the import edges between the project's own
// packages, and the cycles among them.
func (p *project) dependencyLines() ([]string, []string) {
	var out []string
	edges := map[string][]string{}
	for _, pkg := range p.goPackageList() {
		if len(pkg.deps) > 0 {
			var ds []string
			for _, d := range pkg.deps {
				ds = append(ds, dirLabel(d))
			}
			edges[dirLabel(pkg.dir)] = ds
			out = append(out, fmt.Sprintf("`%s` → %s", dirLabel(pkg.dir), codeList(ds)))
		}
	}
	for _, m := range p.pyModuleList() {
		if len(m.deps) > 0 {
			edges[m.name] = m.deps
			out = append(out, fmt.Sprintf("`%s` → %s", m.name, codeList(m.deps)))
		}
	}
	for _, f := range p.jsFileList() {
		if len(f.deps) > 0 {
			edges[f.file] = f.deps
			out = append(out, fmt.Sprintf("`%s` → %s", f.file, codeList(f.deps)))
		}
	}
	crates := p.crateNames()
	for _, c := range p.cargo {
		var ds []string
		for _, d := range c.deps {
			if crates[d] {
				ds = append(ds, d)
			}
		}
		if len(ds) > 0 {
			edges["crate "+c.name] = prefixAll(ds, "crate ")
			out = append(out, fmt.Sprintf("crate `%s` → %s", c.name, codeList(ds)))
		}
	}
	for _, n := range p.npm {
		if ds := p.npmLocalDeps(n); len(ds) > 0 {
			out = append(out, fmt.Sprintf("package `%s` → %s", orDir(n.name, n.dir), codeList(ds)))
		}
	}
	var cycles []string
	keys := make([]string, 0, len(edges))
	for k := range edges {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, a := range keys {
		for _, b := range edges[a] {
			if a < b && contains(edges[b], a) {
				cycles = append(cycles, fmt.Sprintf("`%s` ↔ `%s`", a, b))
			}
		}
	}
	return out, cycles
}

// apiLines lists the exported types and functions of a small Go project.
func (p *project) apiLines() []string {
	var out []string
	for _, pkg := range p.goPackageList() {
		for _, d := range pkg.api {
			out = append(out, withDesc(fmt.Sprintf("`%s.%s`", pkg.name, d.name), d.doc))
		}
	}
	return out
}

func (p *project) crateNames() map[string]bool {
	out := map[string]bool{}
	for _, c := range p.cargo {
		out[c.name] = true
	}
	return out
}

// npmLocalDeps returns the names of the workspace's own packages that n
// depends on.
func (p *project) npmLocalDeps(n npmPackage) []string {
	names := map[string]bool{}
	for _, o := range p.npm {
		if o.name != "" && o.name != n.name {
			names[o.name] = true
		}
	}
	var out []string
	for _, d := range n.deps {
		if names[d] {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return dedupe(out)
}

// flowLines derives how a command flows through the main modules: from the
// main entry point, breadth first through the imports.
func (p *project) flowLines() []string {
	start, label, next := p.flowStart()
	if start == "" {
		return nil
	}
	show := func(n string) string { return n }
	if p.goPkgs[start] != nil {
		show = dirLabel
	}
	lines := []string{fmt.Sprintf("`%s`%s", show(start), label)}
	seen := map[string]bool{start: true}
	level := []string{start}
	for depth := 0; depth < 5 && len(level) > 0; depth++ {
		var nextLevel []string
		for _, n := range level {
			for _, d := range next(n) {
				if !seen[d] {
					seen[d] = true
					nextLevel = append(nextLevel, d)
				}
			}
		}
		sort.Strings(nextLevel)
		if len(nextLevel) == 0 {
			break
		}
		var names []string
		for _, n := range nextLevel {
			names = append(names, show(n))
		}
		lines = append(lines, "→ "+codeList(capList(names, 10)))
		level = nextLevel
	}
	if len(lines) < 2 {
		return nil
	}
	return lines
}

// flowStart picks the main entry point and the graph to follow from it.
func (p *project) flowStart() (string, string, func(string) []string) {
	// Go: the main package named like the module, else the first one.
	var mains []*goPackage
	for _, pkg := range p.goPackageList() {
		if pkg.name == "main" {
			mains = append(mains, pkg)
		}
	}
	if len(mains) > 0 {
		pick := mains[0]
		for _, m := range mains {
			if mod, ok := p.moduleOf(m.dir); ok && p.goCommandName(m) == path.Base(mod.path) {
				pick = m
				break
			}
		}
		next := func(n string) []string {
			if pkg := p.goPkgs[n]; pkg != nil {
				return pkg.deps
			}
			return nil
		}
		return pick.dir, " (the `" + p.goCommandName(pick) + "` command)", next
	}
	// Rust: the crate with a binary, through its path dependencies.
	crates := p.crateNames()
	for _, c := range p.cargo {
		if len(c.bins) > 0 && len(c.deps) > 0 {
			byName := map[string]cargoPackage{}
			for _, o := range p.cargo {
				byName[o.name] = o
			}
			next := func(n string) []string {
				var out []string
				for _, d := range byName[n].deps {
					if crates[d] {
						out = append(out, d)
					}
				}
				return out
			}
			return c.name, " (crate with the binary `" + c.bins[0].k + "`)", next
		}
	}
	// Python: the first console script's module, else a __main__.
	pyNext := func(n string) []string {
		if m := p.pyMods[n]; m != nil {
			return m.deps
		}
		return nil
	}
	for _, py := range p.py {
		for _, s := range py.scripts {
			mod, _, _ := strings.Cut(s.v, ":")
			if p.pyMods[mod] != nil {
				return mod, " (the `" + s.k + "` command)", pyNext
			}
		}
	}
	for _, m := range p.pyModuleList() {
		if m.main {
			return m.name, " (`python -m " + strings.TrimSuffix(m.name, ".__main__") + "`)", pyNext
		}
	}
	// JavaScript: the root package's main module.
	for _, n := range p.npm {
		f := path.Join(n.dir, n.main)
		if n.main != "" && p.jsFiles[f] != nil {
			next := func(x string) []string {
				if jf := p.jsFiles[x]; jf != nil {
					return jf.deps
				}
				return nil
			}
			return f, " (the main module of `" + orDir(n.name, n.dir) + "`)", next
		}
	}
	return "", "", nil
}

// asideLines lists, by group, the code kept out of the main lists.
func (p *project) asideLines() []string {
	groups := map[asideKind][]string{}
	add := func(k asideKind, d string) {
		if !contains(groups[k], d) {
			groups[k] = append(groups[k], d)
		}
	}
	// the shallowest aside directory of every visited file
	for _, dir := range p.sortedDirs() {
		k := asidePath(dir)
		if k == "" {
			continue
		}
		parts := strings.Split(dir, "/")
		for i := range parts {
			if asidePath(strings.Join(parts[:i+1], "/")) != "" {
				add(k, strings.Join(parts[:i+1], "/")+"/")
				break
			}
		}
	}
	for _, v := range p.vendored {
		add(asideVendored, v+"/")
	}
	for _, g := range p.generated {
		if asidePath(g) == "" {
			add(asideGenerated, g)
		}
	}
	var out []string
	for _, k := range asideOrder {
		ds := groups[k]
		if len(ds) == 0 {
			continue
		}
		var items []string
		for _, d := range capList(ds, 8) {
			if strings.HasSuffix(d, "/") {
				items = append(items, fmt.Sprintf("`%s` (%s)", d, p.asideSummary(strings.TrimSuffix(d, "/"))))
			} else {
				items = append(items, "`"+d+"`")
			}
		}
		if len(ds) > 8 {
			items = append(items, fmt.Sprintf("and %d more", len(ds)-8))
		}
		out = append(out, string(k)+": "+strings.Join(items, ", "))
	}
	return out
}

// asideSummary counts what an aside directory holds.
func (p *project) asideSummary(d string) string {
	subdirs := map[string]bool{}
	files := 0
	for dir, names := range p.dirFiles {
		if dir == d || strings.HasPrefix(dir, d+"/") {
			files += len(names)
			if rest := strings.TrimPrefix(dir, d+"/"); dir != d {
				first, _, _ := strings.Cut(rest, "/")
				subdirs[first] = true
			}
		}
	}
	if contains(p.vendored, d) {
		return "not read"
	}
	if len(subdirs) > 1 {
		return fmt.Sprintf("%s in %s", plural(files, "file"), plural(len(subdirs), "directory"))
	}
	return plural(files, "file")
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

func (p *project) jsDoc(file string) string {
	if f := p.jsFiles[file]; f != nil {
		return f.doc
	}
	return ""
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
	desc = clip(strings.Join(strings.Fields(desc), " "))
	if desc == "" {
		return s
	}
	return s + " — " + desc
}

func codeList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		if strings.HasPrefix(s, "and ") && strings.HasSuffix(s, " more") {
			q[i] = s
			continue
		}
		q[i] = "`" + s + "`"
	}
	return strings.Join(q, ", ")
}

// capList keeps the first n items and counts the rest.
func capList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(append([]string(nil), items[:n]...), fmt.Sprintf("and %d more", len(items)-n))
}

func prefixAll(ss []string, pre string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = pre + s
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
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
