package scaffold

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// maxCIFiles bounds the CI definition files read.
const maxCIFiles = 40

// exploreCI reads the CI definitions the project has and records every
// command they run, classified.
func (p *project) exploreCI() {
	var files []string
	for _, pat := range []string{".github/workflows/*.yml", ".github/workflows/*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(p.root, filepath.FromSlash(pat)))
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) > maxCIFiles {
		files = files[:maxCIFiles]
	}
	for _, f := range files {
		rel := ".github/workflows/" + filepath.Base(f)
		p.ci = append(p.ci, githubCommands(rel, readYAMLFile(f))...)
	}
	for _, rel := range []string{".gitlab-ci.yml", ".circleci/config.yml", ".travis.yml", "azure-pipelines.yml",
		".azure-pipelines.yml", "bitbucket-pipelines.yml", ".drone.yml", ".woodpecker.yml", "appveyor.yml", ".appveyor.yml",
		"cirrus.yml", ".cirrus.yml", "buildkite.yml", ".buildkite/pipeline.yml"} {
		if n := readYAMLFile(filepath.Join(p.root, filepath.FromSlash(rel))); n != nil {
			p.ci = append(p.ci, genericCICommands(rel, n)...)
		}
	}
	for i := range p.ci {
		if p.ci[i].kind == "" {
			p.ci[i].kind = classify(p.ci[i].cmd)
		}
	}
}

// --- GitHub Actions ---

type ghWorkflow struct {
	Name     string            `yaml:"name"`
	On       yaml.Node         `yaml:"on"`
	Env      map[string]any    `yaml:"env"`
	Defaults ghDefaults        `yaml:"defaults"`
	Jobs     map[string]*ghJob `yaml:"jobs"`
	jobOrder []string
}

type ghDefaults struct {
	Run struct {
		WorkingDirectory string `yaml:"working-directory"`
	} `yaml:"run"`
}

type ghJob struct {
	Name     string         `yaml:"name"`
	If       string         `yaml:"if"`
	Env      map[string]any `yaml:"env"`
	Defaults ghDefaults     `yaml:"defaults"`
	Strategy struct {
		Matrix yaml.Node `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []ghStep `yaml:"steps"`
	Uses  string   `yaml:"uses"` // a reusable workflow
}

type ghStep struct {
	Name             string         `yaml:"name"`
	If               string         `yaml:"if"`
	Run              string         `yaml:"run"`
	Uses             string         `yaml:"uses"`
	With             map[string]any `yaml:"with"`
	Env              map[string]any `yaml:"env"`
	WorkingDirectory string         `yaml:"working-directory"`
	Shell            string         `yaml:"shell"`
}

var (
	ghEnvRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`) })
	ghMatrixRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}`) })
	releaseRe  = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)(?:^|[^a-z])(?:release|publish|deploy|pages|upload|cd)(?:[^a-z]|$)`)
	})
)

// publishingActions are actions whose use publishes or deploys.
var publishingActions = []string{
	"pypa/gh-action-pypi-publish", "softprops/action-gh-release", "ncipollo/release-action", "peaceiris/actions-gh-pages",
	"JamesIves/github-pages-deploy-action", "actions/deploy-pages", "goreleaser/goreleaser-action",
	"changesets/action", "docker/build-push-action", "JS-DevTools/npm-publish", "katyo/publish-crates",
	"rust-lang/crates-io-auth-action", "cloudflare/wrangler-action", "amondnet/vercel-action", "svenstaro/upload-release-action",
	"actions/upload-release-asset", "taiki-e/upload-rust-binary-action", "marvinpinto/action-automatic-releases",
}

// checkingActions are actions that run a linter or a check themselves; the
// command stands for what they run.
var checkingActions = map[string]string{
	"golangci/golangci-lint-action":   "golangci-lint run",
	"pre-commit/action":               "pre-commit run --all-files",
	"astral-sh/ruff-action":           "ruff check",
	"chartboost/ruff-action":          "ruff check",
	"psf/black":                       "black --check .",
	"apache/skywalking-eyes":          "license-eye header check",
	"korandoru/hawkeye":               "hawkeye check",
	"fsfe/reuse-action":               "reuse lint",
	"EmbarkStudios/cargo-deny-action": "cargo deny check",
	"actions-rust-lang/rustfmt":       "cargo fmt --all --check",
	"jakebailey/pyright-action":       "pyright",
}

