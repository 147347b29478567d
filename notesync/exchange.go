package notesync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/git-codex/git-codex/gitstore"
)

// notesRemote exchanges the topic notes refs of one repository with one
// remote.
type notesRemote struct {
	repo     exchanger
	remote   string
	prefix   string // local notes prefix, "refs/notes/codex/"
	tracking string // "refs/notes/remotes/<remote>/codex/"
	// skip holds local refs never to push (the user's push sends them).
	skip map[string]bool
}

func newNotesRemote(repo exchanger, remote string) *notesRemote {
	return &notesRemote{
		repo:     repo,
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

func topLevel(repo refs, prefix string) (map[string]string, error) {
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
	names := slices.Sorted(maps.Keys(tracking))
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
		changed, err := nr.repo.MergeFrom(ctx, topic, tracking[tref])
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
// its tracking ref, without force; refs refused because someone else got
// there first (gitstore.PushStatus.Lost: the remote moved, or its ref lock
// was taken by a concurrent push) are fetched, merged and pushed again after
// a jittered, growing pause, at most maxRounds times. Topics that moved by
// merging are added to *merged. It returns the topics pushed and the number
// of rounds that were lost and retried. A ref not in send is never pushed.
func (nr *notesRemote) exchange(ctx context.Context, maxRounds int, send map[string]bool, merged *[]string) ([]string, int, error) {
	if maxRounds <= 0 {
		maxRounds = DefaultMaxRounds
	}
	var pushed []string
	stuck := map[string]int{}
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
		ok, retry, races, err := nr.push(ctx, todo, tracking)
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
				nr.remote, ErrDiverged, maxRounds, strings.Join(topicsOf(nr, retry), ", "))
		}
		if err := pause(ctx, round); err != nil {
			return pushed, round + 1, err
		}
		if err := nr.fetchRetrying(ctx, retry); err != nil {
			return pushed, round + 1, err
		}
		if err := nr.realRefusals(races, tracking, stuck); err != nil {
			return pushed, round + 1, err
		}
		m, err := nr.mergeTracking(ctx, retry)
		*merged = append(*merged, m...)
		if err != nil {
			return pushed, round + 1, err
		}
	}
}

// stuckRounds is how many rounds in a row a ref may be refused "while the
// remote updated it" without the remote's ref moving before the refusal
// counts as real.
const stuckRounds = 2

// realRefusals tells a lost ref-lock race from a real refusal worded alike
// (receive-pack reports a ref it cannot write for good as "failed to update
// ref" too): the race's winner moves the remote's ref, a real refusal does
// not. races are the refs just refused so, with git's summary; before is
// the tracking refs before the fetch that followed; stuck counts the
// rounds each ref was refused without moving.
func (nr *notesRemote) realRefusals(races, before map[string]string, stuck map[string]int) error {
	for ref := range stuck {
		if _, ok := races[ref]; !ok {
			delete(stuck, ref) // not refused so this round: in a row no more
		}
	}
	if len(races) == 0 {
		return nil
	}
	after, err := nr.trackingRefs()
	if err != nil {
		return err
	}
	var real []string
	for _, ref := range slices.Sorted(maps.Keys(races)) {
		tref := nr.trackingRef(ref)
		if after[tref] != before[tref] {
			stuck[ref] = 0
			continue
		}
		if stuck[ref]++; stuck[ref] >= stuckRounds {
			real = append(real, nr.topicOf(ref)+": "+races[ref])
		}
	}
	if len(real) > 0 {
		return fmt.Errorf("push notes to %s: %w (the remote's ref did not move in %d tries, so no other push holds it): %s",
			nr.remote, ErrRefused, stuckRounds, strings.Join(real, "; "))
	}
	return nil
}

