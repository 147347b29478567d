package gitstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// packedRefsCache holds packed-refs as last read, with the identity of the
// file it was read from (size, modification time, inode), so that each ref
// lookup costs a stat instead of a read of the whole file: with thousands of
// topics packed (git gc packs refs), reading it once per lookup made listing
// topics quadratic. git replaces packed-refs by renaming a new file over it,
// which changes the inode, so a rewrite is always seen.
type packedRefsCache struct {
	mu   sync.Mutex
	id   fileID
	refs *packedRefs
}

// fileID identifies one version of a file.
type fileID struct {
	size  int64
	mtime time.Time
	ino   uint64
	dev   uint64
	ok    bool
}

func fileIDOf(fi fs.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtime: fi.ModTime(), ok: true}
	id.ino, id.dev = inode(fi)
	return id
}

// packedRefs is the content of packed-refs: names sorted, with their values.
type packedRefs struct {
	names  []string
	values []string
}

// load returns packed-refs at path, read again only when the file is not
// the one read last. A missing file holds no refs.
func (c *packedRefsCache) load(path string) (*packedRefs, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.id, c.refs = fileID{}, &packedRefs{}
		return c.refs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read packed-refs: %w", err)
	}
	if c.refs != nil && c.id == fileIDOf(fi) {
		return c.refs, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		c.id, c.refs = fileID{}, &packedRefs{}
		return c.refs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read packed-refs: %w", err)
	}
	defer f.Close()
	// The identity of what is read is the open file's, not the stat's
	// above: git may have renamed a new file over it in between.
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("read packed-refs: %w", err)
	}
	refs, err := parsePackedRefs(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("read packed-refs: %w", err)
	}
	c.id, c.refs = fileIDOf(fi), refs
	return refs, nil
}

// parsePackedRefs reads packed-refs lines "<id> <name>", skipping the
// header and the peeled "^<id>" lines.
func parsePackedRefs(f *os.File, size int64) (*packedRefs, error) {
	p := &packedRefs{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := int(size / 60)
	p.names, p.values = make([]string, 0, n), make([]string, 0, n)
	sorted := true
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 42 || line[0] == '#' || line[0] == '^' || line[40] != ' ' {
			continue
		}
		name := string(line[41:])
		if k := len(p.names); k > 0 && name <= p.names[k-1] {
			sorted = false
		}
		p.names = append(p.names, name)
		p.values = append(p.values, string(bytes.ToLower(line[:40])))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !sorted {
		sort.Sort(byName{p})
	}
	return p, nil
}

type byName struct{ p *packedRefs }

func (b byName) Len() int           { return len(b.p.names) }
func (b byName) Less(i, j int) bool { return b.p.names[i] < b.p.names[j] }
func (b byName) Swap(i, j int) {
	b.p.names[i], b.p.names[j] = b.p.names[j], b.p.names[i]
	b.p.values[i], b.p.values[j] = b.p.values[j], b.p.values[i]
}

// lookup returns the value of ref name, "" when it is not packed.
func (p *packedRefs) lookup(name string) string {
	i := sort.SearchStrings(p.names, name)
	if i < len(p.names) && p.names[i] == name {
		return p.values[i]
	}
	return ""
}

// under returns the packed refs whose names start with prefix.
func (p *packedRefs) under(prefix string) map[string]string {
	out := map[string]string{}
	for i := sort.SearchStrings(p.names, prefix); i < len(p.names) && strings.HasPrefix(p.names[i], prefix); i++ {
		out[p.names[i]] = p.values[i]
	}
	return out
}
