package scaffold

import (
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// runnerTask is a named task of a task runner (a make target, a just recipe).
type runnerTask struct {
	name    string
	doc     string   // the help comment
	recipe  []string // recipe lines, continuations joined, variables expanded
	command string   // the first recipe line that does something (not echo)
	kind    cmdKind
	deps    []string // prerequisite targets
}

// makeTarget is a Makefile target.
type makeTarget = runnerTask

// toxConfig is what tox's configuration names.
type toxConfig struct {
	file string
	envs []string
}

func (p *project) exploreRunners() {
	p.make = parseMakefile(p.root, p.topFiles)
	p.just = parseJustfile(p.root, p.topFiles)
	if p.topFiles["tox.ini"] {
		ini := readINI(filepath.Join(p.root, "tox.ini"))
		p.tox.file = "tox.ini"
		p.tox.envs = toxEnvs(ini)
	}
	if p.topFiles["noxfile.py"] {
		p.nox = noxSessions(readHead(filepath.Join(p.root, "noxfile.py"), 256<<10))
	}
	for _, f := range []string{".cargo/config.toml", ".cargo/config"} {
		if d := readTOMLFile(filepath.Join(p.root, filepath.FromSlash(f))); d != nil {
			for name, v := range getTable(d, "alias") {
				switch x := v.(type) {
				case string:
					p.cargoAlias = append(p.cargoAlias, kv{name, x})
				case []any:
					p.cargoAlias = append(p.cargoAlias, kv{name, strings.Join(getStrs(map[string]any{"a": x}, "a"), " ")})
				}
			}
			sort.Slice(p.cargoAlias, func(i, j int) bool { return p.cargoAlias[i].k < p.cargoAlias[j].k })
			break
		}
	}
}

// readTox reads tox configuration kept in pyproject.toml.
func (p *project) readTox(d tree) {
	if p.tox.file != "" {
		return
	}
	if envs := getStrs(d, "tool", "tox", "env_list"); len(envs) > 0 {
		p.tox = toxConfig{file: "pyproject.toml [tool.tox]", envs: envs}
		return
	}
	if legacy := getStr(d, "tool", "tox", "legacy_tox_ini"); legacy != "" {
		p.tox = toxConfig{file: "pyproject.toml [tool.tox]", envs: toxEnvs(parseINI(legacy))}
	}
}

func toxEnvs(ini map[string]map[string]string) []string {
	var envs []string
	for _, f := range strings.FieldsFunc(ini["tox"]["envlist"]+"\n"+ini["tox"]["env_list"], func(r rune) bool {
		return r == ',' || r == '\n' || r == ' '
	}) {
		if f != "" {
			envs = append(envs, f)
		}
	}
	for sec := range ini {
		if name, ok := strings.CutPrefix(sec, "testenv:"); ok && !contains(envs, name) {
			envs = append(envs, name)
		}
	}
	return envs
}

var noxSessionRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^@(?:nox\.)?session\b[^\n]*\n(?:@[^\n]*\n)*def\s+(\w+)`)
})

func noxSessions(text string) []string {
	var out []string
	for _, m := range noxSessionRe().FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

var (
	makeTargetRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.\-/]*(?:\s+[A-Za-z0-9][A-Za-z0-9_.\-/]*)*)\s*:([^=]|$)`)
	})
	makeVarRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[:?+!]?=\s*(.*)$`)
	})
	makeRefRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]`) })
)

