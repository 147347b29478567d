package packidx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// ErrMalformed is returned (wrapped) for an index or reverse index whose
// layout is inconsistent; it wraps go-git's idxfile.ErrMalformedIdxFile.
var ErrMalformed = fmt.Errorf("packidx: %w", idxfile.ErrMalformedIdxFile)

const (
	hashLen    = 20
	headerLen  = 8
	fanoutLen  = 256 * 4
	namesStart = headerLen + fanoutLen
	o64Flag    = 1 << 31
)

var idxMagic = []byte{0xff, 't', 'O', 'c'}

// Index is a version 2 pack index read in place from a read-only memory map:
// opening it costs a few system calls whatever the number of objects, and a
// lookup touches only the pages the binary search visits. It implements
// go-git's idxfile.Index. The reverse (offset → id) mapping go-git needs for
// offset deltas comes from the pack's .rev file when git wrote one, otherwise
// it is built in memory on first use, as git itself does.
//
// An Index is safe for concurrent use. Close unmaps it; using it afterwards
// panics.
type Index struct {
	data  []byte
	unmap func() error
	count int
	// section starts within data
	crcStart, off32Start, off64Start, off64End int

	revPath string
	revOnce sync.Once
	rev     revTable
	revErr  error
	revUnmp func() error
}

var _ idxfile.Index = (*Index)(nil)

// Open maps the index at path (a pack-*.idx file). When a pack-*.rev file
// lies beside it, FindHash and EntriesByOffset use it. The index checksum is
// not verified (that would read the whole file); the layout is.
func Open(path string) (*Index, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open pack index: %w", err)
	}
	defer f.Close()
	data, unmap, err := mapFile(f)
	if err != nil {
		return nil, fmt.Errorf("map pack index %s: %w", path, err)
	}
	ix, err := newIndex(data, unmap)
	if err != nil {
		_ = unmap()
		return nil, fmt.Errorf("open pack index %s: %w", path, err)
	}
	if len(path) > 4 && path[len(path)-4:] == ".idx" {
		ix.revPath = path[:len(path)-4] + ".rev"
	}
	return ix, nil
}

// FromBytes returns an Index over an index file's bytes already in memory.
func FromBytes(data []byte) (*Index, error) {
	return newIndex(data, func() error { return nil })
}

func newIndex(data []byte, unmap func() error) (*Index, error) {
	if len(data) < namesStart+2*hashLen {
		return nil, fmt.Errorf("%w: file too short (%d bytes)", ErrMalformed, len(data))
	}
	if !bytes.Equal(data[:4], idxMagic) {
		return nil, fmt.Errorf("%w: not a version 2 index (version 1 is unsupported)", ErrMalformed)
	}
	if v := binary.BigEndian.Uint32(data[4:8]); v != 2 {
		return nil, fmt.Errorf("%w: unsupported version %d", idxfile.ErrUnsupportedVersion, v)
	}
	prev := uint32(0)
	for i := 0; i < 256; i++ {
		n := binary.BigEndian.Uint32(data[headerLen+4*i:])
		if n < prev {
			return nil, fmt.Errorf("%w: fan-out table decreases at entry %d", ErrMalformed, i)
		}
		prev = n
	}
	n := int64(prev)
	minSize := namesStart + n*(hashLen+4+4) + 2*hashLen
	maxSize := minSize
	if n > 0 {
		maxSize += (n - 1) * 8
	}
	if size := int64(len(data)); size < minSize || size > maxSize {
		return nil, fmt.Errorf("%w: size %d does not fit %d objects", ErrMalformed, size, n)
	}
	ix := &Index{data: data, unmap: unmap, count: int(n)}
	ix.crcStart = namesStart + ix.count*hashLen
	ix.off32Start = ix.crcStart + ix.count*4
	ix.off64Start = ix.off32Start + ix.count*4
	ix.off64End = len(data) - 2*hashLen
	return ix, nil
}

// Close releases the memory maps.
func (ix *Index) Close() error {
	var errs []error
	if ix.unmap != nil {
		errs = append(errs, ix.unmap())
		ix.unmap = nil
	}
	if ix.revUnmp != nil {
		errs = append(errs, ix.revUnmp())
		ix.revUnmp = nil
	}
	ix.data, ix.rev = nil, revTable{}
	return errors.Join(errs...)
}

