package packidx

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// DefaultCacheSize bounds the decoded-object cache of a Store built without
// Options.Cache. It is smaller than go-git's default (96 MiB) to keep the
// resident size of short commands low.
const DefaultCacheSize = 32 * cache.MiByte

var errClosed = errors.New("read object: store closed")

// maxAlternateDepth bounds chains of objects/info/alternates, as git does.
const maxAlternateDepth = 5

// Options tune a Store.
type Options struct {
	// Cache holds decoded objects (delta bases and recent reads); nil means
	// an LRU cache of DefaultCacheSize.
	Cache cache.Object
}

// Store is a storer.EncodedObjectStorer over a git directory's objects that
// finds packed objects through lazily mapped indexes (Index), so that its
// first read costs the same on a pack of ten objects as on one of a million.
// It looks in packs first (the pack of the last hit first), then in loose
// objects, then, after re-listing the pack directory once (a concurrent
// `git gc` or fetch may have added a pack), in alternates. Packs are parsed
// and deltas resolved by go-git's packfile reader; objects are returned in
// memory. New objects are written loose through go-git's filesystem storage.
//
// A Store is safe for concurrent use; its methods are serialised. Close
// releases its file descriptors and memory maps.
type Store struct {
	objDir string
	gitDir string // "" for an alternate (read-only)
	cache  cache.Object
	depth  int

	mu      sync.Mutex
	listed  bool
	packs   []*pack // newest first
	known   map[string]bool
	lastHit int
	alts    []*Store
	altDone bool
	writer  *filesystem.ObjectStorage
	dotgit  *dotgit.DotGit
	closed  bool
}

type pack struct {
	path string // without extension
	idx  *Index
	file billy.File // open from listing on, so that gc cannot take it away
	pf   *packfile.Packfile
	pi   *packIndex
	// bytes is the pack file's size once read (0 before): no object in
	// it inflates to more than maxInflation times that.
	bytes int64
	// freshened: its time was set to now this process, as git freshens a
	// pack holding an object it was about to write.
	freshened bool
}

// maxInflation bounds how much zlib inflates a byte (deflate's limit is
// about 1032:1).
const maxInflation = 1100

// maxLearned bounds the offset → id map of one pack (about 40 bytes an
// entry); it is cleared when full, which only costs cache hits.
const maxLearned = 1 << 20

// packIndex is the index go-git's packfile reader sees. go-git asks FindHash
// for the id of every offset-delta base and — with no filesystem given, so
// that it returns objects in memory — uses that id only as the key of its
// delta-base cache (go-git v5.19.3 packfile.go objectAtOffset). An exact
// answer needs a reverse index: a .rev file, which git 2.39 does not write by
// default, or sorting every offset of the pack (about 20 ms and 16 MiB for
// 800k objects). packIndex instead answers from the offsets of objects
// decoded so far (packCache records them) and with a made-up id for any
// other offset: such a base is not in the cache under any id, so the lookup
// misses either way and go-git decodes it, exactly as with the real id.
// Index itself always answers exactly.
type packIndex struct {
	*Index
	learned map[int64]plumbing.Hash
}

func (p *packIndex) FindHash(o int64) (plumbing.Hash, error) {
	if h, ok := p.learned[o]; ok {
		return h, nil
	}
	return syntheticHash(o), nil
}

// packCache is the shared object cache as one pack's reader sees it: every
// object go-git decodes and caches is also recorded by offset for FindHash.
type packCache struct {
	cache.Object
	ix *packIndex
}

func (c *packCache) Put(o plumbing.EncodedObject) {
	c.Object.Put(o)
	h := o.Hash()
	if off, err := c.ix.Index.FindOffset(h); err == nil {
		if len(c.ix.learned) >= maxLearned {
			clear(c.ix.learned)
		}
		c.ix.learned[off] = h
	}
}

// syntheticHash is a made-up object id for pack offset o: 12 fixed bytes a
// real SHA-1 is not expected to start with, then the offset.
func syntheticHash(o int64) plumbing.Hash {
	h := plumbing.Hash{0xff, 0xfe, 'p', 'a', 'c', 'k', 'i', 'd', 'x', 0, 0, 0}
	binary.BigEndian.PutUint64(h[12:], uint64(o))
	return h
}

