package scaffold

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// cmdKind is what a command is for.
type cmdKind string

const (
	kindTest      cmdKind = "Test"
	kindLint      cmdKind = "Lint"
	kindFormat    cmdKind = "Format"
	kindTypes     cmdKind = "Type check"
	kindBuild     cmdKind = "Build"
	kindInstall   cmdKind = "Install"
	kindPublish   cmdKind = "publish" // publishes, releases, deploys or pushes
	kindOther     cmdKind = ""
	kindSetupOnly cmdKind = "setup" // toolchain and system setup: never listed
)

// kindOrder is the order command kinds are listed in AGENTS.md.
var kindOrder = []cmdKind{kindTest, kindLint, kindTypes, kindFormat, kindBuild, kindInstall}

// ciCommand is one command a CI definition, a task runner or a document
// runs, in the directory it runs in.
type ciCommand struct {
	cmd    string // as written, variables substituted where known
	dir    string // working directory relative to the root; "" or "." for the root
	kind   cmdKind
	source string // where it was read: ".github/workflows/ci.yml", "CONTRIBUTING.md"
	job    string // the CI job, when there is one
	note   string // what a task-runner call runs, matrix values, …
	// release is set for commands of release, publish and deploy workflows:
	// they are not what checks a change.
	release bool
}

