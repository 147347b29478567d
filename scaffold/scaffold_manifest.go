package scaffold

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// maxManifests bounds the manifests of one kind that are read.
const maxManifests = 300

// --- TOML and YAML documents, read with real parsers ---

// tree is a decoded TOML, YAML or JSON document.
type tree = map[string]any

// readTOMLFile decodes a TOML file of at most 1 MiB; nil when it cannot.
func readTOMLFile(file string) tree {
	b, err := os.ReadFile(file)
	if err != nil || len(b) > 1<<20 {
		return nil
	}
	var t tree
	if _, err := toml.Decode(string(b), &t); err != nil {
		return nil
	}
	return t
}

// readYAMLFile decodes a YAML file of at most 1 MiB into a node; nil when it
// cannot.
func readYAMLFile(file string) *yaml.Node {
	b, err := os.ReadFile(file)
	if err != nil || len(b) > 1<<20 {
		return nil
	}
	var n yaml.Node
	if yaml.Unmarshal(b, &n) != nil || len(n.Content) == 0 {
		return nil
	}
	return n.Content[0]
}

// get walks nested tables by key; nil when a key is missing.
func get(t any, keys ...string) any {
	for _, k := range keys {
		m, ok := t.(map[string]any)
		if !ok {
			return nil
		}
		t = m[k]
	}
	return t
}

// getStr is get for a string value; "" otherwise.
func getStr(t any, keys ...string) string {
	s, _ := get(t, keys...).(string)
	return strings.TrimSpace(s)
}

