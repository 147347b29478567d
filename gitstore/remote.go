package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
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

// Lost reports whether the ref was refused only because someone else got
// there first: the remote's ref moved since it was read ("fetch first",
// "non-fast-forward", "stale info"), or another push held or changed it
// while the remote updated it ("[remote rejected] (failed to update ref)",
// "cannot lock ref", "failed to lock", "incorrect old value provided": the
// remote's ref-lock race). Such a refusal is answered with a fetch, a
// merge and another push. Anything else refused (a hook declined, a hidden
// or protected ref, missing objects) is a real refusal.
func (s PushStatus) Lost() bool {
	return s.summaryHas("fetch first", "non-fast-forward", "stale info") || s.LockRace()
}

// LockRace reports whether the ref was refused while the remote updated it
// ("failed to update ref", "cannot lock ref", …): a concurrent push's lock,
// most often, but receive-pack says the same of a ref it cannot write for
// good (permissions, a full disk, a name in the way). Retrying is right
// only while the remote's ref moves.
func (s PushStatus) LockRace() bool {
	return s.summaryHas("failed to update ref", "cannot lock ref", "failed to lock", "unable to lock", "incorrect old value")
}

func (s PushStatus) summaryHas(phrases ...string) bool {
	if s.Flag != '!' {
		return false
	}
	sum := strings.ToLower(s.Summary)
	for _, p := range phrases {
		if strings.Contains(sum, p) {
			return true
		}
	}
	return false
}

// pushArgRefs is the most refs PushRefs names one by one. git 2.39 matches
// every explicit refspec against every local ref (about 7 ms each beside
// 10,000 topic refs, and the argument list nears ARG_MAX at a few tens of
// thousands); past this many, the refs are staged and pushed with one
// wildcard refspec.
const pushArgRefs = 32

// pushStagePrefix is where PushRefs stages the refs of a large push:
// refs/codex/push/<token>/<ref without refs/>, outside refs/notes/, private
// to the push, removed after it.
const pushStagePrefix = "refs/codex/push/"

// PushRefs pushes refs (destination ref → the exact commit to send) to
// remote without force and with --no-verify, so the pre-push hook does not
// run again; the git process carries GuardEnv and asks no terminal
// questions. It returns the status git reported per destination ref. The
// error is git's failure (a *GitError), if any: statuses are still
// returned then, for the refs git reported on. A remote added with
// --mirror=push refuses refspecs; this push names its refs, so it turns the
// setting off for itself only.
//
// Up to pushArgRefs refs are named one by one ("<commit>:<ref>"). More are
// staged: each added to packed-refs as refs/codex/push/<token>/<ref> holding
// its commit, pushed with the one refspec "refs/codex/push/<token>/*:refs/*",
// and removed; so the push costs what git's own wildcard push costs, sends
// exactly the commits given, and nothing else.
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
	if len(names) <= pushArgRefs {
		for _, ref := range names {
			args = append(args, refs[ref]+":"+ref)
		}
		out, err := r.exchangeGit(ctx, args...)
		return parsePorcelain(out), err
	}
	stage, err := r.stageRefs(ctx, names, refs)
	if stage != "" {
		defer r.unstageRefs(stage)
	}
	if err != nil {
		return nil, fmt.Errorf("push to %s: %w", remote, err)
	}
	out, err := r.exchangeGit(ctx, append(args, stage+"*:refs/*")...)
	return parsePorcelain(out), err
}

// stageRefs adds refs/codex/push/<token>/<ref without refs/> for each ref
// to packed-refs (one write, not a file per ref) and returns that prefix.
// Staged refs left by pushes whose process is gone are dropped on the way.
func (r *Repo) stageRefs(ctx context.Context, names []string, refs map[string]string) (string, error) {
	me := self()
	stage := fmt.Sprintf("%s%d-%s-%s-%d-%x/", pushStagePrefix, me.PID, orDash(me.Start), machineTag(me), time.Now().Unix(), rand.Uint64())
	staged := make(map[string]string, len(names))
	for _, ref := range names {
		rest, ok := strings.CutPrefix(ref, "refs/")
		if !ok || !isObjectID(refs[ref]) {
			return "", fmt.Errorf("stage %s: not a ref and an object id", ref)
		}
		staged[stage+rest] = refs[ref]
	}
	gone := gonePushes()
	added, err := r.editPackedRefs(ctx, staged, func(name string) bool {
		rest, ok := strings.CutPrefix(name, pushStagePrefix)
		return ok && gone(rest)
	})
	if err != nil {
		return "", fmt.Errorf("stage refs to push: %w", err)
	}
	if len(added) != len(staged) {
		return stage, fmt.Errorf("stage refs to push: %d of %d staged", len(added), len(staged))
	}
	return stage, nil
}

// stagedPushAge is the age from which staged refs of a push whose owner is
// gone are dropped: a push still running that long after staging (a slow
// remote) keeps them while its process lives, whatever the age.
const stagedPushAge = 10 * time.Minute

// gonePushes returns a judge of staged refs (named without pushStagePrefix)
// that asks stagedByGonePush once per push: a push stages thousands of
// refs under one token, and each judgement reads /proc.
func gonePushes() func(name string) bool {
	judged := map[string]bool{}
	return func(name string) bool {
		token, _, _ := strings.Cut(name, "/")
		gone, ok := judged[token]
		if !ok {
			gone = stagedByGonePush(token)
			judged[token] = gone
		}
		return gone
	}
}

// stagedByGonePush reports whether the refs a push staged under token were
// left by a push that is over: staged on this machine and boot, over
// stagedPushAge ago, by a process that is gone (as lock owners are judged).
// Refs of another machine sharing the repository, or of an older format,
// are kept.
func stagedByGonePush(token string) bool {
	f := strings.Split(token, "-")
	if len(f) != 5 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	at, err2 := strconv.ParseInt(f[3], 10, 64)
	me := self()
	if err1 != nil || err2 != nil || pid <= 0 || f[2] != machineTag(me) || time.Since(time.Unix(at, 0)) < stagedPushAge {
		return false
	}
	start := f[1]
	if start == "x" {
		start = ""
	}
	return lockOwner{PID: pid, Host: me.Host, Boot: me.Boot, Start: start}.gone()
}

// machineTag names this host and boot in a ref name component.
func machineTag(o lockOwner) string {
	h := fnv.New32a()
	h.Write([]byte(o.Host + "\x00" + o.Boot))
	return fmt.Sprintf("%08x", h.Sum32())
}

func orDash(s string) string {
	if s == "" {
		return "x"
	}
	return s
}

// unstageRefs removes a push's staged refs.
func (r *Repo) unstageRefs(stage string) {
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	_, _ = r.editPackedRefs(ctx, nil, func(name string) bool { return strings.HasPrefix(name, stage) })
}

// exchangeGit runs git to talk to a remote: with the guard against
// recursing into our own pre-push hook and without terminal prompts.
func (r *Repo) exchangeGit(ctx context.Context, args ...string) ([]byte, error) {
	// In English (LC_ALL=C): what a refusal or a failure was about is read
	// from git's words (PushStatus, GitError.Is).
	return r.gitEnv(ctx, []string{GuardEnv + "=1", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"}, nil, args...)
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
