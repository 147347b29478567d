package prompt_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/prompt"
)

var update = flag.Bool("update", false, "rewrite prompt/testdata/*.golden")

// golden compares got with testdata/name.golden, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./prompt -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from its golden file (rerun with -update if intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func TestInstructions(t *testing.T) {
	tests := []struct {
		name string
		opts prompt.InstructionOptions
	}{
		{"instructions_tools", prompt.InstructionOptions{Topic: "feature/login", ContextFiles: []string{"ARCHITECTURE.md", "AGENTS.md", "docs/auth.md"}, Tools: true}},
		{"instructions_inline", prompt.InstructionOptions{Topic: "main", ContextFiles: []string{"./docs/auth.md"}}},
		{"instructions_no_topic", prompt.InstructionOptions{Tools: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := prompt.Instructions(tt.opts)
			golden(t, tt.name, got)
			if again := prompt.Instructions(tt.opts); again != got {
				t.Error("Instructions is not byte-identical across calls")
			}
		})
	}
}

func TestInstructionsContextFilesNormalised(t *testing.T) {
	a := prompt.Instructions(prompt.InstructionOptions{Topic: "t", ContextFiles: []string{"ARCHITECTURE.md", "AGENTS.md", "x.go"}, Tools: true})
	b := prompt.Instructions(prompt.InstructionOptions{Topic: "t", ContextFiles: []string{"x.go", "./x.go", " AGENTS.md"}, Tools: true})
	if a != b {
		t.Errorf("the same file set gives different instructions:\n%s\n---\n%s", a, b)
	}
}

