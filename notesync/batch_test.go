package notesync

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

// A push of many topics (past the refs named one by one) sends exactly the
// shared ones, through the pre-push hook's Send and through Sync: private
// and unshared topics never leave, the tracking refs record what was sent,
// and no staged ref is left behind.
func TestManyTopicsKeepTheSharingRule(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	bare, clones := gittest.BareWithClones(t, 1)
	dir := clones[0]
	repo := repotest.OpenRepo(t, dir)
	head, _ := repo.Head()
	gittest.Git(t, dir, "config", "codex.share", "all")
	var want []string
	for i := 0; i < 90; i++ {
		topic := fmt.Sprintf("t/%02d", i)
		repotest.AddTurn(t, repo, topic, "S", head.Target(), "turn", session.Usage{})
		switch {
		case i%10 == 3:
			if err := MakePrivate(ctx, repo, topic); err != nil {
				t.Fatal(err)
			}
		case i%10 == 7:
			if _, err := UnshareTopic(ctx, repo, topic, "origin", false); err != nil {
				t.Fatal(err)
			}
		default:
			want = append(want, topic)
		}
	}
	// The hook's half first, for the topics of a push of main.
	res, err := prePush(ctx, repotest.OpenRepo(t, dir), "origin",
		"refs/heads/main "+head.Commit+" refs/heads/main "+zero)
	if err != nil || len(res.Warnings) > 0 {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	if !reflect.DeepEqual(res.Pushed, want) {
		t.Fatalf("Send pushed %d topics, want %d: %v", len(res.Pushed), len(want), res.Pushed)
	}
	if got := remoteTopics(t, bare); !reflect.DeepEqual(got, want) {
		t.Fatalf("the remote has %v", got)
	}
	tracked, err := repotest.OpenRepo(t, dir).TrackedTopics()
	if err != nil || len(tracked) != len(want) {
		t.Fatalf("tracking refs: %d, %v; want %d", len(tracked), err, len(want))
	}
	for _, tr := range tracked {
		if local := gittest.Git(t, dir, "rev-parse", repotest.OpenRepo(t, dir).TopicRef(tr.Topic)); tr.Commit != local {
			t.Errorf("tracking ref of %s = %s, local %s", tr.Topic, tr.Commit, local)
		}
	}
	if left := gittest.Git(t, dir, "for-each-ref", "refs/codex/push/"); left != "" {
		t.Fatalf("staged refs left: %s", left)
	}
	// New turns everywhere; sync sends the shared ones again, only them.
	repo = repotest.OpenRepo(t, dir)
	for i := 0; i < 90; i++ {
		repotest.AddTurn(t, repo, fmt.Sprintf("t/%02d", i), "S", head.Target(), "again", session.Usage{})
	}
	sres, err := Sync(ctx, repotest.OpenRepo(t, dir), SyncOptions{})
	if err != nil || !reflect.DeepEqual(sres.Pushed, want) || len(sres.Kept) != 90-len(want) {
		t.Fatalf("Sync = pushed %d kept %d, %v", len(sres.Pushed), len(sres.Kept), err)
	}
	if got := remoteTopics(t, bare); !reflect.DeepEqual(got, want) {
		t.Fatalf("after sync the remote has %v", got)
	}
	gittest.Git(t, dir, "fsck", "--no-dangling")
}
