package codexcli_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/git-codex/git-codex/codexcli"
)

// TestStartMatches checks which requests a started Codex can carry: the
// one it was started for, whatever its Sink, OnEnd, Gate and Grace, and no
// other.
func TestStartMatches(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rec := loadRecording(t, "resume")
	abs, _ := filepath.Abs(rec.path)
	base := codexcli.Request{
		Bin:      &codexcli.Binary{Path: self},
		Dir:      t.TempDir(),
		Prompt:   "Go on.",
		ThreadID: rec.req.ThreadID,
		Model:    "test-model",
		Sandbox:  codexcli.SandboxReadOnly,
		Approval: codexcli.ApprovalNever,
		Config:   []string{`model_provider="loopback"`},
		Env:      append(os.Environ(), fakeStream+"="+abs),

		PriorUsage: codexcli.Usage{Input: 9933, Output: 14},
	}
	p, err := codexcli.Start(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	tests := []struct {
		name string
		edit func(r *codexcli.Request)
		want bool
	}{
		{"the same", func(r *codexcli.Request) {}, true},
		{"with a sink, gate and grace", func(r *codexcli.Request) {
			r.Sink = codexcli.SinkFunc(func(codexcli.Event) {})
			r.Gate = func(context.Context) error { return nil }
			r.Grace = 1
		}, true},
		{"another prompt", func(r *codexcli.Request) { r.Prompt = "Go on!" }, false},
		{"another thread", func(r *codexcli.Request) { r.ThreadID = "01a2326a-f443-72f3-b654-6b717e839e56" }, false},
		{"a new thread", func(r *codexcli.Request) { r.ThreadID = "" }, false},
		{"another model", func(r *codexcli.Request) { r.Model = "" }, false},
		{"another sandbox", func(r *codexcli.Request) { r.Sandbox = codexcli.SandboxWorkspaceWrite }, false},
		{"another approval", func(r *codexcli.Request) { r.Approval = codexcli.ApprovalOnRequest }, false},
		{"another override", func(r *codexcli.Request) { r.Config = nil }, false},
		{"another directory", func(r *codexcli.Request) { r.Dir = t.TempDir() }, false},
		{"another environment", func(r *codexcli.Request) { r.Env = append(r.Env[:len(r.Env):len(r.Env)], "X=1") }, false},
		{"the process's environment", func(r *codexcli.Request) { r.Env = nil }, false},
		{"another binary", func(r *codexcli.Request) { r.Bin = &codexcli.Binary{Path: "/bin/true"} }, false},
		{"no binary", func(r *codexcli.Request) { r.Bin = nil }, false},
		{"other prior usage", func(r *codexcli.Request) { r.PriorUsage.Input++ }, false},
		{"ephemeral", func(r *codexcli.Request) { r.Ephemeral = true }, false},
	}
	for _, tt := range tests {
		r := base
		tt.edit(&r)
		if got := p.Matches(r); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
	var none *codexcli.Process
	if none.Matches(base) {
		t.Error("a nil Process matches")
	}
	none.Stop() // nothing to stop
}

// TestStartRunStop runs a turn in a Codex started before the turn's Sink
// and Gate were known, and stops another one unread: it never gets the
// prompt, and neither Run nor Matches takes it afterwards.
func TestStartRunStop(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rec := loadRecording(t, "resume")
	abs, _ := filepath.Abs(rec.path)
	request := func(logFile string) codexcli.Request {
		return codexcli.Request{
			Bin:      &codexcli.Binary{Path: self},
			Dir:      t.TempDir(),
			Prompt:   "Go on.",
			ThreadID: rec.req.ThreadID,
			Env:      append(os.Environ(), fakeStream+"="+abs, fakeLog+"="+logFile),
		}
	}
	readLog := func(logFile string) (fakeLogEntry, bool) {
		b, err := os.ReadFile(logFile)
		if err != nil {
			return fakeLogEntry{}, false
		}
		var got fakeLogEntry
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		return got, true
	}

	t.Run("run", func(t *testing.T) {
		logFile := filepath.Join(t.TempDir(), "log.json")
		r := request(logFile)
		early := 0
		r.Sink = codexcli.SinkFunc(func(codexcli.Event) { early++ })
		p, err := codexcli.Start(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		events, gated := 0, false
		r.Sink = codexcli.SinkFunc(func(codexcli.Event) { events++ })
		r.Gate = func(context.Context) error {
			if _, ok := readLog(logFile); ok {
				t.Error("codex read its prompt before the gate opened")
			}
			gated = true
			return nil
		}
		turn, err := p.Run(context.Background(), r)
		if err != nil || turn.Status != codexcli.TurnCompleted || turn.ThreadID != rec.req.ThreadID {
			t.Fatalf("Run = %+v, %v", turn, err)
		}
		if got, _ := readLog(logFile); got.Stdin != "Go on." || !gated {
			t.Errorf("codex read %q, gate run: %v", got.Stdin, gated)
		}
		if events == 0 || early != 0 {
			t.Errorf("%d events reached Run's sink and %d Start's; want them all at Run's", events, early)
		}
		if _, err := p.Run(context.Background(), r); err == nil || p.Matches(r) {
			t.Errorf("a used process runs again (%v) or matches", err)
		}
	})

	t.Run("stop", func(t *testing.T) {
		logFile := filepath.Join(t.TempDir(), "log.json")
		r := request(logFile)
		p, err := codexcli.Start(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		p.Stop()
		p.Stop() // once is enough
		if got, ok := readLog(logFile); ok {
			t.Errorf("a stopped codex read %q", got.Stdin)
		}
		if p.Matches(r) {
			t.Error("a stopped process matches")
		}
		if turn, err := p.Run(context.Background(), r); turn != nil || err == nil {
			t.Errorf("a stopped process ran a turn: %+v, %v", turn, err)
		}
	})

	t.Run("another request", func(t *testing.T) {
		logFile := filepath.Join(t.TempDir(), "log.json")
		r := request(logFile)
		p, err := codexcli.Start(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop()
		other := r
		other.Prompt = "Something else."
		if turn, err := p.Run(context.Background(), other); turn != nil || err == nil {
			t.Errorf("Run for another request = %+v, %v; want an error", turn, err)
		}
		p.Stop()
		if got, ok := readLog(logFile); ok {
			t.Errorf("codex read %q although it was started for another request", got.Stdin)
		}
	})

	t.Run("gate fails", func(t *testing.T) {
		logFile := filepath.Join(t.TempDir(), "log.json")
		r := request(logFile)
		p, err := codexcli.Start(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		gateErr := errors.New("could not store the message")
		r.Gate = func(context.Context) error { return gateErr }
		if turn, err := p.Run(context.Background(), r); turn != nil || !errors.Is(err, gateErr) {
			t.Errorf("Run = %+v, %v; want the gate's error", turn, err)
		}
		p.Stop() // after Run: nothing to do
		if got, ok := readLog(logFile); ok {
			t.Errorf("codex read %q although the gate failed", got.Stdin)
		}
	})
}