// getStrs is get for a list of strings (other items skipped).
func getStrs(t any, keys ...string) []string {
	list, _ := get(t, keys...).([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// getTable is get for a table.
func getTable(t any, keys ...string) map[string]any {
	m, _ := get(t, keys...).(map[string]any)
	return m
}

// inherited reads a Cargo package field that may say `field.workspace = true`.
func inherited(pkg map[string]any, ws map[string]any, key string) string {
	if s := getStr(pkg, key); s != "" {
		return s
	}
	if b, _ := get(pkg, key, "workspace").(bool); b {
		return getStr(ws, "package", key)
	}
	return ""
}

// matchGlob reports whether dir matches a workspace glob ("packages/*",
// "crates/**", "apps/web").
func matchGlob(glob, dir string) bool {
	glob = strings.TrimSuffix(strings.TrimPrefix(path.Clean(strings.TrimPrefix(glob, "./")), "./"), "/")
	if base, ok := strings.CutSuffix(glob, "/**"); ok {
		return strings.HasPrefix(dir, base+"/")
	}
	ok, _ := path.Match(glob, dir)
	return ok
}

// members returns the dirs that match the include globs and none of the
// exclude ones ("!glob" in include lists excludes too).
func members(dirs, include, exclude []string) []string {
	var out []string
	for _, d := range dirs {
		in := false
		for _, g := range include {
			if neg, ok := strings.CutPrefix(g, "!"); ok {
				if matchGlob(neg, d) {
					in = false
				}
				continue
			}
			if matchGlob(g, d) {
				in = true
			}
		}
		for _, g := range exclude {
			if matchGlob(g, d) {
				in = false
			}
		}
		if in {
			out = append(out, d)
		}
	}
	return out
}

// mainDirs returns the dirs holding manifest name that are not aside (examples,
// fixtures, …), the root first, at most maxManifests.
func (p *project) mainDirs(name string) []string {
	var out []string
	for _, d := range p.manifests[name] {
		if d == "." || p.aside(d) == "" {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i] == "." && out[j] != "." })
	if len(out) > maxManifests {
		out = out[:maxManifests]
	}
	return out
}

// --- Node ---

type npmPackage struct {
	dir         string
	name        string
	description string
	main        string // main, else exports["."], else index.js when present
	mainField   string // which field main came from
	module      string
	bins        []kv // command → file
	scripts     []kv // in file order
	hasPrettier bool
	hasESLint   bool
	typeModule  bool
	private     bool
	workspaces  []string // globs
	member      bool     // a member of the root's workspaces
	engineNode  string
	deps        []string // names in dependencies, devDependencies, peerDependencies
}

type kv struct{ k, v string }

func (p *project) exploreNode() {
	for _, dir := range p.mainDirs("package.json") {
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
		pkg.name, pkg.description, pkg.module = str("name"), str("description"), str("module")
		pkg.typeModule = str("type") == "module"
		_ = json.Unmarshal(raw["private"], &pkg.private)
		if bin := str("bin"); bin != "" {
			pkg.bins = []kv{{path.Base(pkg.name), cleanRel(bin)}}
		} else {
			pkg.bins = orderedObject(raw["bin"])
			for i := range pkg.bins {
				pkg.bins[i].v = cleanRel(pkg.bins[i].v)
			}
		}
		pkg.main, pkg.mainField = cleanRel(str("main")), "main"
		if pkg.main == "" {
			if e := exportsMain(raw["exports"]); e != "" {
				pkg.main, pkg.mainField = cleanRel(e), "exports"
			} else if p.has(path.Join(dir, "index.js")) {
				pkg.main, pkg.mainField = "index.js", "default"
			}
		}
		pkg.module = cleanRel(pkg.module)
		pkg.scripts = orderedObject(raw["scripts"])
		_, pkg.hasPrettier = raw["prettier"]
		_, pkg.hasESLint = raw["eslintConfig"]
		var engines map[string]string
		_ = json.Unmarshal(raw["engines"], &engines)
		pkg.engineNode = engines["node"]
		for _, k := range []string{"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"} {
			var m map[string]any
			_ = json.Unmarshal(raw[k], &m)
			for name := range m {
				pkg.deps = append(pkg.deps, name)
			}
		}
		var ws any
		_ = json.Unmarshal(raw["workspaces"], &ws)
		pkg.workspaces = append(getStrs(map[string]any{"w": ws}, "w"), getStrs(ws, "packages")...)
		p.npm = append(p.npm, pkg)
	}
	if len(p.npm) == 0 {
		return
	}
	root := &p.npm[0]
	if root.dir != "." {
		root = nil
	}
	var globs []string
	if root != nil {
		globs = root.workspaces
	}
	if y := readYAMLFile(filepath.Join(p.root, "pnpm-workspace.yaml")); y != nil {
		var doc struct {
			Packages []string `yaml:"packages"`
		}
		if y.Decode(&doc) == nil {
			globs = append(globs, doc.Packages...)
		}
	}
	if b, err := os.ReadFile(filepath.Join(p.root, "lerna.json")); err == nil && len(globs) == 0 {
		var l struct {
			Packages []string `json:"packages"`
		}
		if json.Unmarshal(b, &l) == nil {
			globs = append(globs, l.Packages...)
		}
	}
	if root != nil && len(globs) > 0 {
		root.workspaces = globs
	}
	var dirs []string
	for _, n := range p.npm {
		dirs = append(dirs, n.dir)
	}
	for _, d := range members(dirs, globs, nil) {
		for i := range p.npm {
			if p.npm[i].dir == d && d != "." {
				p.npm[i].member = true
			}
		}
	}
	p.exploreJS()
}

// exportsMain returns the file package.json's exports map gives for ".".
func exportsMain(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var pick func(v any) string
	pick = func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case map[string]any:
			if d, ok := x["."]; ok {
				return pick(d)
			}
			for _, k := range []string{"import", "require", "node", "default"} {
				if d, ok := x[k]; ok {
					return pick(d)
				}
			}
		}
		return ""
	}
	return pick(v)
}

func cleanRel(s string) string {
	if s == "" {
		return ""
	}
	return path.Clean(strings.TrimPrefix(s, "./"))
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
	dir            string
	name           string
	description    string
	scripts        []kv
	build          string // poetry, hatch, setuptools, flit, pdm, maturin
	requiresPython string
	pytest         bool
	ruff           bool
	black          bool
	mypy           bool
	pyright        bool
	isort          bool
	lineLength     string
	lineFrom       string
	uv             bool // uv.lock or [tool.uv]
}

