package packidx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// revTable lists index positions in pack-offset order, either from a mapped
// .rev file (big-endian uint32 after a 12-byte header) or built in memory.
type revTable struct {
	raw []byte
	mem []uint32
}

func (r *revTable) len() int {
	if r.mem != nil {
		return len(r.mem)
	}
	return len(r.raw) / 4
}

func (r *revTable) at(i int) int {
	if r.mem != nil {
		return int(r.mem[i])
	}
	return int(binary.BigEndian.Uint32(r.raw[4*i:]))
}

var revMagic = []byte("RIDX")

// reverse returns the offset-ordered table, loading the .rev file or
// building the table on first use.
func (ix *Index) reverse() (*revTable, error) {
	ix.revOnce.Do(func() {
		if ix.revPath != "" {
			ok, err := ix.loadRev(ix.revPath)
			if err != nil || ok {
				ix.revErr = err
				return
			}
		}
		ix.rev.mem, ix.revErr = ix.buildRev()
	})
	return &ix.rev, ix.revErr
}

// loadRev maps a .rev file; false when there is none.
func (ix *Index) loadRev(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open reverse index: %w", err)
	}
	defer f.Close()
	data, unmap, err := mapFile(f)
	if err != nil {
		return false, fmt.Errorf("map reverse index %s: %w", path, err)
	}
	if len(data) != 12+4*ix.count+2*hashLen || !bytes.Equal(data[:4], revMagic) ||
		binary.BigEndian.Uint32(data[4:]) != 1 || binary.BigEndian.Uint32(data[8:]) != 1 ||
		!bytes.Equal(data[len(data)-2*hashLen:len(data)-hashLen], ix.data[len(ix.data)-2*hashLen:len(ix.data)-hashLen]) {
		_ = unmap()
		return false, nil // not usable (other version, other pack): build one instead
	}
	ix.rev.raw = data[12 : 12+4*ix.count]
	ix.revUnmp = unmap
	return true, nil
}

// buildRev sorts index positions by offset: an LSD radix sort of
// offset<<24|position keys (what git does without a .rev file), falling back
// to a comparison sort for packs beyond 2^24 objects or 2^40 bytes.
func (ix *Index) buildRev() ([]uint32, error) {
	n := ix.count
	maxOff := int64(0)
	// A first pass finds the largest offset; most packs need only it.
	for pos := 0; pos < n; pos++ {
		off, err := ix.offset(pos)
		if err != nil {
			return nil, err
		}
		maxOff = max(maxOff, off)
	}
	if n >= 1<<24 || maxOff >= 1<<40 {
		offs := make([]int64, n)
		order := make([]uint32, n)
		for pos := range n {
			offs[pos], _ = ix.offset(pos)
			order[pos] = uint32(pos)
		}
		slices.SortFunc(order, func(a, b uint32) int {
			switch {
			case offs[a] < offs[b]:
				return -1
			case offs[a] > offs[b]:
				return 1
			}
			return 0
		})
		return order, nil
	}
	keys := make([]uint64, n)
	for pos := range n {
		off, _ := ix.offset(pos)
		keys[pos] = uint64(off)<<24 | uint64(pos)
	}
	bits := 24
	for m := maxOff; m > 0; m >>= 1 {
		bits++
	}
	radixSort(keys, bits)
	order := make([]uint32, n)
	for i, k := range keys {
		order[i] = uint32(k & (1<<24 - 1))
	}
	return order, nil
}

// radixSort sorts keys whose values fit in bits bits, 16 bits per pass.
func radixSort(keys []uint64, bits int) {
	tmp := make([]uint64, len(keys))
	var count [1 << 16]int
	for shift := 0; shift < bits; shift += 16 {
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&0xffff]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, k := range keys {
			d := (k >> shift) & 0xffff
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	if (bits+15)/16%2 == 1 {
		copy(tmp, keys) // the sorted data is in the scratch slice: copy it back
	}
}
