package gitstore

import (
	"context"
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
	prefix := n.r.RefPrefix()
	refs, err := n.r.ListRefs(prefix)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var topics []string
	for name := range refs {
		enc := strings.TrimPrefix(name, prefix)
		if strings.Contains(enc, "/") {
			continue // not ours (hand-made refs below the prefix)
		}
		t, err := DecodeTopic(enc)
		if err != nil {
			continue
		}
		seen[t] = true
		topics = append(topics, t)
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