func githubCommands(rel string, root *yaml.Node) []ciCommand {
	if root == nil {
		return nil
	}
	var wf ghWorkflow
	if root.Decode(&wf) != nil {
		return nil
	}
	// jobs in file order
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "jobs" {
			jobs := root.Content[i+1]
			for j := 0; j+1 < len(jobs.Content); j += 2 {
				wf.jobOrder = append(wf.jobOrder, jobs.Content[j].Value)
			}
		}
	}
	releaseWF := isReleaseWorkflow(rel, wf)
	var out []ciCommand
	for _, id := range wf.jobOrder {
		job := wf.Jobs[id]
		if job == nil {
			continue
		}
		name := id
		release := releaseWF || releaseRe().MatchString(id) || (job.Name != "" && !strings.Contains(job.Name, "${{") && releaseRe().MatchString(job.Name))
		matrix := matrixValues(&job.Strategy.Matrix)
		for _, st := range job.Steps {
			if st.Uses != "" {
				action := st.Uses
				if i := strings.Index(action, "@"); i >= 0 {
					action = action[:i]
				}
				for _, a := range publishingActions {
					if strings.EqualFold(action, a) {
						if a == "docker/build-push-action" && fmt.Sprint(st.With["push"]) != "true" {
							continue
						}
						out = append(out, ciCommand{cmd: "uses: " + st.Uses, kind: kindPublish, source: rel, job: name, release: true})
					}
				}
				if c, ok := checkingActions[action]; ok {
					if args, _ := st.With["args"].(string); args != "" && action == "golangci/golangci-lint-action" {
						c += " " + args
					}
					out = append(out, ciCommand{cmd: c, source: rel, job: name, release: release, note: "through the action " + action})
				}
				continue
			}
			if st.Run == "" || (st.Shell != "" && !strings.Contains(st.Shell, "bash") && !strings.Contains(st.Shell, "sh")) {
				continue
			}
			env := func(k string) (string, bool) {
				for _, m := range []map[string]any{st.Env, job.Env, wf.Env} {
					if v, ok := m[k]; ok {
						s := fmt.Sprint(v)
						if v == nil {
							s = ""
						}
						if strings.Contains(s, "${{") {
							return "", false
						}
						return s, true
					}
				}
				return "", false
			}
			script := ghEnvRe().ReplaceAllStringFunc(st.Run, func(ref string) string {
				if v, ok := env(ghEnvRe().FindStringSubmatch(ref)[1]); ok {
					return v
				}
				return ref
			})
			wd := firstNonEmpty(st.WorkingDirectory, job.Defaults.Run.WorkingDirectory, wf.Defaults.Run.WorkingDirectory)
			for _, s := range segments(script) {
				s.cmd = strings.Join(strings.Fields(s.cmd), " ")
				if s.cmd == "" {
					continue
				}
				s.dir = joinDir(wd, s.dir)
				s.source, s.job, s.release = rel, name, release
				var notes []string
				for _, m := range ghMatrixRe().FindAllStringSubmatch(s.cmd, -1) {
					if vals := matrix[m[1]]; len(vals) > 0 {
						notes = append(notes, "matrix."+m[1]+": "+strings.Join(vals, ", "))
					}
				}
				s.note = strings.Join(dedupe(notes), "; ")
				out = append(out, s)
			}
		}
	}
	return out
}

