package packidx

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/go-git/go-git/v5/plumbing"
)

// newRepo creates a repository whose history makes deltas (files that grow
// commit by commit, one blob above go-git's 16 KiB small-object threshold),
// with an annotated tag. Everything is loose.
func newRepo(t testing.TB, commits int) string {
	t.Helper()
	gittest.Hermetic(t)
	dir := t.TempDir()
	gittest.Git(t, dir, "init", "-q", "-b", "main")
	gittest.Git(t, dir, "config", "gc.auto", "0")
	addCommits(t, dir, 0, commits)
	gittest.Git(t, dir, "tag", "-a", "-m", "a tag", "v1")
	return dir
}

func addCommits(t testing.TB, dir string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		for f := 0; f < 3; f++ {
			p := filepath.Join(dir, fmt.Sprintf("dir%d", f), "file.txt")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for l := 0; l <= i; l++ {
				fmt.Fprintf(&b, "file %d line %d: some text that repeats so deltas pay off\n", f, l)
			}
			if f == 2 {
				b.WriteString(strings.Repeat(fmt.Sprintf("large %d ", i%3), 3000)) // > 16 KiB
			}
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		gittest.Git(t, dir, "add", "-A")
		gittest.Git(t, dir, "commit", "-q", "-m", fmt.Sprintf("commit %d\n\nbody of commit %d", i, i))
	}
}

type objInfo struct {
	id   plumbing.Hash
	typ  string
	size int64
}

// allObjects lists every object git sees in dir, packed and loose.
func allObjects(t testing.TB, dir string) []objInfo {
	t.Helper()
	out := gittest.Git(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype) %(objectsize)")
	var objs []objInfo
	for _, line := range strings.Split(out, "\n") {
		var id, typ string
		var size int64
		if _, err := fmt.Sscan(line, &id, &typ, &size); err != nil {
			t.Fatalf("parse %q: %v", line, err)
		}
		objs = append(objs, objInfo{plumbing.NewHash(id), typ, size})
	}
	return objs
}

func packIndexes(t testing.TB, dir string) []string {
	t.Helper()
	idx, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.idx"))
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

type idxEntry struct {
	id  plumbing.Hash
	off uint64
	crc uint32
}

// encodeIdx writes a version 2 pack index by the format description
// (gitformat-pack), independently of both implementations under test.
// large64 lists the 64-bit table; corrupt may edit the bytes before the
// trailing checksum is computed.
func encodeIdx(entries []idxEntry, corrupt func([]byte) []byte) []byte {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b idxEntry) int { return bytes.Compare(a.id[:], b.id[:]) })
	var b bytes.Buffer
	b.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	var fan [256]uint32
	for _, e := range entries {
		for k := int(e.id[0]); k < 256; k++ {
			fan[k]++
		}
	}
	for _, n := range fan {
		binary.Write(&b, binary.BigEndian, n)
	}
	for _, e := range entries {
		b.Write(e.id[:])
	}
	for _, e := range entries {
		binary.Write(&b, binary.BigEndian, e.crc)
	}
	var large []uint64
	for _, e := range entries {
		if e.off < 1<<31 {
			binary.Write(&b, binary.BigEndian, uint32(e.off))
			continue
		}
		binary.Write(&b, binary.BigEndian, uint32(1<<31|len(large)))
		large = append(large, e.off)
	}
	for _, o := range large {
		binary.Write(&b, binary.BigEndian, o)
	}
	b.Write(bytes.Repeat([]byte{0xab}, 20)) // pack checksum
	data := b.Bytes()
	if corrupt != nil {
		data = corrupt(data)
	}
	sum := sha1.Sum(data)
	return append(data, sum[:]...)
}

func hashOf(s string) plumbing.Hash {
	return plumbing.Hash(sha1.Sum([]byte(s)))
}
