package scaffold

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	repoctx "github.com/git-codex/git-codex/context"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestScaffoldFacts checks, beside the golden comparison, the facts each
// fixture exists for: the command CI runs is the one chosen, publishing
// commands are listed apart, workspace members are listed, markup is
// stripped, type-only imports draw no edge, policies come first.
func TestScaffoldFacts(t *testing.T) {
	tests := []struct {
		fixture string
		arch    []string // ARCHITECTURE.md contains
		archNot []string
		agents  []string // AGENTS.md contains
		agNot   []string
	}{
		{
			fixture: "gowork",
			arch: []string{
				"Go module `example.com/relay/plugins/s3` (`plugins/s3/`, go 1.23)",
				"go.work uses `.`, `plugins/s3`",
				"Examples: `examples/`",
				"Generated code: `internal/queue/queue.pb.go`",
				"1. `cmd/relayd` (the `relayd` command)",
			},
			archNot: []string{"Go command `basic`", "examples/basic"},
			agents: []string{
				"- Test: `go test -race -count=1 -shuffle=on ./...` (CI: .github/workflows/ci.yml, job `test`)",
				"`cd plugins/s3 && go test -race -count=1 ./...`",
				"`make lint` — runs `golangci-lint run ./...`",
				"`make help` — show the targets",
				"## Never run\n\nThese publish",
				"- `make release` — runs `goreleaser release --clean`",
				"Go 1.22, 1.23 (`go` directive in go.mod)",
			},
			agNot: []string{"$(info", "Task runners:\n\n- `make release`", "- Test: `go test ./...`"},
		},
		{
			fixture: "pytyped",
			arch: []string{
				"**ledgerline** — Double-entry bookkeeping for small teams.",
				"`ledgerline` (src/ledgerline/__init__.py) — Double-entry ledgers with balanced postings.",
				"`ledgerline.accounts` (src/ledgerline/accounts.py) — Account trees and their running balances.",
				"`ledgerline.cli` (src/ledgerline/cli.py) — Command line: `ledger post` and `ledger report`.",
				"- `ledgerline.accounts` → `ledgerline.money`\n",
				"Documentation: `docs/`",
			},
			archNot: []string{"~~~", "===", "`ledgerline.accounts` → `ledgerline.journal`", "Import cycles", `— "`},
			agents: []string{
				"- Test: `pytest -q -n auto --cov=ledgerline` (CI: .github/workflows/tests.yml, job `tests`)",
				"- Type check: `tox -e typing` (CI: .github/workflows/tests.yml, job `typing`)",
				"- Lint: `tox -e lint`",
				"- `make publish` — runs `twine upload dist/*`",
				"`uses: pypa/gh-action-pypi-publish@release/v1`",
				"Python >=3.9 (`requires-python`)",
				"Line width 99 for Python",
			},
			agNot: []string{"`make publish` — build", "Task runners:\n\n- `make publish`"},
		},
		{
			fixture: "jsmono",
			arch: []string{
				"pnpm workspace with 2 members (`packages/*`, `!packages/legacy`).",
				"npm package `@quill/core` (`packages/core/`) — Document model and operational transforms.",
				"npm package `@quill/cli` (`packages/cli/`) — Command line to convert documents between formats.",
				"`@quill/legacy` (`packages/legacy/`) (not a workspace member)",
				"`packages/cli/bin/quill.js` — command `quill`",
				"`packages/core/src/index.ts` — the main module of `@quill/core` (package.json `exports`)",
				"- `packages/core/src/delta.ts` → `packages/core/src/compose.ts`\n",
				"package `@quill/cli` → `@quill/core`",
				"Examples: `examples/`",
			},
			archNot: []string{"`packages/core/src/delta.ts` → `packages/core/src/compose.ts`, `packages/core/src/editor.ts`", "Import cycles", "examples/collab/index.js"},
			agents: []string{
				"- Test: `pnpm -r test` (runs the `test` script of each member",
				"- Lint: `pnpm lint` (runs `eslint .`; CI",
				"- `pnpm run release` — `changeset publish`",
				"- `pnpm run deploy:docs` — `gh-pages -d site/dist`",
				"- `pnpm changeset publish` (CI: .github/workflows/ci.yml, job `release`)",
				"Node.js >=20",
				"Line width 100 for Prettier",
			},
			agNot: []string{"Task runners:\n\n- `pnpm run release`", "`pnpm run release` — `changeset publish`\n- `pnpm run build`"},
		},
		{
			fixture: "rustws",
			arch: []string{
				"**sift** — sift finds structured records in large log files, fast.",
				"Cargo workspace (Cargo.toml) with 2 members besides the root package",
				"Rust crate `sift-scan` (`crates/scan/`) — Zero-copy line scanning with optional SIMD.",
				"Rust crate `sift-query` (`crates/query/`) — Query language: parse, plan and evaluate record filters.",
				"`sift-experimental` (`crates/experimental/`) (not a workspace member)",
				"`crates/cli/main.rs` — binary `sift` of crate `sift`",
				"crate `sift-query` → `sift-scan`",
				"Fuzzing: `fuzz/`",
			},
			archNot: []string{"— \"", "sift-fuzz"},
			agents: []string{
				"- Test: `cargo test --workspace --all-targets` (CI: .github/workflows/ci.yml, job `test`)",
				"`cargo test --workspace --features \"${{ matrix.features }}\"` (matrix.features: (empty), simd)",
				"- Lint: `cargo clippy --workspace --all-targets --all-features -- -D warnings`",
				"- `cargo publish -p sift-scan` (CI: .github/workflows/release.yml, job `publish`)",
				"MSRV) 1.74",
				"`sift-query` 1.70",
				"edition 2021",
				"rustfmt: line width 100",
				"`cargo xtask` — alias for `cargo run --package xtask --`",
			},
			agNot: []string{"${{ env.CARGO }}", "- Test: `cargo test`\n", "- Test: `cargo test (", "TARGET_FLAGS"},
		},
		{
			fixture: "policy",
			agents: []string{
				"## Policies\n\nRead these first",
				"- **AI_POLICY.md forbids autonomous agents**: “Autonomous agents must not open issues or pull requests here",
				"Agent instructions: [.cursorrules](.cursorrules)",
				"Agent instructions: [.github/copilot-instructions.md](.github/copilot-instructions.md)",
				"Code owners: [.github/CODEOWNERS](.github/CODEOWNERS) — 2 ownership rules",
				"default owners @acme/maintainers",
				"Licence headers: CI checks licence headers (`addlicense -check -l apache .`",
				"- Test: `just check` (runs `lint`, `test`, so `go test ./...`; CI: .gitlab-ci.yml, job `test`)",
				"- `just release` — tag a release and push the tag",
				"- `mkdocs gh-deploy --force` (CI: .gitlab-ci.yml, job `pages`)",
			},
			agNot: []string{"CONTRIBUTING.md forbids"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			root := loadFixture(t, "testdata/scaffold/"+tt.fixture+".txtar")
			if _, err := Scaffold(root, ScaffoldOptions{}); err != nil {
				t.Fatal(err)
			}
			arch := readFile(t, filepath.Join(root, repoctx.ArchitectureFile))
			agents := readFile(t, filepath.Join(root, repoctx.AgentsFile))
			for _, s := range tt.arch {
				if !strings.Contains(arch, s) {
					t.Errorf("ARCHITECTURE.md lacks %q", s)
				}
			}
			for _, s := range tt.archNot {
				if strings.Contains(arch, s) {
					t.Errorf("ARCHITECTURE.md has %q", s)
				}
			}
			for _, s := range tt.agents {
				if !strings.Contains(agents, s) {
					t.Errorf("AGENTS.md lacks %q", s)
				}
			}
			for _, s := range tt.agNot {
				if strings.Contains(agents, s) {
					t.Errorf("AGENTS.md has %q", s)
				}
			}
			if t.Failed() {
				t.Logf("ARCHITECTURE.md:\n%s\nAGENTS.md:\n%s", arch, agents)
			}
		})
	}
}

