package gitstore

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Commit is the part of a commit the product shows.
type Commit struct {
	Hash    string
	Parents []string
	Author  string
	Email   string
	Time    time.Time // author time
	Subject string
	Body    string
	// CommitTime orders history walks.
	CommitTime time.Time
}

func toCommit(c *object.Commit) Commit {
	subject, body, _ := strings.Cut(c.Message, "\n")
	parents := make([]string, len(c.ParentHashes))
	for i, p := range c.ParentHashes {
		parents[i] = p.String()
	}
	return Commit{
		Hash: c.Hash.String(), Parents: parents,
		Author: c.Author.Name, Email: c.Author.Email, Time: c.Author.When,
		Subject: strings.TrimSpace(subject), Body: strings.TrimSpace(body),
		CommitTime: c.Committer.When,
	}
}

// Commit reads one commit. Returns ErrNotFound when it does not exist (a
// squash-merged branch after gc, a commit from another clone).
func (r *Repo) Commit(id string) (Commit, error) {
	if !plumbing.IsHash(id) {
		return Commit{}, fmt.Errorf("commit %q: %w", id, ErrNotFound)
	}
	c, err := object.GetCommit(r.objects(), plumbing.NewHash(id))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return Commit{}, fmt.Errorf("commit %s: %w", shortHash(id), ErrNotFound)
	}
	if err != nil {
		return Commit{}, fmt.Errorf("read commit %s: %w", shortHash(id), err)
	}
	return toCommit(c), nil
}

// Resolve turns any git revision (branch, tag, HEAD~2, abbreviated id) into
// a full commit id through `git rev-parse`. Returns ErrNotFound when it
// names nothing.
func (r *Repo) Resolve(ctx context.Context, rev string) (string, error) {
	if plumbing.IsHash(rev) {
		return rev, nil
	}
	if rev == "HEAD" {
		h, err := r.Head()
		if err != nil {
			return "", err
		}
		if h.Commit == "" {
			return "", fmt.Errorf("HEAD: unborn branch %s: %w", h.Branch, ErrNotFound)
		}
		return h.Commit, nil
	}
	out, err := r.Git(ctx, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("revision %q: %w", rev, ErrNotFound)
	}
	return strings.TrimSpace(string(out)), nil
}

// LogOptions selects commits like `git log Include… ^Exclude…`.
type LogOptions struct {
	Include     []string // commit ids
	Exclude     []string // commit ids
	Max         int      // 0 = no limit
	FirstParent bool
}

// Log calls fn for the commits reachable from Include and not from Exclude,
// newest first by commit time (git log's default order). Returning
// ErrStopWalk from fn stops quietly.
func (r *Repo) Log(ctx context.Context, opt LogOptions, fn func(Commit) error) error {
	q := &commitQueue{}
	seen := map[plumbing.Hash]bool{}
	push := func(h plumbing.Hash, bad bool) error {
		if seen[h] {
			if bad {
				q.markBad(h)
			}
			return nil
		}
		seen[h] = true
		c, err := object.GetCommit(r.objects(), h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil // shallow clone boundary or missing history: stop there
		}
		if err != nil {
			return fmt.Errorf("log: read commit %s: %w", shortHash(h.String()), err)
		}
		heap.Push(q, &queued{c: c, bad: bad})
		return nil
	}
	for _, id := range opt.Exclude {
		if err := push(plumbing.NewHash(id), true); err != nil {
			return err
		}
	}
	for _, id := range opt.Include {
		if err := push(plumbing.NewHash(id), false); err != nil {
			return err
		}
	}
	n := 0
	for q.Len() > 0 && !q.allBad() {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := heap.Pop(q).(*queued)
		parents := it.c.ParentHashes
		if opt.FirstParent && len(parents) > 1 && !it.bad {
			parents = parents[:1]
		}
		for _, p := range parents {
			if err := push(p, it.bad); err != nil {
				return err
			}
		}
		if it.bad {
			continue
		}
		if err := fn(toCommit(it.c)); err != nil {
			if errors.Is(err, ErrStopWalk) {
				return nil
			}
			return err
		}
		n++
		if opt.Max > 0 && n >= opt.Max {
			return nil
		}
	}
	return nil
}

// ErrStopWalk stops Log without an error.
var ErrStopWalk = errors.New("stop walk")

type queued struct {
	c   *object.Commit
	bad bool // reachable from an excluded commit
}

// commitQueue is a max-heap on commit time with "uninteresting" marks that
// spread to parents, as in git's revision walk.
type commitQueue struct {
	items []*queued
	nbad  int
}

func (q *commitQueue) Len() int { return len(q.items) }
func (q *commitQueue) Less(i, j int) bool {
	return q.items[i].c.Committer.When.After(q.items[j].c.Committer.When)
}
func (q *commitQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *commitQueue) Push(x any) {
	it := x.(*queued)
	if it.bad {
		q.nbad++
	}
	q.items = append(q.items, it)
}
func (q *commitQueue) Pop() any {
	it := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	if it.bad {
		q.nbad--
	}
	return it
}
func (q *commitQueue) allBad() bool { return q.nbad == len(q.items) }
func (q *commitQueue) markBad(h plumbing.Hash) {
	for _, it := range q.items {
		if it.c.Hash == h && !it.bad {
			it.bad = true
			q.nbad++
		}
	}
}

// PatchID returns the stable patch-id of a commit's change against its
// first parent ("" for merges and empty changes), through git's own
// `diff-tree -p | patch-id --stable`.
func (r *Repo) PatchID(ctx context.Context, commit string) (string, error) {
	diff, err := r.Git(ctx, nil, "diff-tree", "-p", "--no-color", "--no-ext-diff", "--root", commit)
	if err != nil {
		return "", fmt.Errorf("patch-id of %s: %w", shortHash(commit), err)
	}
	if len(strings.TrimSpace(string(diff))) <= 40 {
		return "", nil
	}
	out, err := r.Git(ctx, strings.NewReader(string(diff)), "patch-id", "--stable")
	if err != nil {
		return "", fmt.Errorf("patch-id of %s: %w", shortHash(commit), err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	return id, nil
}
