package gitflow

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// Index holds every record of every topic, read once, grouped the ways the
// history views need them.
type Index struct {
	// ByObject maps an annotated object (a commit, or the empty tree) to
	// the records of its notes in all topics, sorted by time then id.
	// Record.Topic is filled in from the ref when a line lacks it.
	ByObject map[string][]session.Record
	// BySession maps a session id to all its records, unique by id, sorted.
	BySession map[string][]session.Record
	// Answers maps a turn id to the answer records that reply to it.
	Answers map[string][]session.Record
	// Warnings are the lines the readers skipped.
	Warnings []gitstore.Warning
}

// LoadIndex reads all topics of the repository's notes store: the local
// topic refs and, for the read-only history views, those fetched from
// remotes (refs/notes/remotes/<remote>/…). A notes commit's records come
// from the history index cache (see reattach_index.go) when they were read
// before.
func LoadIndex(ctx context.Context, repo *gitstore.Repo) (*Index, error) {
	cache := readIndexCache(repo)
	idx, fresh, err := loadIndex(ctx, repo, cache, true)
	if err == nil && fresh != nil {
		fresh.Commits = cache.Commits
		writeIndexCache(repo, fresh)
	}
	return idx, err
}

// loadIndex is LoadIndex with the cache read; it returns the cache to write
// back, nil when cache was up to date (its Commits left for the caller).
// With remotes, the fetched notes count too; without, only local topics
// (what Reattach may copy from).
func loadIndex(ctx context.Context, repo *gitstore.Repo, cache *indexCache, remotes bool) (*Index, *indexCache, error) {
	notes := repo.Notes()
	topics, err := notes.Topics(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list topics: %w", err)
	}
	type source struct{ ref, topic, commit string }
	var srcs []source
	for _, topic := range topics {
		ref := notes.Ref(topic)
		head, err := repo.ReadRef(ref)
		if errors.Is(err, gitstore.ErrNotFound) {
			continue // deleted since it was listed
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read topic %s: %w", topic, err)
		}
		srcs = append(srcs, source{ref, topic, head})
	}
	if remotes {
		tracked, err := repo.TrackedTopics()
		if err != nil {
			return nil, nil, fmt.Errorf("list fetched topics: %w", err)
		}
		for _, tr := range tracked {
			srcs = append(srcs, source{tr.Ref, tr.Topic, tr.Commit})
		}
	}
	idx := &Index{
		ByObject:  map[string][]session.Record{},
		BySession: map[string][]session.Record{},
		Answers:   map[string][]session.Record{},
	}
	fresh := newIndexCache()
	dirty := false
	seen := map[string]bool{}
	for _, src := range srcs {
		if _, done := fresh.Notes[src.commit]; done {
			continue // a tracking ref where the local ref is: the same records
		}
		ct, ok := cache.Notes[src.commit]
		if !ok {
			byObj, warns, err := notes.ReadCommit(ctx, src.ref, src.commit)
			if err != nil {
				return nil, nil, fmt.Errorf("read topic %s: %w", src.topic, err)
			}
			ct, dirty = decodeNotes(byObj, warns, src.ref), true
		}
		fresh.Notes[src.commit] = ct
		idx.Warnings = append(idx.Warnings, ct.Warnings...)
		for obj, recs := range ct.ByObject {
			for _, r := range recs {
				if r.Topic == "" {
					r.Topic = src.topic
				}
				idx.ByObject[obj] = append(idx.ByObject[obj], r)
				if seen[r.ID] {
					continue
				}
				seen[r.ID] = true
				if r.Session != "" {
					idx.BySession[r.Session] = append(idx.BySession[r.Session], r)
				}
				if r.Kind == session.KindAnswer && r.Turn != "" {
					idx.Answers[r.Turn] = append(idx.Answers[r.Turn], r)
				}
			}
		}
	}
	if !dirty && len(fresh.Notes) == len(cache.Notes) {
		fresh = nil
	}
	for obj, recs := range idx.ByObject {
		idx.ByObject[obj] = uniqueSorted(recs)
	}
	for _, recs := range idx.BySession {
		session.SortRecords(recs)
	}
	for _, recs := range idx.Answers {
		session.SortRecords(recs)
	}
	return idx, fresh, nil
}

