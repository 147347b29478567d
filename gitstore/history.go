package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/git-codex/git-codex/internal/text"

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
	r.mu.Lock() // engines on several goroutines share a Repo (git codex run)
	c, err := object.GetCommit(r.objects(), plumbing.NewHash(id))
	r.mu.Unlock()
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return Commit{}, fmt.Errorf("commit %s: %w", text.ShortID(id), ErrNotFound)
	}
	if err != nil {
		return Commit{}, fmt.Errorf("read commit %s: %w", text.ShortID(id), err)
	}
	return toCommit(c), nil
}

// ObjectTypes asks git for the type of each object id ("commit", "tree",
// "blob", "tag"); ids that name no object are left out. One `git cat-file
// --batch-check` process answers for all of them.
func (r *Repo) ObjectTypes(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var in bytes.Buffer
	for _, id := range ids {
		in.WriteString(id + "\n")
	}
	res, err := r.git(ctx, &in, "cat-file", "--batch-check")
	if err != nil {
		return nil, fmt.Errorf("look up objects: %w", err)
	}
	// One line per id, in order: "<id> <type> <size>" or "<id> missing".
	lines := strings.Split(strings.TrimRight(string(res), "\n"), "\n")
	for i, l := range lines {
		if i >= len(ids) {
			break
		}
		if f := strings.Fields(l); len(f) >= 2 && f[1] != "missing" {
			out[ids[i]] = f[1]
		}
	}
	return out, nil
}

// Resolve turns any git revision (branch, tag, HEAD~2, abbreviated id) into
// a full commit id through `git rev-parse`. Returns ErrUnknownRevision (an
// ErrNotFound) when it names nothing.
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
			return "", &unbornError{branch: h.Branch}
		}
		return h.Commit, nil
	}
	out, err := r.git(ctx, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("revision %q: %w", rev, ErrUnknownRevision)
	}
	return strings.TrimSpace(string(out)), nil
}

// unbornError is HEAD on a branch without commits: ErrUnborn and
// ErrUnknownRevision.
type unbornError struct{ branch string }

func (e *unbornError) Error() string { return "branch " + e.branch + " has no commits yet" }

func (e *unbornError) Is(target error) bool {
	return target == ErrUnborn || target == ErrUnknownRevision || target == ErrNotFound
}

// RevListOptions selects commits like `git rev-list` arguments do.
type RevListOptions struct {
	// Revs are git revision arguments ("main", "a..b", "^x"); none lists
	// nothing.
	Revs []string
	// Max bounds the number of commits; 0 means all.
	Max int
	// FirstParent follows only the first parent of merges.
	FirstParent bool
	// Paths limits the commits to those that change these paths (git's
	// default history simplification, as `git log -- PATH`).
	Paths []string
}