// PackChecksum is the checksum of the pack this index describes (the id in
// the pack's file name).
func (ix *Index) PackChecksum() plumbing.Hash {
	var h plumbing.Hash
	copy(h[:], ix.data[len(ix.data)-2*hashLen:])
	return h
}

func (ix *Index) fanout(b int) int {
	if b < 0 {
		return 0
	}
	return int(binary.BigEndian.Uint32(ix.data[headerLen+4*b:]))
}

func (ix *Index) name(pos int) []byte {
	o := namesStart + pos*hashLen
	return ix.data[o : o+hashLen]
}

// search returns the position of h in the name table.
func (ix *Index) search(h plumbing.Hash) (int, bool) {
	lo, hi := ix.fanout(int(h[0])-1), ix.fanout(int(h[0]))
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(ix.name(mid), h[:]); {
		case c == 0:
			return mid, true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

// offset returns the pack offset of the object at position pos.
func (ix *Index) offset(pos int) (int64, error) {
	v := binary.BigEndian.Uint32(ix.data[ix.off32Start+4*pos:])
	if v&o64Flag == 0 {
		return int64(v), nil
	}
	o := ix.off64Start + 8*int(v&^o64Flag)
	if o+8 > ix.off64End {
		return 0, fmt.Errorf("%w: 64-bit offset %d out of range", ErrMalformed, v&^o64Flag)
	}
	off := binary.BigEndian.Uint64(ix.data[o:])
	if off > 1<<62 {
		return 0, fmt.Errorf("%w: offset %d out of range", ErrMalformed, off)
	}
	return int64(off), nil
}

func (ix *Index) crc(pos int) uint32 {
	return binary.BigEndian.Uint32(ix.data[ix.crcStart+4*pos:])
}

// Contains implements idxfile.Index.
func (ix *Index) Contains(h plumbing.Hash) (bool, error) {
	_, ok := ix.search(h)
	return ok, nil
}

// FindOffset implements idxfile.Index. Returns plumbing.ErrObjectNotFound
// when h is not in the pack.
func (ix *Index) FindOffset(h plumbing.Hash) (int64, error) {
	pos, ok := ix.search(h)
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	return ix.offset(pos)
}

// FindCRC32 implements idxfile.Index.
func (ix *Index) FindCRC32(h plumbing.Hash) (uint32, error) {
	pos, ok := ix.search(h)
	if !ok {
		return 0, plumbing.ErrObjectNotFound
	}
	return ix.crc(pos), nil
}

// FindHash implements idxfile.Index: the id of the object starting at pack
// offset o. Returns plumbing.ErrObjectNotFound when no object starts there.
func (ix *Index) FindHash(o int64) (plumbing.Hash, error) {
	rev, err := ix.reverse()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	lo, hi := 0, rev.len()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		off, err := ix.offset(rev.at(mid))
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch {
		case off == o:
			var h plumbing.Hash
			copy(h[:], ix.name(rev.at(mid)))
			return h, nil
		case off < o:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return plumbing.ZeroHash, plumbing.ErrObjectNotFound
}

// Count implements idxfile.Index.
func (ix *Index) Count() (int64, error) { return int64(ix.count), nil }

// Entries implements idxfile.Index: all entries in id order.
func (ix *Index) Entries() (idxfile.EntryIter, error) {
	return &entryIter{ix: ix}, nil
}

// EntriesByOffset implements idxfile.Index: all entries in pack order.
func (ix *Index) EntriesByOffset() (idxfile.EntryIter, error) {
	rev, err := ix.reverse()
	if err != nil {
		return nil, err
	}
	return &entryIter{ix: ix, order: rev}, nil
}

type entryIter struct {
	ix    *Index
	order *revTable // nil: id order
	i     int
}

func (it *entryIter) Next() (*idxfile.Entry, error) {
	if it.i >= it.ix.count {
		return nil, io.EOF
	}
	pos := it.i
	if it.order != nil {
		pos = it.order.at(it.i)
	}
	it.i++
	off, err := it.ix.offset(pos)
	if err != nil {
		return nil, err
	}
	e := &idxfile.Entry{CRC32: it.ix.crc(pos), Offset: uint64(off)}
	copy(e.Hash[:], it.ix.name(pos))
	return e, nil
}

func (it *entryIter) Close() error {
	it.i = it.ix.count
	return nil
}
