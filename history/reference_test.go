package history

import (
	"context"

	"github.com/git-codex/git-codex/gitstore"
)

// readHistory is readShown reading every record of every topic (LoadIndex):
// the reference the views' reading only what they show is checked against.
func readHistory(ctx context.Context, repo *gitstore.Repo, revs []string, max int, remotes bool) (*history, error) {
	walkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	revList := startRevList(walkCtx, repo, revs, max)
	idx, err := loadIndex(ctx, notesOf(repo), remotes)
	var srcs map[string]*source
	if err == nil {
		srcs, _, _ = readSources(repo, idx, nil, nil)
	}
	commits, rerr := revList()
	if rerr != nil {
		return nil, rerr
	}
	if err != nil {
		return nil, err
	}
	h := &history{commits: commits, idx: idx}
	h.matches, err = findReattachments(ctx, repo, idx, srcs, withoutNotes(idx, commits))
	return h, err
}
