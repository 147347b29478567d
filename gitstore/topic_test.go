package gitstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
)

func TestEncodeTopic(t *testing.T) {
	tests := []struct{ topic, want string }{
		{"main", "main"},
		{"feature/x", "feature%2Fx"},
		{"v1.2", "v1.2"},
		{".hidden", "%2Ehidden"},
		{"a..b", "a%2E%2Eb"},
		{"x.lock", "x%2Elock"},
		{"trailing.", "trailing%2E"},
		{"50%", "50%25"},
		{"with space", "with%20space"},
		{"@", "%40"},
		{"ünï", "%C3%BCn%C3%AF"},
	}
	for _, tc := range tests {
		t.Run(tc.topic, func(t *testing.T) {
			got := EncodeTopic(tc.topic)
			if got != tc.want {
				t.Fatalf("EncodeTopic(%q) = %q, want %q", tc.topic, got, tc.want)
			}
			back, err := DecodeTopic(got)
			if err != nil || back != tc.topic {
				t.Fatalf("DecodeTopic(%q) = %q, %v", got, back, err)
			}
			checkRefFormat(t, "refs/notes/codex/"+got)
		})
	}
}

func checkRefFormat(t testing.TB, ref string) {
	t.Helper()
	if out, err := gittest.GitErr("", "", "check-ref-format", ref); err != nil {
		t.Fatalf("git check-ref-format %q: %v %s", ref, err, out)
	}
}

func FuzzEncodeTopic(f *testing.F) {
	for _, s := range []string{"main", "feature/x", "a..b", ".x.lock", "%%", "ü/ö", "-", "x.", "a/.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		if ValidateTopic(topic) != nil {
			return
		}
		enc := EncodeTopic(topic)
		if strings.ContainsAny(enc, "/~^:?*[\\ ") || strings.Contains(enc, "..") || strings.Contains(enc, "@{") ||
			strings.HasSuffix(enc, ".lock") || strings.HasSuffix(enc, ".") || strings.HasPrefix(enc, ".") {
			t.Fatalf("EncodeTopic(%q) = %q is not a valid ref component", topic, enc)
		}
		back, err := DecodeTopic(enc)
		if err != nil || back != topic {
			t.Fatalf("round trip %q → %q → %q, %v", topic, enc, back, err)
		}
	})
}

func FuzzParseNote(f *testing.F) {
	good, _ := testRecord{Time: "2026-01-01T00:00:00.000000000Z", ID: "X", Kind: kindTurn, Text: "hi"}.Marshal()
	for _, s := range []string{string(good), "", "\n\n", "{", `{"id":1}`, `{"v":1,"id":"a","kind":"turn","usage":{"input":"x"}}`, string(good[:len(good)/2])} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, warns := ParseNote(data)
		for _, r := range recs {
			if r.ID == "" || r.Kind == "" {
				t.Fatalf("record without id/kind accepted: %+v", r)
			}
		}
		for _, w := range warns {
			if w.Line < 1 {
				t.Fatalf("warning without line: %+v", w)
			}
		}
		// The union of a note with itself is the note (cat_sort_uniq is idempotent).
		m := mergeLines(data)
		if string(mergeLines(m, m)) != string(m) {
			t.Fatalf("mergeLines not idempotent")
		}
	})
}

// Names git codex never writes are not topics: reading one as a topic would
// write to another ref than the one read.
func TestDecodeTopicRefusesOtherSpellings(t *testing.T) {
	for _, enc := range []string{"a%2fb", "a%41", "x+y", "a..b", "%2", "a%zz"} {
		if got, err := DecodeTopic(enc); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("DecodeTopic(%q) = %q, %v; want ErrInvalidTopic", enc, got, err)
		}
	}
	for _, topic := range []string{"main", "feature/x", "a.b", "日本", "x+y", ".lock"} {
		if got, err := DecodeTopic(EncodeTopic(topic)); err != nil || got != topic {
			t.Errorf("DecodeTopic(EncodeTopic(%q)) = %q, %v", topic, got, err)
		}
	}
}
