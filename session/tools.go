package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
)

// gitLog answers the git_log tool: the last n commits touching path, one
// "<id> <date> <author>" line and the indented subject each.
func (e *Engine) gitLog(ctx context.Context, path string, n int) (string, error) {
	if n <= 0 {
		n = 20
	}
	opt := gitstore.RevListOptions{Revs: []string{"HEAD"}, Max: n}
	if path != "" {
		opt.Paths = []string{path}
	}
	commits, err := e.Repo.RevList(ctx, opt)
	if err != nil {
		return "", fmt.Errorf("read git log: %w", err)
	}
	var b strings.Builder
	for _, c := range commits {
		fmt.Fprintf(&b, "%s %s %s\n    %s\n", text.ShortID(c.Hash), c.Time.Format("2006-01-02"), c.Author, c.Subject)
	}
	return b.String(), nil
}

// tracked answers the file tools' hard-link rule: the blob id git's index
// holds at stage 0 for rel, when rel is tracked there as a regular file.
func (e *Engine) tracked(ctx context.Context, rel string) (string, bool) {
	return e.Repo.IndexBlob(ctx, rel)
}