var _ storer.EncodedObjectStorer = (*Store)(nil)

// NewStore returns a Store over the objects of gitDir (the directory holding
// objects/, refs/ and HEAD — the common dir of a linked worktree). It opens
// nothing until the first read.
func NewStore(gitDir string, opt Options) *Store {
	s := newStore(filepath.Join(gitDir, "objects"), opt.Cache, 0)
	s.gitDir = gitDir
	return s
}

func newStore(objDir string, c cache.Object, depth int) *Store {
	if c == nil {
		c = cache.NewObjectLRU(DefaultCacheSize)
	}
	return &Store{objDir: objDir, cache: c, depth: depth, known: map[string]bool{}}
}

// NewEncodedObject implements storer.EncodedObjectStorer.
func (s *Store) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

// SetEncodedObject implements storer.EncodedObjectStorer: it writes o as a
// loose object, unless the store has it already. The object is written to a
// temporary file next to where it belongs and renamed into place, as git
// does; a write that fails leaves no temporary file behind (go-git's own
// writer left an empty tmp_obj_ file in objects/pack when the write
// failed).
func (s *Store) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	if s.gitDir == "" {
		return plumbing.ZeroHash, errors.New("write object: alternate object stores are read-only")
	}
	if o.Type() == plumbing.OFSDeltaObject || o.Type() == plumbing.REFDeltaObject {
		return plumbing.ZeroHash, plumbing.ErrInvalidType
	}
	h := o.Hash()
	if s.has(h) {
		return h, nil
	}
	rd, err := o.Reader()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write object %s: %w", h, err)
	}
	defer rd.Close()
	if err := writeLoose(s.objDir, h, o.Type(), o.Size(), rd); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write object %s: %w", h, err)
	}
	return h, nil
}

// has reports whether h is in a pack already listed or loose: the check
// that saves writing an object twice (it does not look for new packs or in
// alternates; a duplicate loose object is harmless).
func (s *Store) has(h plumbing.Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if !s.listed {
		if err := s.list(); err != nil {
			return false
		}
	}
	// An object found is freshened as git freshens it (its pack's or its
	// file's time set to now), so that a gc running meanwhile does not
	// prune it as old and unreachable before the ref that will reach it is
	// written; one that cannot be freshened is written again.
	now := time.Now()
	if p, _, err := s.find(h); err == nil && p != nil {
		if !p.freshened {
			p.freshened = os.Chtimes(p.path+".pack", now, now) == nil
		}
		return p.freshened
	}
	hex := h.String()
	return os.Chtimes(filepath.Join(s.objDir, hex[:2], hex[2:]), now, now) == nil
}

// deflaters keeps zlib writers for reuse: a new one allocates most of a
// megabyte, more than compressing a note costs.
var deflaters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level: no error
	return zw
}}

// writeLoose writes a loose object: zlib-compressed (at git's default loose
// compression level, the fastest) into a temporary file in its fan-out
// directory, made read-only and renamed to its name. On failure the
// temporary file is removed.
func writeLoose(objDir string, h plumbing.Hash, t plumbing.ObjectType, size int64, content io.Reader) (err error) {
	hex := h.String()
	dir := filepath.Join(objDir, hex[:2])
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "tmp_obj_")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	zw := deflaters.Get().(*zlib.Writer)
	defer deflaters.Put(zw)
	zw.Reset(f)
	header := append(t.Bytes(), ' ')
	header = strconv.AppendInt(header, size, 10)
	header = append(header, 0)
	if _, err = zw.Write(header); err != nil {
		return err
	}
	n, err := io.Copy(zw, content)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("object is %d bytes, header says %d", n, size)
	}
	if err = zw.Close(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp, 0o444); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, hex[2:]))
}

// IterEncodedObjects implements storer.EncodedObjectStorer. It is rare and
// reads every object anyway, so it is go-git's own (which loads whole
// indexes).
func (s *Store) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	w, err := s.looseWriter()
	if err != nil {
		return nil, err
	}
	return w.IterEncodedObjects(t)
}