// TestPoliciesFirst checks that the policy section opens AGENTS.md and that
// AgentBan finds the ban, and only the ban.
func TestAgentBan(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		banned string // the file, "" for none
	}{
		{"ban in AI policy", map[string]string{"AI_POLICY.md": "# AI\n\nAI is welcome.\n\nThis project requires a human in the loop. **Autonomous agents are not allowed to be used for contributing to this project**.\n"}, "AI_POLICY.md"},
		{"ban on AI-generated code in CONTRIBUTING", map[string]string{"CONTRIBUTING.md": "# Contributing\n\nWe do not accept contributions generated by AI tools or LLMs.\n"}, "CONTRIBUTING.md"},
		{"advice is no ban", map[string]string{"AI_POLICY.md": "AI should not be used to generate comments when talking to maintainers.\n"}, ""},
		{"condition is no ban", map[string]string{"CONTRIBUTING.md": "Code generated by AI is not accepted unless you disclose it.\n"}, ""},
		{"welcome is no ban", map[string]string{"AI_POLICY.md": "AI assisted contributions are welcome in this project. You are responsible for them.\n"}, ""},
		{"a fenced example is no ban", map[string]string{"CLAUDE.md": "# Notes\n\n```\nagents are not allowed\n```\n"}, ""},
		{"no policy files", map[string]string{"README.md": "Agents are not allowed here.\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, data := range tt.files {
				writeTestFile(t, root, name, data)
			}
			pol, ok := AgentBan(root)
			if ok != (tt.banned != "") || pol.File != tt.banned {
				t.Fatalf("AgentBan = %+v, %v; want %q", pol, ok, tt.banned)
			}
			if ok && pol.Quote == "" {
				t.Error("a ban without the sentence that says so")
			}
		})
	}
}