// RevList returns the commits opt names, newest first as `git log` orders
// them. It is one `git rev-list` process printing every field Commit holds:
// on a large repository that is twice as fast as reading the commits one by
// one, and it uses the commit-graph. Returns ErrNotFound (wrapped) when a
// revision names nothing (ErrUnknownRevision).
func (r *Repo) RevList(ctx context.Context, opt RevListOptions) ([]Commit, error) {
	if len(opt.Revs) == 0 {
		return nil, nil
	}
	for _, rev := range opt.Revs {
		if strings.HasPrefix(rev, "-") {
			return nil, fmt.Errorf("revision %q: options are not revisions: %w", rev, ErrUnknownRevision)
		}
	}
	args := []string{"rev-list", "--format=" + revFormat}
	if opt.Max > 0 {
		args = append(args, fmt.Sprintf("--max-count=%d", opt.Max))
	}
	if opt.FirstParent {
		args = append(args, "--first-parent")
	}
	args = append(append(args, opt.Revs...), "--")
	args = append(args, opt.Paths...)
	if len(opt.Paths) > 0 {
		args = append([]string{"--literal-pathspecs"}, args...)
	}
	out, err := r.git(ctx, nil, args...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("list commits %s: %w (%w)", strings.Join(opt.Revs, " "), ErrUnknownRevision, err)
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
			return nil, fmt.Errorf("list commits: unexpected git rev-list output near %q", text.Cut(f[0], 61))
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

// Published returns which of candidates a push of tips publishes to a
// remote that has bases: those reachable from tips and from none of bases.
// Its cost follows the candidates, not the history: two `git rev-list
// --no-walk` runs print only candidates (reachable from no base, then of
// those, reachable from no tip), where listing every commit a first push
// sends prints the whole history. Ids that name no object here (a remote's
// commit never fetched) are ignored.
func (r *Repo) Published(ctx context.Context, candidates, tips, bases []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(candidates) == 0 || len(tips) == 0 {
		return out, nil
	}
	notIn := func(commits, exclude []string) ([]string, error) {
		var in strings.Builder
		for _, c := range commits {
			in.WriteString(c + "\n")
		}
		for _, e := range exclude {
			in.WriteString("^" + e + "\n")
		}
		ids, err := r.git(ctx, strings.NewReader(in.String()), "rev-list", "--no-walk", "--ignore-missing", "--stdin")
		if err != nil {
			return nil, err
		}
		return strings.Fields(string(ids)), nil
	}
	fresh, err := notIn(candidates, bases) // no remote has them
	if err != nil {
		return nil, fmt.Errorf("tell which commits a push publishes: %w", err)
	}
	if len(fresh) == 0 {
		return out, nil
	}
	unpushed, err := notIn(fresh, tips) // and the push does not send them
	if err != nil {
		return nil, fmt.Errorf("tell which commits a push publishes: %w", err)
	}
	for _, c := range fresh {
		out[c] = true
	}
	for _, c := range unpushed {
		delete(out, c)
	}
	return out, nil
}

// PatchID returns the stable patch-id of a commit's change against its
// first parent ("" for merges and empty changes); see PatchIDs.
func (r *Repo) PatchID(ctx context.Context, commit string) (string, error) {
	ids, err := r.PatchIDs(ctx, []string{commit})
	if err != nil {
		return "", fmt.Errorf("patch-id of %s: %w", text.ShortID(commit), err)
	}
	return ids[commit], nil
}

// PatchIDs computes the stable patch-ids of commits in two git processes
// (`diff-tree --stdin -p | patch-id --stable`), whatever their number.
// Merges and empty changes get none. The ids are compared across clones, so
// everything user configuration could change in the diff text is pinned
// (core.quotePath=false rewrites the file names of the headers; the
// plumbing diff-tree ignores the diff.* UI settings).
func (r *Repo) PatchIDs(ctx context.Context, commits []string) (map[string]string, error) {
	out := map[string]string{}
	if len(commits) == 0 {
		return out, nil
	}
	diff, err := r.git(ctx, strings.NewReader(strings.Join(commits, "\n")+"\n"),
		"-c", "core.quotePath=true", "diff-tree", "--stdin", "-p", "--root", "--no-color", "--no-ext-diff",
		"--no-textconv", "--no-renames")
	if err != nil {
		return nil, fmt.Errorf("compute patch-ids: %w", err)
	}
	if len(diff) == 0 {
		return out, nil
	}
	ids, err := r.git(ctx, bytes.NewReader(diff), "patch-id", "--stable")
	if err != nil {
		return nil, fmt.Errorf("compute patch-ids: %w", err)
	}
	for _, line := range strings.Split(string(ids), "\n") {
		pid, commit, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok {
			out[commit] = pid
		}
	}
	return out, nil
}

// IsAncestor reports whether commit a is an ancestor of b, through git
// (which uses the commit-graph and generation numbers).
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.git(ctx, nil, "merge-base", "--is-ancestor", a, b)
	switch {
	case err == nil:
		return true, nil
	case exitCode(err) == 1:
		return false, nil
	}
	return false, fmt.Errorf("is %s an ancestor of %s: %w", text.ShortID(a), text.ShortID(b), err)
}

// MergeBase returns the best common ancestor of revisions a and b (`git
// merge-base`). Returns ErrNotFound (wrapped) when they have none or a
// revision names nothing.
func (r *Repo) MergeBase(ctx context.Context, a, b string) (string, error) {
	out, err := r.git(ctx, nil, "merge-base", "--end-of-options", a, b)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("merge-base of %s and %s: %w (%w)", a, b, ErrUnknownRevision, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Upstream names the current branch's upstream as git abbreviates it
// ("origin/main"), or "" when there is none (no branch, no upstream).
func (r *Repo) Upstream(ctx context.Context) (string, error) {
	out, err := r.git(ctx, nil, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", nil
	}
	return strings.TrimSpace(string(out)), nil
}
