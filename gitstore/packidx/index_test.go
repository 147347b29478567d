package packidx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

func decodeMemoryIndex(t *testing.T, data []byte) *idxfile.MemoryIndex {
	t.Helper()
	mem := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bytes.NewReader(data)).Decode(mem); err != nil {
		t.Fatalf("go-git decode: %v", err)
	}
	return mem
}

func collect(t *testing.T, entries func() (idxfile.EntryIter, error)) []idxfile.Entry {
	t.Helper()
	it, err := entries()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []idxfile.Entry
	for {
		e, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *e)
	}
}

// compareIndex checks that ours answers every question of idxfile.Index
// exactly as go-git's MemoryIndex does.
func compareIndex(t *testing.T, ours *Index, mem *idxfile.MemoryIndex) {
	t.Helper()
	n1, _ := ours.Count()
	n2, _ := mem.Count()
	if n1 != n2 {
		t.Fatalf("Count = %d, go-git %d", n1, n2)
	}
	e1 := collect(t, ours.Entries)
	e2 := collect(t, mem.Entries)
	if !slices.Equal(e1, e2) {
		t.Fatalf("Entries differ:\nours  %v\ngo-git %v", e1, e2)
	}
	b1 := collect(t, ours.EntriesByOffset)
	b2 := collect(t, mem.EntriesByOffset)
	if !slices.Equal(b1, b2) {
		t.Fatalf("EntriesByOffset differ:\nours  %v\ngo-git %v", b1, b2)
	}
	for _, e := range e2 {
		if ok, _ := ours.Contains(e.Hash); !ok {
			t.Errorf("Contains(%s) = false", e.Hash)
		}
		if off, err := ours.FindOffset(e.Hash); err != nil || off != int64(e.Offset) {
			t.Errorf("FindOffset(%s) = %d, %v; want %d", e.Hash, off, err, e.Offset)
		}
		if crc, err := ours.FindCRC32(e.Hash); err != nil || crc != e.CRC32 {
			t.Errorf("FindCRC32(%s) = %x, %v; want %x", e.Hash, crc, err, e.CRC32)
		}
		if h, err := ours.FindHash(int64(e.Offset)); err != nil || h != e.Hash {
			t.Errorf("FindHash(%d) = %s, %v; want %s", e.Offset, h, err, e.Hash)
		}
	}
	for _, absent := range []plumbing.Hash{plumbing.ZeroHash, hashOf("absent"), {0xff, 0xff, 0xff}} {
		if ok, _ := ours.Contains(absent); ok {
			t.Errorf("Contains(%s) = true for an absent id", absent)
		}
		if _, err := ours.FindOffset(absent); !errors.Is(err, plumbing.ErrObjectNotFound) {
			t.Errorf("FindOffset(absent) error = %v", err)
		}
		if _, err := ours.FindCRC32(absent); !errors.Is(err, plumbing.ErrObjectNotFound) {
			t.Errorf("FindCRC32(absent) error = %v", err)
		}
	}
	if _, err := ours.FindHash(1); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("FindHash(1) error = %v, want ErrObjectNotFound (no object starts inside the header)", err)
	}
}

func TestIndexMatchesMemoryIndex(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		wantRev bool
	}{
		{"repacked with deltas", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "repack", "-adfq", "--depth=5", "--window=10")
		}, false},
		{"repacked with a .rev file", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "-c", "pack.writeReverseIndex=true", "repack", "-adfq")
		}, true},
		{"two packs", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "repack", "-adq")
			addCommits(t, dir, 40, 5)
			gittest.Git(t, dir, "repack", "-dq")
		}, false},
		{"empty pack", func(t *testing.T, dir string) {
			cmd := "git pack-objects -q .git/objects/pack/pack </dev/null >/dev/null"
			gittest.Git(t, dir, "-c", "alias.x=!"+cmd, "x")
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := newRepo(t, 40)
			tc.prepare(t, dir)
			idxs := packIndexes(t, dir)
			if len(idxs) == 0 {
				t.Fatal("no pack index")
			}
			for _, path := range idxs {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				ix, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ix.Close() })
				mem := decodeMemoryIndex(t, data)
				if ix.PackChecksum() != plumbing.Hash(mem.PackfileChecksum) {
					t.Errorf("PackChecksum = %s, want %x", ix.PackChecksum(), mem.PackfileChecksum)
				}
				compareIndex(t, ix, mem)
				if n, _ := ix.Count(); n > 0 && (ix.rev.raw != nil) != tc.wantRev {
					t.Errorf("reverse index from a .rev file = %v, want %v", ix.rev.raw != nil, tc.wantRev)
				}
			}
		})
	}
}