// AddAlternate implements storer.EncodedObjectStorer through go-git, and
// makes this Store read the new alternate.
func (s *Store) AddAlternate(remote string) error {
	if _, err := s.looseWriter(); err != nil {
		return err
	}
	if err := s.dotgit.AddAlternate(remote); err != nil {
		return fmt.Errorf("add alternate: %w", err)
	}
	s.mu.Lock()
	s.altDone = false
	s.mu.Unlock()
	return nil
}

func (s *Store) looseWriter() (*filesystem.ObjectStorage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gitDir == "" {
		return nil, errors.New("write object: alternate object stores are read-only")
	}
	if s.writer == nil {
		s.dotgit = dotgit.New(osfs.New(s.gitDir))
		s.writer = filesystem.NewObjectStorage(s.dotgit, s.cache)
	}
	return s.writer, nil
}

// EncodedObject implements storer.EncodedObjectStorer. Returns
// plumbing.ErrObjectNotFound when h is absent or not of type t.
func (s *Store) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.get(h)
	if err != nil {
		return nil, err
	}
	if t != plumbing.AnyObject && o.Type() != t {
		return nil, plumbing.ErrObjectNotFound
	}
	return o, nil
}

// HasEncodedObject implements storer.EncodedObjectStorer.
func (s *Store) HasEncodedObject(h plumbing.Hash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := lookup(s, h,
		func(p *pack, _ int64) (struct{}, error) { return struct{}{}, nil },
		func(path string) (struct{}, error) {
			_, err := os.Stat(path)
			return struct{}{}, err
		},
		func(a *Store) (struct{}, error) { return struct{}{}, a.HasEncodedObject(h) })
	return err
}

// EncodedObjectSize implements storer.EncodedObjectStorer.
func (s *Store) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errClosed
	}
	if o, ok := s.cache.Get(h); ok {
		return o.Size(), nil
	}
	return lookup(s, h,
		func(p *pack, off int64) (int64, error) {
			pf, err := s.packfile(p)
			if err != nil {
				return 0, err
			}
			return pf.GetSizeByOffset(off)
		},
		func(path string) (int64, error) {
			f, err := os.Open(path)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			r, err := objfile.NewReader(f)
			if err != nil {
				return 0, fmt.Errorf("read object header %s: %w", h, err)
			}
			defer r.Close()
			_, size, err := r.Header()
			if err != nil {
				return 0, fmt.Errorf("read object header %s: %w", h, err)
			}
			return size, nil
		},
		func(a *Store) (int64, error) { return a.EncodedObjectSize(h) })
}

func (s *Store) get(h plumbing.Hash) (plumbing.EncodedObject, error) {
	if s.closed {
		return nil, errClosed
	}
	if o, ok := s.cache.Get(h); ok {
		return o, nil
	}
	return lookup(s, h,
		func(p *pack, off int64) (plumbing.EncodedObject, error) {
			if o, err := readWhole(p, off, h); o != nil || err != nil {
				if o != nil {
					s.cache.Put(o)
				}
				return o, err
			}
			pf, err := s.packfile(p)
			if err != nil {
				return nil, err
			}
			o, err := pf.Get(h)
			if err != nil {
				return nil, fmt.Errorf("read object %s from %s: %w", h, filepath.Base(p.path), err)
			}
			return o, nil
		},
		s.readLoose,
		func(a *Store) (plumbing.EncodedObject, error) { return a.EncodedObject(plumbing.AnyObject, h) })
}

// lookup runs the search order shared by every read: packs, loose objects,
// packs again after re-listing, alternates. inPack and loose report
// fs.ErrNotExist / plumbing.ErrObjectNotFound for "not here".
func lookup[T any](s *Store, h plumbing.Hash,
	inPack func(*pack, int64) (T, error),
	loose func(path string) (T, error),
	inAlt func(*Store) (T, error),
) (T, error) {
	var zero T
	if s.closed {
		return zero, errClosed
	}
	if !s.listed {
		if err := s.list(); err != nil {
			return zero, err
		}
	}
	try := func() (T, bool, error) {
		p, off, err := s.find(h)
		if err != nil || p == nil {
			return zero, false, err
		}
		v, err := inPack(p, off)
		return v, true, err
	}
	if v, ok, err := try(); ok || err != nil {
		return v, err
	}
	hex := h.String()
	v, err := loose(filepath.Join(s.objDir, hex[:2], hex[2:]))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return v, err
	}
	if n := len(s.packs); s.list() == nil && len(s.packs) > n {
		if v, ok, err := try(); ok || err != nil {
			return v, err
		}
	}
	for _, a := range s.alternates() {
		v, err := inAlt(a)
		if err == nil || !errors.Is(err, plumbing.ErrObjectNotFound) {
			return v, err
		}
	}
	return zero, plumbing.ErrObjectNotFound
}

