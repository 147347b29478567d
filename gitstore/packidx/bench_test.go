package packidx

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// bigRepo returns the git dir of the repository bench/mkbigrepo.sh built,
// named by CODEX_BIGREPO, and its HEAD; benchmarks skip without it.
func bigRepo(b *testing.B) (string, plumbing.Hash) {
	dir := os.Getenv("CODEX_BIGREPO")
	if dir == "" {
		b.Skip("set CODEX_BIGREPO to a repository made by bench/mkbigrepo.sh")
	}
	gitDir := filepath.Join(dir, ".git")
	out, err := exec.Command("git", "--git-dir", gitDir, "rev-parse", "HEAD").Output()
	if err != nil {
		b.Fatalf("rev-parse HEAD in %s: %v", dir, err)
	}
	return gitDir, plumbing.NewHash(strings.TrimSpace(string(out)))
}

type opener struct {
	name string
	open func(gitDir string) (storer.EncodedObjectStorer, func() error)
}

var openers = []opener{
	{"gogit", func(gitDir string) (storer.EncodedObjectStorer, func() error) {
		s := filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRUDefault(),
			filesystem.Options{KeepDescriptors: true})
		return s, s.Close
	}},
	{"packidx", func(gitDir string) (storer.EncodedObjectStorer, func() error) {
		s := NewStore(gitDir, Options{})
		return s, s.Close
	}},
}

// BenchmarkFirstRead measures what every command pays first: open the object
// storage and read HEAD's commit, then a path of its tree.
func BenchmarkFirstRead(b *testing.B) {
	gitDir, head := bigRepo(b)
	for _, o := range openers {
		b.Run(o.name+"/commit", func(b *testing.B) {
			for b.Loop() {
				st, closeFn := o.open(gitDir)
				if _, err := object.GetCommit(st, head); err != nil {
					b.Fatal(err)
				}
				closeFn()
			}
		})
		b.Run(o.name+"/tree-path", func(b *testing.B) {
			for b.Loop() {
				st, closeFn := o.open(gitDir)
				c, err := object.GetCommit(st, head)
				if err != nil {
					b.Fatal(err)
				}
				t, err := object.GetTree(st, c.TreeHash)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := t.FindEntry("d00/s00/f00.txt"); err != nil {
					b.Fatal(err)
				}
				closeFn()
			}
		})
	}
}

// BenchmarkWalk200 measures a fresh storage walking 200 first-parent commits,
// what `log -n 200` and `pr-summary` read.
func BenchmarkWalk200(b *testing.B) {
	gitDir, head := bigRepo(b)
	for _, o := range openers {
		b.Run(o.name, func(b *testing.B) {
			for b.Loop() {
				st, closeFn := o.open(gitDir)
				h := head
				for i := 0; i < 200; i++ {
					c, err := object.GetCommit(st, h)
					if err != nil {
						b.Fatal(err)
					}
					if len(c.ParentHashes) == 0 {
						break
					}
					h = c.ParentHashes[0]
				}
				closeFn()
			}
		})
	}
}

// BenchmarkFindOffset measures one lookup in an already open index.
func BenchmarkFindOffset(b *testing.B) {
	gitDir, head := bigRepo(b)
	idx, err := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "pack-*.idx"))
	if err != nil || len(idx) == 0 {
		b.Fatal("no pack index", err)
	}
	ix, err := Open(idx[0])
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	for b.Loop() {
		if _, err := ix.FindOffset(head); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildReverse measures building the in-memory reverse index that a
// pack without a .rev file needs once offset-delta bases get frequent.
func BenchmarkBuildReverse(b *testing.B) {
	gitDir, _ := bigRepo(b)
	idx, _ := filepath.Glob(filepath.Join(gitDir, "objects", "pack", "pack-*.idx"))
	if len(idx) == 0 {
		b.Fatal("no pack index")
	}
	ix, err := Open(idx[0])
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	for b.Loop() {
		if _, err := ix.buildRev(); err != nil {
			b.Fatal(err)
		}
	}
}
