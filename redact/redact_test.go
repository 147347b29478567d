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
// (the formats records have always named) and testdata/channels.txtar (the
// forms this program's channels carry: a realistic .env, code idioms, cut
// values, private-key bodies without their BEGIN line) is replaced exactly
// as its .want file says, and that redacting the result again changes
// nothing.
func TestSecretsCorpus(t *testing.T) {
	for _, file := range []string{"secrets.txtar", "channels.txtar"} {
		a := loadArchive(t, file)
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
				// An unterminated private key is redacted to the end of the
				// text, trailing newline included.
				if strings.TrimRight(got, "\n") != strings.TrimRight(w, "\n") {
					t.Errorf("redact.String mismatch\n got:\n%s\nwant:\n%s", got, w)
				}
				if again := redact.String(got); again != got {
					t.Errorf("not idempotent\nonce:\n%s\ntwice:\n%s", got, again)
				}
			})
		}
		if cases != len(want) {
			t.Errorf("%s: %d .in files but %d .want files", file, cases, len(want))
		}
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

func TestLiteral(t *testing.T) {
	tests := []struct {
		name, in, value, want string
	}{
		{"as written", "key QAQAQAQAQAQA here", "QAQAQAQAQAQA", "key [REDACTED:configured-secret] here"},
		{"inside a word when long", "xQAQAQAQAQAQAy", "QAQAQAQAQAQA", "x[REDACTED:configured-secret]y"},
		{"JSON-escaped", `{"content":"k\"<>&\\y"}`, `k"<>&\y`, `{"content":"[REDACTED:configured-secret]"}`},
		{"JSON with HTML escapes", `"k\"\u003c\u003e\u0026\\y"`, `k"<>&\y`, `"[REDACTED:configured-secret]"`},
		{"short, standing alone", "use abc7 now, not abc7x", "abc7", "use [REDACTED:configured-secret] now, not abc7x"},
		{"short, odd characters", `pass <&> in`, "<&>", "pass [REDACTED:configured-secret] in"},
		{"surrounding space ignored", "the key", " key ", "the [REDACTED:configured-secret]"},
		{"empty value", "nothing", "", "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.Literal(tt.in, tt.value); got != tt.want {
				t.Errorf("Literal(%q, %q) = %q, want %q", tt.in, tt.value, got, tt.want)
			}
		})
	}
}

func TestDerive(t *testing.T) {
	const tok = "ghp_Zx9aQ2vL8mK3pR7tW4yN6cF1hJ5dG0sA2eU8"
	r := redact.New("QAQAQAQAQAQA", "")
	tests := []struct {
		name, got, want string
	}{
		{"line: first non-empty, heading marks gone", redact.Line("\n\n## Fix the cache\nmore", 40), "Fix the cache"},
		{"line: cut after redaction", redact.Line("word word "+tok+" please", 20), "word word [REDACTED…"},
		{"line: runes, not bytes", redact.Line("ééééé", 3), "éé…"},
		{"line: fits", redact.Line("short", 5), "short"},
		{"clip: cut after redaction", redact.Clip("x "+tok+" y", 12, "…"), "x [REDACTED:…"},
		{"clip: nothing cut, no mark", redact.Clip("x "+tok, 100, "…"), "x [REDACTED:github-token]"},
		{"tail: cut after redaction", redact.Tail(tok+" y", 6, "…"), "…ken] y"},
		{"tail: from a line start within the tail", redact.Tail("one\ntwo\nthree\n", 12, "[…]\n"), "[…]\ntwo\nthree\n"},
		{"tail: nothing cut, no mark", redact.Tail("a "+tok, 100, "…"), "a [REDACTED:github-token]"},
		{"redactor: literal first", r.Line("my key QAQAQAQAQAQA ok", 100), "my key [REDACTED:configured-secret] ok"},
		{"redactor: literal across the cut", r.Clip("my key QAQAQAQAQAQA ok", 12, "…"), "my key [REDA…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	head, left := redact.Cut("abc "+tok, 6)
	if head != "abc [R" || left != len("abc [REDACTED:github-token]")-6 {
		t.Errorf("Cut = %q, %d", head, left)
	}
}

func benchText(b *testing.B, file string) string {
	var sb strings.Builder
	for _, f := range loadArchive(b, file).Files {
		sb.Write(f.Data)
	}
	return sb.String()
}

// recordText is typical record text of about 2 KiB: an answer in prose with
// a little code, no secret in it.
func recordText() string {
	return strings.Repeat("The model read ARCHITECTURE.md and proposed a change to gitstore: "+
		"the token usage of each turn is recorded, and the key of the cache is the topic. ", 10) +
		"```go\nfunc (c *Cache) Get(key string) (string, bool) {\n\tv, ok := c.m[key]\n\treturn v, ok\n}\n```\n" +
		"Commit 3f2a9c1d4b5e6f708192a3b4c5d6e7f8091a2b3c, session 01KDYAK349CR19GXX9RBCRTZWP.\n"
}

// BenchmarkString measures redaction of typical record text: prose and code
// with no secrets (the common case), the same with secrets, and the corpora
// of look-alikes and of secrets.
func BenchmarkString(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"record-2KiB", recordText()},
		{"record-2KiB-secrets", recordText() + "export OPENAI_API_KEY=sk-proj-Qz7Lm2Kv9Xp4Rt8Wn3Yb6Cf1Hj5Dg0SaEu\n" +
			"DB_PASS=tR4vK9mQ2xLp and the key Zx8vQ2mK9pL4tR7wN3yB6cF1hJ5dG0sA2eU8iO4k\n"},
		{"harmless", strings.Repeat(benchText(b, "harmless.txtar"), 4)},
		{"secrets", benchText(b, "secrets.txtar") + benchText(b, "channels.txtar")},
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

// BenchmarkFirstCall measures what redacting a record costs the first time
// in a process, when the rules its text calls for are compiled.
func BenchmarkFirstCall(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"record-2KiB", recordText()},
		{"harmless", benchText(b, "harmless.txtar")},
		{"secrets", benchText(b, "secrets.txtar") + benchText(b, "channels.txtar")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				redact.Forget()
				redact.String(bc.text)
			}
		})
	}
}

// FuzzString checks redaction never panics, keeps valid UTF-8 valid and is
// idempotent.
func FuzzString(f *testing.F) {
	for _, name := range []string{"secrets.txtar", "channels.txtar", "harmless.txtar"} {
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
