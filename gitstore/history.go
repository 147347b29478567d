package gitstore

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
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
// in git's default order: `git rev-list Include… ^Exclude…` with -n Max and
// --first-parent, commit for commit. That is git's own revision walk: a
// queue ordered by commit date (ties first-in first-out); with exclusions
// the whole walk is limited first (uninteresting marks spreading to parents
// already seen, stopping a few commits after only uninteresting ones are
// left), so that a commit reached first from an included tip and later from
// an excluded one is not listed. Returning ErrStopWalk from fn stops
// quietly. Commits that are missing (shallow clones) end the walk there.
func (r *Repo) Log(ctx context.Context, opt LogOptions, fn func(Commit) error) error {
	w := &revWalk{r: r, nodes: map[plumbing.Hash]*walkNode{}, firstParent: opt.FirstParent}
	for _, id := range opt.Include {
		if err := w.addTip(plumbing.NewHash(id), false); err != nil {
			return err
		}
	}
	for _, id := range opt.Exclude {
		if err := w.addTip(plumbing.NewHash(id), true); err != nil {
			return err
		}
	}
	emit := func(n *walkNode, count *int) (bool, error) {
		if err := fn(toCommit(n.c)); err != nil {
			if errors.Is(err, ErrStopWalk) {
				return true, nil
			}
			return true, err
		}
		*count++
		return opt.Max > 0 && *count >= opt.Max, nil
	}
	count := 0
	if len(opt.Exclude) == 0 {
		for w.q.Len() > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := heap.Pop(&w.q).(*walkNode)
			if err := w.processParents(n); err != nil {
				return err
			}
			if done, err := emit(n, &count); done || err != nil {
				return err
			}
		}
		return nil
	}
	limited, err := w.limit(ctx)
	if err != nil {
		return err
	}
	for _, n := range limited {
		if n.flags&uninteresting != 0 {
			continue
		}
		if done, err := emit(n, &count); done || err != nil {
			return err
		}
	}
	return nil
}

// ErrStopWalk stops Log without an error.
var ErrStopWalk = errors.New("stop walk")

const (
	seen          = 1 << iota // queued once
	uninteresting             // reachable from an excluded commit
	added                     // parents processed
)

// revSlop is how many uninteresting commits the limited walk still takes
// once only uninteresting ones are queued (git's SLOP), to tolerate a
// little clock skew.
const revSlop = 5

type walkNode struct {
	hash    plumbing.Hash
	c       *object.Commit // nil until parsed
	parents []*walkNode
	date    int64
	flags   int
	seq     int // insertion order, breaking date ties first-in first-out
}

type revWalk struct {
	r           *Repo
	nodes       map[plumbing.Hash]*walkNode
	q           walkQueue
	seq         int
	firstParent bool
}

func (w *revWalk) node(h plumbing.Hash) *walkNode {
	n := w.nodes[h]
	if n == nil {
		n = &walkNode{hash: h}
		w.nodes[h] = n
	}
	return n
}

// parse reads n's commit; false when the object is missing.
func (w *revWalk) parse(n *walkNode) (bool, error) {
	if n.c != nil {
		return true, nil
	}
	c, err := object.GetCommit(w.r.objects(), n.hash)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, nil // shallow clone boundary or missing history
	}
	if err != nil {
		return false, fmt.Errorf("log: read commit %s: %w", shortHash(n.hash.String()), err)
	}
	n.c, n.date = c, c.Committer.When.Unix()
	n.parents = make([]*walkNode, len(c.ParentHashes))
	for i, p := range c.ParentHashes {
		n.parents[i] = w.node(p)
	}
	return true, nil
}

func (w *revWalk) push(n *walkNode) {
	n.flags |= seen
	n.seq = w.seq
	w.seq++
	heap.Push(&w.q, n)
}

func (w *revWalk) addTip(h plumbing.Hash, exclude bool) error {
	n := w.node(h)
	ok, err := w.parse(n)
	if err != nil || !ok {
		return err
	}
	if exclude {
		n.flags |= uninteresting
		w.markParentsUninteresting(n)
	}
	if n.flags&seen == 0 {
		w.push(n)
	}
	return nil
}

// processParents queues n's parents (git's process_parents): all of them
// for an uninteresting commit, marking them uninteresting too; only the
// first with FirstParent otherwise.
func (w *revWalk) processParents(n *walkNode) error {
	if n.flags&added != 0 {
		return nil
	}
	n.flags |= added
	if n.flags&uninteresting != 0 {
		for _, p := range n.parents {
			p.flags |= uninteresting
			ok, err := w.parse(p)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			w.markParentsUninteresting(p)
			if p.flags&seen == 0 {
				w.push(p)
			}
		}
		return nil
	}
	for _, p := range n.parents {
		ok, err := w.parse(p)
		if err != nil {
			return err
		}
		if ok && p.flags&seen == 0 {
			w.push(p)
		}
		if w.firstParent {
			break
		}
	}
	return nil
}

// markParentsUninteresting spreads the uninteresting mark to the parents
// of n and, through commits already parsed, to their ancestors.
func (w *revWalk) markParentsUninteresting(n *walkNode) {
	stack := append([]*walkNode(nil), n.parents...)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p.flags&uninteresting != 0 {
			continue
		}
		p.flags |= uninteresting
		stack = append(stack, p.parents...)
	}
}

// limit is git's limit_list: it walks until only uninteresting commits are
// left (plus revSlop) and returns the commits taken while interesting, in
// walk order; some may have been marked uninteresting since.
func (w *revWalk) limit(ctx context.Context) ([]*walkNode, error) {
	var out []*walkNode
	date := int64(math.MaxInt64)
	slop := revSlop
	for w.q.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := heap.Pop(&w.q).(*walkNode)
		if err := w.processParents(n); err != nil {
			return nil, err
		}
		if n.flags&uninteresting != 0 {
			w.markParentsUninteresting(n)
			if slop = w.stillInteresting(date, slop); slop > 0 {
				continue
			}
			break
		}
		date = n.date
		out = append(out, n)
	}
	return out, nil
}

func (w *revWalk) stillInteresting(date int64, slop int) int {
	if w.q.Len() == 0 {
		return 0
	}
	if date <= w.q[0].date {
		return revSlop
	}
	for _, n := range w.q {
		if n.flags&uninteresting == 0 {
			return revSlop
		}
	}
	return slop - 1
}

// walkQueue is a max-heap on commit date; equal dates pop in insertion
// order, as git's commit_list_insert_by_date leaves them.
type walkQueue []*walkNode

func (q walkQueue) Len() int { return len(q) }
func (q walkQueue) Less(i, j int) bool {
	if q[i].date != q[j].date {
		return q[i].date > q[j].date
	}
	return q[i].seq < q[j].seq
}
func (q walkQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *walkQueue) Push(x any)   { *q = append(*q, x.(*walkNode)) }
func (q *walkQueue) Pop() any {
	old := *q
	n := old[len(old)-1]
	*q = old[:len(old)-1]
	return n
}

// PatchID returns the stable patch-id of a commit's change against its
// first parent ("" for merges and empty changes), through git's own
// `diff-tree -p | patch-id --stable`.
func (r *Repo) PatchID(ctx context.Context, commit string) (string, error) {
	// The id is compared across clones: pin what user configuration could
	// change in the diff text (core.quotePath=false rewrites the file
	// names of the headers; the plumbing diff-tree ignores the diff.* UI
	// settings).
	diff, err := r.Git(ctx, nil, "-c", "core.quotePath=true", "diff-tree", "-p", "--no-color", "--no-ext-diff",
		"--no-textconv", "--no-renames", "--root", commit)
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
