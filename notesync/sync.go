package notesync

import (
	"context"
	"errors"

	"github.com/git-codex/git-codex/gitstore"
)

// DefaultMaxRounds bounds how often a notes push that lost to another one
// is answered with fetch + merge + push again before giving up. With the
// pauses between rounds (25 ms doubling to 1.6 s, jittered) that is about
// 10 seconds of others pushing without a break.
const DefaultMaxRounds = 10

// ErrDiverged is returned when the remote notes kept moving (or kept
// losing the race for the remote's ref lock) for more rounds than allowed.
var ErrDiverged = errors.New("remote notes kept changing")

// ErrRefused is returned when the remote refused notes for a reason other
// than someone else pushing at the same time (a hook declined them, the
// refs are protected or hidden); the error names the remote's reason.
var ErrRefused = errors.New("the remote refused the notes")

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
	return syncWith(ctx, wrap(repo), opt)
}

// syncWith is Sync with the remote chosen.
func syncWith(ctx context.Context, repo pushHistoryExchanger, opt SyncOptions) (SyncResult, error) {
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
