package main

import (
	"bytes"
	"context"
	"testing"
	"time"

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

// Approvals: asked on a terminal, denied without one or on anything but yes.
func TestTermOutputApprove(t *testing.T) {
	ctx := context.Background()
	a := session.Approval{Action: "edit", Path: "cache.go", Detail: "+ a line\n"}
	var errOut bytes.Buffer
	o := &termOutput{stderr: &errOut}
	if d, err := o.Approve(ctx, a); d != session.Deny || err != nil || errOut.Len() != 0 {
		t.Errorf("without a terminal: %v, %v, asked %q", d, err, errOut.String())
	}
	for answer, want := range map[string]session.Decision{"y\n": session.Allow, "yes\n": session.Allow, "\n": session.Deny, "no\n": session.Deny} {
		errOut.Reset()
		o := &termOutput{stderr: &errOut, ask: func() (string, error) { return answer, nil }}
		if d, err := o.Approve(ctx, a); d != want || err != nil {
			t.Errorf("answer %q: %v, %v", answer, d, err)
		}
		if errOut.String() != "git-codex: the model wants to edit cache.go\n+ a line\nAllow? [y/N] " {
			t.Errorf("question = %q", errOut.String())
		}
	}
}
