package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/session"
)

// The terminal output writes the bytes the scripts expect in a pipe: the
// answer on stdout, ended by a newline before anything else is said; one
// "git-codex:" line per event on stderr; a command's output as it is.
func TestTermOutputBytes(t *testing.T) {
	var out, errOut bytes.Buffer
	o := &termOutput{stdout: &out, stderr: &errOut, answer: true, line: lineEnd{w: &out}}
	o.Event(session.Event{Kind: session.EventOpened, Text: "session 01ABC opened on topic \"main\" (responses, gpt-5)"})
	o.Event(session.Event{Kind: session.EventWaiting})
	o.Delta("Let me ")
	o.Delta("look.")
	o.Event(session.Event{Kind: session.EventTool, Text: "read_file {\"path\":\"a\"} (12 bytes)"})
	o.Delta("Done.")
	o.Event(session.Event{Kind: session.EventRetry, Text: "rate limited", Wait: 1500 * time.Millisecond})
	o.Event(session.Event{Kind: session.EventRetry, Text: "server error"})
	o.Event(session.Event{Kind: session.EventAnswerEnd})
	o.Event(session.Event{Kind: session.EventWarning, Text: "skipped a line"})
	o.Event(session.Event{Kind: session.EventFallback, Text: "model x not found; using y"})
	o.Event(session.Event{Kind: session.EventOutput, Text: "FAIL pkg\n"})
	o.Event(session.Event{Kind: "future", Text: "something new"})
	if want := "Let me look.\nDone.\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	want := "git-codex: session 01ABC opened on topic \"main\" (responses, gpt-5)\n" +
		"git-codex: tool: read_file {\"path\":\"a\"} (12 bytes)\n" +
		"git-codex: rate limited; retrying in 1.5s\n" +
		"git-codex: server error; retrying\n" +
		"git-codex: warning: skipped a line\n" +
		"git-codex: falling back: model x not found; using y\n" +
		"FAIL pkg\n" +
		"git-codex: future: something new\n"
	if errOut.String() != want {
		t.Errorf("stderr =\n%s\nwant\n%s", errOut.String(), want)
	}

	// An answer that is not shown (close --json, init --llm) leaves stdout alone.
	out.Reset()
	quiet := &termOutput{stdout: &out, stderr: &errOut, line: lineEnd{w: &out}}
	quiet.Delta("secret")
	quiet.Event(session.Event{Kind: session.EventAnswerEnd})
	if out.Len() != 0 {
		t.Errorf("a hidden answer was written: %q", out.String())
	}
}

// Approvals: asked on the terminal with the diff, refused without one.
func TestTermOutputApprove(t *testing.T) {
	ctx := context.Background()
	a := session.Approval{Action: "edit", Op: "update_file", Path: "cache.go", Summary: "updated cache.go (+1 -0)",
		Diff: "--- a/cache.go\n+++ b/cache.go\n@@ -1 +1,2 @@\n x\n+a line\n", Always: true}
	var errOut bytes.Buffer
	o := &termOutput{stderr: &errOut}
	if d, err := o.Approve(ctx, a); d != session.Deny || !errors.Is(err, session.ErrNoApprover) || errOut.Len() != 0 {
		t.Errorf("without a terminal: %v, %v, asked %q", d, err, errOut.String())
	}
	tty := func(answers string) func() (io.Reader, error) {
		return func() (io.Reader, error) { return strings.NewReader(answers), nil }
	}
	question := "git-codex: the model wants to apply: updated cache.go (+1 -0)\n" +
		"--- a/cache.go\n+++ b/cache.go\n@@ -1 +1,2 @@\n x\n+a line\n" +
		"Apply it? [y]es / [N]o / [a]lways for this session / [q]uit: "
	for _, tc := range []struct {
		answers string
		always  bool
		want    session.Decision
		asked   int
	}{
		{"y\n", true, session.Allow, 1},
		{"yes\n", true, session.Allow, 1},
		{"\n", true, session.Deny, 1},
		{"no\n", true, session.Deny, 1},
		{"a\n", true, session.AllowSession, 1},
		{"a\nn\n", false, session.Deny, 2}, // no "always" under untrusted
		{"Q\n", true, session.Quit, 1},
		{"what\ny\n", true, session.Allow, 2},
		{"", true, session.Deny, 1}, // the terminal closed
	} {
		errOut.Reset()
		o := &termOutput{stderr: &errOut, tty: tty(tc.answers)}
		q := a
		q.Always = tc.always
		d, err := o.Approve(ctx, q)
		if d != tc.want || err != nil {
			t.Errorf("answers %q: %v, %v; want %v", tc.answers, d, err, tc.want)
		}
		if n := strings.Count(errOut.String(), "Apply it?"); n != tc.asked {
			t.Errorf("answers %q: asked %d times, want %d", tc.answers, n, tc.asked)
		}
		if tc.always && !strings.HasPrefix(errOut.String(), question) {
			t.Errorf("question = %q", errOut.String())
		}
	}
}

func TestClipLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc", 3, "a\nb\nc"},
		{"a\nb\nc\nd", 2, "a\nb\n[… 2 more lines]"},
		{"a", 1, "a"},
	} {
		if got := clipLines(tc.in, tc.n); got != tc.want {
			t.Errorf("clipLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// On a terminal (view set) the answer is rendered as it streams, finished
// before an event line, and followed by the footer with the cost the hook
// knows; an answer ending in blank lines leaves no empty line behind.
func TestTermOutputRendersOnATerminal(t *testing.T) {
	var out, errOut bytes.Buffer
	off := func() ui.Palette { return ui.NewPalette(false, nil) }
	o := &termOutput{stdout: &out, stderr: &errOut, answer: true, line: lineEnd{w: &out}, palette: off,
		view: &answerView{width: 40, height: 24, palette: off, cost: func(model string, u session.Usage) (float64, bool) {
			return 0.0123, model == "gpt-5" && u.Input == 1200
		}}}
	o.Event(session.Event{Kind: session.EventWaiting})
	o.Delta("# Title\n\nFirst **bold** line")
	o.Event(session.Event{Kind: session.EventTool, Text: "read_file {\"path\":\"a\"} (12 bytes)"})
	o.Delta("- one\n- two\n\n ")
	o.Event(session.Event{Kind: session.EventAnswerEnd, Model: "gpt-5", Usage: &session.Usage{Input: 1200, Cached: 1000, Output: 34}})
	got := out.String()
	for _, want := range []string{"# Title\n", "First bold line\n", "• one\n• two\n", "tokens 1,200 in (1,000 cached) / 34 out · $0.0123\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("stdout lacks %q:\n%q", want, got)
		}
	}
	// Right under the answer: no empty line, not even after the raw rest
	// (" ") was erased.
	if strings.Contains(got, "\n\ntokens") || strings.Contains(got, "\x1b[J\ntokens") || !strings.HasSuffix(got, "out · $0.0123\n") {
		t.Errorf("the footer does not follow the answer:\n%q", got)
	}
	if errOut.String() != "git-codex: tool: read_file {\"path\":\"a\"} (12 bytes)\n" {
		t.Errorf("stderr = %q", errOut.String())
	}
	// No usage reported: no footer; a hidden answer: nothing.
	out.Reset()
	o.Delta("text")
	o.Event(session.Event{Kind: session.EventAnswerEnd})
	if strings.Contains(out.String(), "tokens") {
		t.Errorf("a footer without usage: %q", out.String())
	}
}
