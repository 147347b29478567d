package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"sort"
	"strings"
)

// FetchOptions tune FetchRefs.
type FetchOptions struct {
	// Prune deletes the local refs that a wildcard refspec maps from refs
	// the remote no longer has.
	Prune bool
}

// FetchRefs fetches refspecs ("+src:dst") from remote, quietly, without
// tags, FETCH_HEAD, submodules or auto-maintenance, and without terminal
// prompts (it may run inside a hook). The git process carries GuardEnv.
func (r *Repo) FetchRefs(ctx context.Context, remote string, refspecs []string, opt FetchOptions) error {
	args := []string{"fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-auto-maintenance",
		"--no-recurse-submodules"}
	if opt.Prune {
		args = append(args, "--prune")
	}
	args = append(append(args, remote), refspecs...)
	if _, err := r.exchangeGit(ctx, args...); err != nil {
		return err
	}
	return nil
}

// PushStatus is what `git push --porcelain` says about one ref.
type PushStatus struct {
	// Flag is git's one-character status: ' ' fast-forward, '+' forced,
	// '-' deleted, '*' new, '=' up to date, '!' rejected or failed.
	Flag byte
	// Summary is git's summary text ("[rejected] (fetch first)").
	Summary string
}

// OK reports whether the remote has the ref as it was sent.
func (s PushStatus) OK() bool { return strings.IndexByte(" +-*=", s.Flag) >= 0 }

// PushRefs pushes refs (destination ref → the exact commit to send) to
// remote without force and with --no-verify, so the pre-push hook does not
// run again; the git process carries GuardEnv and asks no terminal
// questions. It returns the status git reported per destination ref. The
// error is git's failure (a *GitError), if any: statuses are still
// returned then, for the refs git reported on. A remote added with
// --mirror=push refuses refspecs; this push names its refs, so it turns the
// setting off for itself only.
func (r *Repo) PushRefs(ctx context.Context, remote string, refs map[string]string) (map[string]PushStatus, error) {
	var args []string
	if !strings.ContainsAny(remote, "=\n") {
		args = append(args, "-c", "remote."+remote+".mirror=false")
	}
	args = append(args, "push", "--porcelain", "--no-verify", remote)
	names := make([]string, 0, len(refs))
	for ref := range refs {
		names = append(names, ref)
	}
	sort.Strings(names)
	for _, ref := range names {
		args = append(args, refs[ref]+":"+ref)
	}
	out, err := r.exchangeGit(ctx, args...)
	return parsePorcelain(out), err
}

// exchangeGit runs git to talk to a remote: with the guard against
// recursing into our own pre-push hook and without terminal prompts.
func (r *Repo) exchangeGit(ctx context.Context, args ...string) ([]byte, error) {
	return r.gitEnv(ctx, []string{GuardEnv + "=1", "GIT_TERMINAL_PROMPT=0"}, nil, args...)
}

// parsePorcelain reads `git push --porcelain` output: "<flag>\t<from>:<to>\t<summary>".
func parsePorcelain(out []byte) map[string]PushStatus {
	status := map[string]PushStatus{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) < 3 || len(parts[0]) != 1 {
			continue
		}
		_, to, found := strings.Cut(parts[1], ":")
		if !found {
			continue
		}
		status[to] = PushStatus{Flag: parts[0][0], Summary: parts[2]}
	}
	return status
}