func TestFirst(t *testing.T) {
	tests := []struct {
		name string
		msg  prompt.FirstMessage
	}{
		{"first_full", prompt.FirstMessage{
			Task:         "Add rate limiting to the login endpoint.",
			ContextFiles: []string{"docs/auth.md", "./internal/auth/login.go", "AGENTS.md"},
			Focus:        "  the login handler\n and its tests ",
			Scope:        "internal/auth/\n- do not change the public API\nno new dependencies",
			Expect:       "A patch and a short explanation.",
			Criteria:     "1. go test ./... passes\n2. five failed logins in a minute are refused",
		}},
		{"first_defaults", prompt.FirstMessage{Task: "  Explain how sessions are stored.  "}},
		{"first_inline", prompt.FirstMessage{
			Task:         "Review the README.",
			ContextFiles: []string{"README.md"},
			InlineFiles: map[string]string{
				"ARCHITECTURE.md": "# Architecture\n\nLayers.\n",
				"AGENTS.md":       "# Agents\n\nRun `make test`.",
				"README.md":       "# Demo\n\n```sh\ngo install ./...\n```\n",
				"extra/z.go":      "package z\n",
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := prompt.First(tt.msg)
			if err != nil {
				t.Fatalf("First: %v", err)
			}
			golden(t, tt.name, got)
			for _, h := range []string{"## Context\n", "\n## Task\n", "\n## Scope\n", "\n## Expected Output\n", "\n## Success Criteria\n"} {
				if strings.Count(got, h) != 1 {
					t.Errorf("section %q appears %d times", strings.TrimSpace(h), strings.Count(got, h))
				}
			}
		})
	}
}

func TestFirstEmptyTask(t *testing.T) {
	for _, task := range []string{"", "  \n\t"} {
		if _, err := prompt.First(prompt.FirstMessage{Task: task, Scope: "x"}); !errors.Is(err, prompt.ErrEmptyTask) {
			t.Errorf("First(task %q) err = %v, want ErrEmptyTask", task, err)
		}
	}
}

func TestFirstReferencesWithoutContents(t *testing.T) {
	got, err := prompt.First(prompt.FirstMessage{Task: "t", ContextFiles: []string{"secret-plan.md"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "- secret-plan.md\n") || strings.Contains(got, "```") {
		t.Errorf("first message should reference files without contents:\n%s", got)
	}
}

func TestFollowUps(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"reply trims", prompt.Reply("  use a map instead \n"), "use a map instead"},
		{"fix", prompt.Fix("the nil check"), "Fix: the nil check"},
		{"fix already prefixed", prompt.Fix("fix: the nil check"), "fix: the nil check"},
		{"also", prompt.Also(" add a test"), "Also: add a test"},
		{"based on", prompt.BasedOn("write the migration"), "Based on that, write the migration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestFixFailed(t *testing.T) {
	var long strings.Builder
	for i := 1; i <= 100; i++ {
		long.WriteString("line ")
		long.WriteString(strings.Repeat("x", i%7))
		long.WriteString("\n")
	}
	tests := []struct {
		name    string
		cmd     string
		output  string
		maxTail int
		want    []string
		not     []string
		maxLen  int
	}{
		{"short output", "go test ./...", "--- FAIL: TestX\nFAIL\n", 0,
			[]string{"Failed: `go test ./...` — output:\n```\n--- FAIL: TestX\nFAIL\n```\nFix."}, nil, 0},
		{"tail bounded in lines", "make", long.String(), 5,
			[]string{"Failed: `make` — last 5 lines of output (95 earlier lines omitted):\n```\nline xxxxx\nline xxxxxx\nline\nline x\nline xx\n```\nFix."}, []string{"line xxxx\n"}, 0},
		{"tail bounded in bytes", "make", strings.Repeat(strings.Repeat("y", 99)+"\n", 200), 1000,
			[]string{"earlier lines omitted", "Fix."}, nil, prompt.MaxTailBytes + 200},
		{"one huge line", "make", strings.Repeat("z", 10000), 0, []string{"…zzz", "Fix."}, nil, prompt.MaxTailBytes + 200},
		{"no output", "false", "\n\n", 0, []string{"Failed: `false` (no output)\nFix."}, nil, 0},
		{"colours and progress stripped", "npm test", "\x1b[31mred\x1b[0m\n10%\r50%\r100% done\n\x1b]0;title\x07ok\n", 0,
			[]string{"red\n100% done\nok\n"}, []string{"\x1b", "50%", "\r"}, 0},
		{"backticks in output", "x", "```\ncode\n```\n", 0, []string{"````\n```\ncode\n```\n````\nFix."}, nil, 0},
		{"multi-line command flattened", "sh -c\n 'exit 1'", "boom", 0, []string{"Failed: `sh -c 'exit 1'`"}, nil, 0},
		{"secrets redacted", "deploy", "using OPENAI_API_KEY=sk-proj-Fake0Fake1Fake2Fake3Fake4\n", 0,
			[]string{"OPENAI_API_KEY=[REDACTED:openai-key]"}, []string{"Fake0Fake1"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := prompt.FixFailed(tt.cmd, tt.output, tt.maxTail)
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("FixFailed lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("FixFailed contains %q:\n%s", n, got)
				}
			}
			if tt.maxLen > 0 && len(got) > tt.maxLen {
				t.Errorf("FixFailed is %d bytes, want at most %d", len(got), tt.maxLen)
			}
			if !strings.HasPrefix(got, "Failed: `") || !strings.HasSuffix(got, "Fix.") {
				t.Errorf("FixFailed shape: %q", got)
			}
		})
	}
}

func TestFixFailedGolden(t *testing.T) {
	out := "ok   example.com/a\n--- FAIL: TestLogin (0.00s)\n    login_test.go:12: got 200, want 429\nFAIL\nFAIL example.com/auth 0.01s\n"
	golden(t, "fix_failed", prompt.FixFailed("go test ./...", out, 3))
}

func TestRequests(t *testing.T) {
	golden(t, "close_request", prompt.CloseRequest())
	golden(t, "compact_request", prompt.CompactRequest())
	for name, req := range map[string]string{"close": prompt.CloseRequest(), "compact": prompt.CompactRequest()} {
		for _, h := range []string{"### Found", "### Decided", "### Next"} {
			if !strings.Contains(req, h) {
				t.Errorf("%s request does not ask for %s", name, h)
			}
		}
	}
}

// FixCommand finds the command in what FixFailed wrote, and nothing in an
// ordinary message.
func TestFixCommand(t *testing.T) {
	tests := []struct {
		msg, want string
		ok        bool
	}{
		{prompt.FixFailed("go test ./...", "FAIL x\n", 0), "go test ./...", true},
		{prompt.FixFailed("false", "", 0), "false", true},
		{"Failed: `make` is what I ran, and then?", "", false},
		{"Fix: the TTL", "", false},
	}
	for _, tt := range tests {
		got, ok := prompt.FixCommand(tt.msg)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FixCommand(%q) = %q %v, want %q %v", tt.msg, got, ok, tt.want, tt.ok)
		}
	}
}