// TestIndex64BitOffsets covers offsets at and beyond 2 GiB, which need the
// 64-bit table: a pack that large is not practical in a test, so the index is
// synthetic.
func TestIndex64BitOffsets(t *testing.T) {
	offs := []uint64{12, 1<<31 - 1, 1 << 31, 5 << 32, 1<<40 + 7, 1 << 45}
	var entries []idxEntry
	for i, o := range offs {
		entries = append(entries, idxEntry{id: hashOf(string(rune('a' + i))), off: o, crc: uint32(i) * 0x01010101})
	}
	data := encodeIdx(entries, nil)
	ix, err := FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if off, err := ix.FindOffset(e.id); err != nil || uint64(off) != e.off {
			t.Errorf("FindOffset = %d, %v; want %d", off, err, e.off)
		}
	}
	compareIndex(t, ix, decodeMemoryIndex(t, data))
}

func TestIndexMalformed(t *testing.T) {
	good := []idxEntry{{id: hashOf("x"), off: 12}, {id: hashOf("y"), off: 1 << 33}}
	cases := []struct {
		name    string
		data    []byte
		openErr error // nil: Open succeeds and FindOffset of every entry must fail
	}{
		{"empty file", nil, ErrMalformed},
		{"too short", []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}, ErrMalformed},
		{"version 1 index", append([]byte{1, 2, 3, 4}, make([]byte, 2000)...), ErrMalformed},
		{"version 3", encodeIdx(good, func(b []byte) []byte { b[7] = 3; return b }), idxfile.ErrUnsupportedVersion},
		{"fan-out decreases", encodeIdx(good, func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[8+4*10:], 7)
			return b
		}), ErrMalformed},
		{"truncated name table", encodeIdx(good, func(b []byte) []byte { return b[:1040] }), ErrMalformed},
		{"64-bit offset index out of range", encodeIdx(good, func(b []byte) []byte {
			at := 8 + 1024 + 2*20 + 2*4 // first offset slot
			for i := 0; i < 2; i++ {
				if b[at+4*i]&0x80 != 0 {
					binary.BigEndian.PutUint32(b[at+4*i:], 1<<31|9)
				}
			}
			return b
		}), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := FromBytes(tc.data)
			if tc.openErr != nil {
				if !errors.Is(err, tc.openErr) {
					t.Fatalf("FromBytes error = %v, want %v", err, tc.openErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromBytes: %v", err)
			}
			bad := 0
			for _, e := range good {
				if _, err := ix.FindOffset(e.id); err != nil {
					if !errors.Is(err, ErrMalformed) {
						t.Errorf("FindOffset error = %v, want ErrMalformed", err)
					}
					bad++
				}
			}
			if bad == 0 {
				t.Error("no lookup reported the broken 64-bit offset")
			}
			if _, err := ix.FindHash(12); err == nil {
				t.Error("FindHash over a broken offset table succeeded")
			}
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "pack-x.idx"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open error = %v, want ErrNotExist", err)
	}
}

func TestRadixSort(t *testing.T) {
	for _, bits := range []int{1, 16, 17, 33, 48, 51, 64} {
		rng := rand.New(rand.NewPCG(uint64(bits), 1))
		keys := make([]uint64, 5000)
		for i := range keys {
			keys[i] = rng.Uint64()
			if bits < 64 {
				keys[i] &= 1<<bits - 1
			}
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		radixSort(keys, bits)
		if !slices.Equal(keys, want) {
			t.Errorf("bits=%d: radixSort result is not sorted like slices.Sort", bits)
		}
	}
}