var (
	envAssignRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|'[^']*'|\S*)\s+`) })
	// publishRe matches commands that publish, release, deploy or push.
	publishRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:` + strings.Join([]string{
			`(?:npm|pnpm|yarn(?: npm)?|bun|lerna|changeset|cargo|poetry|flit|hatch|uv|pdm|twine|gem|vsce|ovsx|dotnet nuget|mvn|gradle|./gradlew|jsr|deno) (?:-\S+ )*(?:publish|upload|push|deploy|release)(?:\s|$)`,
			`semantic-release\b`, `release-it\b`, `goreleaser\b`, `np\b`, `cargo release\b`, `cargo dist\b`,
			`twine\b`, `gh release\b`, `hub release\b`, `git push\b`, `git tag\b`, `docker (?:-\S+ )*push\b`, `docker buildx (?:\S+ )*?--push\b`,
			`podman push\b`, `ghp-import\b`, `mkdocs gh-deploy\b`, `gh-pages\b`, `firebase deploy\b`, `netlify deploy\b`,
			`vercel\b`, `wrangler (?:deploy|publish)\b`, `fly deploy\b`, `flyctl deploy\b`, `heroku\b`, `kubectl (?:apply|create|replace|rollout)\b`,
			`helm (?:upgrade|install|push)\b`, `terraform apply\b`, `aws s3 (?:cp|sync)\b`, `gsutil (?:cp|rsync)\b`, `rsync\b.*@`,
			`scp\b`, `pypi-publish\b`, `maturin (?:publish|upload)\b`,
		}, "|") + `)`)
	})
	// publishNameRe matches task names that publish, release or deploy.
	publishNameRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:publish|release|deploy|upload|push|dist-upload|pypi|bump|tag)(?:[-_:.].*)?$|[-_:](?:publish|release|deploy|upload)$`)
	})
	testNameRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:test|tests|check|cover|coverage|ci|unit|integration|e2e|spec)(?:[-_:.].*)?$|[-_:](?:test|tests)$`)
	})
	lintNameRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:lint|vet|clippy|style|pre-commit|precommit|static|staticcheck|audit|deny)(?:[-_:.].*)?$`)
	})
	fmtNameRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:fmt|format|prettier|black|gofmt)(?:[-_:.].*)?$`) })
	typesNameRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:typecheck|type-check|types|typing|mypy|pyright|tsc|check-types)(?:[-_:.].*)?$`)
	})
	buildNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:build|compile|dist|bundle)(?:[-_:.].*)?$`) })
)

// kindOfName classifies a task by its name (a make target, an npm script).
func kindOfName(name string) cmdKind {
	n := strings.ToLower(name)
	switch {
	case publishNameRe().MatchString(n):
		return kindPublish
	case typesNameRe().MatchString(n):
		return kindTypes
	case fmtNameRe().MatchString(n):
		return kindFormat
	case lintNameRe().MatchString(n):
		return kindLint
	case testNameRe().MatchString(n):
		return kindTest
	case buildNameRe().MatchString(n):
		return kindBuild
	}
	return kindOther
}

// normalize strips what does not change what a command does: env
// assignments, sudo/time, and runners that only pick an environment
// (uv run, poetry run, npx, …). It returns the words of the command proper.
func normalize(cmd string) []string {
	c := strings.TrimSpace(cmd)
	c = strings.TrimPrefix(c, "$ ")
	for {
		m := envAssignRe().FindString(c)
		if m == "" {
			break
		}
		c = c[len(m):]
	}
	w := strings.Fields(c)
	for len(w) > 0 {
		switch w[0] {
		case "sudo", "time", "exec", "env", "command", "xvfb-run", "nice", "npx", "bunx", "dotenv":
			w = w[1:]
			for len(w) > 0 && strings.HasPrefix(w[0], "-") {
				w = w[1:]
			}
			continue
		case "uv", "poetry", "pipenv", "pdm", "hatch", "rye", "pixi":
			if len(w) > 1 && w[1] == "run" {
				w = w[2:]
				for len(w) > 0 && strings.HasPrefix(w[0], "-") {
					// flags with a value: --group dev, --with x, -e env
					if (w[0] == "--group" || w[0] == "--with" || w[0] == "--extra" || w[0] == "-e" || w[0] == "--python" ||
						w[0] == "--env" || w[0] == "--only-group" || w[0] == "--package") && len(w) > 1 {
						w = w[1:]
					}
					w = w[1:]
				}
				continue
			}
		case "pnpm", "yarn":
			if len(w) > 1 && (w[1] == "exec" || w[1] == "dlx") {
				w = w[2:]
				continue
			}
		case "python", "python3", "py":
			if len(w) > 2 && w[1] == "-m" {
				w = w[2:]
				continue
			}
		case "nyc", "c8":
			// coverage wrappers: what they wrap decides (their flags take
			// values, so look for the wrapped runner by name)
			for i := 1; i < len(w); i++ {
				switch w[i] {
				case "npm", "pnpm", "yarn", "node", "mocha", "jest", "ava", "tap", "vitest", "npx", "tape":
					w = w[i:]
				}
				if len(w) > 0 && w[0] != "nyc" && w[0] != "c8" {
					break
				}
			}
			if w[0] != "nyc" && w[0] != "c8" {
				continue
			}
		case "cross":
			w[0] = "cargo"
		}
		break
	}
	return w
}

// classify says what a single command (no && or ;) is for.
func classify(cmd string) cmdKind {
	w := normalize(cmd)
	if len(w) == 0 {
		return kindOther
	}
	line := strings.Join(w, " ")
	if publishRe().MatchString(line) {
		return kindPublish
	}
	switch w[0] {
	case "pnpm", "yarn", "bun", "npx", "bunx":
		// `pnpm changeset publish` runs the changeset binary
		if len(w) > 1 && publishRe().MatchString(strings.Join(w[1:], " ")) {
			return kindPublish
		}
	}
	for _, a := range w[1:] {
		if a == "--help" || a == "--version" || a == "-V" || a == "version" {
			return kindSetupOnly // prints something, checks nothing
		}
	}
	tool := path.Base(w[0])
	sub := ""
	if len(w) > 1 {
		sub = w[1]
	}
	rest := " " + line + " "
	switch tool {
	case "echo", "printf", "cd", "export", "cat", "mkdir", "rm", "cp", "mv", "ls", "set", "source", ".", "true", ":", "which",
		"curl", "wget", "tar", "unzip", "chmod", "ln", "tee", "touch", "sleep", "find", "grep", "sed", "awk", "test", "[", "if",
		"then", "fi", "else", "for", "do", "done", "apt-get", "apt", "brew", "choco", "rustup", "corepack", "nvm", "pyenv",
		"git", "go version", "node", "docker", "sh", "bash", "pwsh":
		if tool == "git" && sub == "diff" && strings.Contains(rest, "--exit-code") {
			return kindLint
		}
		if tool == "sh" || tool == "bash" {
			if len(w) > 1 && !strings.HasPrefix(w[1], "-") {
				return classifyScript(w[1])
			}
		}
		if tool == "node" && sub == "--test" {
			return kindTest
		}
		return kindSetupOnly
	case "go":
		switch sub {
		case "test":
			return kindTest
		case "vet":
			return kindLint
		case "build", "install":
			if sub == "install" && strings.Contains(line, "@") {
				return kindSetupOnly
			}
			return kindBuild
		case "fmt":
			return kindFormat
		case "mod":
			if strings.Contains(rest, " tidy ") {
				return kindLint
			}
			return kindInstall
		case "generate":
			return kindBuild
		}
		return kindOther
	case "gotestsum", "ginkgo", "pytest", "py.test", "tox", "nox", "jest", "vitest", "mocha", "ava", "tap", "karma", "ctest",
		"unittest", "coverage", "bats", "phpunit", "rspec", "playwright", "cypress", "hatch-test", "nextest":
		if tool == "coverage" && sub != "run" {
			return kindOther
		}
		if tool == "tox" || tool == "nox" {
			return classifyEnvRunner(w)
		}
		return kindTest
	case "cargo":
		switch sub {
		case "test", "nextest", "hack", "miri", "llvm-cov", "tarpaulin":
			if sub == "hack" && !strings.Contains(rest, " test ") {
				return kindBuild
			}
			return kindTest
		case "clippy", "deny", "audit", "machete", "udeps", "semver-checks":
			return kindLint
		case "fmt":
			return kindFormat
		case "build", "check", "doc", "run":
			if sub == "run" {
				return kindOther
			}
			return kindBuild
		case "install", "binstall", "fetch":
			return kindSetupOnly
		}
		return kindOther
	case "golangci-lint", "staticcheck", "revive", "errcheck", "govulncheck", "flake8", "pylint", "ruff", "eslint", "biome", "oxlint",
		"stylelint", "shellcheck", "actionlint", "zizmor", "codespell", "markdownlint", "markdownlint-cli2", "hadolint",
		"yamllint", "pre-commit", "prek", "bandit", "vulture", "xo", "standard", "tslint", "commitlint", "typos", "addlicense",
		"license-eye", "reuse", "licensecheck", "checklicense":
		if tool == "ruff" && sub == "format" {
			return kindFormat
		}
		if tool == "biome" && sub == "format" {
			return kindFormat
		}
		return kindLint
	case "gofmt", "gofumpt", "goimports", "rustfmt", "black", "isort", "prettier", "clang-format", "dprint", "yapf", "autopep8", "taplo":
		return kindFormat
	case "mypy", "pyright", "basedpyright", "pytype", "ty", "stubtest", "vue-tsc", "flow":
		return kindTypes
	case "tsc":
		if strings.Contains(rest, " --noEmit ") || strings.Contains(rest, " --noemit ") {
			return kindTypes
		}
		return kindBuild
	case "build", "webpack", "rollup", "esbuild", "vite", "tsup", "parcel", "turbo", "nx", "maturin", "setup.py", "meson", "cmake", "ninja", "bazel":
		if tool == "turbo" || tool == "nx" {
			return kindOfName(strings.TrimPrefix(sub, "run"))
		}
		if tool == "vite" && sub != "build" {
			return kindOther
		}
		return kindBuild
	case "pip", "pip3", "pipx", "uv", "poetry", "pdm", "pipenv", "npm", "pnpm", "yarn", "bun", "deno", "bundle", "composer", "hatch":
		return classifyPackageManager(tool, w)
	case "make", "gmake", "just", "task", "mage", "invoke", "rake":
		for _, a := range w[1:] {
			if strings.HasPrefix(a, "-") || strings.Contains(a, "=") {
				continue
			}
			return kindOfName(a)
		}
		if tool == "make" {
			return kindBuild // the default target
		}
		return kindOther
	}
	if strings.Contains(w[0], "/") {
		return classifyScript(w[0])
	}
	return kindOther
}

// classifyScript classifies a repository script by its name
// (ci/test-complete, ./checklicense.sh, scripts/lint.sh).
func classifyScript(p string) cmdKind {
	base := strings.TrimSuffix(path.Base(p), path.Ext(p))
	base = strings.ToLower(base)
	switch {
	case strings.Contains(base, "licen"):
		return kindLint
	case strings.Contains(base, "publish"), strings.Contains(base, "release"), strings.Contains(base, "deploy"), strings.Contains(base, "upload"):
		return kindPublish
	case strings.Contains(base, "test"):
		return kindTest
	case strings.Contains(base, "lint"):
		return kindLint
	case strings.Contains(base, "fmt"), strings.Contains(base, "format"):
		return kindFormat
	}
	return kindOther
}

// classifyEnvRunner classifies tox and nox runs by the environment named.
func classifyEnvRunner(w []string) cmdKind {
	for i := 1; i < len(w); i++ {
		if (w[i] == "-e" || w[i] == "-s" || w[i] == "--session" || w[i] == "--sessions") && i+1 < len(w) {
			k := kindOfName(strings.Split(w[i+1], ",")[0])
			if k == kindOther {
				return kindTest
			}
			if k == kindBuild && strings.HasPrefix(w[i+1], "doc") {
				return kindBuild
			}
			return k
		}
	}
	return kindTest
}

// classifyPackageManager classifies npm/pnpm/yarn/pip/uv/poetry commands.
func classifyPackageManager(tool string, w []string) cmdKind {
	args := []string{}
	for _, a := range w[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		args = append(args, a)
	}
	if len(args) == 0 {
		if tool == "yarn" || tool == "bun" {
			return kindInstall
		}
		return kindOther
	}
	sub := args[0]
	switch sub {
	case "install", "ci", "i", "sync", "add", "bootstrap", "lock":
		if tool == "pip" || tool == "pip3" || tool == "pipx" {
			if len(args) > 1 && !strings.HasPrefix(args[1], ".") && !strings.Contains(strings.Join(w, " "), " -e ") &&
				!strings.Contains(strings.Join(w, " "), "-r ") {
				return kindSetupOnly // installing a tool
			}
		}
		return kindInstall
	case "test", "t":
		return kindTest
	case "run", "run-script":
		if len(args) > 1 {
			return kindOfName(args[1])
		}
	case "build":
		return kindBuild
	case "lint":
		return kindLint
	case "fmt":
		return kindFormat
	case "check":
		if tool == "deno" {
			return kindTypes
		}
	case "exec", "x", "dlx":
		if len(args) > 1 {
			return classify(strings.Join(args[1:], " "))
		}
	}
	if tool == "yarn" || tool == "pnpm" || tool == "bun" {
		// `yarn lint`, `pnpm test:unit`, `pnpm -r test`
		return kindOfName(sub)
	}
	return kindOther
}

// segments splits a shell script (a CI run: block, a make recipe) into
// single commands with the directory each runs in: lines continued with a
// backslash are joined, comments dropped, `cd DIR &&` followed.
func segments(script string) []ciCommand {
	var out []ciCommand
	script = strings.ReplaceAll(script, "\\\r\n", " ")
	script = strings.ReplaceAll(script, "\\\n", " ")
	dir := ""
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, part := range splitShell(line) {
			part = strings.TrimSpace(strings.Trim(strings.TrimSpace(part), "()"))
			if part == "" {
				continue
			}
			if d, ok := strings.CutPrefix(part, "cd "); ok {
				dir = cleanRel(strings.Trim(strings.TrimSpace(d), `"'`))
				continue
			}
			out = append(out, ciCommand{cmd: part, dir: dir})
		}
	}
	return out
}

// splitShell splits a line at && ; and || outside quotes.
func splitShell(line string) []string {
	var out []string
	var q byte
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == ';':
			out = append(out, line[start:i])
			start = i + 1
		case (c == '&' || c == '|') && i+1 < len(line) && line[i+1] == c:
			out = append(out, line[start:i])
			start = i + 2
			i++
		}
	}
	return append(out, line[start:])
}
