package hooks

import (
	"context"

	"github.com/git-codex/git-codex/gitstore"
)

// The parts of the repository install, uninstall and status depend on.
// Public functions take a *gitstore.Repo, which implements them; unit tests
// hand the internal ones fakes.

// config is the git configuration init changes and check reads.
type config interface {
	// RefPrefix is where the topic notes refs live (codex.notesRef).
	RefPrefix() string
	ConfigGet(ctx context.Context, key string, opt gitstore.ConfigGetOptions) (string, bool, error)
	ConfigGetAll(ctx context.Context, key string, opt gitstore.ConfigGetOptions) ([]string, error)
	SetConfig(ctx context.Context, key, value string) error
	AddConfig(ctx context.Context, key, value string) error
	UnsetConfig(ctx context.Context, key string) error
	UnsetConfigValue(ctx context.Context, key, value string) (bool, error)
}

// layout says where hooks and the install record live.
type layout interface {
	HooksPath(ctx context.Context) (string, error)
	CommonDir() string
	WorkTree() string
}

// installRepo is what Install, Uninstall and Status use.
type installRepo interface {
	config
	layout
}

var _ installRepo = (*gitstore.Repo)(nil)