func (p *project) readPyProjects() {
	for _, dir := range p.mainDirs("pyproject.toml") {
		file := filepath.Join(p.root, filepath.FromSlash(dir), "pyproject.toml")
		d := readTOMLFile(file)
		if d == nil {
			continue
		}
		py := pyProject{dir: dir, name: getStr(d, "project", "name"), description: getStr(d, "project", "description")}
		if py.name == "" {
			py.name, py.description = getStr(d, "tool", "poetry", "name"), getStr(d, "tool", "poetry", "description")
		}
		py.requiresPython = getStr(d, "project", "requires-python")
		if py.requiresPython == "" {
			py.requiresPython = getStr(d, "tool", "poetry", "dependencies", "python")
		}
		for _, t := range [][]string{{"project", "scripts"}, {"tool", "poetry", "scripts"}} {
			for k, v := range getTable(d, t...) {
				if s, ok := v.(string); ok {
					py.scripts = append(py.scripts, kv{k, s})
				}
			}
		}
		sort.Slice(py.scripts, func(i, j int) bool { return py.scripts[i].k < py.scripts[j].k })
		backend := getStr(d, "build-system", "build-backend")
		for _, b := range []string{"poetry", "hatch", "setuptools", "flit", "pdm", "maturin"} {
			if strings.Contains(backend, b) {
				py.build = b
				break
			}
		}
		all := string(mustRead(file))
		py.pytest = get(d, "tool", "pytest") != nil || strings.Contains(all, `"pytest`) || strings.Contains(all, `'pytest`)
		py.ruff = get(d, "tool", "ruff") != nil || p.hasAny(dir, "ruff.toml", ".ruff.toml")
		py.black = get(d, "tool", "black") != nil
		py.mypy = get(d, "tool", "mypy") != nil || p.has(path.Join(dir, "mypy.ini"))
		py.pyright = get(d, "tool", "pyright") != nil || p.has(path.Join(dir, "pyrightconfig.json"))
		py.isort = get(d, "tool", "isort") != nil
		py.uv = get(d, "tool", "uv") != nil || p.has(path.Join(dir, "uv.lock"))
		for _, t := range [][]string{{"tool", "ruff"}, {"tool", "black"}} {
			switch v := get(d, append(t, "line-length")...).(type) {
			case int64:
				py.lineLength, py.lineFrom = strconv.Itoa(int(v)), strings.Join(t, ".")
			case string:
				py.lineLength, py.lineFrom = v, strings.Join(t, ".")
			}
			if py.lineLength != "" {
				break
			}
		}
		if dir == "." {
			p.readTox(d)
		}
		p.py = append(p.py, py)
	}
	// setup.cfg-only projects
	for _, dir := range p.mainDirs("setup.cfg") {
		known := false
		for _, py := range p.py {
			known = known || py.dir == dir
		}
		if known {
			continue
		}
		ini := readINI(filepath.Join(p.root, filepath.FromSlash(dir), "setup.cfg"))
		meta := ini["metadata"]
		if meta == nil && !p.has(path.Join(dir, "setup.py")) {
			continue
		}
		py := pyProject{dir: dir, name: meta["name"], description: meta["description"], build: "setuptools",
			requiresPython: ini["options"]["python_requires"]}
		for _, line := range strings.Split(ini["options.entry_points"]["console_scripts"], "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				py.scripts = append(py.scripts, kv{strings.TrimSpace(k), strings.TrimSpace(v)})
			}
		}
		if v := ini["flake8"]["max-line-length"]; v != "" {
			py.lineLength, py.lineFrom = v, "setup.cfg [flake8]"
		}
		py.pytest = ini["tool:pytest"] != nil
		p.py = append(p.py, py)
	}
}

// readINI reads a small INI file (setup.cfg, tox.ini): section → key → value,
// continuation lines joined with "\n".
func readINI(file string) map[string]map[string]string {
	return parseINI(readHead(file, 256<<10))
}

// parseINI is readINI for text.
func parseINI(text string) map[string]map[string]string {
	out := map[string]map[string]string{}
	var sec map[string]string
	key := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";"):
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			sec = map[string]string{}
			out[strings.TrimSpace(t[1:len(t)-1])] = sec
			key = ""
		case sec == nil:
		case (line[0] == ' ' || line[0] == '\t') && key != "":
			sec[key] = strings.TrimPrefix(sec[key]+"\n"+t, "\n")
		default:
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				k, v, ok = strings.Cut(t, ":")
			}
			if ok {
				key = strings.TrimSpace(k)
				sec[key] = strings.TrimSpace(v)
			}
		}
	}
	return out
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
	rustVersion string
	edition     string
	bins        []kv // name → path
	hasLib      bool
	deps        []string // names of path dependencies (workspace crates)
	member      bool
}

type cargoWorkspace struct {
	members     []string // member dirs, resolved
	rustVersion string
	edition     string
}

