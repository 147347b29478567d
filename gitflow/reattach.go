package gitflow

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/git-codex/git-codex/gitstore"
)

// Index holds every record of every topic, read once, grouped the ways the
// history views need them.
type Index struct {
	// ByObject maps an annotated object (a commit, or the empty tree) to
	// the records of its notes in all topics, sorted by time then id.
	// Record.Topic is filled in from the ref when a line lacks it.
	ByObject map[string][]gitstore.Record
	// BySession maps a session id to all its records, unique by id, sorted.
	BySession map[string][]gitstore.Record
	// Answers maps a turn id to the answer records that reply to it.
	Answers map[string][]gitstore.Record
	// Warnings are the lines the readers skipped.
	Warnings []gitstore.Warning
}

// LoadIndex reads all topics of the repository's notes store.
func LoadIndex(ctx context.Context, repo *gitstore.Repo) (*Index, error) {
	notes := repo.Notes()
	topics, err := notes.Topics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	idx := &Index{
		ByObject:  map[string][]gitstore.Record{},
		BySession: map[string][]gitstore.Record{},
		Answers:   map[string][]gitstore.Record{},
	}
	seen := map[string]bool{}
	for _, topic := range topics {
		byObj, warns, err := notes.ReadByObject(ctx, topic)
		if err != nil {
			return nil, fmt.Errorf("read topic %s: %w", topic, err)
		}
		idx.Warnings = append(idx.Warnings, warns...)
		for obj, recs := range byObj {
			for _, r := range recs {
				if r.Topic == "" {
					r.Topic = topic
				}
				idx.ByObject[obj] = append(idx.ByObject[obj], r)
				if seen[r.ID] {
					continue
				}
				seen[r.ID] = true
				if r.Session != "" {
					idx.BySession[r.Session] = append(idx.BySession[r.Session], r)
				}
				if r.Kind == gitstore.KindAnswer && r.Turn != "" {
					idx.Answers[r.Turn] = append(idx.Answers[r.Turn], r)
				}
			}
		}
	}
	for obj, recs := range idx.ByObject {
		idx.ByObject[obj] = uniqueSorted(recs)
	}
	for _, recs := range idx.BySession {
		gitstore.SortRecords(recs)
	}
	for _, recs := range idx.Answers {
		gitstore.SortRecords(recs)
	}
	return idx, nil
}

