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

// renderAgents drafts AGENTS.md: the policies that bind agents here, the
// commands CI runs to build, test and lint, the ones never to run, the
// version floors and the conventions the configuration files state.
func renderAgents(root string, p *project) (string, string) {
	var b strings.Builder
	b.WriteString("# AGENTS.md\n\n")
	b.WriteString("> Drafted by `git codex init` from the project's CI definitions, task runners, manifests and configuration files. " +
		"Agents read this before every task: keep it short and true.\n\n")

	if pol := p.policyLines(); len(pol) > 0 {
		b.WriteString("## Policies\n\n")
		b.WriteString("Read these first: they bind anyone, human or agent, who works here.\n\n")
		writeList(&b, pol)
	}

	b.WriteString("## Project\n\n")
	name, desc := p.identity()
	fmt.Fprintf(&b, "%s. The layout, the entry points and how the parts depend on each other are in ARCHITECTURE.md; read it first.\n\n",
		withDesc("`"+name+"`", strings.TrimSuffix(desc, ".")))

	plan := p.commandPlan()
	b.WriteString("## Commands\n\n")
	if len(plan.lines) == 0 && len(plan.tasks) == 0 {
		b.WriteString("No build or test tooling was detected. Write down here how to build and test this project.\n\n")
	} else {
		if plan.fromCI != "" {
			fmt.Fprintf(&b, "These are the commands CI runs (%s), with its flags and features: a change that passes them passes CI. ", plan.fromCI)
		}
		b.WriteString("Run the tests before calling a change done; run the formatters and linters on what you touched.\n\n")
		writeList(&b, plan.lines)
		if len(plan.tasks) > 0 {
			b.WriteString("Task runners:\n\n")
			writeList(&b, plan.tasks)
		}
	}
	if len(plan.never) > 0 {
		b.WriteString("## Never run\n\n")
		b.WriteString("These publish, release, deploy or push: they act outside this checkout and cannot be undone. Leave them to the maintainers.\n\n")
		writeList(&b, plan.never)
	}
	if vs := p.versionLines(); len(vs) > 0 {
		b.WriteString("## Versions and settings\n\n")
		writeList(&b, vs)
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

// policyLines summarises the files that govern agents and contributions,
// a ban on autonomous agents first.
func (p *project) policyLines() []string {
	var out []string
	for _, pol := range p.policies {
		if pol.ForbidsAgents {
			out = append(out, fmt.Sprintf("**%s forbids autonomous agents**: “%s” — [%s](%s). Work only with a human in the loop who reviews and submits the change.",
				pol.File, pol.Quote, pol.File, pol.File))
		}
	}
	for _, pol := range p.policies {
		kind := strings.ToUpper(string(pol.Kind[:1])) + string(pol.Kind[1:])
		switch {
		case pol.File == "":
			out = append(out, fmt.Sprintf("%s: %s", kind, pol.Summary))
		case pol.Summary == "":
			out = append(out, fmt.Sprintf("%s: [%s](%s)", kind, pol.File, pol.File))
		default:
			out = append(out, fmt.Sprintf("%s: [%s](%s) — %s", kind, pol.File, pol.File, strings.TrimSuffix(pol.Summary, ".")))
		}
	}
	return out
}

// commandPlan is what the Commands and Never run sections list.
type commandPlan struct {
	fromCI string   // the CI files the commands come from
	lines  []string // Test: …, Lint: …
	tasks  []string // task-runner entries
	never  []string // publishing commands
}

// maxPerKind bounds the commands listed for one kind.
const maxPerKind = 4

// commandPlan chooses, for each kind, the commands CI runs (the most
// general first); where CI runs none of a kind, the ones CONTRIBUTING shows,
// then the task runners', then the usual ones for the languages found.
func (p *project) commandPlan() commandPlan {
	var plan commandPlan
	byKind := map[cmdKind][]ciCommand{}
	var ciFiles []string
	for _, c := range p.ci {
		if c.release || c.kind == kindPublish || c.kind == kindOther || c.kind == kindSetupOnly {
			continue
		}
		byKind[c.kind] = append(byKind[c.kind], c)
		if !contains(ciFiles, c.source) {
			ciFiles = append(ciFiles, c.source)
		}
	}
	plan.fromCI = strings.Join(ciFiles, ", ")
	defaults := p.defaultCommands()
	for _, k := range kindOrder {
		cmds := rankCommands(byKind[k], k)
		from := "ci"
		if len(cmds) == 0 {
			from = "doc"
			for _, c := range p.docCmds {
				if c.kind == k {
					cmds = append(cmds, c)
				}
			}
			cmds = rankCommands(cmds, k)
		}
		if len(cmds) == 0 {
			from = "runner"
			cmds = p.runnerCommands(k)
		}
		if len(cmds) == 0 {
			from = "default"
			cmds = defaults[k]
		}
		if len(cmds) == 0 {
			continue
		}
		if k == kindInstall {
			cmds = cmds[:1]
		}
		var parts []string
		seenNotes := map[string]bool{}
		limit := maxPerKind
		if k == kindTest {
			limit = 6
		}
		for i, c := range capCommands(cmds, limit) {
			s := "`" + cdPrefix(orDot(c.dir)) + c.cmd + "`"
			var notes []string
			if n := p.explainCommand(c.cmd, k); n != "" && !seenNotes[n] {
				notes = append(notes, n)
				seenNotes[n] = true
			}
			if c.note != "" && !contains(notes, c.note) {
				notes = append(notes, c.note)
			}
			switch from {
			case "ci":
				if i == 0 {
					notes = append(notes, "CI: "+ciWhere(c))
				}
			case "doc":
				if i == 0 {
					notes = append(notes, "from "+c.source)
				}
			case "default":
				if c.note == "" && i == 0 && len(p.ci) > 0 {
					notes = append(notes, "not seen in CI")
				}
			}
			if len(notes) > 0 {
				s += " (" + strings.Join(notes, "; ") + ")"
			}
			parts = append(parts, s)
		}
		line := string(k) + ": " + parts[0]
		if len(parts) > 1 {
			also := "also"
			if from == "ci" {
				also = "CI also runs"
			}
			line += "; " + also + " " + strings.Join(parts[1:], ", ")
		}
		if len(cmds) > limit {
			line += fmt.Sprintf(", and %d more", len(cmds)-limit)
		}
		plan.lines = append(plan.lines, line)
	}
	plan.tasks = p.taskLines()
	plan.never = p.neverLines()
	return plan
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

func ciWhere(c ciCommand) string {
	if c.job != "" {
		return fmt.Sprintf("%s, job `%s`", c.source, c.job)
	}
	return c.source
}

func capCommands(cs []ciCommand, n int) []ciCommand {
	if len(cs) > n {
		return cs[:n]
	}
	return cs
}

// rankCommands dedupes commands and puts the most general first: the ones
// that run everything (--workspace, ./..., -r) before the ones narrowed to
// a test, a package or a binary; then the ones CI runs most often.
func rankCommands(cs []ciCommand, k cmdKind) []ciCommand {
	type ranked struct {
		c     ciCommand
		n     int
		first int
	}
	idx := map[string]*ranked{}
	var list []*ranked
	for i, c := range cs {
		key := orDot(c.dir) + "\x00" + c.cmd
		if r := idx[key]; r != nil {
			r.n++
			continue
		}
		r := &ranked{c: c, n: 1, first: i}
		idx[key] = r
		list = append(list, r)
	}
	score := func(c ciCommand) int {
		s := 0
		rest := " " + c.cmd + " "
		for _, g := range []string{" --workspace ", " --all ", " ./... ", " -r ", " --recursive ", " --all-targets ", " run-many "} {
			if strings.Contains(rest, g) {
				s += 2
			}
		}
		for _, narrow := range []string{" -- ", " --lib ", " --bin ", " --manifest-path ", " -p ", " --package ", " -run ", " -k ", " --test ", " --filter "} {
			if strings.Contains(rest, narrow) {
				s -= 3
			}
		}
		if strings.Contains(c.cmd, "${{") {
			s--
		}
		if strings.Contains(rest, " --features ") || strings.Contains(rest, " -F ") {
			s-- // a variant: the plain command first
		}
		if strings.Contains(rest, " --all-features ") {
			s++
		}
		if strings.HasPrefix(c.note, "through the action") {
			s-- // what an action stands for is a guess; a run: line is exact
		}
		return s
	}
	sort.SliceStable(list, func(i, j int) bool {
		si, sj := score(list[i].c), score(list[j].c)
		if si != sj {
			return si > sj
		}
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		return list[i].first < list[j].first
	})
	out := make([]ciCommand, len(list))
	for i, r := range list {
		out[i] = r.c
	}
	return out
}

// explainCommand says what a task-runner call runs: the recipe of a make
// target, an npm script, a tox environment list, a Cargo alias.
func (p *project) explainCommand(cmd string, k cmdKind) string {
	w := normalize(cmd)
	if len(w) == 0 {
		return ""
	}
	switch path.Base(w[0]) {
	case "make", "gmake", "just":
		tasks := p.tasksRun(cmd)
		if len(tasks) == 0 {
			return ""
		}
		if tasks[0].command != "" {
			return "runs `" + tasks[0].command + "`"
		}
		if len(tasks[0].deps) > 0 {
			s := "runs " + codeList(tasks[0].deps)
			for _, t := range tasks[1:] {
				if t.kind == k && t.command != "" {
					s += ", so `" + t.command + "`"
					break
				}
			}
			return s
		}
	case "npm", "pnpm", "yarn", "bun":
		args := []string{}
		for _, a := range w[1:] {
			if !strings.HasPrefix(a, "-") {
				args = append(args, a)
			}
		}
		if len(args) == 0 {
			return ""
		}
		script := args[0]
		if (script == "run" || script == "run-script") && len(args) > 1 {
			script = args[1]
		}
		rest := " " + strings.Join(w, " ") + " "
		if strings.Contains(rest, " -r ") || strings.Contains(rest, " --recursive ") || strings.Contains(rest, " --workspaces ") || strings.Contains(rest, " -ws ") {
			var each []string
			for _, n := range p.npm {
				for _, s := range n.scripts {
					if s.k == script && n.dir != "." {
						each = append(each, fmt.Sprintf("`%s`: `%s`", orDir(n.name, n.dir), s.v))
					}
				}
			}
			if len(each) > 0 {
				return "runs the `" + script + "` script of each member: " + strings.Join(capList(each, 6), ", ")
			}
			return ""
		}
		return p.explainScript(script, 0)
	case "tox":
		if len(p.tox.envs) > 0 && !strings.Contains(cmd, " -e ") {
			return "tox environments: " + strings.Join(capList(p.tox.envs, 10), ", ") + " (" + p.tox.file + ")"
		}
	case "cargo":
		if len(w) > 1 {
			for _, a := range p.cargoAlias {
				if a.k == w[1] {
					return "alias for `cargo " + a.v + "` (.cargo/config.toml)"
				}
			}
		}
	}
	return ""
}

// explainScript says what a root npm script runs, following one script
// that calls another (`nyc npm test` → the test script).
func (p *project) explainScript(name string, depth int) string {
	n := p.rootNPM()
	for _, s := range n.scripts {
		if s.k != name || n.dir != "." {
			continue
		}
		out := "runs `" + s.v + "`"
		if depth == 0 {
			for _, seg := range segments(s.v) {
				w := normalize(seg.cmd)
				if len(w) >= 2 && (w[0] == "npm" || w[0] == "pnpm" || w[0] == "yarn") {
					inner := w[1]
					if (inner == "run" || inner == "run-script") && len(w) > 2 {
						inner = w[2]
					}
					if in := p.explainScript(inner, 1); in != "" && inner != name {
						out += ", where `" + strings.Join(w, " ") + "` " + in
					}
					break
				}
			}
		}
		return out
	}
	return ""
}

// runnerCommands returns the task-runner entries of kind k as commands.
func (p *project) runnerCommands(k cmdKind) []ciCommand {
	var out []ciCommand
	for _, t := range p.make {
		if t.kind == k && (kindOfName(t.name) == k || t.doc != "") {
			out = append(out, ciCommand{cmd: "make " + t.name, kind: k})
		}
	}
	for _, t := range p.just {
		if t.kind == k {
			out = append(out, ciCommand{cmd: "just " + t.name, kind: k})
		}
	}
	if n := p.rootNPM(); n.dir == "." {
		pm := p.packageManager(".")
		for _, s := range n.scripts {
			if kindOfName(s.k) == k && !strings.HasPrefix(s.k, "pre") && !strings.HasPrefix(s.k, "post") {
				out = append(out, ciCommand{cmd: p.npmRun(n, s.k), kind: k, note: "runs `" + s.v + "`"})
				_ = pm
			}
		}
	}
	for _, env := range p.tox.envs {
		if ek := kindOfName(env); ek == k && k != kindTest {
			out = append(out, ciCommand{cmd: "tox -e " + env, kind: k})
		}
	}
	if k == kindTest && p.tox.file != "" {
		out = append(out, ciCommand{cmd: "tox", kind: k})
	}
	if k == kindTest && len(p.nox) > 0 {
		out = append(out, ciCommand{cmd: "nox", kind: k, note: "sessions: " + strings.Join(capList(p.nox, 8), ", ")})
	}
	return out
}

// defaultCommands are the usual commands for the languages and tools found,
// used where neither CI nor a task runner names one.
func (p *project) defaultCommands() map[cmdKind][]ciCommand {
	out := map[cmdKind][]ciCommand{}
	add := func(k cmdKind, dir, cmd, note string) {
		out[k] = append(out[k], ciCommand{cmd: cmd, dir: dir, kind: k, note: note})
	}
	for _, m := range p.goMods {
		note := ""
		if len(p.goMods) > 1 {
			note = "module `" + m.path + "`"
		}
		add(kindTest, m.dir, "go test ./...", note)
		add(kindLint, m.dir, "go vet ./...", note)
		if p.hasAny(m.dir, ".golangci.yml", ".golangci.yaml", ".golangci.toml", ".golangci.json") {
			add(kindLint, m.dir, "golangci-lint run", "configured in .golangci.*")
		}
		add(kindBuild, m.dir, "go build ./...", note)
	}
	if len(p.goMods) > 0 {
		add(kindFormat, "", "gofmt -l .", "must print nothing; `gofmt -w FILE` fixes a file")
	}
	if len(p.cargo) > 0 || p.cargoWS != nil {
		ws := ""
		if p.cargoWS != nil {
			ws = " --workspace"
		}
		add(kindTest, "", "cargo test"+ws, "")
		add(kindLint, "", "cargo clippy"+ws+" --all-targets -- -D warnings", "")
		add(kindFormat, "", "cargo fmt --all --check", "")
		add(kindBuild, "", "cargo build"+ws, "")
	}
	for _, py := range p.py {
		dir := py.dir
		run := ""
		switch {
		case py.uv:
			add(kindInstall, dir, "uv sync", "")
			run = "uv run "
		case py.build == "poetry":
			add(kindInstall, dir, "poetry install", "")
			run = "poetry run "
		default:
			add(kindInstall, dir, "python -m pip install -e .", "")
		}
		if py.pytest || p.tests.pyTests > 0 {
			note := ""
			if len(p.tests.pyTestDs) > 0 {
				note = "tests in " + codeList(suffixAll(p.tests.pyTestDs, "/"))
			}
			add(kindTest, dir, run+"python -m pytest", note)
		}
		if py.ruff {
			add(kindLint, dir, run+"ruff check .", "")
			add(kindFormat, dir, run+"ruff format .", "")
		}
		if py.black {
			add(kindFormat, dir, run+"black .", "")
		}
		if py.isort {
			add(kindFormat, dir, run+"isort .", "")
		}
		if py.mypy {
			add(kindTypes, dir, run+"mypy", "")
		}
		if py.pyright {
			add(kindTypes, dir, run+"pyright", "")
		}
	}
	for _, n := range p.npm {
		if n.dir != "." && (n.member || p.rootNPM().dir == ".") {
			continue // the root's scripts and install cover workspace members
		}
		pm := p.packageManager(n.dir)
		add(kindInstall, n.dir, pm.install, "")
		for _, s := range n.scripts {
			k := kindOfName(s.k)
			if k != kindOther && k != kindPublish && !strings.HasPrefix(s.k, "pre") && !strings.HasPrefix(s.k, "post") {
				add(k, n.dir, p.npmRun(n, s.k)[len(cdPrefix(n.dir)):], "runs `"+s.v+"`")
			}
		}
	}
	if p.topFiles[".pre-commit-config.yaml"] {
		add(kindLint, "", "pre-commit run --all-files", "all hooks of .pre-commit-config.yaml")
	}
	return out
}

// taskLines lists the task runners' entries that do not publish.
func (p *project) taskLines() []string {
	var out []string
	describe := func(t runnerTask) string {
		switch {
		case t.doc != "":
			return " — " + t.doc
		case t.command != "":
			return " — runs `" + t.command + "`"
		case len(t.deps) > 0:
			return " — runs " + codeList(t.deps)
		}
		return ""
	}
	for _, t := range p.make {
		if t.kind != kindPublish {
			out = append(out, "`make "+t.name+"`"+describe(t))
		}
	}
	for _, t := range p.just {
		if t.kind != kindPublish {
			out = append(out, "`just "+t.name+"`"+describe(t))
		}
	}
	for _, n := range p.npm {
		if n.dir != "." {
			continue
		}
		for _, s := range n.scripts {
			if strings.HasPrefix(s.k, "pre") || strings.HasPrefix(s.k, "post") || p.scriptPublishes(s) {
				continue
			}
			out = append(out, fmt.Sprintf("`%s` — `%s`", p.npmRun(n, s.k), s.v))
		}
	}
	if len(p.tox.envs) > 0 {
		out = append(out, fmt.Sprintf("`tox -e ENV` — environments %s (%s)", codeList(capList(p.tox.envs, 12)), p.tox.file))
	}
	if len(p.nox) > 0 {
		out = append(out, fmt.Sprintf("`nox -s SESSION` — sessions %s (noxfile.py)", codeList(capList(p.nox, 12))))
	}
	for _, a := range p.cargoAlias {
		if classify("cargo "+a.v) != kindPublish {
			out = append(out, fmt.Sprintf("`cargo %s` — alias for `cargo %s` (.cargo/config.toml)", a.k, a.v))
		}
	}
	return out
}

// scriptPublishes reports an npm script that publishes, by name or body.
func (p *project) scriptPublishes(s kv) bool {
	if kindOfName(s.k) == kindPublish {
		return true
	}
	for _, seg := range segments(s.v) {
		if classify(seg.cmd) == kindPublish {
			return true
		}
	}
	return false
}

// neverLines lists the commands that publish, release, deploy or push.
func (p *project) neverLines() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, t := range p.make {
		if t.kind == kindPublish {
			l := "`make " + t.name + "`"
			if in := innerCommand(t.recipe, kindPublish); in != "" {
				l += " — runs `" + in + "`"
			} else if t.doc != "" {
				l += " — " + t.doc
			}
			add(l)
		}
	}
	for _, t := range p.just {
		if t.kind == kindPublish {
			add("`just " + t.name + "`" + strings.TrimSuffix(" — "+firstNonEmpty(t.doc, t.command), " — "))
		}
	}
	for _, n := range p.npm {
		for _, s := range n.scripts {
			if p.scriptPublishes(s) {
				add(fmt.Sprintf("`%s` — `%s`", p.npmRun(n, s.k), s.v))
			}
		}
	}
	for _, a := range p.cargoAlias {
		if classify("cargo "+a.v) == kindPublish {
			add(fmt.Sprintf("`cargo %s` — alias for `cargo %s`", a.k, a.v))
		}
	}
	ciSeen := map[string]bool{}
	for _, c := range p.ci {
		if c.kind == kindPublish && !ciSeen[c.cmd] {
			ciSeen[c.cmd] = true
			add(fmt.Sprintf("`%s` (CI: %s)", c.cmd, ciWhere(c)))
		}
	}
	for _, c := range p.docCmds {
		if c.kind == kindPublish && !ciSeen[c.cmd] {
			ciSeen[c.cmd] = true
			add(fmt.Sprintf("`%s` (%s)", c.cmd, c.source))
		}
	}
	return out
}

// versionLines states the version floors and the formatter settings that
// change what code may look like.
func (p *project) versionLines() []string {
	var out []string
	var gos []string
	for _, m := range p.goMods {
		if m.version != "" && !contains(gos, m.version) {
			gos = append(gos, m.version)
		}
	}
	if len(gos) > 0 {
		l := "Go " + strings.Join(gos, ", ") + " (`go` directive in go.mod): do not use language or library features newer than that"
		for _, m := range p.goMods {
			if m.toolchain != "" {
				l += "; toolchain " + m.toolchain
				break
			}
		}
		out = append(out, l)
	}
	var nodes []string
	for _, n := range p.npm {
		if n.engineNode != "" && !contains(nodes, n.engineNode) {
			nodes = append(nodes, n.engineNode)
		}
	}
	if len(nodes) > 0 {
		out = append(out, "Node.js "+strings.Join(nodes, ", ")+" (`engines` in package.json)")
	}
	for _, f := range []string{".nvmrc", ".node-version"} {
		if v := strings.TrimSpace(readHead(filepath.Join(p.root, f), 64)); v != "" {
			out = append(out, "Node.js "+v+" for development ("+f+")")
			break
		}
	}
	var pys []string
	for _, py := range p.py {
		if py.requiresPython != "" && !contains(pys, py.requiresPython) {
			pys = append(pys, py.requiresPython)
		}
	}
	if len(pys) > 0 {
		out = append(out, "Python "+strings.Join(pys, ", ")+" (`requires-python`): code must run on the oldest version allowed")
	}
	if v := strings.TrimSpace(readHead(filepath.Join(p.root, ".python-version"), 64)); v != "" {
		out = append(out, "Python "+strings.Fields(v)[0]+" for development (.python-version)")
	}
	if l := p.rustVersionLine(); l != "" {
		out = append(out, l)
	}
	if d := readTOMLFile(filepath.Join(p.root, "rust-toolchain.toml")); d != nil {
		if ch := getStr(d, "toolchain", "channel"); ch != "" {
			out = append(out, "Rust toolchain "+ch+" (rust-toolchain.toml)")
		}
	} else if v := strings.TrimSpace(readHead(filepath.Join(p.root, "rust-toolchain"), 64)); v != "" && !strings.Contains(v, "[") {
		out = append(out, "Rust toolchain "+v+" (rust-toolchain)")
	}
	// formatter settings
	for _, py := range p.py {
		if py.lineLength != "" {
			out = append(out, "Line width "+py.lineLength+" for Python ("+py.lineFrom+" in "+path.Join(py.dir, "pyproject.toml")+")")
		}
	}
	for _, f := range []string{"rustfmt.toml", ".rustfmt.toml"} {
		if d := readTOMLFile(filepath.Join(p.root, f)); d != nil {
			var parts []string
			if w, ok := get(d, "max_width").(int64); ok {
				parts = append(parts, fmt.Sprintf("line width %d", w))
			}
			for _, k := range []string{"edition", "imports_granularity", "group_imports", "hard_tabs", "tab_spaces"} {
				if v := get(d, k); v != nil {
					parts = append(parts, fmt.Sprintf("%s = %v", k, v))
				}
			}
			if len(parts) == 0 {
				parts = append(parts, "its settings")
			}
			out = append(out, "rustfmt: "+strings.Join(parts, ", ")+" ("+f+")")
			break
		}
	}
	if w := p.prettierSetting("printWidth"); w != "" {
		out = append(out, "Line width "+w+" for Prettier (printWidth)")
	}
	return out
}

// rustVersionLine states the MSRV and edition: the workspace's (or the root
// crate's), then the crates that declare another.
func (p *project) rustVersionLine() string {
	mainRV, mainEd := "", ""
	if ws := p.cargoWS; ws != nil {
		mainRV, mainEd = ws.rustVersion, ws.edition
	}
	for _, c := range p.cargo {
		if c.dir == "." {
			mainRV, mainEd = firstNonEmpty(mainRV, c.rustVersion), firstNonEmpty(mainEd, c.edition)
		}
	}
	var otherRV, otherEd []string
	for _, c := range p.cargo {
		if c.rustVersion != "" && c.rustVersion != mainRV {
			if mainRV == "" {
				mainRV = c.rustVersion
			} else {
				otherRV = append(otherRV, fmt.Sprintf("`%s` %s", c.name, c.rustVersion))
			}
		}
		if c.edition != "" && c.edition != mainEd {
			if mainEd == "" {
				mainEd = c.edition
			} else {
				otherEd = append(otherEd, fmt.Sprintf("`%s` %s", c.name, c.edition))
			}
		}
	}
	var parts []string
	if mainRV != "" {
		s := "minimum supported Rust version (MSRV) " + mainRV + " (`rust-version`): do not use newer language or library features"
		if len(otherRV) > 0 {
			s += " (crates with their own: " + strings.Join(capList(otherRV, 6), ", ") + ")"
		}
		parts = append(parts, s)
	}
	if mainEd != "" {
		s := "edition " + mainEd
		if len(otherEd) > 0 {
			s += " (crates with their own: " + strings.Join(capList(otherEd, 6), ", ") + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return "Rust: " + strings.Join(parts, "; ")
}

// prettierSetting reads one setting of the top-level Prettier config.
func (p *project) prettierSetting(key string) string {
	for _, f := range []string{".prettierrc", ".prettierrc.json", ".prettierrc.json5", ".prettierrc.yaml", ".prettierrc.yml"} {
		if !p.topFiles[f] {
			continue
		}
		if n := readYAMLFile(filepath.Join(p.root, f)); n != nil { // JSON is YAML
			var m map[string]any
			if n.Decode(&m) == nil && m[key] != nil {
				return fmt.Sprint(m[key])
			}
		}
	}
	return ""
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
	if len(p.goMods) > 0 {
		out = append(out, "Go code is formatted with `gofmt`")
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
