package text

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShortID(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"01JD0000000000000000000001", "01JD00000000"},
		{"0123456789abcdef0123456789abcdef01234567", "0123456789ab"},
		{"short", "short"},
		{"", ""},
	} {
		if got := ShortID(tt.in); got != tt.want {
			t.Errorf("ShortID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCut(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"日本語のテキスト", 4, "日本語…"},
		{"naïve café", 6, "naïve…"},
		{"emoji 😀😀", 7, "emoji …"},
		{"emoji 😀😀", 8, "emoji 😀😀"}, // as many runes as allowed: whole
		{"日本語", 3, "日本語"},
		{"日本語x", 3, "日本…"},
		{"hello!", 5, "hell…"},
		{"", 3, ""},
	} {
		got := Cut(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) || utf8.RuneCountInString(got) > max(tt.n, 0) {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestCutBytes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"日本", 4, "日"}, // 3 bytes each: the second would be split
		{"日本", 2, ""},
		{"a😀", 4, "a"},
		{"x", -1, ""},
	} {
		got := CutBytes(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) || len(got) > max(tt.n, 0) {
			t.Errorf("CutBytes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	// Any prefix length of any text gives valid UTF-8.
	s := strings.Repeat("aé日😀", 20)
	for n := 0; n <= len(s); n++ {
		if got := CutBytes(s, n); !utf8.ValidString(got) || !strings.HasPrefix(s, got) || n-len(got) > 3 {
			t.Fatalf("CutBytes(…, %d) = %q", n, got)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"one\ntwo", "one"},
		{"one\r\ntwo", "one"},
		{"  spaced  \n", "  spaced  "},
		{"single", "single"},
		{"", ""},
	} {
		if got := FirstLine(tt.in); got != tt.want {
			t.Errorf("FirstLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {3500, "3.4 KiB"}, {1 << 20, "1.0 MiB"}, {5 << 20, "5.0 MiB"}} {
		if got := Size(c.n); got != c.want {
			t.Errorf("Size(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
