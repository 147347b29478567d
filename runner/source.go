package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/workflow"
	"github.com/git-codex/git-codex/worktree"
)

// Sentinel errors of resuming a run from its workflow file.
var (
	// ErrWorkflowChanged is returned by Source when the file named holds
	// something else than the run started from.
	ErrWorkflowChanged = errors.New("the workflow file changed since the run started")
	// ErrWorkflowMissing is returned by Source when neither git nor the work
	// tree holds the file the run started from (another clone, a file that
	// was never committed).
	ErrWorkflowMissing = errors.New("the workflow file the run started from is not in this clone")
)

// Blobs is what runs need of the repository to keep and find workflow
// files; *gitstore.Repo implements it.
type Blobs interface {
	WriteBlobs(ctx context.Context, topic string, contents ...[]byte) ([]string, error)
	ReadBlob(ctx context.Context, id string) ([]byte, error)
}

// Keep writes a workflow file's contents to the object database, kept from
// gc by the run topic's blob ref, and returns its blob id (recorded with
// the run): this clone can resume the run even after the file changed, and
// another clone finds it when the file was committed.
func Keep(ctx context.Context, repo Blobs, topic string, src []byte) (string, error) {
	ids, err := repo.WriteBlobs(ctx, topic, src)
	if err != nil {
		return "", fmt.Errorf("keep the workflow file: %w", err)
	}
	return ids[0], nil
}

// Source returns the workflow run st started from, parsed under the name it
// was recorded with. file, when set, is the file the user named: it must
// hold what the run started from (ErrWorkflowChanged). Otherwise the
// recorded blob is read from git, else the file at the recorded path under
// workTree when it still holds it; ErrWorkflowMissing when neither does.
func Source(ctx context.Context, repo Blobs, workTree string, st *workflow.State, file string) (*workflow.Workflow, error) {
	name := st.File
	if file != "" {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read workflow: %w", err)
		}
		if st.Blob != "" && blobID(src) != st.Blob {
			return nil, fmt.Errorf("resume run %s with %s: %w (blob %s, the run's is %s)",
				text.ShortID(st.Run), file, ErrWorkflowChanged, text.ShortID(blobID(src)), text.ShortID(st.Blob))
		}
		return workflow.Parse(name, src)
	}
	if st.Blob != "" {
		src, err := repo.ReadBlob(ctx, st.Blob)
		if err == nil {
			return workflow.Parse(name, src)
		}
		if !errors.Is(err, gitstore.ErrNotFound) {
			return nil, fmt.Errorf("read workflow of run %s: %w", text.ShortID(st.Run), err)
		}
	}
	if workTree != "" && name != "" {
		src, err := os.ReadFile(filepath.Join(workTree, filepath.FromSlash(name)))
		if err == nil && (st.Blob == "" || blobID(src) == st.Blob) {
			return workflow.Parse(name, src)
		}
	}
	return nil, fmt.Errorf("resume run %s: %w (%s, blob %s)", text.ShortID(st.Run), ErrWorkflowMissing, name, text.ShortID(st.Blob))
}

// blobID is the git blob id of src.
func blobID(src []byte) string { return worktree.BlobID(worktree.SHA1, src) }
