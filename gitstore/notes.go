package gitstore

import (
	"context"
	"errors"
	"sort"
	"strings"
)

// NotesStore stores records as git notes, one notes ref per topic. It
// implements Store.
type NotesStore struct {
	r *Repo
	// remotes: readers also see the notes fetched from remotes
	// (WithRemotes).
	remotes bool
}

// Notes returns the notes-backed Store of this repository: the local topic
// refs only, which are what git codex writes and sends.
func (r *Repo) Notes() *NotesStore { return &NotesStore{r: r} }

// WithRemotes returns a store that reads, besides the local topic refs, the
// notes fetched from remotes into refs/notes/remotes/<remote>/… (by sync, by
// the pre-push hook, or by a plain `git fetch` into that namespace, as a CI
// job does): Topics is the union of local and fetched topics, Read the union
// of their records (a record is one immutable line with a unique id, so a
// copy in several refs is one record). Records only the fetched notes hold
// carry the remote's name in Record.Remote. The fetched refs are never
// written: Append writes the local topic ref, which is how a teammate's
// session is continued here.
func (n *NotesStore) WithRemotes() *NotesStore { return &NotesStore{r: n.r, remotes: true} }

// Ref is the notes ref that stores topic.
func (n *NotesStore) Ref(topic string) string { return n.r.TopicRef(topic) }

// Topics lists topics with a notes ref (with WithRemotes, a local or a
// fetched one).
func (n *NotesStore) Topics(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var topics []string
	err := n.eachLocalTopic(func(t, _, _ string) {
		seen[t] = true
		topics = append(topics, t)
	})
	if err != nil {
		return nil, err
	}
	if n.remotes {
		tracked, err := n.r.TrackedTopics()
		if err != nil {
			return nil, err
		}
		for _, tr := range tracked {
			if !seen[tr.Topic] {
				seen[tr.Topic] = true
				topics = append(topics, tr.Topic)
			}
		}
	}
	sort.Strings(topics)
	return topics, nil
}

// eachLocalTopic calls fn with each local topic, its ref and commit; refs
// git codex did not write (hand-made refs deeper below the prefix, names
// that do not decode) are left out.
func (n *NotesStore) eachLocalTopic(fn func(topic, ref, commit string)) error {
	prefix := n.r.RefPrefix()
	return n.r.eachRef(prefix, func(name, v string) {
		enc := strings.TrimPrefix(name, prefix)
		if strings.Contains(enc, "/") {
			return // not ours (hand-made refs below the prefix)
		}
		if t, err := DecodeTopic(enc); err == nil {
			fn(t, name, v)
		}
	})
}

// NotesSource is one notes ref that Read reads for a topic, and the notes
// commit it points at.
type NotesSource struct {
	Ref    string
	Remote string // "" for the local topic ref
	Commit string
}

// Sources returns, for each topic (every topic Topics lists when none are
// given; a named topic without notes gets none), the notes refs Read reads
// for it, in the order it reads them: the local topic ref, then (with
// WithRemotes) the fetched ones, by remote. A ref at a notes commit an
// earlier one points at is left out: it holds the same notes. A derived
// index keyed by these commits is as fresh as the notes.
func (n *NotesStore) Sources(ctx context.Context, topics ...string) (map[string][]NotesSource, error) {
	out := map[string][]NotesSource{}
	if len(topics) == 0 {
		// One array for every topic's first source.
		hint := n.r.packedCount(n.r.RefPrefix())
		all, names := make([]NotesSource, 0, hint), make([]string, 0, hint)
		err := n.eachLocalTopic(func(t, ref, commit string) {
			all = append(all, NotesSource{Ref: ref, Commit: commit})
			names = append(names, t)
		})
		if err != nil {
			return nil, err
		}
		out = make(map[string][]NotesSource, len(all))
		for i, t := range names {
			out[t] = all[i : i+1 : i+1]
		}
	} else {
		for _, t := range topics {
			ref := n.Ref(t)
			v, err := n.r.ReadRef(ref)
			switch {
			case err == nil:
				out[t] = []NotesSource{{Ref: ref, Commit: v}}
			case !errors.Is(err, ErrNotFound):
				return nil, err
			}
		}
	}
	if n.remotes {
		var tracked []Tracked
		var err error
		if len(topics) > 0 {
			tracked, err = n.r.trackedTopicsOf(topics...)
		} else {
			tracked, err = n.r.TrackedTopics()
		}
		if err != nil {
			return nil, err
		}
		var want map[string]bool
		if len(topics) > 0 {
			want = map[string]bool{}
			for _, t := range topics {
				want[t] = true
			}
		}
		for _, tr := range tracked {
			if want != nil && !want[tr.Topic] {
				continue
			}
			dup := false
			for _, s := range out[tr.Topic] {
				dup = dup || s.Commit == tr.Commit
			}
			if !dup {
				out[tr.Topic] = append(out[tr.Topic], NotesSource{Ref: tr.Ref, Remote: tr.Remote, Commit: tr.Commit})
			}
		}
	}
	return out, ctx.Err()
}

// ReadCache reads a derived file of this store's readers (see
// Repo.ReadCache): one kept for the store's view, local topics only or with
// the fetched notes.
func (n *NotesStore) ReadCache(name string) ([]byte, error) { return n.r.ReadCache(n.cacheName(name)) }

// WriteCache replaces a derived file of this store's readers (see
// Repo.WriteCache).
func (n *NotesStore) WriteCache(name string, data []byte) error {
	return n.r.WriteCache(n.cacheName(name), data)
}

func (n *NotesStore) cacheName(name string) string {
	if n.remotes {
		return name
	}
	return name + "-local"
}
