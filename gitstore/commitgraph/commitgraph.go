// Package commitgraph opens git's commit-graph — the single file
// objects/info/commit-graph or a chain of split files under
// objects/info/commit-graphs — through read-only memory maps and hands it to
// go-git's reader (plumbing/format/commitgraph/v2), so history walks get a
// commit's parents, root tree, commit time and generation without reading
// commit objects, and without a system call per lookup (go-git's own opener
// reads through ReadAt on files: one pread per binary-search step).
//
// It is part of the gitstore layer and may import go-git. It never writes a
// commit-graph (git does, on gc, fetch and `git commit-graph write`), and it
// must not know about notes, sessions or the command line.
package commitgraph

import (
	"github.com/git-codex/git-codex/gitstore/internal/mmapfile"

	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	cgv2 "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
)

// ErrNotFound is returned (wrapping fs.ErrNotExist) by Open when the
// repository has no commit-graph; callers then read commit objects.
var ErrNotFound = fmt.Errorf("no commit-graph: %w", fs.ErrNotExist)

// Index is go-git's commit-graph index interface.
type Index = cgv2.Index

// Open opens the commit-graph of the repository whose objects live in
// gitDir/objects: the single file when present (git reads it first too),
// otherwise the split chain. The returned Index must be closed. Returns
// ErrNotFound when there is neither.
func Open(gitDir string) (Index, error) {
	info := filepath.Join(gitDir, "objects", "info")
	m, err := mapPath(filepath.Join(info, "commit-graph"))
	if err == nil {
		idx, err := cgv2.OpenFileIndex(m)
		if err != nil {
			_ = m.Close()
			return nil, fmt.Errorf("open commit-graph: %w", err)
		}
		return idx, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open commit-graph: %w", err)
	}
	return openChain(filepath.Join(info, "commit-graphs"))
}

func openChain(dir string) (Index, error) {
	f, err := os.Open(filepath.Join(dir, "commit-graph-chain"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open commit-graph chain: %w", err)
	}
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !plumbing.IsHash(line) {
			return nil, fmt.Errorf("open commit-graph chain: bad line %q", line)
		}
		ids = append(ids, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read commit-graph chain: %w", err)
	}
	if len(ids) == 0 {
		return nil, ErrNotFound
	}
	var idx Index
	for _, id := range ids {
		m, err := mapPath(filepath.Join(dir, "graph-"+id+".graph"))
		if err == nil {
			var next Index
			if next, err = cgv2.OpenFileIndexWithParent(m, idx); err == nil {
				idx = next
				continue
			}
			_ = m.Close()
		}
		if idx != nil {
			_ = idx.Close()
		}
		return nil, fmt.Errorf("open commit-graph chain: graph %s: %w", id, err)
	}
	return idx, nil
}

// mapping is a read-only memory map used as the ReaderAt go-git reads from.
type mapping struct {
	data  []byte
	unmap func() error
}

func (m *mapping) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(m.data)) {
		return 0, fmt.Errorf("read commit-graph at %d: %w", off, io.ErrUnexpectedEOF)
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *mapping) Close() error {
	if m.unmap == nil {
		return nil
	}
	err := m.unmap()
	m.unmap, m.data = nil, nil
	return err
}

func mapPath(path string) (*mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, unmap, err := mmapfile.Map(f)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return &mapping{data: data, unmap: unmap}, nil
}
