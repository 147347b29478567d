package notesync

import (
	"context"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// pushScope answers the "pushed" rule for one push: which branches it sends
// and, computed once and only when needed, which commits.
type pushScope struct {
	ctx    context.Context
	repo   pushHistory
	remote string
	// branches the push sends (short names, from either side of a ref line).
	branches map[string]bool
	// tips are the commits the push sends; bases what the remote has.
	tips, bases []string
	commits     map[string]bool
	commitsErr  error
	done        bool
	// onSite is the remote-branch rule, made on first use.
	onSite func(topic string) string
}

func newPushScope(ctx context.Context, repo pushHistory, remote string, lines []PushedRef) *pushScope {
	p := &pushScope{ctx: ctx, repo: repo, remote: remote, branches: map[string]bool{}}
	for _, l := range lines {
		if l.Deletion() {
			continue
		}
		for _, ref := range []string{l.LocalRef, l.RemoteRef} {
			if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
				p.branches[b] = true
			}
		}
		p.tips = append(p.tips, l.LocalSHA)
		if !isZero(l.RemoteSHA) {
			p.bases = append(p.bases, l.RemoteSHA)
		}
	}
	return p
}

// why is the pushed rule for topic, whose local notes commit is notes: the
// push sends its branch, the remote has its branch already, or the push
// sends a commit its records are attached to (tried in that order: the
// last one may cost a history walk).
func (p *pushScope) why(topic, notes string) string {
	if p.branches[topic] {
		return ReasonBranch
	}
	if p.onSite == nil {
		p.onSite = remoteBranches(p.repo, p.remote)
	}
	if why := p.onSite(topic); why != "" {
		return why
	}
	if len(p.tips) == 0 {
		return ""
	}
	objs, err := p.repo.NotedObjects(p.ctx, notes)
	if err != nil {
		return ""
	}
	for _, o := range objs {
		// Only a commit can be pushed (a turn on an unborn branch is on
		// the empty tree); the walk runs once, for the first candidate.
		if o != gitstore.EmptyTree && p.pushedCommits()[o] {
			return ReasonCommit
		}
	}
	return ""
}

// pushedCommits lists, once, the commits the push publishes: those
// reachable from its tips and from nothing a remote is known to have (the
// old values of the pushed refs, and every remote-tracking branch, of any
// remote). Counting what other remotes have keeps the first push of a
// branch to a new remote (a fork) from sharing every topic attached
// anywhere in its history: only topics attached to work no remote has seen
// go with it, besides the branch's own topic.
func (p *pushScope) pushedCommits() map[string]bool {
	if p.done {
		return p.commits
	}
	p.done = true
	bases := append([]string(nil), p.bases...)
	refs, err := p.repo.ListRefs("refs/remotes/")
	if err != nil {
		p.commitsErr = err
		return nil
	}
	for _, v := range refs {
		bases = append(bases, v)
	}
	p.commits, p.commitsErr = p.repo.NewCommits(p.ctx, p.tips, bases)
	return p.commits
}

// remoteBranches returns the pushed rule of sync: a topic whose branch the
// remote has (per refs/remotes/<remote>/) is shared with it.
func remoteBranches(repo settings, remote string) func(topic string) string {
	if !configured(repo, remote) {
		return func(string) string { return "" }
	}
	prefix := "refs/remotes/" + remote + "/"
	refs, err := repo.ListRefs(prefix)
	if err != nil {
		return func(string) string { return "" }
	}
	return func(topic string) string {
		if _, ok := refs[prefix+topic]; ok {
			return ReasonBranchOnSite
		}
		return ""
	}
}