func parseMakefile(root string, top map[string]bool) []runnerTask {
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
	var out []runnerTask
	vars := map[string]string{}
	seen := map[string]bool{}
	var cur *runnerTask
	prevComment, cont := "", ""
	readLines(filepath.Join(root, name), 256<<10, func(line string) bool {
		if cont != "" {
			line = cont + " " + strings.TrimSpace(line)
			cont = ""
		}
		if strings.HasSuffix(line, "\\") {
			cont = strings.TrimSuffix(line, "\\")
			return true
		}
		if strings.HasPrefix(line, "\t") {
			if cur != nil {
				cur.recipe = append(cur.recipe, strings.TrimSpace(line))
			}
			return true
		}
		cur = nil
		t := strings.TrimSpace(line)
		if c, ok := strings.CutPrefix(t, "#"); ok {
			prevComment = strings.TrimSpace(strings.TrimLeft(c, "#"))
			return true
		}
		if vm := makeVarRe().FindStringSubmatch(line); vm != nil {
			vars[vm[1]] = strings.TrimSpace(vm[2])
			return true
		}
		m := makeTargetRe().FindStringSubmatch(line)
		comment := prevComment
		prevComment = ""
		if m == nil {
			return true
		}
		if _, doc, ok := strings.Cut(line, "##"); ok {
			comment = strings.TrimSpace(doc)
		}
		var deps []string
		if _, rest, ok := strings.Cut(line, ":"); ok {
			rest, _, _ = strings.Cut(rest, "#")
			rest, _, _ = strings.Cut(rest, "|")
			for _, d := range strings.Fields(rest) {
				if !strings.ContainsAny(d, "$%/.") {
					deps = append(deps, d)
				}
			}
		}
		for _, tn := range strings.Fields(m[1]) {
			if strings.ContainsAny(tn, "%/.") || seen[tn] {
				continue
			}
			seen[tn] = true
			out = append(out, runnerTask{name: tn, doc: comment, deps: deps})
			cur = &out[len(out)-1]
		}
		return true
	})
	for i := range out {
		for j, r := range out[i].recipe {
			out[i].recipe[j] = expandMake(r, vars)
		}
		out[i].kind = taskKind(out[i].name, out[i].recipe)
		out[i].command = describeRecipe(out[i].recipe, out[i].kind)
	}
	return out
}

var foreachRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\$\(foreach\s+(\w+)\s*,\s*([^,]*),`) })

// describeRecipe is the recipe's first action, made readable: a
// $(foreach dir,LIST,(cd $(dir) && CMD) &&) loop is shown as CMD in each
// directory of LIST.
func describeRecipe(recipe []string, k cmdKind) string {
	first := firstAction(recipe)
	m := foreachRe().FindStringSubmatch(first)
	if m == nil {
		return first
	}
	inner := innerCommand(recipe, k)
	if inner == "" {
		for _, s := range segments(first[len(m[0]):]) {
			if c := strings.TrimRight(strings.TrimSpace(s.cmd), ") "); c != "" && !strings.HasPrefix(c, "echo") && classify(c) != kindSetupOnly {
				inner = c
				break
			}
		}
	}
	if inner == "" {
		return first
	}
	inner = strings.ReplaceAll(inner, "$("+m[1]+")", "DIR")
	return inner + "` in each of `" + strings.Join(strings.Fields(m[2]), "`, `")
}

// firstAction returns the first recipe line that does something: not an
// echo, not $(info …), not a no-op.
func firstAction(recipe []string) string {
	for _, r := range recipe {
		r = strings.TrimLeft(strings.TrimSpace(r), "@-+")
		r = strings.TrimSpace(r)
		switch {
		case r == "", r == ":", r == "true",
			strings.HasPrefix(r, "$(info"), strings.HasPrefix(r, "$(warning"), strings.HasPrefix(r, "$(error"),
			strings.HasPrefix(r, "echo"), strings.HasPrefix(r, "printf"), strings.HasPrefix(r, "#"):
			continue
		}
		return r
	}
	return ""
}

// taskKind classifies a task by its name, else by the commands it runs.
// A task that publishes anywhere in its recipe is a publishing task.
func taskKind(name string, recipe []string) cmdKind {
	for _, r := range recipe {
		for _, s := range segments(strings.TrimLeft(r, "@-+")) {
			if classify(s.cmd) == kindPublish {
				return kindPublish
			}
		}
	}
	if k := kindOfName(name); k != kindOther {
		return k
	}
	for _, r := range recipe {
		for _, s := range segments(strings.TrimLeft(r, "@-+")) {
			if k := classify(s.cmd); k != kindOther && k != kindSetupOnly {
				return k
			}
		}
	}
	return kindOther
}

// innerCommand returns the first command of a recipe that is of kind k, so
// that `make cover` can be shown with the `go test …` it runs.
func innerCommand(recipe []string, k cmdKind) string {
	for _, r := range recipe {
		for _, s := range segments(strings.TrimLeft(r, "@-+")) {
			c := strings.TrimRight(strings.TrimLeft(s.cmd, "@-+ "), ") ")
			if strings.HasPrefix(c, "$(") {
				continue
			}
			if classify(c) == k {
				w := strings.Fields(c)
				if len(w) > 0 && (w[0] == "make" || w[0] == "just") {
					continue // another task: its own line says what it runs
				}
				return c
			}
		}
	}
	return ""
}

// simpleMakeValue reports a value with no make functions in it, only text
// and plain variable references.
func simpleMakeValue(v string) bool {
	return !strings.Contains(makeRefRe().ReplaceAllString(v, ""), "$(")
}

// expandMake substitutes simple variables ($(GO) → go) and unescapes $$.
func expandMake(s string, vars map[string]string) string {
	for i := 0; i < 3; i++ {
		s = makeRefRe().ReplaceAllStringFunc(s, func(ref string) string {
			if v, ok := vars[makeRefRe().FindStringSubmatch(ref)[1]]; ok && simpleMakeValue(v) {
				return v
			}
			return ref
		})
	}
	return strings.ReplaceAll(s, "$$", "$")
}

var (
	justRecipeRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^@?([A-Za-z_][A-Za-z0-9_-]*)(?:\s+[^:=]*)?:(?:[^=]|$)`)
	})
	justAliasRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^alias\s+\S+\s*:=`) })
)

// parseJustfile reads the recipes of a justfile with their doc comments.
func parseJustfile(root string, top map[string]bool) []runnerTask {
	name := ""
	for _, n := range []string{"justfile", "Justfile", ".justfile"} {
		if top[n] {
			name = n
			break
		}
	}
	if name == "" {
		return nil
	}
	var out []runnerTask
	var cur *runnerTask
	prev := ""
	readLines(filepath.Join(root, name), 256<<10, func(line string) bool {
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if cur != nil && strings.TrimSpace(line) != "" {
				cur.recipe = append(cur.recipe, strings.TrimSpace(line))
			}
			return true
		}
		cur = nil
		t := strings.TrimSpace(line)
		if c, ok := strings.CutPrefix(t, "#"); ok && !strings.HasPrefix(t, "#!") {
			prev = strings.TrimSpace(c)
			return true
		}
		doc := prev
		prev = ""
		if strings.HasPrefix(t, "[") || strings.HasPrefix(t, "set ") || justAliasRe().MatchString(t) || strings.Contains(t, ":=") {
			if strings.HasPrefix(t, "[doc(") {
				prev = strings.Trim(strings.TrimSuffix(strings.TrimPrefix(t, "[doc("), ")]"), `"'`)
			}
			return true
		}
		if m := justRecipeRe().FindStringSubmatch(t); m != nil {
			var deps []string
			if _, rest, ok := strings.Cut(t, ":"); ok {
				for _, d := range strings.Fields(strings.Split(rest, "#")[0]) {
					if regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`).MatchString(d) {
						deps = append(deps, d)
					}
				}
			}
			out = append(out, runnerTask{name: m[1], doc: doc, deps: deps})
			cur = &out[len(out)-1]
		}
		return true
	})
	for i := range out {
		out[i].command = firstAction(out[i].recipe)
		out[i].kind = taskKind(out[i].name, out[i].recipe)
	}
	return out
}

// tasksRun returns the make targets or just recipes a command runs, with
// their prerequisites (transitively, bounded).
func (p *project) tasksRun(cmd string) []runnerTask {
	w := normalize(cmd)
	if len(w) == 0 {
		return nil
	}
	var tasks []runnerTask
	switch path.Base(w[0]) {
	case "make", "gmake":
		tasks = p.make
	case "just":
		tasks = p.just
	default:
		return nil
	}
	byName := map[string]runnerTask{}
	for _, t := range tasks {
		byName[t.name] = t
	}
	var queue []string
	for _, a := range w[1:] {
		if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
			queue = append(queue, a)
		}
	}
	if len(queue) == 0 && len(tasks) > 0 {
		queue = append(queue, tasks[0].name)
	}
	var out []runnerTask
	seen := map[string]bool{}
	for len(queue) > 0 && len(out) < 50 {
		n := queue[0]
		queue = queue[1:]
		t, ok := byName[n]
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, t)
		queue = append(queue, t.deps...)
	}
	return out
}
