package gitstore

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// treeWriter reads and writes notes trees through go-git's object storage.
type treeWriter struct {
	r *Repo
}

func (r *Repo) newTreeWriter() *treeWriter { return &treeWriter{r: r} }

func (w *treeWriter) commit(h plumbing.Hash) (*object.Commit, error) {
	c, err := object.GetCommit(w.r.objects(), h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("commit %s: %w", h, ErrNotFound)
	}
	return c, err
}

func (w *treeWriter) tree(h plumbing.Hash) (*object.Tree, error) {
	if h.IsZero() {
		return &object.Tree{}, nil
	}
	t, err := object.GetTree(w.r.objects(), h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("tree %s: %w", h, ErrNotFound)
	}
	return t, err
}

func (w *treeWriter) blob(h plumbing.Hash) ([]byte, error) {
	o, err := w.r.objects().EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return readAllSized(rd, o.Size())
}

func (w *treeWriter) writeBlob(data []byte) (plumbing.Hash, error) {
	o := w.r.objects().NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(data)))
	wr, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := wr.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wr.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return w.r.objects().SetEncodedObject(o)
}

func (w *treeWriter) writeTree(entries []object.TreeEntry) (plumbing.Hash, error) {
	sortTreeEntries(entries)
	t := &object.Tree{Entries: entries}
	o := w.r.objects().NewEncodedObject()
	if err := t.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	return w.r.objects().SetEncodedObject(o)
}

func (w *treeWriter) writeCommit(tree plumbing.Hash, parents []plumbing.Hash, msg string) (plumbing.Hash, error) {
	sig := w.r.signature()
	c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree, ParentHashes: parents}
	o := w.r.objects().NewEncodedObject()
	if err := c.Encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	return w.r.objects().SetEncodedObject(o)
}

// sortTreeEntries puts entries in git's tree order: bytewise by name, with
// directories compared as if their name ended in '/'.
func sortTreeEntries(es []object.TreeEntry) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(es, func(i, j int) bool { return key(es[i]) < key(es[j]) })
}

// isNoteMode reports whether a tree entry with this mode can be a note:
// git takes regular (and executable) files only, never symbolic links.
func isNoteMode(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Deprecated
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s) > 0
}

// allNotes walks a notes tree of any layout (flat, 2/38, 2/2/36, mixed) and
// returns the note blobs per annotated object (lower-case id; git also reads
// upper-case hex paths). Entries whose path is not a hex object id, and
// non-blob entries, are non-notes and are ignored, as git does.
func (w *treeWriter) allNotes(root plumbing.Hash) (map[string][]plumbing.Hash, error) {
	out := map[string][]plumbing.Hash{}
	var walk func(h plumbing.Hash, prefix string) error
	walk = func(h plumbing.Hash, prefix string) error {
		t, err := w.tree(h)
		if err != nil {
			return err
		}
		for _, e := range t.Entries {
			name := prefix + e.Name
			switch {
			case e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name) && len(name) < 40:
				if err := walk(e.Hash, name); err != nil {
					return err
				}
			case isNoteMode(e.Mode) && len(name) == 40 && isHex(e.Name):
				name = strings.ToLower(name)
				out[name] = append(out[name], e.Hash)
			}
		}
		return nil
	}
	return out, walk(root, "")
}