func TestPlainDoc(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"rst module title", "\nrequests.api\n~~~~~~~~~~~~\n\nThis module implements the Requests API.\n\n:copyright: (c) 2012.\n", "This module implements the Requests API."},
		{"rst overlined title", "=====\nTitle\n=====\n\nBody text here.\n", "Body text here."},
		{"title alone", "Accounts\n========\n", "Accounts"},
		{"markdown heading", "# Tool\n\nDoes one thing well.\n", "Does one thing well."},
		{"setext heading", "ripgrep (rg)\n------------\nripgrep is a line-oriented search tool.\n", "ripgrep is a line-oriented search tool."},
		{"roles and literals", "Calls :func:`main` with ``argv`` and **care**.", "Calls main with `argv` and care."},
		{"links", "A [WSGI] app, see [docs](https://x) and `Flask <https://f>`_.", "A WSGI app, see docs and Flask."},
		{"directive skipped", ".. note::\n   internal\n\nReal text.", "Real text."},
		{"plain go doc", "Package x does y.\n\nMore.", "Package x does y."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstSentence(tt.in); got != tt.want {
				t.Errorf("firstSentence(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		cmd  string
		want cmdKind
	}{
		{"go test -race ./...", kindTest},
		{"cargo test --workspace --features pcre2", kindTest},
		{"cross test --target x", kindTest},
		{"uv run --locked --group dev tox run -e typing", kindTypes},
		{"tox -e py312", kindTest},
		{"python -m pytest -q", kindTest},
		{"nyc --reporter=text npm test", kindTest},
		{"pnpm -r test", kindTest},
		{"npm run test-ci", kindTest},
		{"make cover", kindTest},
		{"ci/test-complete", kindTest},
		{"cargo clippy --all-targets -- -D warnings", kindLint},
		{"golangci-lint run --help", kindSetupOnly},
		{"ruff format --check .", kindFormat},
		{"cargo fmt --all --check", kindFormat},
		{"tsc --noEmit", kindTypes},
		{"npm ci", kindInstall},
		{"pip install tox", kindSetupOnly},
		{"python -m pip install -e '.[test]'", kindInstall},
		{"cargo build --profile release-lto", kindBuild},
		{"cargo publish -p x", kindPublish},
		{"twine upload dist/*", kindPublish},
		{"make publish", kindPublish},
		{"pnpm changeset publish", kindPublish},
		{"npm publish --access public", kindPublish},
		{"docker push ghcr.io/x/y", kindPublish},
		{"git push origin v1", kindPublish},
		{"gh release create v1", kindPublish},
		{"echo done", kindSetupOnly},
	}
	for _, tt := range tests {
		if got := classify(tt.cmd); got != tt.want {
			t.Errorf("classify(%q) = %q, want %q", tt.cmd, got, tt.want)
		}
	}
}

// TestExamplesDoNotHideTheLibrary reproduces a library whose examples
// outnumber its modules: the examples are grouped, the library is listed.
func TestExamplesDoNotHideTheLibrary(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, root, "package.json", `{"name": "webby", "description": "A small web framework."}`)
	writeTestFile(t, root, "index.js", "module.exports = require('./lib/webby')\n")
	for _, m := range []string{"webby", "router", "request", "response", "view"} {
		writeTestFile(t, root, "lib/"+m+".js", fmt.Sprintf("/**\n * %s: part of the framework.\n */\nrequire('./utils')\n", m))
	}
	writeTestFile(t, root, "lib/utils.js", "// Helpers shared by the modules.\n")
	for i := range 45 {
		writeTestFile(t, root, fmt.Sprintf("examples/ex%02d/index.js", i), "require('../../')\n")
	}
	if _, err := Scaffold(root, ScaffoldOptions{}); err != nil {
		t.Fatal(err)
	}
	arch := readFile(t, filepath.Join(root, repoctx.ArchitectureFile))
	for _, s := range []string{"`lib/router.js` — router: part of the framework.", "`index.js` — the main module of `webby`",
		"Examples: `examples/` (45 files in 45 directories)", "1. `index.js`", "→ `lib/webby.js`"} {
		if !strings.Contains(arch, s) {
			t.Errorf("ARCHITECTURE.md lacks %q:\n%s", s, arch)
		}
	}
	if strings.Contains(arch, "examples/ex0") || strings.Contains(arch, "more\n") {
		t.Errorf("examples are listed one by one:\n%s", arch)
	}
}

