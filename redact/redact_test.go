package redact_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/git-codex/git-codex/redact"
)

func loadArchive(t testing.TB, name string) *txtar.Archive {
	t.Helper()
	a, err := txtar.ParseFile("testdata/" + name)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	if len(a.Files) == 0 {
		t.Fatalf("%s holds no cases", name)
	}
	return a
}

// TestSecretsCorpus checks every fabricated secret in testdata/secrets.txtar
// is replaced exactly as its .want file says, and that redacting the result
// again changes nothing.
func TestSecretsCorpus(t *testing.T) {
	a := loadArchive(t, "secrets.txtar")
	want := map[string]string{}
	for _, f := range a.Files {
		if name, ok := strings.CutSuffix(f.Name, ".want"); ok {
			want[name] = string(f.Data)
		}
	}
	cases := 0
	for _, f := range a.Files {
		name, ok := strings.CutSuffix(f.Name, ".in")
		if !ok {
			continue
		}
		cases++
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no %s.want", name)
			}
			got := redact.String(string(f.Data))
			// An unterminated private key is redacted to the end of the text,
			// trailing newline included.
			if strings.TrimRight(got, "\n") != strings.TrimRight(w, "\n") {
				t.Errorf("redact.String mismatch\n got:\n%s\nwant:\n%s", got, w)
			}
			if again := redact.String(got); again != got {
				t.Errorf("not idempotent\nonce:\n%s\ntwice:\n%s", got, again)
			}
		})
	}
	if cases != len(want) {
		t.Errorf("%d .in files but %d .want files", cases, len(want))
	}
}

// TestHarmlessCorpus checks look-alike text, code, hashes and UUIDs pass
// through unchanged.
func TestHarmlessCorpus(t *testing.T) {
	for _, f := range loadArchive(t, "harmless.txtar").Files {
		t.Run(f.Name, func(t *testing.T) {
			in := string(f.Data)
			if got := redact.String(in); got != in {
				t.Errorf("harmless text changed\n got:\n%s\nwant:\n%s", got, in)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"secret mid sentence", "use sk-Zx81Qw72Er63Ty54Ui45Op36 now", "use [REDACTED:openai-key] now"},
		{"two secrets on one line", "A_TOKEN=abc123 B_SECRET=def456", "A_TOKEN=[REDACTED:token] B_SECRET=[REDACTED:secret]"},
		{"kebab identifier after sk-", "sk-learn-is-a-python-library-name", "sk-learn-is-a-python-library-name"},
		{"hardcoded go password", `password := "hunter2"`, `password := "[REDACTED:password]"`},
		{"comparison is not assignment", `if password == "x" {`, `if password == "x" {`},
		{"placeholder reference", "API_KEY=<your key here>", "API_KEY=<your key here>"},
		{"template reference", `token: "{{ .Token }}"`, `token: "{{ .Token }}"`},
		{"unicode around secret", "clé: sk-Zx81Qw72Er63Ty54Ui45Op36 ✓", "clé: [REDACTED:openai-key] ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	if got := redact.Strings(nil); got != nil {
		t.Errorf("Strings(nil) = %v, want nil", got)
	}
	in := []string{"plain", "GITHUB_TOKEN=ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R"}
	got := redact.Strings(in)
	want := []string{"plain", "GITHUB_TOKEN=[REDACTED:github-token]"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Strings = %q, want %q", got, want)
	}
	if in[1] == want[1] {
		t.Error("Strings modified its input slice")
	}
}

func benchText(b *testing.B, file string) string {
	var sb strings.Builder
	for _, f := range loadArchive(b, file).Files {
		sb.Write(f.Data)
	}
	return sb.String()
}

// BenchmarkString measures redaction of typical record text: prose and code
// with no secrets (the common case) and the corpus of secrets.
func BenchmarkString(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"harmless", strings.Repeat(benchText(b, "harmless.txtar"), 4)},
		{"secrets", benchText(b, "secrets.txtar")},
		{"prose-4KiB", strings.Repeat("The model read ARCHITECTURE.md and proposed a change to gitstore. ", 64)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				redact.String(bc.text)
			}
		})
	}
}

// FuzzString checks redaction never panics, keeps valid UTF-8 valid and is
// idempotent.
func FuzzString(f *testing.F) {
	for _, name := range []string{"secrets.txtar", "harmless.txtar"} {
		for _, file := range loadArchive(f, name).Files {
			f.Add(string(file.Data))
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := redact.String(s)
		if utf8.ValidString(s) && !utf8.ValidString(once) {
			t.Fatalf("String(%q) = %q is not valid UTF-8", s, once)
		}
		if twice := redact.String(once); twice != once {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, once, twice)
		}
	})
}
