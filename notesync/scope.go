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
	// notes are the notes commits of every topic the push judges: the
	// objects their records are on are the candidates of the commit rule,
	// asked about in one go (see pushedCommits).
	notes      []string
	commits    map[string]bool
	commitsErr error
	done       bool
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
	for i, b := range branchesOf(topic) {
		if p.branches[b] {
			return branchReason(i, b, ReasonBranch, "which is pushed")
		}
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
		// the empty tree); the question is asked once, for every topic.
		if o != gitstore.EmptyTree && p.pushedCommits()[o] {
			return ReasonCommit
		}
	}
	return ""
}

// pushedCommits tells, once, which of the commits the judged topics'
// records are on the push publishes: those reachable from its tips and from
// nothing a remote is known to have (the old values of the pushed refs, and
// every remote-tracking branch, of any remote). Counting what other remotes
// have keeps the first push of a branch to a new remote (a fork) from
// sharing every topic attached anywhere in its history: only topics
// attached to work no remote has seen go with it, besides the branch's own
// topic. Only those commits are asked about, so the cost follows the notes,
// not the history (a first push of a branch sends all of it).
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
	seen := map[string]bool{}
	var candidates []string
	for _, n := range p.notes {
		objs, err := p.repo.NotedObjects(p.ctx, n)
		if err != nil {
			p.commitsErr = err
			return nil
		}
		for _, o := range objs {
			if o != gitstore.EmptyTree && !seen[o] {
				seen[o] = true
				candidates = append(candidates, o)
			}
		}
	}
	p.commits, p.commitsErr = p.repo.Published(p.ctx, candidates, p.tips, bases)
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
		for i, b := range branchesOf(topic) {
			if _, ok := refs[prefix+b]; ok {
				return branchReason(i, b, ReasonBranchOnSite, "which is on the remote")
			}
		}
		return ""
	}
}

// branchesOf lists the branches a topic goes with under the pushed rule,
// nearest first: the branch of the same name, then each name it is under
// (main/review/api is under main/review and main). A workflow's topics
// (<branch>/<workflow> for its runs, <branch>/<workflow>/<step> for its
// steps' sessions) so go where their branch goes. Such a topic can never
// be a branch itself while that branch exists (git refuses refs/heads/main
// next to refs/heads/main/review), so this takes no branch's own topic.
func branchesOf(topic string) []string {
	out := []string{topic}
	for i := len(topic) - 1; i > 0; i-- {
		if topic[i] == '/' {
			out = append(out, topic[:i])
		}
	}
	return out
}

// branchReason says why a topic goes with branch b, the i-th of
// branchesOf: reason for its own branch, else that it is under b.
func branchReason(i int, b, reason, which string) string {
	if i == 0 {
		return reason
	}
	return "under branch " + b + ", " + which
}