// pause waits before retry round+1: 25 ms doubling per round up to 1.6 s,
// each time a random part of it to half again as much, so that clones that
// lost to each other do not meet again.
func pause(ctx context.Context, round int) error {
	d := 25 * time.Millisecond << min(round, 6)
	d += rand.N(d/2 + 1)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// fetchRetrying is fetch, tried again (after a pause) while a tracking ref
// it must update is locked by another process of this clone. A ref the
// remote does not have (a new topic it refused) fails a fetch that names
// it: then every topic is fetched instead.
func (nr *notesRemote) fetchRetrying(ctx context.Context, refs []string) error {
	for attempt := 0; ; attempt++ {
		err := nr.fetch(ctx, refs)
		if err != nil && refs != nil && errors.Is(err, gitstore.ErrRemoteRefMissing) {
			refs = nil
			err = nr.fetch(ctx, nil)
		}
		if err == nil || !errors.Is(err, gitstore.ErrRefBusy) || attempt >= 4 {
			return err
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}

// recordCreated creates the tracking refs of topics the remote did not have
// before this push: one by one (a compare-and-swap from nothing, with a
// reflog entry) when they are few, in one write of packed-refs when they
// are many (a first push of thousands of topics). Either way a tracking ref
// someone else created meanwhile stays theirs.
func (nr *notesRemote) recordCreated(ctx context.Context, created map[string]string) error {
	if len(created) > bulkTracking {
		if err := nr.repo.CreateRefs(ctx, created); err != nil {
			return fmt.Errorf("record pushed notes: %w", err)
		}
		return nil
	}
	for _, tref := range slices.Sorted(maps.Keys(created)) {
		if err := nr.repo.UpdateRef(ctx, tref, "", created[tref]); err != nil && !errors.Is(err, gitstore.ErrConflict) {
			return fmt.Errorf("record pushed notes of %s: %w", nr.topicOf(tref), err)
		}
	}
	return nil
}

// bulkTracking is the number of new tracking refs past which they are
// created in one write.
const bulkTracking = 32

func topicsOf(nr *notesRemote, refs []string) []string {
	out := make([]string, len(refs))
	for i, ref := range refs {
		out[i] = nr.topicOf(ref)
	}
	return out
}

// push sends refs (name → the exact commit to send) without force and
// records the remote's new state in the tracking refs. It returns the refs
// the remote now has, and the refs refused because someone else got there
// first (worth a fetch, merge and retry). A ref the remote refused for
// another reason is an error wrapping ErrRefused, naming the remote's
// reason; a push that failed as a whole is git's error.
func (nr *notesRemote) push(ctx context.Context, refs, tracking map[string]string) (ok, retry []string, races map[string]string, err error) {
	status, runErr := nr.repo.PushRefs(ctx, nr.remote, refs)
	var failed, silent []string
	races = map[string]string{}
	created := map[string]string{} // new tracking refs, written at once
	for _, ref := range slices.Sorted(maps.Keys(refs)) {
		st, found := status[ref]
		switch {
		case found && st.OK():
			ok = append(ok, ref)
			tref := nr.trackingRef(ref)
			if tracking[tref] == "" {
				created[tref] = refs[ref]
				continue
			}
			// The tracking ref is a cache of the remote's state; a
			// concurrent sync that moved it first wins, harmlessly.
			if uerr := nr.repo.UpdateRef(ctx, tref, tracking[tref], refs[ref]); uerr != nil && !errors.Is(uerr, gitstore.ErrConflict) {
				return ok, retry, races, fmt.Errorf("record pushed notes of %s: %w", nr.topicOf(ref), uerr)
			}
		case found && st.Lost():
			retry = append(retry, ref)
			if st.LockRace() {
				races[ref] = st.Summary
			}
		case found:
			failed = append(failed, nr.topicOf(ref)+": "+st.Summary)
		default:
			silent = append(silent, nr.topicOf(ref))
		}
	}
	if err := nr.recordCreated(ctx, created); err != nil {
		return ok, retry, races, err
	}
	if len(failed) > 0 {
		return ok, retry, races, fmt.Errorf("push notes to %s: %w: %s", nr.remote, ErrRefused, strings.Join(failed, "; "))
	}
	if runErr != nil && len(ok)+len(retry) < len(refs) {
		return ok, retry, races, fmt.Errorf("push notes to %s: %w", nr.remote, runErr)
	}
	if len(silent) > 0 {
		// git said nothing of them: not sent (a staged ref someone
		// removed mid-push). Never taken as pushed.
		return ok, retry, races, fmt.Errorf("push notes to %s: git reported nothing about %d topic(s) (%s); nothing was lost, run again",
			nr.remote, len(silent), strings.Join(firstN(silent, 10), ", "))
	}
	return ok, retry, races, nil
}

// firstN is s cut to n elements, with a count of the rest.
func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
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