// uniqueSorted sorts records by time and id and drops repeated ids (the
// same record in two notes of one object, or in two topics).
func uniqueSorted(recs []gitstore.Record) []gitstore.Record {
	gitstore.SortRecords(recs)
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
	Commit  string            `json:"commit"`
	Source  string            `json:"source"`
	Topic   string            `json:"topic"`
	Rule    string            `json:"rule"`
	Records []gitstore.Record `json:"-"`
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
// Nothing is written; see Reattach.
func FindReattachments(ctx context.Context, repo *gitstore.Repo, idx *Index, commits []gitstore.Commit) ([]Match, error) {
	var targets []gitstore.Commit
	inRange := map[string]bool{}
	for _, c := range commits {
		inRange[c.Hash] = true
		if len(idx.ByObject[c.Hash]) == 0 && len(c.Parents) <= 1 {
			targets = append(targets, c)
		}
	}
	if len(targets) == 0 || len(idx.ByObject) == 0 {
		return nil, nil
	}
	// Sources: noted commits. Patch-ids from the records where they carry
	// their own commit's patch-id, else computed below.
	sourcePID := map[string]string{}
	var compute []string
	for obj, recs := range idx.ByObject {
		if obj == gitstore.EmptyTree {
			continue
		}
		for _, r := range recs {
			if r.Commit == obj && r.PatchID != "" {
				sourcePID[obj] = r.PatchID
				break
			}
		}
		if _, ok := sourcePID[obj]; !ok {
			if _, err := repo.Commit(obj); err == nil {
				compute = append(compute, obj)
			}
		}
	}
	for _, t := range targets {
		compute = append(compute, t.Hash)
	}
	pids, err := patchIDs(ctx, repo, compute)
	if err != nil {
		return nil, err
	}
	for obj := range idx.ByObject {
		if pid, ok := pids[obj]; ok && sourcePID[obj] == "" {
			sourcePID[obj] = pid
		}
	}
	byPID := map[string][]string{}
	for obj, pid := range sourcePID {
		if pid != "" {
			byPID[pid] = append(byPID[pid], obj)
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
				subjects = notedSubjects(repo, idx)
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
			if anc, err := isAncestor(ctx, repo, cd.src, c.Hash); err != nil {
				return nil, err
			} else if anc {
				continue
			}
			out = append(out, splitByTopic(c.Hash, cd.src, cd.rule, idx.ByObject[cd.src])...)
		}
	}
	return out, nil
}

// splitByTopic makes one Match per topic of recs.
func splitByTopic(commit, src, rule string, recs []gitstore.Record) []Match {
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
func notedSubjects(repo *gitstore.Repo, idx *Index) map[string][]string {
	out := map[string][]string{}
	for obj := range idx.ByObject {
		if obj == gitstore.EmptyTree {
			continue
		}
		c, err := repo.Commit(obj)
		if err != nil || c.Subject == "" {
			continue
		}
		out[c.Subject] = append(out[c.Subject], obj)
	}
	for _, objs := range out {
		sort.Strings(objs)
	}
	return out
}

// patchIDs computes the stable patch-ids of commits in two git processes
// (`diff-tree --stdin -p | patch-id --stable`), whatever their number.
// Merges and empty commits get none.
func patchIDs(ctx context.Context, repo *gitstore.Repo, commits []string) (map[string]string, error) {
	out := map[string]string{}
	if len(commits) == 0 {
		return out, nil
	}
	diff, err := repo.Git(ctx, strings.NewReader(strings.Join(commits, "\n")+"\n"),
		"diff-tree", "--stdin", "-p", "--root", "--no-color", "--no-ext-diff", "--no-renames")
	if err != nil {
		return nil, fmt.Errorf("compute patch-ids: %w", err)
	}
	if len(diff) == 0 {
		return out, nil
	}
	ids, err := repo.Git(ctx, strings.NewReader(string(diff)), "patch-id", "--stable")
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

// isAncestor reports whether a is an ancestor of b; a commit that does not
// exist here is an ancestor of nothing.
func isAncestor(ctx context.Context, repo *gitstore.Repo, a, b string) (bool, error) {
	if _, err := repo.Commit(a); err != nil {
		if errors.Is(err, gitstore.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	_, err := repo.Git(ctx, nil, "merge-base", "--is-ancestor", a, b)
	if err == nil {
		return true, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return false, nil
	}
	return false, fmt.Errorf("is %s an ancestor of %s: %w", short(a), short(b), err)
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
	commits, err := RevList(ctx, repo, opt.Revs, opt.Max)
	if err != nil {
		return nil, err
	}
	idx, err := LoadIndex(ctx, repo)
	if err != nil {
		return nil, err
	}
	matches, err := FindReattachments(ctx, repo, idx, commits)
	if err != nil || opt.DryRun {
		return matches, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	notes := repo.Notes()
	for _, m := range matches {
		recs := append([]gitstore.Record(nil), m.Records...)
		t := now()
		var sessions []string
		for _, r := range m.Records {
			if r.Session != "" && !contains(sessions, r.Session) {
				sessions = append(sessions, r.Session)
			}
		}
		for _, s := range sessions {
			recs = append(recs, gitstore.Record{
				Time: gitstore.FormatTime(t), ID: gitstore.NewID(t), Kind: gitstore.KindEvent,
				Session: s, Topic: m.Topic, Commit: m.Commit, Event: "reattach",
				Text: fmt.Sprintf("records of %s reattached to %s (%s)", short(m.Source), short(m.Commit), m.Rule),
			})
		}
		if err := notes.Append(ctx, m.Topic, m.Commit, recs...); err != nil {
			return matches, fmt.Errorf("reattach %s to %s: %w", short(m.Source), short(m.Commit), err)
		}
	}
	return matches, nil
}

// RevList returns the commits named by git revision arguments (default
// HEAD), newest first as `git log` orders them, at most max (0: all).
// Returns gitstore.ErrNotFound wrapped when a revision names nothing.
func RevList(ctx context.Context, repo *gitstore.Repo, revs []string, max int) ([]gitstore.Commit, error) {
	if len(revs) == 0 {
		h, err := repo.Head()
		if err != nil {
			return nil, err
		}
		if h.Unborn() {
			return nil, nil
		}
		revs = []string{"HEAD"}
	}
	args := []string{"rev-list"}
	if max > 0 {
		args = append(args, fmt.Sprintf("--max-count=%d", max))
	}
	for _, r := range revs {
		if strings.HasPrefix(r, "-") {
			return nil, fmt.Errorf("revision %q: options are not revisions: %w", r, gitstore.ErrNotFound)
		}
	}
	args = append(append(args, revs...), "--")
	out, err := repo.Git(ctx, nil, args...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("list commits %s: %w (%v)", strings.Join(revs, " "), gitstore.ErrNotFound, err)
	}
	var commits []gitstore.Commit
	for _, id := range strings.Fields(string(out)) {
		c, err := repo.Commit(id)
		if err != nil {
			return nil, err
		}
		commits = append(commits, c)
	}
	return commits, nil
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