func (p *project) exploreRust() {
	var wsTable map[string]any
	if d := readTOMLFile(filepath.Join(p.root, "Cargo.toml")); d != nil {
		wsTable = getTable(d, "workspace")
	}
	for _, dir := range p.mainDirs("Cargo.toml") {
		d := readTOMLFile(filepath.Join(p.root, filepath.FromSlash(dir), "Cargo.toml"))
		if d == nil {
			continue
		}
		pkg := getTable(d, "package")
		if pkg == nil {
			continue // a virtual workspace manifest
		}
		c := cargoPackage{dir: dir, name: getStr(pkg, "name")}
		c.description = inherited(pkg, wsTable, "description")
		c.rustVersion = inherited(pkg, wsTable, "rust-version")
		c.edition = inherited(pkg, wsTable, "edition")
		bins := tableArray(d["bin"])
		for _, b := range bins {
			name, file := getStr(b, "name"), getStr(b, "path")
			if file == "" {
				file = "src/main.rs"
				if name != c.name {
					file = "src/bin/" + name + ".rs"
				}
			}
			c.bins = append(c.bins, kv{name, cleanRel(path.Join(dir, file))})
		}
		if len(bins) == 0 && p.has(path.Join(dir, "src/main.rs")) {
			c.bins = append(c.bins, kv{c.name, path.Join(dir, "src/main.rs")})
		}
		for _, f := range p.dirFiles[path.Join(dir, "src/bin")] {
			if strings.HasSuffix(f, ".rs") {
				b := kv{strings.TrimSuffix(f, ".rs"), path.Join(dir, "src/bin", f)}
				if !containsKV(c.bins, b.v) {
					c.bins = append(c.bins, b)
				}
			}
		}
		c.hasLib = get(d, "lib") != nil || p.has(path.Join(dir, "src/lib.rs"))
		for _, table := range []string{"dependencies", "dev-dependencies", "build-dependencies"} {
			for name, spec := range getTable(d, table) {
				pathDep := getStr(spec, "path") != ""
				if b, _ := get(spec, "workspace").(bool); b && getStr(wsTable, "dependencies", name, "path") != "" {
					pathDep = true
				}
				if pathDep {
					if pk := getStr(spec, "package"); pk != "" {
						name = pk
					}
					c.deps = append(c.deps, name)
				}
			}
		}
		sort.Strings(c.deps)
		c.deps = dedupe(c.deps)
		if c.description == "" {
			c.description = rustCrateDoc(p, c)
		}
		p.cargo = append(p.cargo, c)
	}
	if wsTable == nil {
		return
	}
	ws := &cargoWorkspace{
		rustVersion: getStr(wsTable, "package", "rust-version"),
		edition:     getStr(wsTable, "package", "edition"),
	}
	var dirs []string
	for _, d := range p.manifests["Cargo.toml"] {
		if d != "." {
			dirs = append(dirs, d)
		}
	}
	ws.members = members(dirs, getStrs(wsTable, "members"), getStrs(wsTable, "exclude"))
	for i := range p.cargo {
		if contains(ws.members, p.cargo[i].dir) {
			p.cargo[i].member = true
		}
	}
	p.cargoWS = ws
}

func containsKV(kvs []kv, v string) bool {
	for _, x := range kvs {
		if x.v == v {
			return true
		}
	}
	return false
}

func dedupe(ss []string) []string {
	var out []string
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// rustCrateDoc returns the first sentence of the //! comment of the crate
// root (lib first, then the first binary).
func rustCrateDoc(p *project, c cargoPackage) string {
	files := []string{path.Join(c.dir, "src/lib.rs")}
	for _, b := range c.bins {
		files = append(files, b.v)
	}
	for _, f := range files {
		var doc []string
		readLines(filepath.Join(p.root, filepath.FromSlash(f)), 16<<10, func(line string) bool {
			t := strings.TrimSpace(line)
			if rest, ok := strings.CutPrefix(t, "//!"); ok {
				doc = append(doc, strings.TrimPrefix(rest, " "))
				return true
			}
			return t == "" || len(doc) == 0 && (strings.HasPrefix(t, "#!") || strings.HasPrefix(t, "//"))
		})
		if len(doc) > 0 {
			return firstSentence(strings.Join(doc, "\n"))
		}
	}
	return ""
}

// tableArray returns an array of tables ([[bin]]) whichever way the decoder
// typed it.
func tableArray(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}
