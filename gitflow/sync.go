package gitflow

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// GuardEnv is set in the environment of every git process git codex starts
// to exchange notes. The pushes also pass --no-verify, so the pre-push hook
// never runs for them; the guard makes a hook that runs anyway (an older
// hook script, a wrapper) return at once instead of recursing.
const GuardEnv = gitstore.GuardEnv

// TrackingPrefix is where fetched remote notes refs are kept:
// refs/notes/remotes/<remote>/<rest of the notes prefix>. It is a private
// namespace that no remote.* refspec touches; sync and the pre-push hook
// also use a tracking ref as "what the remote had when we last talked".
const TrackingPrefix = gitstore.TrackingPrefix

// DefaultMaxRounds bounds how often a rejected notes push is answered with
// fetch + merge + push again before giving up.
const DefaultMaxRounds = 5

// ErrDiverged is returned when the remote notes kept moving (or kept
// rejecting the push) for more rounds than allowed.
var ErrDiverged = errors.New("remote notes kept changing")

// SyncOptions configures Sync.
type SyncOptions struct {
	// Remote is a remote name or URL; "" means DefaultRemote.
	Remote string
	// MaxRounds bounds push/fetch/merge rounds; 0 means DefaultMaxRounds.
	MaxRounds int
}

// SyncResult says what a sync changed. Topic lists are sorted.
type SyncResult struct {
	Remote string `json:"remote"`
	// Fetched lists topics whose remote notes were new to this clone.
	Fetched []string `json:"fetched"`
	// Merged lists local topics whose ref moved to include remote notes.
	Merged []string `json:"merged"`
	// Pushed lists topics whose notes were sent to the remote.
	Pushed []string `json:"pushed"`
	// Kept lists local topics with notes the remote lacks that were not
	// sent, because they are not shared with it.
	Kept []string `json:"kept"`
	// Reasons says why each topic of Pushed was sent, and why each topic
	// of Kept was not (the Reason… texts).
	Reasons map[string]string `json:"reasons"`
	// Rounds counts push attempts that were rejected and retried.
	Rounds int `json:"rounds"`
	// Warnings are problems that did not stop the sync.
	Warnings []string `json:"warnings,omitempty"`
}

// Changed reports whether the sync changed anything, here or there.
func (r SyncResult) Changed() bool {
	return len(r.Fetched)+len(r.Merged)+len(r.Pushed) > 0
}

// DefaultRemote is the remote sync talks to without an argument: the
// current branch's upstream remote, else "origin".
func DefaultRemote(repo *gitstore.Repo) string {
	if h, err := repo.Head(); err == nil && h.Branch != "" {
		if r, ok := repo.Config("branch." + h.Branch + ".remote"); ok && r != "" && r != "." {
			return r
		}
	}
	return "origin"
}

// Sync exchanges the topic notes refs with a remote: it fetches all the
// remote's refs/notes/codex/* into refs/notes/remotes/<remote>/codex/*
// (reading what others shared; readers see those notes from there), merges
// each into the local topic ref of the same name, if there is one, as a
// union of record lines, and pushes, without force, the local topics
// shared with the remote (the rule in share.go, without the part about
// pushed commits: sync pushes none) that it does not have as they are. A rejected push (someone pushed in between) is answered with
// fetch, merge and push again, at most MaxRounds times. A second Sync right
// after the first changes nothing and pushes nothing. Sync never edits
// remote.* configuration and never deletes anything on the remote.
func Sync(ctx context.Context, repo *gitstore.Repo, opt SyncOptions) (SyncResult, error) {
	if opt.Remote == "" {
		opt.Remote = DefaultRemote(repo)
	}
	nr := newNotesRemote(repo, opt.Remote)
	res := SyncResult{Remote: opt.Remote, Reasons: map[string]string{}}
	before, err := nr.trackingRefs()
	if err != nil {
		return res, err
	}
	if err := nr.fetch(ctx, nil); err != nil {
		return res, err
	}
	after, err := nr.trackingRefs()
	if err != nil {
		return res, err
	}
	for ref, v := range after {
		if before[ref] != v {
			res.Fetched = append(res.Fetched, nr.topicOf(ref))
		}
	}
	merged, err := nr.mergeTracking(ctx, nil)
	if err != nil {
		return res, err
	}
	res.Merged = merged
	local, err := nr.localRefs()
	if err != nil {
		return res, err
	}
	// Read after the fetch: "already on the remote" is what it has now.
	policy, warns, err := loadSharing(repo)
	res.Warnings = warns
	if err != nil {
		return res, err
	}
	branches := remoteBranches(repo, opt.Remote)
	send, why := map[string]bool{}, map[string]string{}
	for ref := range local {
		topic := nr.topicOf(ref)
		ok, reason := policy.decide(topic, opt.Remote, branches)
		send[ref], why[topic] = ok, reason
	}
	pushed, rounds, err := nr.exchange(ctx, opt.MaxRounds, send, &res.Merged)
	res.Pushed, res.Rounds = pushed, rounds
	for _, t := range pushed {
		res.Reasons[t] = why[t]
	}
	if after, terr := nr.trackingRefs(); terr == nil {
		for ref, v := range local {
			if topic := nr.topicOf(ref); !send[ref] && after[nr.trackingRef(ref)] != v {
				res.Kept = append(res.Kept, topic)
				res.Reasons[topic] = why[topic]
			}
		}
	}
	sortUnique(&res.Fetched)
	sortUnique(&res.Merged)
	sortUnique(&res.Pushed)
	sortUnique(&res.Kept)
	return res, err
}