// isReleaseWorkflow reports workflows that exist to publish: triggered only
// by releases or tags, or named for releasing or deploying.
func isReleaseWorkflow(rel string, wf ghWorkflow) bool {
	if releaseRe().MatchString(strings.TrimSuffix(path.Base(rel), path.Ext(rel))) || releaseRe().MatchString(wf.Name) {
		return true
	}
	on := &wf.On
	switch on.Kind {
	case yaml.ScalarNode:
		return on.Value == "release"
	case yaml.SequenceNode:
		for _, n := range on.Content {
			if n.Value != "release" && n.Value != "workflow_dispatch" {
				return false
			}
		}
		return len(on.Content) > 0
	case yaml.MappingNode:
		onlyTags := true
		for i := 0; i+1 < len(on.Content); i += 2 {
			k, v := on.Content[i].Value, on.Content[i+1]
			switch k {
			case "release", "workflow_dispatch":
			case "push":
				hasTags, hasBranches := false, false
				for j := 0; j+1 < len(v.Content); j += 2 {
					switch v.Content[j].Value {
					case "tags":
						hasTags = true
					case "branches", "branches-ignore", "paths", "paths-ignore":
						hasBranches = true
					}
				}
				if !hasTags || hasBranches {
					onlyTags = false
				}
			default:
				onlyTags = false
			}
		}
		return onlyTags
	}
	return false
}

// matrixValues returns the scalar values each matrix key takes, include
// entries merged in.
func matrixValues(n *yaml.Node) map[string][]string {
	out := map[string][]string{}
	add := func(k, v string) {
		if v == "" {
			v = "(empty)"
		}
		if !strings.Contains(v, "${{") && !contains(out[k], v) {
			out[k] = append(out[k], v)
		}
	}
	if n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch {
		case k == "include" && v.Kind == yaml.SequenceNode:
			for _, e := range v.Content {
				for j := 0; j+1 < len(e.Content); j += 2 {
					if e.Content[j+1].Kind == yaml.ScalarNode {
						add(e.Content[j].Value, e.Content[j+1].Value)
					}
				}
			}
		case k == "exclude":
		case v.Kind == yaml.SequenceNode:
			for _, e := range v.Content {
				if e.Kind == yaml.ScalarNode {
					add(k, e.Value)
				}
			}
		}
	}
	return out
}

// --- other CI systems, read generically ---

// scriptKeys are the keys whose values are shell commands in GitLab CI,
// CircleCI, Travis, Azure Pipelines, Bitbucket, Drone and the like.
var scriptKeys = map[string]bool{
	"script": true, "scripts": true, "before_script": true, "run": true, "command": true, "commands": true,
	"install": true, "bash": true, "test_script": true, "build_script": true,
}

// ciReserved are top-level keys of GitLab CI and Travis that are not jobs.
var ciReserved = map[string]bool{
	"stages": true, "variables": true, "default": true, "include": true, "workflow": true, "image": true,
	"services": true, "cache": true, "language": true, "os": true, "dist": true, "version": true, "orbs": true,
	"executors": true, "commands": false, "trigger": true, "pr": true, "pool": true,
}

func genericCICommands(rel string, root *yaml.Node) []ciCommand {
	var out []ciCommand
	var walk func(n *yaml.Node, job string, release bool, dir string)
	walk = func(n *yaml.Node, job string, release bool, dir string) {
		switch n.Kind {
		case yaml.MappingNode:
			// a job-level working directory applies to its scripts
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i].Value; (k == "working_directory" || k == "workingDirectory") && n.Content[i+1].Kind == yaml.ScalarNode {
					dir = cleanRel(n.Content[i+1].Value)
				}
				if k := n.Content[i].Value; (k == "stage" || k == "environment") && releaseRe().MatchString(n.Content[i+1].Value) {
					release = true
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if n == root {
					if ciReserved[k] || strings.HasPrefix(k, ".") {
						continue
					}
					job = k
					release = releaseRe().MatchString(k) || k == "deploy"
				}
				if k == "deploy" || k == "release" || k == "publish" {
					release = true
				}
				if scriptKeys[k] {
					for _, s := range scalarStrings(v) {
						for _, seg := range segments(s) {
							seg.cmd = strings.Join(strings.Fields(seg.cmd), " ")
							seg.dir = joinDir(dir, seg.dir)
							seg.source, seg.job, seg.release = rel, job, release
							out = append(out, seg)
						}
					}
					if v.Kind == yaml.MappingNode { // CircleCI: run: {command: …}
						walk(v, job, release, dir)
					}
					continue
				}
				walk(v, job, release, dir)
			}
		case yaml.SequenceNode:
			for _, e := range n.Content {
				walk(e, job, release, dir)
			}
		}
	}
	walk(root, "", false, "")
	return out
}

