package worktree

import (
	"context"
	"fmt"
	"io/fs"
)

// State is what the work tree holds at a path, as an edit reads it: nothing
// (Exists false), or a regular file with its content, permission bits and
// blob id. It describes a file that something other than the Editor
// changed — the Codex CLI, which reports which files it patched but not
// their contents — before and after, for Describe.
type State struct {
	Exists bool
	Data   []byte
	Mode   fs.FileMode
	Blob   string
}

// NewState is the State of a file holding data with permission bits mode
// (read from the object database rather than the work tree).
func (e *Editor) NewState(data []byte, mode fs.FileMode) State {
	if data == nil {
		data = []byte{}
	}
	return State{Exists: true, Data: data, Mode: mode, Blob: BlobID(e.opts.Format, data)}
}

// State reads what the work tree holds at path (a slash path from the
// root) under the rules an edit reads by: inside the tree, not .git or a
// file on the secret deny list, no symbolic link followed, a regular file
// only, hard-linked files only as git tracks them, at most MaxFileBytes.
// A path that breaks a rule is an error wrapping ErrRefused: its content is
// not to be kept anywhere.
func (e *Editor) State(ctx context.Context, path string) (State, error) {
	t, err := resolveWrite(e.root, path)
	if err != nil {
		return State{}, err
	}
	st, err := e.readState(ctx, t, true)
	if err != nil {
		return State{}, err
	}
	return State{Exists: st.exists, Data: st.data, Mode: st.perm, Blob: st.blob}, nil
}

// Describe works out the Change from before to after at path (a slash path
// from the root, checked as State checks it), as Prepare reports the
// model's own patches: the operation (create, update or delete, from which
// states exist), the blob ids, the unified diff and the lines added and
// removed. It is for changes made by someone else, so it writes nothing.
// Both states must exist or differ; Describe of two missing states is an
// error.
func (e *Editor) Describe(path string, before, after State) (*Change, error) {
	t, err := resolveWrite(e.root, path)
	if err != nil {
		return nil, err
	}
	op := OpUpdate
	switch {
	case !before.Exists && !after.Exists:
		return nil, fmt.Errorf("describe %s: %w: the file exists neither before nor after", path, ErrBadArguments)
	case !before.Exists:
		op = OpCreate
	case !after.Exists:
		op = OpDelete
	}
	return e.change(op, t.inside, e.fileState(before), e.fileState(after), 0)
}

func (e *Editor) fileState(s State) fileState {
	if !s.Exists {
		return fileState{}
	}
	blob := s.Blob
	if blob == "" {
		blob = BlobID(e.opts.Format, s.Data)
	}
	return fileState{exists: true, data: s.Data, perm: s.Mode, blob: blob}
}