// notesRemote exchanges the topic notes refs of one repository with one
// remote.
type notesRemote struct {
	repo     *gitstore.Repo
	notes    *gitstore.NotesStore
	remote   string
	prefix   string // local notes prefix, "refs/notes/codex/"
	tracking string // "refs/notes/remotes/<remote>/codex/"
	// skip holds local refs never to push (the user's push sends them).
	skip map[string]bool
}

func newNotesRemote(repo *gitstore.Repo, remote string) *notesRemote {
	return &notesRemote{
		repo:     repo,
		notes:    repo.Notes(),
		remote:   remote,
		prefix:   repo.RefPrefix(),
		tracking: repo.TrackingPrefixOf(remote),
	}
}

// trackingRef maps a local topic ref to its tracking ref.
func (nr *notesRemote) trackingRef(ref string) string {
	return nr.tracking + strings.TrimPrefix(ref, nr.prefix)
}

// topicOf names the topic of a local or tracking ref (the encoded name
// when it does not decode).
func (nr *notesRemote) topicOf(ref string) string {
	enc := ref[strings.LastIndexByte(ref, '/')+1:]
	if t, err := gitstore.DecodeTopic(enc); err == nil {
		return t
	}
	return enc
}

// localRefs returns the topic refs of this repository (one level below the
// prefix; anything deeper was not written by git codex).
func (nr *notesRemote) localRefs() (map[string]string, error) {
	return topLevel(nr.repo, nr.prefix)
}

func (nr *notesRemote) trackingRefs() (map[string]string, error) {
	return topLevel(nr.repo, nr.tracking)
}

func topLevel(repo *gitstore.Repo, prefix string) (map[string]string, error) {
	refs, err := repo.ListRefs(prefix)
	if err != nil {
		return nil, err
	}
	for name := range refs {
		if strings.Contains(strings.TrimPrefix(name, prefix), "/") {
			delete(refs, name)
		}
	}
	return refs, nil
}

// fetch copies the remote's topic refs into the tracking namespace
// (forced: it is private, and merging happens afterwards). With refs nil it
// fetches all of them and prunes tracking refs the remote no longer has.
func (nr *notesRemote) fetch(ctx context.Context, refs []string) error {
	var specs []string
	if refs == nil {
		specs = []string{"+" + nr.prefix + "*:" + nr.tracking + "*"}
	}
	for _, ref := range refs {
		specs = append(specs, "+"+ref+":"+nr.trackingRef(ref))
	}
	if err := nr.repo.FetchRefs(ctx, nr.remote, specs, gitstore.FetchOptions{Prune: refs == nil}); err != nil {
		return fmt.Errorf("fetch notes from %s: %w", nr.remote, err)
	}
	return nil
}

// mergeTracking merges tracking refs (all, or those of the local refs in
// only) into the local topic refs of the same topic and returns the topics
// that moved. A topic with no local ref gets none: readers see it in the
// tracking ref, and a local ref would make it one of this clone's topics,
// which a push elsewhere could share.
func (nr *notesRemote) mergeTracking(ctx context.Context, only []string) ([]string, error) {
	tracking, err := nr.trackingRefs()
	if err != nil {
		return nil, err
	}
	local, err := nr.localRefs()
	if err != nil {
		return nil, err
	}
	var want map[string]bool
	if only != nil {
		want = map[string]bool{}
		for _, ref := range only {
			want[nr.trackingRef(ref)] = true
		}
	}
	names := sortedKeys(tracking)
	var merged []string
	for _, tref := range names {
		if want != nil && !want[tref] {
			continue
		}
		enc := strings.TrimPrefix(tref, nr.tracking)
		topic, err := gitstore.DecodeTopic(enc)
		if err != nil || gitstore.ValidateTopic(topic) != nil {
			continue // not a ref git codex wrote
		}
		if _, ok := local[nr.prefix+enc]; !ok {
			continue
		}
		changed, err := nr.notes.MergeFrom(ctx, topic, tracking[tref])
		if err != nil {
			return merged, fmt.Errorf("merge notes of %s from %s: %w", topic, nr.remote, err)
		}
		if changed {
			merged = append(merged, topic)
		}
	}
	return merged, nil
}