// decodeNotes decodes the records of one notes commit; a record that does
// not fit the session schema is skipped with a warning.
func decodeNotes(byObj map[string][]gitstore.Record, warns []gitstore.Warning, ref string) cachedNotes {
	out := cachedNotes{ByObject: make(map[string][]session.Record, len(byObj)), Warnings: warns}
	for obj, recs := range byObj {
		for _, g := range recs {
			r, err := session.Decode(g)
			if err != nil {
				out.Warnings = append(out.Warnings, gitstore.Warning{Ref: ref, Object: obj, Record: g.ID,
					Reason: "skipped malformed record: " + clip(err.Error(), 80)})
				continue
			}
			out.ByObject[obj] = append(out.ByObject[obj], r)
		}
	}
	return out
}

// uniqueSorted sorts records by time and id and drops repeated ids (the
// same record in two notes of one object, or in two topics).
func uniqueSorted(recs []session.Record) []session.Record {
	session.SortRecords(recs)
	out := recs[:0]
	for i, r := range recs {
		if i > 0 && r.ID == recs[i-1].ID {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Reattachment rules, in the order they are tried.
const (
	// RulePatchID: the commit's stable patch-id equals the patch-id of a
	// noted commit (cherry-pick, rebase or amend without notes.rewriteRef,
	// reset-and-recommit).
	RulePatchID = "patch-id"
	// RuleSquash: the commit message is git's `merge --squash` message and
	// lists the noted commit as "commit <full id>" (works after the
	// squashed commits are gone).
	RuleSquash = "squash"
	// RuleCherryPickX: the message says "(cherry picked from commit <id>)".
	RuleCherryPickX = "cherry-pick-x"
	// RuleSubject: the message body lists the noted commit's subject as a
	// "* <subject>" line, as GitHub's squash merge writes it (needs the
	// noted commit to still exist here to know its subject).
	RuleSubject = "squash-subject"
)

// Match is a commit without notes and the records of one topic found for it
// on another (noted) commit.
type Match struct {
	Commit  string           `json:"commit"`
	Source  string           `json:"source"`
	Topic   string           `json:"topic"`
	Rule    string           `json:"rule"`
	Records []session.Record `json:"-"`
}

var (
	squashHeader  = "Squashed commit of the following:"
	commitLineRE  = regexp.MustCompile(`(?m)^commit ([0-9a-f]{40})\s*$`)
	cherryPickRE  = regexp.MustCompile(`\(cherry picked from commit ([0-9a-f]{40})\)`)
	bulletPrefixs = []string{"* ", "- "}
)

// FindReattachments looks for records that belong to commits which have no
// notes of their own, because git did not carry the notes over: a
// cherry-pick, a squash merge, a rebase or amend without notes.rewriteRef.
// A noted commit N is a source for a commit C (C without notes, not a merge)
// when one rule holds, tried in this order:
//
//   - patch-id: C's stable patch-id equals N's (from the records' PatchID,
//     else computed when N still exists);
//   - squash: C's message starts git's "Squashed commit of the following:"
//     list and names N as "commit <full id>";
//   - cherry-pick-x: C's message has "(cherry picked from commit N)";
//   - squash-subject: a "* <subject>" or "- <subject>" line of C's body is
//     N's subject (GitHub's squash message), N still existing here.
//
// and N is not C and not an ancestor of C (an ancestor's notes are already
// in C's history, and a change re-applied later is not the same work).
//
// Patch-ids cost a diff of each commit, which on a large repository is far
// more than everything else a history view does, so they are computed only
// for pairs that can be a rewrite of one another by what their headers
// say: C and an existing N with the same author (name and email) and either
// the same author time (cherry-pick, rebase and amend keep it) or the same
// first parent (reset and commit again, amend --reset-author); the same
// change made again by hand with a new date on another base is not looked
// for. Only when a record carries the patch-id of a commit that no longer
// exists, and some of its records are noted on no commit that does, are
// the patch-ids of all commits without notes computed. The message rules
// need no diffs. Nothing is written; see Reattach.
func FindReattachments(ctx context.Context, repo *gitstore.Repo, idx *Index, commits []gitstore.Commit) ([]Match, error) {
	targets := withoutNotes(idx, commits)
	if len(targets) == 0 || len(idx.ByObject) == 0 {
		return nil, nil
	}
	walked := make(map[string]gitstore.Commit, len(commits))
	for _, c := range commits {
		walked[c.Hash] = c
	}
	srcs, _, _ := readSources(repo, idx, walked, nil)
	return findReattachments(ctx, repo, idx, srcs, targets)
}

// withoutNotes returns the commits FindReattachments looks for records for:
// those without notes that are not merges.
func withoutNotes(idx *Index, commits []gitstore.Commit) []gitstore.Commit {
	var targets []gitstore.Commit
	for _, c := range commits {
		if len(idx.ByObject[c.Hash]) == 0 && len(c.Parents) <= 1 {
			targets = append(targets, c)
		}
	}
	return targets
}

// findReattachments is FindReattachments on targets (withoutNotes) with the
// noted commits already read.
func findReattachments(ctx context.Context, repo *gitstore.Repo, idx *Index, srcs map[string]*source, targets []gitstore.Commit) ([]Match, error) {
	if len(targets) == 0 || len(srcs) == 0 {
		return nil, nil
	}
	var compute []string
	for _, id := range patchIDWork(targets, srcs, idx) {
		if src := srcs[id]; src == nil || src.confirm(repo) {
			compute = append(compute, id)
		}
	}
	pids, err := repo.PatchIDs(ctx, compute)
	if err != nil {
		return nil, err
	}
	byPID := map[string][]string{}
	for _, s := range srcs {
		if s.pid == "" {
			s.pid = pids[s.id]
		}
		if s.pid != "" {
			byPID[s.pid] = append(byPID[s.pid], s.id)
		}
	}
	for _, objs := range byPID {
		sort.Strings(objs)
	}

	var subjects map[string][]string // subject → noted commits, built lazily
	var out []Match
	for _, c := range targets {
		type cand struct{ src, rule string }
		var cands []cand
		if pid := pids[c.Hash]; pid != "" {
			for _, src := range byPID[pid] {
				cands = append(cands, cand{src, RulePatchID})
			}
		}
		msg := c.Subject + "\n\n" + c.Body
		if strings.Contains(msg, squashHeader) {
			for _, m := range commitLineRE.FindAllStringSubmatch(msg, -1) {
				cands = append(cands, cand{m[1], RuleSquash})
			}
		}
		for _, m := range cherryPickRE.FindAllStringSubmatch(msg, -1) {
			cands = append(cands, cand{m[1], RuleCherryPickX})
		}
		if c.Body != "" {
			if subjects == nil {
				subjects = notedSubjects(srcs)
			}
			for _, line := range strings.Split(c.Body, "\n") {
				line = strings.TrimSpace(line)
				for _, p := range bulletPrefixs {
					if s, ok := strings.CutPrefix(line, p); ok {
						for _, src := range subjects[strings.TrimSpace(s)] {
							cands = append(cands, cand{src, RuleSubject})
						}
					}
				}
			}
		}
		done := map[string]bool{}
		for _, cd := range cands {
			if done[cd.src] || cd.src == c.Hash || len(idx.ByObject[cd.src]) == 0 {
				continue
			}
			done[cd.src] = true
			exists := false
			if s := srcs[cd.src]; s != nil {
				exists = s.confirm(repo)
			}
			if cd.rule == RuleSubject && !exists {
				continue // known from the cache, collected since
			}
			if anc, err := isAncestor(ctx, repo, exists, cd.src, c.Hash); err != nil {
				return nil, err
			} else if anc {
				continue
			}
			out = append(out, splitByTopic(c.Hash, cd.src, cd.rule, idx.ByObject[cd.src])...)
		}
	}
	return out, nil
}

// patchIDWork returns the commits whose patch-ids the patch-id rule needs,
// sorted: both sides of every pair of a target and an existing source with
// the same author and the same author time or first parent (a source's side
// only when its records carry no patch-id), and every target when a source
// that no longer exists has a patch-id in its records and some of its
// records are noted on no existing commit.
func patchIDWork(targets []gitstore.Commit, srcs map[string]*source, idx *Index) []string {
	type authorAt struct{ name, email, at string }
	byTime := map[authorAt][]*source{}
	byParent := map[authorAt][]*source{}
	live := map[string]bool{} // record ids noted on an existing commit
	for _, s := range srcs {
		if !s.exists {
			continue
		}
		for _, r := range idx.ByObject[s.id] {
			live[r.ID] = true
		}
		k := authorAt{s.c.Author, s.c.Email, authorSecond(s.c)}
		byTime[k] = append(byTime[k], s)
		if len(s.c.Parents) == 1 {
			k.at = s.c.Parents[0]
			byParent[k] = append(byParent[k], s)
		}
	}
	allTargets := false
	for _, s := range srcs {
		if !s.exists && s.pid != "" && !allLive(idx.ByObject[s.id], live) {
			allTargets = true
			break
		}
	}
	need := map[string]bool{}
	for _, c := range targets {
		k := authorAt{c.Author, c.Email, authorSecond(&c)}
		cands := byTime[k]
		if len(c.Parents) == 1 {
			k.at = c.Parents[0]
			cands = append(cands[:len(cands):len(cands)], byParent[k]...)
		}
		for _, s := range cands {
			if s.id == c.Hash {
				continue
			}
			need[c.Hash] = true
			if s.pid == "" {
				need[s.id] = true
			}
		}
		if allTargets {
			need[c.Hash] = true
		}
	}
	compute := make([]string, 0, len(need))
	for id := range need {
		compute = append(compute, id)
	}
	sort.Strings(compute)
	return compute
}

// source is a noted commit (any object but the empty tree) as the rules
// see it.
type source struct {
	id     string
	c      *gitstore.Commit // when exists
	exists bool
	cached bool   // exists says what the cache says; see confirm
	pid    string // stored in its records, or computed
}

// readSources reads the noted commits, taking the walked ones from walked
// (may be nil), the headers of others from known (the cache: checked again
// with confirm before they decide anything git is asked about) and reading
// the rest once. An object that is not a readable commit (gone after gc,
// from another clone, a note on a blob) does not exist for the rules. It
// also returns the headers of the commits that exist, for the cache, and
// whether any were not known.
func readSources(repo *gitstore.Repo, idx *Index, walked, known map[string]gitstore.Commit) (map[string]*source, map[string]gitstore.Commit, bool) {
	srcs := make(map[string]*source, len(idx.ByObject))
	headers := make(map[string]gitstore.Commit, len(idx.ByObject))
	changed := false
	for obj, recs := range idx.ByObject {
		if obj == gitstore.EmptyTree {
			continue
		}
		s := &source{id: obj}
		for _, r := range recs {
			if r.Commit == obj && r.PatchID != "" {
				s.pid = r.PatchID
				break
			}
		}
		if c, ok := walked[obj]; ok {
			s.c, s.exists = &c, true
		} else if c, ok := known[obj]; ok {
			s.c, s.exists, s.cached = &c, true, true
		} else if c, err := repo.Commit(obj); err == nil {
			s.c, s.exists = &c, true
		}
		if s.exists {
			h := *s.c
			h.Body = "" // the rules read only the subject of a noted commit
			if _, ok := known[obj]; !ok {
				changed = true
			}
			headers[obj] = h
		}
		srcs[obj] = s
	}
	return srcs, headers, changed || len(headers) != len(known)
}

// confirm reports whether s exists, checking a header that came from the
// cache against the object store once (the commit may have been collected
// since).
func (s *source) confirm(repo *gitstore.Repo) bool {
	if s.cached {
		s.cached = false
		if _, err := repo.Commit(s.id); err != nil {
			s.exists = false
		}
	}
	return s.exists
}

// allLive reports whether every record of recs is noted on an existing
// commit as well (reattached or copied there by git).
func allLive(recs []session.Record, live map[string]bool) bool {
	for _, r := range recs {
		if !live[r.ID] {
			return false
		}
	}
	return true
}

// authorSecond is c's author time as a map key (git keeps seconds).
func authorSecond(c *gitstore.Commit) string {
	return strconv.FormatInt(c.Time.Unix(), 10)
}

// splitByTopic makes one Match per topic of recs.
func splitByTopic(commit, src, rule string, recs []session.Record) []Match {
	var out []Match
	pos := map[string]int{}
	for _, r := range recs {
		i, ok := pos[r.Topic]
		if !ok {
			i = len(out)
			pos[r.Topic] = i
			out = append(out, Match{Commit: commit, Source: src, Topic: r.Topic, Rule: rule})
		}
		out[i].Records = append(out[i].Records, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}

// notedSubjects maps the subjects of noted commits that still exist to them.
func notedSubjects(srcs map[string]*source) map[string][]string {
	out := map[string][]string{}
	for id, s := range srcs {
		if s.exists && s.c.Subject != "" {
			out[s.c.Subject] = append(out[s.c.Subject], id)
		}
	}
	for _, objs := range out {
		sort.Strings(objs)
	}
	return out
}

// isAncestor reports whether a is an ancestor of b; a commit that does not
// exist here (exists false) is an ancestor of nothing.
func isAncestor(ctx context.Context, repo *gitstore.Repo, exists bool, a, b string) (bool, error) {
	if !exists {
		return false, nil
	}
	return repo.IsAncestor(ctx, a, b)
}

// ReattachOptions selects the commits Reattach looks at.
type ReattachOptions struct {
	// Revs are git revision arguments ("main..feature", "HEAD~5..");
	// empty means HEAD.
	Revs []string
	// Max bounds the number of commits looked at; 0 means no bound.
	Max int
	// DryRun finds matches without writing.
	DryRun bool
	// Now stamps the reattach event records.
	Now func() time.Time
}

// Reattach finds records for commits without notes (FindReattachments) and
// adds their existing lines to the note of the new commit, in the records'
// own topic. Records are immutable and unique by id, so this copies lines,
// never makes new records of them: a union of notes stays deduplicated, and
// plain `git log --notes=codex/<topic>` shows them on the new commit. One
// event record per session and commit ("reattach", naming the source commit
// and rule) is added with them. Running it again finds nothing to do: the
// commits have notes now.
func Reattach(ctx context.Context, repo *gitstore.Repo, opt ReattachOptions) ([]Match, error) {
	// Only this clone's own topics are copied from: a teammate's fetched
	// session is not made one of this clone's topics behind its back.
	h, err := readHistory(ctx, repo, opt.Revs, opt.Max, false)
	if err != nil {
		return nil, err
	}
	matches := h.matches
	if opt.DryRun {
		return matches, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	notes := repo.Notes()
	for _, m := range matches {
		recs := append([]session.Record(nil), m.Records...)
		t := now()
		var sessions []string
		for _, r := range m.Records {
			if r.Session != "" && !contains(sessions, r.Session) {
				sessions = append(sessions, r.Session)
			}
		}
		for _, s := range sessions {
			recs = append(recs, session.Record{
				Time: gitstore.FormatTime(t), ID: gitstore.NewID(t), Kind: session.KindEvent,
				Session: s, Topic: m.Topic, Commit: m.Commit, Event: "reattach",
				Text: fmt.Sprintf("records of %s reattached to %s (%s)", short(m.Source), short(m.Commit), m.Rule),
			})
		}
		lines := make([]gitstore.Record, 0, len(recs))
		for _, r := range recs {
			g, err := r.Encode()
			if err != nil {
				return matches, fmt.Errorf("reattach %s to %s: %w", short(m.Source), short(m.Commit), err)
			}
			lines = append(lines, g)
		}
		if err := notes.Append(ctx, m.Topic, m.Commit, lines...); err != nil {
			return matches, fmt.Errorf("reattach %s to %s: %w", short(m.Source), short(m.Commit), err)
		}
	}
	return matches, nil
}

// history is what the history views read: the commits of a revision range,
// the index of all records and the reattachments found for the commits.
type history struct {
	commits []gitstore.Commit
	idx     *Index
	matches []Match
}

// readHistory lists the commits of revs (at most max, 0: all) with one git
// process that runs while this one reads the index and the noted commits,
// then finds the reattachments. On a reattachment error it returns the
// history read so far with the error.
func readHistory(ctx context.Context, repo *gitstore.Repo, revs []string, max int, remotes bool) (*history, error) {
	walkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	revList := startRevList(walkCtx, repo, revs, max)
	cache := readIndexCache(repo)
	idx, fresh, err := loadIndex(ctx, repo, cache, remotes)
	var srcs map[string]*source
	if err == nil {
		var headers map[string]gitstore.Commit
		var changed bool
		srcs, headers, changed = readSources(repo, idx, nil, cache.Commits)
		if changed && fresh == nil {
			fresh = cache
		}
		if fresh != nil {
			fresh.Commits = headers
			writeIndexCache(repo, fresh)
		}
	}
	commits, rerr := revList()
	if rerr != nil {
		return nil, rerr
	}
	if err != nil {
		return nil, err
	}
	h := &history{commits: commits, idx: idx}
	h.matches, err = findReattachments(ctx, repo, idx, srcs, withoutNotes(idx, commits))
	return h, err
}

// RevList returns the commits named by git revision arguments (default
// HEAD), newest first as `git log` orders them, at most max (0: all).
// Returns gitstore.ErrNotFound wrapped when a revision names nothing.
func RevList(ctx context.Context, repo *gitstore.Repo, revs []string, max int) ([]gitstore.Commit, error) {
	return startRevList(ctx, repo, revs, max)()
}

// startRevList starts RevList and returns the function that waits for its
// answer, so that the git rev-list process runs while the caller goes on
// (reading the notes, say); Repo.RevList only runs git, sharing no state.
func startRevList(ctx context.Context, repo *gitstore.Repo, revs []string, max int) func() ([]gitstore.Commit, error) {
	fail := func(err error) func() ([]gitstore.Commit, error) {
		return func() ([]gitstore.Commit, error) { return nil, err }
	}
	if len(revs) == 0 {
		h, err := repo.Head()
		if err != nil {
			return fail(err)
		}
		if h.Unborn() {
			return fail(nil)
		}
		revs = []string{"HEAD"}
	}
	type result struct {
		commits []gitstore.Commit
		err     error
	}
	done := make(chan result, 1)
	go func() {
		commits, err := repo.RevList(ctx, gitstore.RevListOptions{Revs: revs, Max: max})
		done <- result{commits, err}
	}()
	return func() ([]gitstore.Commit, error) {
		res := <-done
		return res.commits, res.err
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func short(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	return id
}
