package scaffold

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// --- a small TOML reader: enough for pyproject.toml and Cargo.toml ---

// tomlDoc maps a table name ("project", "tool.ruff") to its keys and raw
// values; arrays of tables ("[[bin]]") are kept in order in arrays.
type tomlDoc struct {
	tables map[string]map[string]string
	arrays map[string][]map[string]string
}

func readTOML(file string) (tomlDoc, bool) {
	b, err := os.ReadFile(file)
	if err != nil || len(b) > 1<<20 {
		return tomlDoc{}, false
	}
	d := tomlDoc{tables: map[string]map[string]string{"": {}}, arrays: map[string][]map[string]string{}}
	cur := d.tables[""]
	var pendKey, pendVal string
	depth := 0
	for _, line := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(line)
		if depth > 0 { // inside a multi-line array or inline table
			pendVal += " " + stripTOMLComment(t)
			depth += bracketDelta(t)
			if depth <= 0 {
				cur[pendKey], depth = strings.TrimSpace(pendVal), 0
			}
			continue
		}
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasPrefix(t, "[[") {
			name := strings.TrimSpace(strings.Trim(stripTOMLComment(t), "[]"))
			cur = map[string]string{}
			d.arrays[name] = append(d.arrays[name], cur)
			continue
		}
		if strings.HasPrefix(t, "[") {
			name := strings.TrimSpace(strings.Trim(stripTOMLComment(t), "[]"))
			name = strings.ReplaceAll(name, `"`, "")
			if d.tables[name] == nil {
				d.tables[name] = map[string]string{}
			}
			cur = d.tables[name]
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		v = stripTOMLComment(strings.TrimSpace(v))
		if dl := bracketDelta(v); dl > 0 {
			pendKey, pendVal, depth = k, v, dl
			continue
		}
		cur[k] = v
	}
	return d, true
}

// str returns a key's value as a string, unquoted.
func (d tomlDoc) str(table, key string) string {
	return unquoteTOML(d.tables[table][key])
}

func (d tomlDoc) hasTable(prefix string) bool {
	for name := range d.tables {
		if name == prefix || strings.HasPrefix(name, prefix+".") {
			return true
		}
	}
	return false
}

func unquoteTOML(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func stripTOMLComment(s string) string {
	inStr := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr != 0 && c == inStr:
			inStr = 0
		case inStr == 0 && (c == '"' || c == '\''):
			inStr = c
		case inStr == 0 && c == '#':
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

func bracketDelta(s string) int {
	n, inStr := 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr != 0 && c == inStr:
			inStr = 0
		case inStr == 0 && (c == '"' || c == '\''):
			inStr = c
		case inStr == 0 && (c == '[' || c == '{'):
			n++
		case inStr == 0 && (c == ']' || c == '}'):
			n--
		}
	}
	return n
}

// --- Node ---

type npmPackage struct {
	dir         string
	name        string
	description string
	main        string
	module      string
	bins        []kv // command → file
	scripts     []kv // in file order
	hasPrettier bool
	hasESLint   bool
	workspaces  bool
	typeModule  bool
}

type kv struct{ k, v string }

func (p *project) exploreNode() {
	for _, dir := range append([]string{"."}, p.topDirs...) {
		if !p.has(path.Join(dir, "package.json")) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.root, filepath.FromSlash(dir), "package.json"))
		if err != nil || len(b) > 1<<20 {
			continue
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			continue
		}
		pkg := npmPackage{dir: dir}
		str := func(k string) string {
			var s string
			_ = json.Unmarshal(raw[k], &s)
			return s
		}
		pkg.name, pkg.description, pkg.main, pkg.module = str("name"), str("description"), str("main"), str("module")
		pkg.typeModule = str("type") == "module"
		if bin := str("bin"); bin != "" {
			pkg.bins = []kv{{path.Base(pkg.name), bin}}
		} else {
			pkg.bins = orderedObject(raw["bin"])
		}
		pkg.scripts = orderedObject(raw["scripts"])
		_, pkg.hasPrettier = raw["prettier"]
		_, pkg.hasESLint = raw["eslintConfig"]
		_, pkg.workspaces = raw["workspaces"]
		p.npm = append(p.npm, pkg)
	}
	if len(p.npm) > 0 {
		p.exploreJS()
	}
}

// orderedObject decodes a JSON object of strings keeping the key order.
func orderedObject(raw json.RawMessage) []kv {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var out []kv
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return out
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return out
		}
		k, _ := kt.(string)
		if s, ok := v.(string); ok {
			out = append(out, kv{k, s})
		}
	}
	return out
}

// --- Python ---

type pyProject struct {
	dir         string
	name        string
	description string
	scripts     []kv
	build       string // poetry, hatch, setuptools, flit, pdm, maturin
	pytest      bool
	ruff        bool
	black       bool
	mypy        bool
	isort       bool
	lineLength  string
}

