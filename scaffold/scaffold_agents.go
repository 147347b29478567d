package scaffold

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// renderAgents drafts AGENTS.md: the commands to build, test and lint, and
// the conventions the configuration files state.
func renderAgents(root string, p *project) (string, string) {
	var b strings.Builder
	b.WriteString("# AGENTS.md\n\n")
	b.WriteString("> Drafted by `git codex init` from the project's manifests and configuration files. " +
		"Agents read this before every task: keep it short and true.\n\n")

	b.WriteString("## Project\n\n")
	name, desc := p.identity()
	fmt.Fprintf(&b, "%s. The layout, the entry points and how the parts depend on each other are in ARCHITECTURE.md; read it first.\n\n",
		withDesc("`"+name+"`", strings.TrimSuffix(desc, ".")))

	cmds := p.commandGroups()
	b.WriteString("## Commands\n\n")
	if len(cmds) == 0 {
		b.WriteString("No build or test tooling was detected. Write down here how to build and test this project.\n\n")
	} else {
		b.WriteString("Run the tests before calling a change done; run the formatters and linters on what you touched.\n\n")
		for _, g := range cmds {
			fmt.Fprintf(&b, "%s:\n\n", g.title)
			writeList(&b, g.lines)
		}
	}

	if conv := p.conventions(); len(conv) > 0 {
		b.WriteString("## Conventions\n\n")
		writeList(&b, conv)
	}

	if text, cname := readClaude(root); text != "" {
		_, arch := markdownSections(text, architectureWords, 3, nil)
		if secs, _ := markdownSections(text, conventionWords, 3, arch); secs != "" {
			fmt.Fprintf(&b, "## From %s\n\n%s\n", cname, secs)
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n", "code"
}

type cmdGroup struct {
	title string
	lines []string
}

func (p *project) commandGroups() []cmdGroup {
	var gs []cmdGroup
	if len(p.make) > 0 {
		var ls []string
		for _, t := range p.make {
			l := "`make " + t.name + "`"
			switch {
			case t.doc != "":
				l += " — " + t.doc
			case t.recipe != "":
				l += " — runs `" + t.recipe + "`"
			}
			ls = append(ls, l)
		}
		gs = append(gs, cmdGroup{"Makefile targets (prefer these: they are what people and CI run)", ls})
	}
	for _, m := range p.goMods {
		cd := cdPrefix(m.dir)
		ls := []string{
			"Build: `" + cd + "go build ./...`",
			"Test: `" + cd + "go test ./...` (add `-race` for concurrent code, `-run NAME` for one test)",
			"Vet: `" + cd + "go vet ./...`",
			"Format: `gofmt -l .` must print nothing; `gofmt -w FILE` fixes a file",
		}
		if p.hasAny(m.dir, ".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json") {
			ls = append(ls, "Lint: `"+cd+"golangci-lint run` (configured in .golangci.*)")
		}
		gs = append(gs, cmdGroup{fmt.Sprintf("Go (module `%s`)", m.path), ls})
	}
	for _, n := range p.npm {
		pm := p.packageManager(n.dir)
		cd := cdPrefix(n.dir)
		ls := []string{"Install: `" + cd + pm.install + "`"}
		for _, s := range n.scripts {
			if strings.HasPrefix(s.k, "pre") || strings.HasPrefix(s.k, "post") {
				continue
			}
			run := pm.name + " run " + s.k
			if s.k == "test" || s.k == "start" {
				run = pm.name + " " + s.k
			}
			ls = append(ls, fmt.Sprintf("`%s%s` — `%s`", cd, run, s.v))
		}
		gs = append(gs, cmdGroup{fmt.Sprintf("Node (`%s`, package.json scripts)", orDir(n.name, n.dir)), ls})
	}
	for _, py := range p.py {
		cd := cdPrefix(py.dir)
		var ls []string
		switch {
		case p.has(path.Join(py.dir, "uv.lock")):
			ls = append(ls, "Install: `"+cd+"uv sync`")
		case py.build == "poetry":
			ls = append(ls, "Install: `"+cd+"poetry install`")
		default:
			ls = append(ls, "Install: `"+cd+"python -m pip install -e .`")
		}
		if py.pytest || p.tests.pyTests > 0 {
			t := "Test: `" + cd + "python -m pytest`"
			if len(p.tests.pyTestDs) > 0 {
				t += " (tests in " + codeList(suffixAll(p.tests.pyTestDs, "/")) + ")"
			}
			ls = append(ls, t)
		}
		if py.ruff {
			ls = append(ls, "Lint: `"+cd+"ruff check .`", "Format: `"+cd+"ruff format .`")
		}
		if py.black {
			ls = append(ls, "Format: `"+cd+"black .`")
		}
		if py.isort {
			ls = append(ls, "Imports: `"+cd+"isort .`")
		}
		if py.mypy {
			ls = append(ls, "Types: `"+cd+"mypy .`")
		}
		if p.has(path.Join(py.dir, "tox.ini")) {
			ls = append(ls, "All environments: `"+cd+"tox`")
		}
		gs = append(gs, cmdGroup{fmt.Sprintf("Python (`%s`, pyproject.toml)", orDir(py.name, py.dir)), ls})
	}
	for _, c := range p.cargo {
		cd := cdPrefix(c.dir)
		gs = append(gs, cmdGroup{fmt.Sprintf("Rust (`%s`, Cargo.toml)", orDir(c.name, c.dir)), []string{
			"Build: `" + cd + "cargo build`",
			"Test: `" + cd + "cargo test`",
			"Lint: `" + cd + "cargo clippy --all-targets -- -D warnings`",
			"Format: `" + cd + "cargo fmt --check`",
		}})
	}
	if p.topFiles[".pre-commit-config.yaml"] {
		gs = append(gs, cmdGroup{"pre-commit (.pre-commit-config.yaml)", []string{"All hooks: `pre-commit run --all-files`"}})
	}
	return gs
}

type pkgManager struct{ name, install string }

func (p *project) packageManager(dir string) pkgManager {
	switch {
	case p.has(path.Join(dir, "pnpm-lock.yaml")):
		return pkgManager{"pnpm", "pnpm install --frozen-lockfile"}
	case p.has(path.Join(dir, "yarn.lock")):
		return pkgManager{"yarn", "yarn install --frozen-lockfile"}
	case p.has(path.Join(dir, "bun.lockb")), p.has(path.Join(dir, "bun.lock")):
		return pkgManager{"bun", "bun install"}
	case p.has(path.Join(dir, "package-lock.json")):
		return pkgManager{"npm", "npm ci"}
	}
	return pkgManager{"npm", "npm install"}
}

// conventions lists the formatting and layout rules the configuration states.
func (p *project) conventions() []string {
	var out []string
	for _, m := range p.goMods {
		l := "Go"
		if m.version != "" {
			l += " " + m.version + " (go.mod)"
		}
		l += ": code is formatted with `gofmt`"
		out = append(out, l)
		if n := len(p.goPkgs); n > 0 {
			documented := 0
			for _, pkg := range p.goPkgs {
				if pkg.doc != "" {
					documented++
				}
			}
			if documented*5 >= n*4 {
				out = append(out, "Every Go package opens with a `// Package name …` comment saying what it is for; keep that for new packages")
			}
		}
	}
	if p.tests.goTests > 0 {
		out = append(out, fmt.Sprintf("Go tests sit next to the code in `*_test.go` files (%s)", plural(p.tests.goTests, "file")))
	}
	if p.tests.pyTests > 0 {
		where := "next to the code"
		if len(p.tests.pyTestDs) > 0 {
			where = "in " + codeList(suffixAll(p.tests.pyTestDs, "/"))
		}
		out = append(out, fmt.Sprintf("Python tests are `test_*.py` files %s (%s)", where, plural(p.tests.pyTests, "file")))
	}
	if p.tests.jsTests > 0 {
		out = append(out, fmt.Sprintf("JavaScript tests are `*.test.*`/`*.spec.*` files or live in `__tests__/` (%s)", plural(p.tests.jsTests, "file")))
	}
	for _, py := range p.py {
		if py.lineLength != "" {
			out = append(out, "Python line length: "+py.lineLength+" (pyproject.toml)")
		}
	}
	if f := p.firstTop(".prettierrc", ".prettierrc.json", ".prettierrc.yaml", ".prettierrc.yml", ".prettierrc.json5",
		".prettierrc.js", ".prettierrc.cjs", ".prettierrc.mjs", ".prettierrc.toml", "prettier.config.js",
		"prettier.config.cjs", "prettier.config.mjs"); f != "" || p.rootNPM().hasPrettier {
		l := "Prettier formats the code (`npx prettier --check .`)"
		if f == "" {
			f = "package.json"
		} else if settings := jsonSettings(filepath.Join(p.root, f)); settings != "" {
			l += "; settings: " + settings
		}
		out = append(out, l+" — config in "+f)
	}
	if f := p.firstTop("eslint.config.js", "eslint.config.mjs", "eslint.config.cjs", "eslint.config.ts",
		".eslintrc", ".eslintrc.js", ".eslintrc.cjs", ".eslintrc.json", ".eslintrc.yml", ".eslintrc.yaml"); f != "" || p.rootNPM().hasESLint {
		if f == "" {
			f = "package.json"
		}
		out = append(out, "ESLint checks the code (`npx eslint .`) — config in "+f)
	}
	if p.topFiles["tsconfig.json"] {
		l := "TypeScript: `npx tsc --noEmit` type-checks"
		if regexp.MustCompile(`"strict"\s*:\s*true`).MatchString(readHead(filepath.Join(p.root, "tsconfig.json"), 64<<10)) {
			l += "; strict mode is on"
		}
		out = append(out, l)
	}
	if p.rootNPM().typeModule {
		out = append(out, "JavaScript files are ES modules (`\"type\": \"module\"`): use `import`/`export`, not `require`")
	}
	if f := p.firstTop("rustfmt.toml", ".rustfmt.toml"); f != "" {
		out = append(out, "Rust formatting follows "+f)
	}
	if p.topFiles[".editorconfig"] {
		out = append(out, editorConfigLines(filepath.Join(p.root, ".editorconfig"))...)
	}
	return out
}

func (p *project) rootNPM() npmPackage {
	for _, n := range p.npm {
		if n.dir == "." {
			return n
		}
	}
	return npmPackage{}
}

func (p *project) firstTop(names ...string) string {
	for _, n := range names {
		if p.topFiles[n] {
			return n
		}
	}
	return ""
}

func (p *project) hasAny(dir string, names ...string) bool {
	for _, n := range names {
		if p.has(path.Join(dir, n)) {
			return true
		}
	}
	return false
}

// jsonSettings renders the top-level scalar settings of a JSON config file.
func jsonSettings(file string) string {
	var m map[string]any
	if json.Unmarshal([]byte(readHead(file, 64<<10)), &m) != nil {
		return ""
	}
	var parts []string
	for k, v := range m {
		switch v.(type) {
		case string, float64, bool:
			b, _ := json.Marshal(v)
			parts = append(parts, fmt.Sprintf("`%s: %s`", k, b))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// editorConfigLines summarises .editorconfig: indentation per file pattern
// and the whole-file rules of the [*] section.
func editorConfigLines(file string) []string {
	type sec struct {
		glob string
		kv   map[string]string
	}
	var secs []*sec
	var cur *sec
	readLines(file, 64<<10, func(line string) bool {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";"):
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			cur = &sec{glob: t[1 : len(t)-1], kv: map[string]string{}}
			secs = append(secs, cur)
		case cur != nil:
			if k, v, ok := strings.Cut(t, "="); ok {
				cur.kv[strings.ToLower(strings.TrimSpace(k))] = strings.ToLower(strings.TrimSpace(v))
			}
		}
		return true
	})
	var indents, rules []string
	for _, s := range secs {
		style, size := s.kv["indent_style"], s.kv["indent_size"]
		switch {
		case style == "tab":
			indents = append(indents, fmt.Sprintf("`%s` tabs", s.glob))
		case style == "space" && size != "":
			indents = append(indents, fmt.Sprintf("`%s` %s spaces", s.glob, size))
		case style == "space":
			indents = append(indents, fmt.Sprintf("`%s` spaces", s.glob))
		}
		if s.glob != "*" {
			continue
		}
		if v := s.kv["end_of_line"]; v != "" {
			rules = append(rules, strings.ToUpper(v)+" line endings")
		}
		if v := s.kv["charset"]; v != "" {
			rules = append(rules, v+" encoding")
		}
		if s.kv["insert_final_newline"] == "true" {
			rules = append(rules, "a final newline")
		}
		if s.kv["trim_trailing_whitespace"] == "true" {
			rules = append(rules, "no trailing white space")
		}
		if v := s.kv["max_line_length"]; v != "" && v != "off" {
			rules = append(rules, "lines up to "+v+" characters")
		}
	}
	var out []string
	if len(indents) > 0 {
		out = append(out, "Indentation (.editorconfig): "+strings.Join(indents, "; "))
	}
	if len(rules) > 0 {
		out = append(out, "Every file (.editorconfig): "+strings.Join(rules, ", "))
	}
	return out
}

func cdPrefix(dir string) string {
	if dir == "." {
		return ""
	}
	return "cd " + dir + " && "
}

func suffixAll(ss []string, suf string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + suf
	}
	return out
}
