package hooks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/notesync"
	"github.com/git-codex/git-codex/session"
)

const (
	sha1 = "1111111111111111111111111111111111111111"
	zero = "0000000000000000000000000000000000000000"
)

func TestPrePush(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	push := "refs/heads/main " + sha1 + " refs/heads/main " + zero + "\n"
	del := "(delete) " + zero + " refs/heads/x " + sha1 + "\n"
	tests := []struct {
		name        string
		notes       bool // a turn on topic main (the pushed branch), or on topic
		topic       string
		shared      bool // the topic is shared with the remote
		context     bool // commit ARCHITECTURE.md and AGENTS.md
		require     bool // codex.requireContextFiles
		guard       bool
		remote      string
		lines       string
		wantErr     error
		wantSkipped string
		wantPushed  []string
		wantWarn    string // substring of some warning; "" = no warnings
	}{
		{name: "no notes", context: true, lines: push, wantSkipped: "no session notes"},
		{name: "sends notes", notes: true, context: true, lines: push, wantPushed: []string{"main"}},
		{name: "up-to-date push sends shared topics", notes: true, shared: true, context: true, lines: "", wantPushed: []string{"main"}},
		{name: "up-to-date push keeps unshared topics", notes: true, topic: "exp", context: true, lines: "", wantSkipped: "no topic with new notes is shared with origin"},
		{name: "deletions only", notes: true, context: true, lines: del + del, wantSkipped: "the push only deletes refs"},
		{name: "deletion and update", notes: true, context: true, lines: del + push, wantPushed: []string{"main"}},
		{name: "the user pushes the notes ref", notes: true, context: true, lines: "refs/notes/codex/main " + sha1 + " refs/notes/codex/main " + zero + "\n", wantSkipped: "the remote has all session notes"},
		{name: "nested push", notes: true, context: true, guard: true, lines: push, wantSkipped: "running inside git codex's own notes push"},
		{name: "missing context warns", notes: true, lines: push, wantPushed: []string{"main"}, wantWarn: "missing context files: ARCHITECTURE.md, AGENTS.md"},
		{name: "missing context blocks when required", notes: true, require: true, lines: push, wantErr: ErrContextFilesMissing},
		{name: "unreachable remote warns, never fails", notes: true, context: true, remote: "nowhere", lines: push, wantWarn: "session notes not sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, clones := gittest.BareWithClones(t, 1)
			dir := clones[0]
			if tt.context {
				gittest.CommitContextFiles(t, dir)
			}
			if tt.require {
				gittest.Git(t, dir, "config", RequireContextFilesKey, "true")
			}
			remote := tt.remote
			if remote == "" {
				remote = "origin"
			}
			if tt.shared {
				gittest.Git(t, dir, "config", "--add", "codex.topic.main.share", remote)
			}
			repo := repotest.OpenRepo(t, dir)
			if tt.notes {
				topic := tt.topic
				if topic == "" {
					topic = "main"
				}
				h, _ := repo.Head()
				repotest.AddTurn(t, repo, topic, "S", h.Target(), "hello", session.Usage{})
			}
			getenv := func(k string) string {
				if k == gitstore.GuardEnv && tt.guard {
					return "1"
				}
				return ""
			}
			res, err := PrePush(context.Background(), repo, PrePushOptions{
				Remote: remote, URL: remote, RefLines: strings.NewReader(tt.lines), Getenv: getenv})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PrePush error = %v, want %v", err, tt.wantErr)
			}
			if res.Skipped != tt.wantSkipped {
				t.Errorf("Skipped = %q, want %q", res.Skipped, tt.wantSkipped)
			}
			if !slices.Equal(res.Pushed, tt.wantPushed) {
				t.Errorf("Pushed = %v, want %v", res.Pushed, tt.wantPushed)
			}
			warns := strings.Join(res.Warnings, "\n")
			if tt.wantWarn == "" && warns != "" || !strings.Contains(warns, tt.wantWarn) {
				t.Errorf("Warnings = %q, want %q", warns, tt.wantWarn)
			}
		})
	}
}