// find returns the pack holding h and its offset, or nil.
func (s *Store) find(h plumbing.Hash) (*pack, int64, error) {
	if len(s.packs) == 0 {
		return nil, 0, nil
	}
	if s.lastHit >= len(s.packs) {
		s.lastHit = 0
	}
	order := func(i int) int { // the last hit first, then the rest in order
		switch {
		case i == 0:
			return s.lastHit
		case i <= s.lastHit:
			return i - 1
		}
		return i
	}
	for i := range s.packs {
		j := order(i)
		p := s.packs[j]
		off, err := p.idx.FindOffset(h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("look up %s in %s: %w", h, filepath.Base(p.path), err)
		}
		s.lastHit = j
		return p, off, nil
	}
	return nil, 0, nil
}

// list (re)reads the pack directory and maps the indexes of packs not seen
// before; packs that disappeared stay usable through their open maps.
func (s *Store) list() error {
	s.listed = true
	dir := filepath.Join(s.objDir, "pack")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list packs: %w", err)
	}
	type found struct {
		path string
		mod  int64
	}
	var fresh []found
	for _, e := range ents {
		name := e.Name()
		base, ok := strings.CutSuffix(name, ".idx")
		if !ok || !strings.HasPrefix(base, "pack-") || s.known[base] {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, base+".pack"))
		if err != nil {
			continue // index written before its pack, or a half-deleted pack
		}
		fresh = append(fresh, found{filepath.Join(dir, base), fi.ModTime().UnixNano()})
	}
	slices.SortFunc(fresh, func(a, b found) int { return int(min(max(b.mod-a.mod, -1), 1)) })
	var errs []error
	var added []*pack
	for _, f := range fresh {
		ix, err := Open(f.path + ".idx")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// The pack is opened now, not on first use, so that a `git gc`
		// deleting it later cannot take it away from us.
		pf, err := osfs.New(dir).Open(filepath.Base(f.path) + ".pack")
		if err != nil {
			_ = ix.Close()
			errs = append(errs, fmt.Errorf("open pack: %w", err))
			continue
		}
		s.known[filepath.Base(f.path)] = true
		added = append(added, &pack{path: f.path, idx: ix, file: pf})
	}
	// New packs go first: a fresh pack is where recent objects are.
	s.packs = append(added, s.packs...)
	s.lastHit = 0
	if len(s.packs) == 0 && len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// packfile returns p's go-git reader, made on first use.
func (s *Store) packfile(p *pack) (*packfile.Packfile, error) {
	if p.pf != nil {
		return p.pf, nil
	}
	// A nil filesystem makes go-git return every object in memory instead
	// of FSObjects that reopen the pack on each read.
	pi := &packIndex{Index: p.idx, learned: map[int64]plumbing.Hash{}}
	p.pi = pi
	p.pf = packfile.NewPackfileWithCache(pi, nil, p.file, &packCache{Object: s.cache, ix: pi}, 0)
	return p.pf, nil
}

func (s *Store) readLoose(path string) (o plumbing.EncodedObject, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := objfile.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read loose object %s: %w", path, err)
	}
	defer r.Close()
	t, size, err := r.Header()
	if err != nil {
		return nil, fmt.Errorf("read loose object %s: %w", path, err)
	}
	mo := &plumbing.MemoryObject{}
	mo.SetType(t)
	mo.SetSize(size)
	w, _ := mo.Writer()
	if _, err := io.Copy(w, r); err != nil {
		return nil, fmt.Errorf("read loose object %s: %w", path, err)
	}
	s.cache.Put(mo)
	return mo, nil
}

