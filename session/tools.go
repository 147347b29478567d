package session

import (
	"bytes"
	"context"
	"fmt"

	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/worktree"
)

// tools builds the read-only file tools over the work tree, with git history
// read through the git binary.
func (e *Engine) tools() ([]model.Tool, model.ToolFunc, error) {
	root := e.Repo.WorkTree()
	if root == "" {
		return nil, nil, nil // a bare repository: no files to offer
	}
	t, err := worktree.NewTools(root, worktree.ToolOptions{GitLog: e.gitLog, Tracked: e.tracked})
	if err != nil {
		return nil, nil, fmt.Errorf("set up file tools: %w", err)
	}
	specs := t.Specs()
	tools := make([]model.Tool, 0, len(specs))
	for _, s := range specs {
		tools = append(tools, model.Tool{Name: s.Name, Description: s.Description, Parameters: s.Parameters})
	}
	return tools, t.Call, nil
}

// gitLog answers the git_log tool: the last n commits touching path.
func (e *Engine) gitLog(ctx context.Context, path string, n int) (string, error) {
	if n <= 0 {
		n = 20
	}
	args := []string{"log", "-n", itoa(n), "--date=short", "--format=%h %ad %an%n    %s"}
	if path != "" {
		args = append(args, "--", path)
	}
	out, err := e.Repo.Git(ctx, nil, args...)
	if err != nil {
		return "", fmt.Errorf("read git log: %w", err)
	}
	return string(out), nil
}

// tracked answers the file tools' hard-link rule: the blob id git's index
// holds at stage 0 for rel (a slash path from the work-tree root), when rel
// is tracked there as a regular file. It asks the git binary, which reads
// every index format (split, sparse) and knows the repository's hash.
func (e *Engine) tracked(ctx context.Context, rel string) (string, bool) {
	out, err := e.Repo.Git(ctx, nil, "--literal-pathspecs", "ls-files", "--stage", "-z", "--", rel)
	if err != nil {
		return "", false
	}
	// Each entry is "<mode> <blob id> <stage>\t<path>\x00".
	for _, entry := range bytes.Split(out, []byte{0}) {
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		if !ok || string(path) != rel {
			continue
		}
		f := bytes.Fields(meta)
		if len(f) == 3 && string(f[2]) == "0" && (string(f[0]) == "100644" || string(f[0]) == "100755") {
			return string(f[1]), true
		}
	}
	return "", false
}
