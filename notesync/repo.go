package notesync

import (
	"context"

	"github.com/git-codex/git-codex/gitstore"
)

// The parts of the repository each piece of notesync depends on. Public
// functions take a *gitstore.Repo (which, with the notes store beside it,
// implements them all: see gitRepo); the pieces take the smallest interface
// they need, and unit tests hand them fakes.

// refs lists refs and moves one with a compare-and-swap.
type refs interface {
	// RefPrefix is where the local topic notes refs live.
	RefPrefix() string
	// TrackingPrefixOf is where the notes fetched from remote live.
	TrackingPrefixOf(remote string) string
	ListRefs(prefix string) (map[string]string, error)
	UpdateRef(ctx context.Context, name, old, new string) error
	// CreateRefs creates refs that do not exist yet, in one write.
	CreateRefs(ctx context.Context, refs map[string]string) error
}

// exchanger is what the exchange with one remote needs: refs, the network
// and the union merge of a fetched notes commit into a local topic.
type exchanger interface {
	refs
	FetchRefs(ctx context.Context, remote string, refspecs []string, opt gitstore.FetchOptions) error
	PushRefs(ctx context.Context, remote string, refs map[string]string) (map[string]gitstore.PushStatus, error)
	MergeFrom(ctx context.Context, topic, other string) (bool, error)
}

// settings is the configuration the sharing rule reads, and the remotes'
// state it knows of.
type settings interface {
	Config(key string) (string, bool)
	ConfigAll(key string) []string
	ConfigBool(key string, def bool) bool
	// Remotes lists the configured remotes.
	Remotes() []string
	// TrackedTopics lists the topics fetched from (or sent to) remotes.
	TrackedTopics() ([]gitstore.Tracked, error)
	ListRefs(prefix string) (map[string]string, error)
}

// pushHistory answers the sharing rule's question about a push: which
// commits it publishes and which objects a topic's records are on.
type pushHistory interface {
	settings
	Published(ctx context.Context, candidates, tips, bases []string) (map[string]bool, error)
	NotedObjects(ctx context.Context, notesCommit string) ([]string, error)
}

// pushHistoryExchanger is all of it: what Sync and Send use.
type pushHistoryExchanger interface {
	exchanger
	pushHistory
}

// gitRepo is a *gitstore.Repo with its notes store's operations beside it.
type gitRepo struct {
	*gitstore.Repo
	notes *gitstore.NotesStore
}

func wrap(r *gitstore.Repo) gitRepo { return gitRepo{Repo: r, notes: r.Notes()} }

func (g gitRepo) MergeFrom(ctx context.Context, topic, other string) (bool, error) {
	return g.notes.MergeFrom(ctx, topic, other)
}

func (g gitRepo) NotedObjects(ctx context.Context, id string) ([]string, error) {
	return g.notes.NotedObjects(ctx, id)
}

var _ pushHistoryExchanger = gitRepo{}