// alternates opens the stores named in objects/info/alternates once.
func (s *Store) alternates() []*Store {
	if s.altDone || s.depth >= maxAlternateDepth {
		return s.alts
	}
	s.altDone = true
	f, err := os.Open(filepath.Join(s.objDir, "info", "alternates"))
	if err != nil {
		return s.alts
	}
	defer f.Close()
	have := map[string]bool{}
	for _, a := range s.alts {
		have[a.objDir] = true
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(s.objDir, line)
		}
		line = filepath.Clean(line)
		if have[line] || line == s.objDir {
			continue
		}
		have[line] = true
		s.alts = append(s.alts, newStore(line, s.cache, s.depth+1))
	}
	return s.alts
}

// Close releases the packs' file descriptors and index maps.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, p := range s.packs {
		errs = append(errs, p.file.Close())
		errs = append(errs, p.idx.Close())
	}
	for _, a := range s.alts {
		errs = append(errs, a.Close())
	}
	if s.writer != nil {
		errs = append(errs, s.writer.Close())
	}
	s.packs, s.alts, s.known, s.listed, s.closed = nil, nil, map[string]bool{}, false, true
	return errors.Join(errs...)
}

// inflater is a buffered zlib reader kept for reuse: setting up one costs
// more than inflating a small tree.
type inflater struct {
	br *bufio.Reader
	zr io.ReadCloser
}

var inflaters = sync.Pool{New: func() any { return &inflater{br: bufio.NewReaderSize(nil, 16<<10)} }}

// reset points the inflater at the zlib stream r.
func (f *inflater) reset(r io.Reader) (io.Reader, error) {
	f.br.Reset(r)
	if f.zr == nil {
		zr, err := zlib.NewReader(f.br)
		if err != nil {
			return nil, err
		}
		f.zr = zr
		return zr, nil
	}
	if err := f.zr.(zlib.Resetter).Reset(f.br, nil); err != nil {
		return nil, err
	}
	return f.zr, nil
}

// readWhole reads the packed object at off when it is stored whole (not as
// a delta): its header, then its zlib stream inflated straight into a
// buffer of its size. go-git's reader inflates through a byte-at-a-time
// scanner into a growing buffer, about five times slower (a 2 MB note: 50
// ms against 11). It returns nil, nil for a delta, which go-git resolves.
func readWhole(p *pack, off int64, h plumbing.Hash) (plumbing.EncodedObject, error) {
	var hdr [32]byte
	n, err := p.file.ReadAt(hdr[:], off)
	if n == 0 && err != nil {
		return nil, fmt.Errorf("read object %s from %s: %w", h, filepath.Base(p.path), err)
	}
	// Type in bits 4-6 of the first byte; the size in its low 4 bits,
	// then 7 bits a byte while the top bit is set.
	t := plumbing.ObjectType(hdr[0] >> 4 & 7)
	size := int64(hdr[0] & 15)
	i, shift := 1, 4
	for hdr[i-1]&0x80 != 0 {
		if i >= n || shift > 56 {
			return nil, nil // odd header: go-git decides
		}
		size |= int64(hdr[i]&0x7f) << shift
		shift += 7
		i++
	}
	switch t {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	default:
		return nil, nil // a delta
	}
	inf := inflaters.Get().(*inflater)
	defer inflaters.Put(inf)
	zr, err := inf.reset(io.NewSectionReader(p.file, off+int64(i), 1<<62))
	if err != nil {
		return nil, fmt.Errorf("read object %s from %s: %w", h, filepath.Base(p.path), err)
	}
	if p.bytes == 0 {
		if fi, err := os.Stat(p.path + ".pack"); err == nil {
			p.bytes = fi.Size()
		}
	}
	if size < 0 || p.bytes > 0 && size > p.bytes*maxInflation {
		return nil, fmt.Errorf("read object %s from %s: %w: object of %d bytes in a pack of %d", h, filepath.Base(p.path), plumbing.ErrObjectNotFound, size, p.bytes)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(zr, buf); err != nil {
		return nil, fmt.Errorf("read object %s from %s: %w", h, filepath.Base(p.path), err)
	}
	o := &plumbing.MemoryObject{}
	o.SetType(t)
	o.SetSize(size)
	if _, err := o.Write(buf); err != nil {
		return nil, err
	}
	return o, nil
}
