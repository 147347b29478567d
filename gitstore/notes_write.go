package gitstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Append adds recs to the note on target in topic's ref: under the ref's
// lock it reads the current notes commit, rewrites only the path to the one
// note, writes the new objects and renames the lock over the ref. Existing
// lines (including ones it cannot parse) are kept; the note's lines are
// sorted and deduplicated as `git notes merge -s cat_sort_uniq` would leave them.
func (n *NotesStore) Append(ctx context.Context, topic, target string, recs ...Record) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	target, err := normalizeTarget(topic, target)
	if err != nil {
		return err
	}
	lines, err := scrubRecords(recs, n.r.secrets)
	if err != nil || len(lines) == 0 {
		return err
	}
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	// Optimistic compare-and-swap: build the new notes commit from the
	// current one without holding the lock, then take the lock only to
	// check nothing moved and rename. A process killed while building
	// leaves only unreachable objects; the lock is held for microseconds.
	for attempt := 0; ; attempt++ {
		// A symbolic notes ref is written through, as git does.
		ref, err := n.r.notesRefTarget(n.Ref(topic))
		if err != nil {
			return fmt.Errorf("append to %s: %w", n.Ref(topic), err)
		}
		old, err := n.r.ReadRef(ref)
		if errors.Is(err, ErrNotFound) {
			old, err = "", nil
		}
		if err != nil {
			return fmt.Errorf("append to %s: %w", ref, err)
		}
		commit, err := n.r.noteCommit(old, target, lines)
		if err != nil {
			return fmt.Errorf("append to %s: %w", ref, err)
		}
		err = n.r.UpdateRef(ctx, ref, old, commit)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= maxAttempts {
			return fmt.Errorf("append to %s: %w", ref, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// normalizeTarget checks that target is a full object id and returns it in
// lower case: go-git accepts upper-case hex, but a note path must be the
// id git prints, or readers (ours included) would not find it.
func normalizeTarget(topic, target string) (string, error) {
	if !plumbing.IsHash(target) {
		return "", fmt.Errorf("append to %s: target %q is not an object id", topic, target)
	}
	return strings.ToLower(target), nil
}

// maxAttempts bounds compare-and-swap retries; each failed attempt means
// another writer succeeded, so this is only reached under extreme load.
const maxAttempts = 1000

// backoff sleeps a short, growing, jittered time before retry attempt+1.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(100+rand.IntN(400*(1+min(attempt, 20)))) * time.Microsecond
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// noteCommit writes a notes commit that is old (a notes commit id, or "")
// with lines merged into the note on target, and returns its id.
func (r *Repo) noteCommit(old, target string, lines [][]byte) (string, error) {
	w := r.newTreeWriter()
	var oldTree plumbing.Hash
	var parents []plumbing.Hash
	if old != "" {
		c, err := w.commit(plumbing.NewHash(old))
		if err != nil {
			return "", fmt.Errorf("read notes commit: %w", err)
		}
		oldTree, parents = c.TreeHash, []plumbing.Hash{c.Hash}
	}
	target, lines, err := w.rollover(oldTree, target, lines)
	if err != nil {
		return "", err
	}
	newTree, err := w.addToNote(oldTree, target, lines)
	if err != nil {
		return "", err
	}
	commit, err := w.writeCommit(newTree, parents, "Notes added by 'git codex'\n")
	if err != nil {
		return "", err
	}
	return commit.String(), nil
}

// signature is the identity notes commits are made with: git's committer
// environment, then user.name/user.email, then a fixed fallback.
func (r *Repo) signature() object.Signature {
	name, email := r.getenv("GIT_COMMITTER_NAME"), r.getenv("GIT_COMMITTER_EMAIL")
	if name == "" {
		name, _ = r.Config("user.name")
	}
	if email == "" {
		email, _ = r.Config("user.email")
	}
	if name == "" {
		name = "git codex"
	}
	if email == "" {
		email = "git-codex@localhost"
	}
	return object.Signature{Name: name, Email: email, When: time.Now()}
}
