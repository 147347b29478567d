package gitstore

import (
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
// in git's default order, at most Max: it is `git rev-list Include…
// ^Exclude…` (see RevList), so the order, the exclusions and the commit-graph
// are git's own. Returning ErrStopWalk from fn stops quietly.
func (r *Repo) Log(ctx context.Context, opt LogOptions, fn func(Commit) error) error {
	if len(opt.Include) == 0 {
		return nil
	}
	revs := append([]string(nil), opt.Include...)
	for _, id := range opt.Exclude {
		revs = append(revs, "^"+id)
	}
	commits, err := r.revList(ctx, revs, opt.Max, opt.FirstParent)
	if err != nil {
		return err
	}
	for _, c := range commits {
		if err := fn(c); err != nil {
			if errors.Is(err, ErrStopWalk) {
				return nil
			}
			return err
		}
	}
	return nil
}

// ErrStopWalk stops Log without an error.
var ErrStopWalk = errors.New("stop walk")

// RevList returns the commits named by git revision arguments ("main",
// "a..b", "^x"), newest first as `git log` orders them, at most max (0: all).
// It is one `git rev-list` process printing every field Commit holds: on a
// large repository that is twice as fast as reading the commits one by one,
// and it uses the commit-graph. Returns ErrNotFound (wrapped) when a
// revision names nothing.
func (r *Repo) RevList(ctx context.Context, revs []string, max int) ([]Commit, error) {
	return r.revList(ctx, revs, max, false)
}

func (r *Repo) revList(ctx context.Context, revs []string, max int, firstParent bool) ([]Commit, error) {
	for _, rev := range revs {
		if strings.HasPrefix(rev, "-") {
			return nil, fmt.Errorf("revision %q: options are not revisions: %w", rev, ErrNotFound)
		}
	}
	args := []string{"rev-list", "--format=" + revFormat}
	if max > 0 {
		args = append(args, fmt.Sprintf("--max-count=%d", max))
	}
	if firstParent {
		args = append(args, "--first-parent")
	}
	args = append(append(args, revs...), "--")
	out, err := r.Git(ctx, nil, args...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("list commits %s: %w (%v)", strings.Join(revs, " "), ErrNotFound, err)
	}
	return parseRevList(out)
}

// revFormat prints a commit's fields NUL-terminated: id, parents, author
// name and email, author and committer date (strict ISO 8601, with the
// zone), and the raw message. rev-list puts a "commit <id>" line before
// each commit; parseRevList skips it.
const revFormat = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B%x00"

// revFields is the number of NUL-terminated fields revFormat prints.
const revFields = 7

// parseRevList reads `git rev-list --format=revFormat` output into commits
// as Commit makes them: subject is the first line of the message, body the
// rest, both trimmed.
func parseRevList(out []byte) ([]Commit, error) {
	fields := strings.Split(string(out), "\x00")
	n := (len(fields) - 1) / revFields
	commits := make([]Commit, 0, n)
	for i := 0; i < n; i++ {
		f := fields[i*revFields : (i+1)*revFields]
		hash := strings.TrimSpace(f[0])
		if j := strings.LastIndexAny(hash, " \n"); j >= 0 {
			hash = hash[j+1:] // after the "commit <id>" line
		}
		at, err1 := time.Parse(time.RFC3339, f[4])
		ct, err2 := time.Parse(time.RFC3339, f[5])
		if len(hash) != 40 || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("list commits: unexpected git rev-list output near %q", truncate(f[0], 60))
		}
		subject, body, _ := strings.Cut(f[6], "\n")
		commits = append(commits, Commit{
			Hash: hash, Parents: strings.Fields(f[1]),
			Author: f[2], Email: f[3], Time: at,
			Subject: strings.TrimSpace(subject), Body: strings.TrimSpace(body),
			CommitTime: ct,
		})
	}
	return commits, nil
}

// NewCommits returns the commits reachable from tips and from none of bases
// — what a push of tips sends to a remote that has bases — through one `git
// rev-list`. Ids that name no object here (a remote's commit never
// fetched) are ignored.
func (r *Repo) NewCommits(ctx context.Context, tips, bases []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(tips) == 0 {
		return out, nil
	}
	var in strings.Builder
	for _, t := range tips {
		in.WriteString(t + "\n")
	}
	for _, b := range bases {
		in.WriteString("^" + b + "\n")
	}
	ids, err := r.Git(ctx, strings.NewReader(in.String()), "rev-list", "--ignore-missing", "--stdin")
	if err != nil {
		return nil, fmt.Errorf("list the commits a push sends: %w", err)
	}
	for _, id := range strings.Fields(string(ids)) {
		out[id] = true
	}
	return out, nil
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
