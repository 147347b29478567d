package history

import (
	"context"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

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

// noted is what the reattachment rules read of the notes of every topic:
// which objects are noted, their records, and what those carry. The
// views' notesView reads what it is asked for; the tests' reference Index
// holds them all.
type noted interface {
	// objects lists every noted object, in no order.
	objects() []string
	has(obj string) bool
	// records are obj's records, sorted, each once.
	records(obj string) []session.Record
	// patchID is the patch-id obj's records carry for it ("" when none).
	patchID(obj string) string
	// recordKeys are the idKey of each of obj's records.
	recordKeys(obj string) []uint64
}

// idKey is a record id as a map key: a 64-bit FNV-1a hash.
func idKey(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

var (
	squashHeader  = "Squashed commit of the following:"
	commitLineRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^commit ([0-9a-f]{40})\s*$`) })
	cherryPickRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\(cherry picked from commit ([0-9a-f]{40})\)`) })
	bulletPrefixs = []string{"* ", "- "}
)

// withoutNotes returns the commits findReattachments looks for records for:
// those without notes that are not merges.
func withoutNotes(n noted, commits []gitstore.Commit) []gitstore.Commit {
	var targets []gitstore.Commit
	for _, c := range commits {
		if !n.has(c.Hash) && len(c.Parents) <= 1 {
			targets = append(targets, c)
		}
	}
	return targets
}

// findReattachments looks for records that belong to commits which have no
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
//
// targets are the commits without notes (withoutNotes), srcs the noted
// commits as readSources read them.
func findReattachments(ctx context.Context, repo commits, n noted, srcs map[string]*source, targets []gitstore.Commit) ([]Match, error) {
	if len(targets) == 0 || len(srcs) == 0 {
		return nil, nil
	}
	var compute []string
	for _, id := range patchIDWork(targets, srcs, n) {
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
			for _, m := range commitLineRE().FindAllStringSubmatch(msg, -1) {
				cands = append(cands, cand{m[1], RuleSquash})
			}
		}
		for _, m := range cherryPickRE().FindAllStringSubmatch(msg, -1) {
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
		taken := map[string]bool{} // records found for c already: each once
		for _, cd := range cands {
			if done[cd.src] || cd.src == c.Hash || !n.has(cd.src) {
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
			var recs []session.Record
			for _, r := range n.records(cd.src) {
				if !taken[r.ID] {
					taken[r.ID] = true
					recs = append(recs, r)
				}
			}
			out = append(out, splitByTopic(c.Hash, cd.src, cd.rule, recs)...)
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
func patchIDWork(targets []gitstore.Commit, srcs map[string]*source, n noted) []string {
	type authorAt struct{ name, email, at string }
	byTime := map[authorAt][]*source{}
	byParent := map[authorAt][]*source{}
	live := map[uint64]bool{} // record ids noted on an existing commit (idKey)
	for _, s := range srcs {
		if !s.exists {
			continue
		}
		for _, k := range n.recordKeys(s.id) {
			live[k] = true
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
		if !s.exists && s.pid != "" && !allLive(n.recordKeys(s.id), live) {
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
func readSources(repo commits, n noted, walked, known map[string]gitstore.Commit) (map[string]*source, map[string]gitstore.Commit, bool) {
	objs := n.objects()
	srcs := make(map[string]*source, len(objs))
	headers := make(map[string]gitstore.Commit, len(objs))
	changed := false
	for _, obj := range objs {
		if obj == gitstore.EmptyTree {
			continue
		}
		s := &source{id: obj, pid: n.patchID(obj)}
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
func (s *source) confirm(repo commits) bool {
	if s.cached {
		s.cached = false
		if _, err := repo.Commit(s.id); err != nil {
			s.exists = false
		}
	}
	return s.exists
}

// allLive reports whether every record of keys (idKey) is noted on an
// existing commit as well (reattached or copied there by git).
func allLive(keys []uint64, live map[uint64]bool) bool {
	for _, k := range keys {
		if !live[k] {
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
func isAncestor(ctx context.Context, repo commits, exists bool, a, b string) (bool, error) {
	if !exists {
		return false, nil
	}
	return repo.IsAncestor(ctx, a, b)
}
