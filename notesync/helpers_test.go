package notesync

import (
	"context"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
)

// zero is git's id for "no object" in the pre-push hook's ref lines.
const zero = "0000000000000000000000000000000000000000"

// prePush sends the notes a push of lines (git's ref lines to the pre-push
// hook) takes along, as the hook's sending half.
func prePush(ctx context.Context, repo *gitstore.Repo, remote, lines string) (SendResult, error) {
	var refs []PushedRef
	for _, l := range strings.Split(lines, "\n") {
		if f := strings.Fields(l); len(f) == 4 {
			refs = append(refs, PushedRef{LocalRef: f[0], LocalSHA: f[1], RemoteRef: f[2], RemoteSHA: f[3]})
		}
	}
	return Send(ctx, repo, SendOptions{Remote: remote, Refs: refs}), nil
}

// share shares topic with remote (git codex share).
func share(t testing.TB, repo *gitstore.Repo, topic, remote string) {
	t.Helper()
	if _, err := ShareTopic(context.Background(), repo, topic, remote, false); err != nil {
		t.Fatalf("share %s with %s: %v", topic, remote, err)
	}
}