func (p *project) readPyProjects() {
	for _, dir := range append([]string{"."}, p.topDirs...) {
		if !p.has(path.Join(dir, "pyproject.toml")) {
			continue
		}
		d, ok := readTOML(filepath.Join(p.root, filepath.FromSlash(dir), "pyproject.toml"))
		if !ok {
			continue
		}
		py := pyProject{dir: dir, name: d.str("project", "name"), description: d.str("project", "description")}
		if py.name == "" {
			py.name, py.description = d.str("tool.poetry", "name"), d.str("tool.poetry", "description")
		}
		for _, t := range []string{"project.scripts", "tool.poetry.scripts"} {
			for k, v := range d.tables[t] {
				py.scripts = append(py.scripts, kv{k, unquoteTOML(v)})
			}
		}
		sort.Slice(py.scripts, func(i, j int) bool { return py.scripts[i].k < py.scripts[j].k })
		backend := d.str("build-system", "build-backend")
		for _, b := range []string{"poetry", "hatch", "setuptools", "flit", "pdm", "maturin"} {
			if strings.Contains(backend, b) {
				py.build = b
				break
			}
		}
		all := string(mustRead(filepath.Join(p.root, filepath.FromSlash(dir), "pyproject.toml")))
		py.pytest = d.hasTable("tool.pytest") || regexp.MustCompile(`["']pytest\b`).MatchString(all)
		py.ruff = d.hasTable("tool.ruff") || p.has(path.Join(dir, "ruff.toml")) || p.has(path.Join(dir, ".ruff.toml"))
		py.black = d.hasTable("tool.black")
		py.mypy = d.hasTable("tool.mypy") || p.has(path.Join(dir, "mypy.ini"))
		py.isort = d.hasTable("tool.isort")
		for _, t := range []string{"tool.ruff", "tool.black"} {
			if v := d.str(t, "line-length"); v != "" {
				py.lineLength = v
				break
			}
		}
		p.py = append(p.py, py)
	}
}

func mustRead(file string) []byte {
	b, _ := os.ReadFile(file)
	return b
}

// --- Rust ---

type cargoPackage struct {
	dir         string
	name        string
	description string
	bins        []kv
	workspace   []string
}

func (p *project) exploreRust() {
	for _, dir := range append([]string{"."}, p.topDirs...) {
		if !p.has(path.Join(dir, "Cargo.toml")) {
			continue
		}
		d, ok := readTOML(filepath.Join(p.root, filepath.FromSlash(dir), "Cargo.toml"))
		if !ok {
			continue
		}
		c := cargoPackage{dir: dir, name: d.str("package", "name"), description: d.str("package", "description")}
		for _, b := range d.arrays["bin"] {
			c.bins = append(c.bins, kv{unquoteTOML(b["name"]), unquoteTOML(b["path"])})
		}
		if m := d.tables["workspace"]["members"]; m != "" {
			for _, s := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m, -1) {
				c.workspace = append(c.workspace, s[1])
			}
		}
		if c.description == "" {
			c.description = rustCrateDoc(p, dir)
		}
		p.cargo = append(p.cargo, c)
	}
}

// rustCrateDoc returns the first sentence of the //! comment of lib.rs or main.rs.
func rustCrateDoc(p *project, dir string) string {
	for _, f := range []string{"src/lib.rs", "src/main.rs"} {
		var doc []string
		readLines(filepath.Join(p.root, filepath.FromSlash(dir), filepath.FromSlash(f)), 16<<10, func(line string) bool {
			t := strings.TrimSpace(line)
			if rest, ok := strings.CutPrefix(t, "//!"); ok {
				doc = append(doc, strings.TrimSpace(rest))
				return true
			}
			return t == "" || len(doc) == 0 && strings.HasPrefix(t, "#!")
		})
		if len(doc) > 0 {
			return firstSentence(strings.Join(doc, "\n"))
		}
	}
	return ""
}

// --- Makefile ---

type makeTarget struct {
	name   string
	recipe string // first recipe line
	doc    string // a "## text" comment on the target line or the line above
}

var makeTargetRe = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.\-/]*)\s*:([^=]|$)`)

func parseMakefile(root string, top map[string]bool) []makeTarget {
	name := ""
	for _, n := range []string{"GNUmakefile", "Makefile", "makefile"} {
		if top[n] {
			name = n
			break
		}
	}
	if name == "" {
		return nil
	}
	var out []makeTarget
	vars := map[string]string{}
	seen := map[string]bool{}
	var cur *makeTarget
	prevComment := ""
	readLines(filepath.Join(root, name), 256<<10, func(line string) bool {
		if strings.HasPrefix(line, "\t") {
			if cur != nil && cur.recipe == "" {
				cur.recipe = strings.TrimLeft(strings.TrimSpace(line), "@-")
			}
			return true
		}
		cur = nil
		t := strings.TrimSpace(line)
		if c, ok := strings.CutPrefix(t, "#"); ok {
			prevComment = strings.TrimSpace(strings.TrimLeft(c, "#"))
			return true
		}
		if vm := makeVarRe.FindStringSubmatch(line); vm != nil {
			vars[vm[1]] = strings.TrimSpace(vm[2])
			return true
		}
		m := makeTargetRe.FindStringSubmatch(line)
		comment := prevComment
		prevComment = ""
		if m == nil || strings.Contains(m[1], "%") || strings.Contains(m[1], "/") || strings.Contains(m[1], ".") {
			return true
		}
		if _, doc, ok := strings.Cut(line, "##"); ok {
			comment = strings.TrimSpace(doc)
		}
		if seen[m[1]] {
			return true
		}
		seen[m[1]] = true
		out = append(out, makeTarget{name: m[1], doc: comment})
		cur = &out[len(out)-1]
		return true
	})
	for i := range out {
		out[i].recipe = expandMake(out[i].recipe, vars)
	}
	return out
}

var (
	makeVarRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*[:?+]?=\s*(.*)$`)
	makeRefRe = regexp.MustCompile(`\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]`)
)

// expandMake substitutes simple variables ($(GO) → go) and unescapes $$.
func expandMake(s string, vars map[string]string) string {
	s = makeRefRe.ReplaceAllStringFunc(s, func(ref string) string {
		if v, ok := vars[makeRefRe.FindStringSubmatch(ref)[1]]; ok && !strings.Contains(v, "$") {
			return v
		}
		return ref
	})
	return strings.ReplaceAll(s, "$$", "$")
}
