package session

import (
	"context"
	"sort"
	"time"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
)

// The read policy: storage returns every copy of a record (git copies notes
// when a commit is amended or rebased, and reattach copies them on purpose);
// a session shows one copy of each, the one on the commit the work lives on
// now.

// commitLookup is what the read policy asks the repository about commits;
// *gitstore.Repo implements it.
type commitLookup interface {
	// Commit reads one commit; an error means it cannot be read here.
	Commit(id string) (gitstore.Commit, error)
	// Head tells which commit is checked out.
	Head() (gitstore.Head, error)
	// IsAncestor reports whether commit a is an ancestor of b.
	IsAncestor(ctx context.Context, a, b string) (bool, error)
}

// choose keeps one copy of each record of copies (sorted as Store.Read
// sorts them): the copy that is not on its original commit, and among
// several such the one newer says is newest (nil: the first in note-object
// order). A record that the local topic ref holds in any copy is local
// (Remote ""), whichever copy is shown. The result is sorted by time, then
// id.
func choose(copies []gitstore.Record, newer func(a, b string) bool) []gitstore.Record {
	return chooseCopies(copies, func(r *gitstore.Record) copyView {
		return copyView{r.ID, r.Time, r.Commit, r.NoteObject, &r.Remote}
	}, newer)
}

// chooseRecords is choose for decoded records (the session index reads
// records already decoded).
func chooseRecords(copies []Record, newer func(a, b string) bool) []Record {
	return chooseCopies(copies, func(r *Record) copyView {
		return copyView{r.ID, r.Time, r.Commit, r.NoteObject, &r.Remote}
	}, newer)
}

// copyView is what the read policy reads of a copy of a record.
type copyView struct {
	ID, Time, Commit, NoteObject string
	Remote                       *string
}

func chooseCopies[T any](copies []T, of func(*T) copyView, newer func(a, b string) bool) []T {
	at := make(map[string]int, len(copies))
	local := map[string]bool{}
	out := make([]T, 0, len(copies))
	for i := range copies {
		r := of(&copies[i])
		if *r.Remote == "" {
			local[r.ID] = true
		}
		j, seen := at[r.ID]
		if !seen {
			at[r.ID] = len(out)
			out = append(out, copies[i])
			continue
		}
		if betterCopy(of(&out[j]), r, newer) {
			out[j] = copies[i]
		}
	}
	for i := range out {
		if r := of(&out[i]); local[r.ID] {
			*r.Remote = ""
		}
	}
	// Copies of one record are adjacent in copies, so out is sorted by
	// (time, id) already; sort anyway for stores that sort differently.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := of(&out[i]), of(&out[j])
		if a.Time != b.Time {
			return a.Time < b.Time
		}
		return a.ID < b.ID
	})
	return out
}

// betterCopy reports whether copy b of a record should be shown instead of a.
func betterCopy(a, b copyView, newer func(a, b string) bool) bool {
	aMoved, bMoved := a.NoteObject != a.Commit, b.NoteObject != b.Commit
	if aMoved != bMoved {
		return bMoved
	}
	return newer != nil && newer(b.NoteObject, a.NoteObject)
}

// commitOrder returns the comparison choose uses to pick between copies of
// a record: whether commit a has a later committer time than b, a commit
// that cannot be read being older than any that can, and — rewritten within
// the same second (amend, then rebase) — the copy on the current branch
// winning. Copies come per note, not per record, so every answer is
// remembered: a rebased session of a hundred records reads each commit once
// and asks git about ancestry at most once per commit.
func commitOrder(ctx context.Context, repo commitLookup) func(a, b string) bool {
	type info struct {
		when time.Time
		ok   bool
	}
	commits := map[string]info{}
	commitInfo := func(id string) info {
		i, seen := commits[id]
		if !seen {
			c, err := repo.Commit(id)
			i = info{c.CommitTime, err == nil}
			commits[id] = i
		}
		return i
	}
	onHead := map[string]bool{}
	var head *gitstore.Head
	isOnHead := func(id string) bool {
		if v, seen := onHead[id]; seen {
			return v
		}
		if head == nil {
			h, _ := repo.Head()
			head = &h
		}
		v := false
		if head.Commit != "" {
			v, _ = repo.IsAncestor(ctx, id, head.Commit)
		}
		onHead[id] = v
		return v
	}
	return func(a, b string) bool {
		ca, cb := commitInfo(a), commitInfo(b)
		switch {
		case !ca.ok:
			return false
		case !cb.ok:
			return true
		case !ca.when.Equal(cb.when):
			return ca.when.After(cb.when)
		}
		return isOnHead(a) && !isOnHead(b)
	}
}

// decodeAll decodes storage records into session records; a record that
// does not decode (a field of the wrong type, written by hand) is skipped
// with a warning, as storage skips lines that are no JSON.
func decodeAll(recs []gitstore.Record) ([]Record, []gitstore.Warning) {
	out := make([]Record, 0, len(recs))
	var warns []gitstore.Warning
	for _, g := range recs {
		r, err := Decode(g)
		if err != nil {
			warns = append(warns, gitstore.Warning{Object: g.NoteObject, Record: g.ID,
				Reason: "skipped malformed record: " + text.Cut(err.Error(), 80)})
			continue
		}
		out = append(out, r)
	}
	return out, warns
}

// readRecords reads topic from store as a session reader sees it: one copy
// of each record (the read policy above, with repo answering about commits;
// nil picks the first copy in note-object order), decoded, sorted by time
// then id, with warnings for the lines and records skipped.
func readRecords(ctx context.Context, store gitstore.Store, repo commitLookup, topic string) ([]Record, []gitstore.Warning, error) {
	copies, warns, err := store.Read(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	var newer func(a, b string) bool
	if repo != nil {
		newer = commitOrder(ctx, repo)
	}
	recs, ws := decodeAll(choose(copies, newer))
	return recs, append(warns, ws...), nil
}