// exchange pushes every local topic ref in send whose value differs from
// its tracking ref, without force; rejected refs are fetched, merged and
// pushed again, at most maxRounds times. Topics that moved by merging are
// added to *merged. It returns the topics pushed and the number of rejected
// rounds. A ref not in send is never pushed.
func (nr *notesRemote) exchange(ctx context.Context, maxRounds int, send map[string]bool, merged *[]string) ([]string, int, error) {
	if maxRounds <= 0 {
		maxRounds = DefaultMaxRounds
	}
	var pushed []string
	for round := 0; ; round++ {
		local, err := nr.localRefs()
		if err != nil {
			return pushed, round, err
		}
		tracking, err := nr.trackingRefs()
		if err != nil {
			return pushed, round, err
		}
		todo := map[string]string{}
		for ref, v := range local {
			if send[ref] && tracking[nr.trackingRef(ref)] != v && !nr.skip[ref] {
				todo[ref] = v
			}
		}
		if len(todo) == 0 {
			return pushed, round, nil
		}
		ok, retry, err := nr.push(ctx, todo, tracking)
		for _, ref := range ok {
			pushed = append(pushed, nr.topicOf(ref))
		}
		if err != nil {
			return pushed, round, err
		}
		if len(retry) == 0 {
			return pushed, round, nil
		}
		if round+1 >= maxRounds {
			return pushed, round + 1, fmt.Errorf("push notes to %s: %w after %d rounds (%s)",
				nr.remote, ErrDiverged, maxRounds, strings.Join(retry, ", "))
		}
		if err := nr.fetch(ctx, retry); err != nil {
			return pushed, round + 1, err
		}
		m, err := nr.mergeTracking(ctx, retry)
		*merged = append(*merged, m...)
		if err != nil {
			return pushed, round + 1, err
		}
	}
}

// push sends refs (name → the exact commit to send) without force and
// records the remote's new state in the tracking refs. It returns the refs
// the remote now has, and the refs rejected because the remote moved
// (worth a fetch, merge and retry). Other failures are errors.
func (nr *notesRemote) push(ctx context.Context, refs, tracking map[string]string) (ok, retry []string, err error) {
	status, runErr := nr.repo.PushRefs(ctx, nr.remote, refs)
	var failed []string
	for _, ref := range sortedKeys(refs) {
		st, found := status[ref]
		switch {
		case found && st.OK():
			ok = append(ok, ref)
			tref := nr.trackingRef(ref)
			// The tracking ref is a cache of the remote's state; a
			// concurrent sync that moved it first wins, harmlessly.
			if uerr := nr.repo.UpdateRef(ctx, tref, tracking[tref], refs[ref]); uerr != nil && !errors.Is(uerr, gitstore.ErrConflict) {
				return ok, retry, fmt.Errorf("record pushed notes of %s: %w", nr.topicOf(ref), uerr)
			}
		case found && retryable(st):
			retry = append(retry, ref)
		case found:
			failed = append(failed, nr.topicOf(ref)+": "+st.Summary)
		}
	}
	if len(failed) > 0 {
		return ok, retry, fmt.Errorf("push notes to %s: %s", nr.remote, strings.Join(failed, "; "))
	}
	if runErr != nil && len(ok)+len(retry) < len(refs) {
		return ok, retry, fmt.Errorf("push notes to %s: %w", nr.remote, runErr)
	}
	return ok, retry, nil
}

// retryable reports whether a rejected ref is worth a fetch, merge and push
// again: the remote moved (not a hook or a policy refusing it).
func retryable(s gitstore.PushStatus) bool {
	return s.Flag == '!' && !strings.Contains(s.Summary, "remote rejected") &&
		(strings.Contains(s.Summary, "fetch first") || strings.Contains(s.Summary, "non-fast-forward") ||
			strings.Contains(s.Summary, "stale info") || strings.Contains(s.Summary, "rejected"))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortUnique(s *[]string) {
	sort.Strings(*s)
	out := (*s)[:0]
	for i, v := range *s {
		if i == 0 || v != (*s)[i-1] {
			out = append(out, v)
		}
	}
	*s = out
	if *s == nil {
		*s = []string{}
	}
}