// scalarStrings returns a scalar's value, or the scalar items of a list.
func scalarStrings(n *yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, e := range n.Content {
			if e.Kind == yaml.ScalarNode {
				out = append(out, e.Value)
			}
		}
		return out
	}
	return nil
}

func joinDir(base, dir string) string {
	base = cleanRel(base)
	switch {
	case dir == "":
		return base
	case base == "" || base == "." || strings.HasPrefix(dir, "/"):
		return dir
	}
	return path.Join(base, dir)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// --- CONTRIBUTING and similar documents ---

// contributingDocs are where projects explain how to build and test.
var contributingDocs = []string{
	"CONTRIBUTING.md", ".github/CONTRIBUTING.md", "docs/CONTRIBUTING.md", "CONTRIBUTING.rst", "CONTRIBUTING",
	"DEVELOPMENT.md", "HACKING.md", "docs/development.md", "docs/contributing.md",
}

// exploreDocs reads the shell commands of fenced code blocks in the
// contributing documents.
func (p *project) exploreDocs() {
	for _, rel := range contributingDocs {
		text := readHead(filepath.Join(p.root, filepath.FromSlash(rel)), 128<<10)
		if text == "" {
			continue
		}
		for _, block := range shellBlocks(text) {
			for _, s := range segments(block) {
				s.cmd = strings.TrimSpace(strings.TrimPrefix(strings.Join(strings.Fields(s.cmd), " "), "$ "))
				s.source = rel
				s.kind = classify(s.cmd)
				p.docCmds = append(p.docCmds, s)
			}
		}
	}
}

// shellBlocks returns the bodies of fenced code blocks that hold shell
// commands (``` with sh/bash/shell/console or no language; rST
// `.. code-block:: bash` and `::` blocks too).
func shellBlocks(text string) []string {
	var out []string
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence, lang := t[:3], strings.ToLower(strings.TrimSpace(t[3:]))
			var body []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), fence); i++ {
				body = append(body, lines[i])
			}
			switch lang {
			case "", "sh", "bash", "shell", "console", "shell-session", "zsh", "text":
				out = append(out, shellLines(body, lang == "console" || lang == "shell-session"))
			}
			continue
		}
		if strings.HasPrefix(t, ".. code-block:: ") || strings.HasPrefix(t, ".. code:: ") || strings.HasPrefix(t, ".. sourcecode:: ") {
			lang := strings.TrimSpace(t[strings.LastIndex(t, "::")+2:])
			if lang != "bash" && lang != "sh" && lang != "shell" && lang != "console" && lang != "text" {
				continue
			}
			var body []string
			for i++; i < len(lines) && (strings.TrimSpace(lines[i]) == "" || strings.HasPrefix(lines[i], " ")); i++ {
				body = append(body, lines[i])
			}
			i--
			out = append(out, shellLines(body, lang == "console"))
		}
	}
	return out
}

// shellLines keeps the command lines of a block: with prompts only the
// lines that start with one.
func shellLines(body []string, prompts bool) string {
	var out []string
	hasPrompt := false
	for _, l := range body {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "$ ") || strings.HasPrefix(t, "% ") {
			hasPrompt = true
		}
	}
	for _, l := range body {
		t := strings.TrimSpace(l)
		if hasPrompt || prompts {
			if c, ok := strings.CutPrefix(t, "$ "); ok {
				out = append(out, c)
			} else if c, ok := strings.CutPrefix(t, "% "); ok {
				out = append(out, c)
			}
			continue
		}
		out = append(out, t)
	}
	return strings.Join(out, "\n")
}

// existsFile reports whether rel exists under root.
func existsFile(root, rel string) bool {
	_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
	return err == nil
}
