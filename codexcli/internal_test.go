package codexcli

import (
	"strings"
	"testing"
)

func TestMinVersionParsed(t *testing.T) {
	v, err := ParseVersion(MinVersion)
	if err != nil || v != minVersion {
		t.Fatalf("ParseVersion(MinVersion) = %v, %v; minVersion is %v", v, err, minVersion)
	}
}

func TestStderrError(t *testing.T) {
	tests := []struct{ name, stderr, want string }{
		{"codex's error line, backtrace skipped",
			"WARNING: proceeding, even though …\nError: thread/resume: thread/resume failed: no rollout found for thread id x (code -32600)\n\nStack backtrace:\n   0: <unknown>\n   1: <unknown>\n",
			"thread/resume: thread/resume failed: no rollout found for thread id x (code -32600)"},
		{"an error line of another shape",
			"WARNING: proceeding\nError finding codex home: CODEX_HOME points to \"/x\", but that path does not exist\n",
			"Error finding codex home: CODEX_HOME points to \"/x\", but that path does not exist"},
		{"no error line: the last meaningful one",
			"some diagnostic\nthread 'main' panicked at src/main.rs:3:5\n   0: <unknown>\n",
			"thread 'main' panicked at src/main.rs:3:5"},
		{"only warnings", "WARNING: a\nWARNING: b\n", ""},
	}
	for _, tt := range tests {
		if got := stderrError(tt.stderr); got != tt.want {
			t.Errorf("%s: stderrError = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFailureMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"error":{"code":null,"message":"Invalid value for 'input'.","param":null,"type":"invalid_request_error"}}` + "\n", "Invalid value for 'input'."},
		{`{"error":{"code":"insufficient_quota","message":"You exceeded your current quota."}}`, "You exceeded your current quota. (insufficient_quota)"},
		{"We’re currently experiencing high demand.", "We’re currently experiencing high demand."},
	}
	for _, tt := range tests {
		if got := failureMessage(tt.in); got != tt.want {
			t.Errorf("failureMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBoundedBuffer(t *testing.T) {
	b := &boundedBuffer{head: 4, tail: 6}
	for _, s := range []string{"ab", "cdef", "ghij", "klmnop"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := b.String(); got != "abcd\n…\nklmnop" {
		t.Errorf("String = %q", got)
	}
	small := &boundedBuffer{head: 4, tail: 6}
	_, _ = small.Write([]byte("abcdefg"))
	if got := small.String(); got != "abcdefg" || strings.Contains(got, "…") {
		t.Errorf("String = %q, want everything", got)
	}
}