func loadFixture(t *testing.T, file string) string {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, f := range ar.Files {
		if !strings.HasPrefix(f.Name, "want/") {
			writeTestFile(t, root, f.Name, string(f.Data))
		}
	}
	return root
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSinglePackageLibraryAPI: a one-package Go library gets its exported
// types and functions listed, not a nearly empty draft; methods, unexported
// names and generated files stay out.
func TestSinglePackageLibraryAPI(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, root, "go.mod", "module example.com/uuid\n\ngo 1.21\n")
	writeTestFile(t, root, "uuid.go", "// Package uuid generates UUIDs.\npackage uuid\n\n"+
		"// A UUID is a 128 bit identifier.\ntype UUID [16]byte\n\n// New returns a random UUID.\nfunc New() UUID { return UUID{} }\n\n"+
		"// String formats u.\nfunc (u UUID) String() string { return \"\" }\n\nfunc helper() {}\n")
	writeTestFile(t, root, "table.go", "// Code generated by gen. DO NOT EDIT.\n\npackage uuid\n\nfunc Table() {}\n")
	if _, err := Scaffold(root, ScaffoldOptions{}); err != nil {
		t.Fatal(err)
	}
	arch := readFile(t, filepath.Join(root, repoctx.ArchitectureFile))
	for _, s := range []string{"## Main types and functions", "- `uuid.UUID` — A UUID is a 128 bit identifier.", "- `uuid.New()` — New returns a random UUID."} {
		if !strings.Contains(arch, s) {
			t.Errorf("ARCHITECTURE.md lacks %q:\n%s", s, arch)
		}
	}
	for _, s := range []string{"String", "helper", "Table"} {
		if strings.Contains(arch, "uuid."+s) {
			t.Errorf("ARCHITECTURE.md lists uuid.%s:\n%s", s, arch)
		}
	}
}

func TestExplainNestedScript(t *testing.T) {
	root := t.TempDir()
	writeTestFile(t, root, "package.json", `{"name":"x","scripts":{"test":"mocha test/","test-ci":"nyc --exclude examples --reporter=text npm test"}}`)
	writeTestFile(t, root, ".github/workflows/ci.yml", "on: push\njobs:\n  t:\n    steps:\n      - run: npm run test-ci\n")
	if _, err := Scaffold(root, ScaffoldOptions{}); err != nil {
		t.Fatal(err)
	}
	agents := readFile(t, filepath.Join(root, repoctx.AgentsFile))
	want := "- Test: `npm run test-ci` (runs `nyc --exclude examples --reporter=text npm test`, where `npm test` runs `mocha test/`"
	if !strings.Contains(agents, want) {
		t.Errorf("AGENTS.md lacks %q:\n%s", want, agents)
	}
}
