package notesync

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

// Sync works with remotes named with slashes and odd characters, with URLs
// instead of names (however long: the tracking ref's name must still fit a
// file name), and with several remotes at once; a second sync with each
// changes nothing, and no remote.* setting is written.
func TestSyncRemoteNamesAndURLs(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	dir := gittest.NewRepo(t)
	repo := repotest.OpenRepo(t, dir)
	h, _ := repo.Head()
	id := repotest.AddTurn(t, repo, "topic", "S1", h.Target(), "hello", session.Usage{})

	long := t.TempDir()
	for i := 0; i < 12; i++ {
		long = filepath.Join(long, "a-rather-long-directory-name")
	}
	if err := os.MkdirAll(long, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		remote string // the name to add as a remote ("" to use the URL directly)
		bare   string
		mirror bool // added with --mirror=push
	}{
		{"slash in name", "team/origin", filepath.Join(t.TempDir(), "r1.git"), false},
		{"odd characters", "odd.name-1_%x", filepath.Join(t.TempDir(), "r2.git"), false},
		{"push mirror", "backup", filepath.Join(t.TempDir(), "r6.git"), true},
		{"path", "", filepath.Join(t.TempDir(), "r3.git"), false},
		{"long path", "", filepath.Join(long, "r4.git"), false},
		{"long file URL", "", filepath.Join(long, "r5.git"), false},
	}
	before := gittest.GitOr(dir, "", "config", "--get-regexp", `^remote\.`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gittest.Git(t, dir, "init", "-q", "--bare", tt.bare)
			remote := tt.bare
			if strings.Contains(tt.name, "URL") {
				remote = "file://" + tt.bare
			}
			if tt.remote != "" {
				args := []string{"remote", "add", tt.remote, tt.bare}
				if tt.mirror {
					args = []string{"remote", "add", "--mirror=push", tt.remote, tt.bare}
				}
				gittest.Git(t, dir, args...)
				before = gittest.GitOr(dir, "", "config", "--get-regexp", `^remote\.`)
				remote = tt.remote
			}
			// A fresh Repo, as a new process would have: the remote
			// was added since the last one read the configuration.
			repo := repotest.OpenRepo(t, dir)
			share(t, repo, "topic", remote)
			res, err := Sync(ctx, repo, SyncOptions{Remote: remote})
			if err != nil {
				t.Fatalf("sync with %s: %v", remote, err)
			}
			if !slices.Equal(res.Pushed, []string{"topic"}) {
				t.Errorf("pushed %v, want [topic]", res.Pushed)
			}
			if !repotest.RemoteNoteIDs(t, tt.bare, repo.TopicRef("topic"))[id] {
				t.Errorf("the remote lacks record %s", id)
			}
			again, err := Sync(ctx, repo, SyncOptions{Remote: remote})
			if err != nil || again.Changed() {
				t.Errorf("second sync = %+v, %v; want no change", again, err)
			}
			if got := gittest.GitOr(dir, "", "config", "--get-regexp", `^remote\.`); got != before {
				t.Errorf("remote config changed:\n%s\nwant\n%s", got, before)
			}
		})
	}
}