// Once the remote has the notes, the hook compares with the tracking refs
// and does not touch the remote at all: it still succeeds with the remote
// gone.
func TestPrePushSkipsUnchangedNotesWithoutNetwork(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	bare, clones := gittest.BareWithClones(t, 1)
	withContextFiles(t, clones...)
	gittest.Git(t, clones[0], "config", "codex.topic.topic.share", "origin")
	repo := repotest.OpenRepo(t, clones[0])
	h, _ := repo.Head()
	want := map[string]bool{repotest.AddTurn(t, repo, "topic", "S", h.Target(), "hello", session.Usage{}): true}
	opt := PrePushOptions{Remote: "origin", URL: bare, RefLines: strings.NewReader("")}
	res, err := PrePush(ctx, repo, opt)
	if err != nil || len(res.Pushed) != 1 {
		t.Fatalf("first PrePush = %+v, %v", res, err)
	}
	if m := repotest.Missing(want, repotest.RemoteNoteIDs(t, bare, "refs/notes/codex/topic")); len(m) > 0 {
		t.Fatalf("remote misses %v", m)
	}
	if err := os.Rename(bare, bare+".gone"); err != nil {
		t.Fatal(err)
	}
	res, err = PrePush(ctx, repo, opt)
	if err != nil || res.Skipped != "the remote has all session notes" || len(res.Warnings) > 0 {
		t.Errorf("second PrePush = %+v, %v; want a quiet skip", res, err)
	}
	// A new turn makes it talk to the remote again (and warn, as it is gone).
	repotest.AddTurn(t, repo, "topic", "S", h.Target(), "again", session.Usage{})
	res, err = PrePush(ctx, repo, opt)
	if err != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "does not appear to be a git repository") {
		t.Errorf("third PrePush = %+v, %v; want one warning", res, err)
	}
}

// The hook answers a rejection (another clone pushed notes first) with
// fetch, merge and push; both clones' records reach the remote.
func TestPrePushMergesDivergedRemoteNotes(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	bare, clones := gittest.BareWithClones(t, 2)
	withContextFiles(t, clones...)
	for _, c := range clones {
		gittest.Git(t, c, "config", notesync.ShareKey, notesync.ShareAll)
	}
	a, b := repotest.OpenRepo(t, clones[0]), repotest.OpenRepo(t, clones[1])
	h, _ := a.Head()
	want := map[string]bool{
		repotest.AddTurn(t, a, "topic", "SA", h.Target(), "a", session.Usage{}): true,
		repotest.AddTurn(t, b, "topic", "SB", h.Target(), "b", session.Usage{}): true,
	}
	for _, r := range []*gitstore.Repo{a, b} {
		res, err := PrePush(ctx, r, PrePushOptions{Remote: "origin", RefLines: strings.NewReader("")})
		if err != nil || len(res.Warnings) > 0 || len(res.Pushed) != 1 {
			t.Fatalf("PrePush = %+v, %v", res, err)
		}
	}
	if m := repotest.Missing(want, repotest.RemoteNoteIDs(t, bare, "refs/notes/codex/topic")); len(m) > 0 {
		t.Errorf("remote misses %v", m)
	}
	if m := repotest.Missing(want, repotest.RecordIDs(t, clones[1], "topic")); len(m) > 0 {
		t.Errorf("second clone misses %v after merging", m)
	}
}

func TestPrePushNoNotesIsCheap(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	gittest.CommitContextFiles(t, dir)
	// A PATH without git proves no subprocess is started.
	t.Setenv("PATH", filepath.Join(t.TempDir(), "empty"))
	repo := repotest.OpenRepo(t, dir)
	res, err := PrePush(context.Background(), repo, PrePushOptions{Remote: "origin", RefLines: strings.NewReader("")})
	if err != nil || res.Skipped != "no session notes" || len(res.Warnings) > 0 {
		t.Errorf("PrePush = %+v, %v", res, err)
	}
}

// BenchmarkPrePushNoSessions is the hook's cost when there is nothing to
// send (the common case on repositories without sessions).
func BenchmarkPrePushNoSessions(b *testing.B) {
	gittest.Hermetic(b, gitstore.GuardEnv)
	dir := gittest.NewRepo(b)
	gittest.WriteFile(b, dir, "ARCHITECTURE.md", "a")
	gittest.WriteFile(b, dir, "AGENTS.md", "b")
	ctx := context.Background()
	for b.Loop() {
		repo, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := PrePush(ctx, repo, PrePushOptions{Remote: "origin", RefLines: strings.NewReader("")}); err != nil {
			b.Fatal(err)
		}
		repo.Close()
	}
}

// BenchmarkPrePushUpToDate is the hook's cost when the remote already has
// every topic (one config read, no network).
func BenchmarkPrePushUpToDate(b *testing.B) {
	gittest.Hermetic(b, gitstore.GuardEnv)
	bare, clones := gittest.BareWithClones(b, 1)
	repo := repotest.OpenRepo(b, clones[0])
	h, _ := repo.Head()
	repotest.AddTurn(b, repo, "topic", "S", h.Target(), "x", session.Usage{})
	ctx := context.Background()
	if _, err := PrePush(ctx, repo, PrePushOptions{Remote: "origin", URL: bare, RefLines: strings.NewReader("")}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := gitstore.Open(clones[0], os.Getenv)
		if err != nil {
			b.Fatal(err)
		}
		res, err := PrePush(ctx, r, PrePushOptions{Remote: "origin", RefLines: strings.NewReader("")})
		if err != nil || len(res.Pushed) > 0 {
			b.Fatal(res, err)
		}
		r.Close()
	}
}

// withContextFiles commits the context files in each work tree.
func withContextFiles(t testing.TB, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		gittest.CommitContextFiles(t, d)
	}
}
