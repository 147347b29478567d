package history

import (
	"context"

	"github.com/git-codex/git-codex/gitstore"
)

// The parts of the repository each piece of history depends on. Public
// functions take a *gitstore.Repo, which implements them all; the pieces
// take the smallest interface they need, and unit tests hand them fakes.

// commits is what the reattachment rules ask about commits.
type commits interface {
	// Commit reads one commit; an error means it does not exist here.
	Commit(id string) (gitstore.Commit, error)
	PatchIDs(ctx context.Context, ids []string) (map[string]string, error)
	IsAncestor(ctx context.Context, a, b string) (bool, error)
}

// revisions names commits and lists history.
type revisions interface {
	Head() (gitstore.Head, error)
	Resolve(ctx context.Context, rev string) (string, error)
	MergeBase(ctx context.Context, a, b string) (string, error)
	Upstream(ctx context.Context) (string, error)
	RevList(ctx context.Context, opt gitstore.RevListOptions) ([]gitstore.Commit, error)
}

var (
	_ commits   = (*gitstore.Repo)(nil)
	_ revisions = (*gitstore.Repo)(nil)
	_ cacheFile = (*gitstore.Repo)(nil)
)
