package packidx

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

func content(t testing.TB, o plumbing.EncodedObject) []byte {
	t.Helper()
	r, err := o.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkAllObjects reads every object git lists through s and through go-git's
// own filesystem storage and requires identical answers.
func checkAllObjects(t *testing.T, dir string, s *Store) {
	t.Helper()
	ref := filesystem.NewStorageWithOptions(osfs.New(filepath.Join(dir, ".git")), cache.NewObjectLRUDefault(),
		filesystem.Options{AlternatesFS: osfs.New("/")})
	defer ref.Close()
	objs := allObjects(t, dir)
	if len(objs) < 20 {
		t.Fatalf("only %d objects: the fixture is too small to mean much", len(objs))
	}
	for _, want := range objs {
		got, err := s.EncodedObject(plumbing.AnyObject, want.id)
		if err != nil {
			t.Fatalf("EncodedObject(%s): %v", want.id, err)
		}
		exp, err := ref.EncodedObject(plumbing.AnyObject, want.id)
		if err != nil {
			t.Fatalf("go-git EncodedObject(%s): %v", want.id, err)
		}
		if got.Type() != exp.Type() || got.Type().String() != want.typ || got.Size() != want.size || got.Hash() != want.id {
			t.Errorf("%s: type %s size %d hash %s; want %s %d", want.id, got.Type(), got.Size(), got.Hash(), want.typ, want.size)
		}
		if !bytes.Equal(content(t, got), content(t, exp)) {
			t.Errorf("%s: content differs from go-git's", want.id)
		}
		if size, err := s.EncodedObjectSize(want.id); err != nil || size != want.size {
			t.Errorf("EncodedObjectSize(%s) = %d, %v; want %d", want.id, size, err, want.size)
		}
		if err := s.HasEncodedObject(want.id); err != nil {
			t.Errorf("HasEncodedObject(%s) = %v", want.id, err)
		}
		wrong := plumbing.BlobObject
		if got.Type() == plumbing.BlobObject {
			wrong = plumbing.TreeObject
		}
		if _, err := s.EncodedObject(wrong, want.id); !errors.Is(err, plumbing.ErrObjectNotFound) {
			t.Errorf("EncodedObject(%s, %s) error = %v, want ErrObjectNotFound", wrong, want.id, err)
		}
	}
	absent := hashOf("absent")
	if _, err := s.EncodedObject(plumbing.AnyObject, absent); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("EncodedObject(absent) error = %v", err)
	}
	if _, err := s.EncodedObjectSize(absent); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("EncodedObjectSize(absent) error = %v", err)
	}
	if err := s.HasEncodedObject(absent); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("HasEncodedObject(absent) error = %v", err)
	}
}

func TestStoreReadsLikeGoGit(t *testing.T) {
	repack := func(t *testing.T, dir string) { gittest.Git(t, dir, "repack", "-adfq", "--depth=20") }
	cases := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		cache   cache.Object // nil: the default
		packed  bool
	}{
		{"loose only", func(t *testing.T, dir string) {}, nil, false},
		{"one pack with deltas", repack, nil, true},
		{"one pack with deltas, tiny cache", repack, cache.NewObjectLRU(8 * cache.KiByte), true},
		{"pack with a .rev file", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "-c", "pack.writeReverseIndex=true", "repack", "-adfq")
		}, nil, true},
		{"two packs and loose objects", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "repack", "-adq")
			addCommits(t, dir, 30, 4)
			gittest.Git(t, dir, "repack", "-dq")
			addCommits(t, dir, 34, 3)
		}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := newRepo(t, 30)
			tc.prepare(t, dir)
			s := NewStore(filepath.Join(dir, ".git"), Options{Cache: tc.cache})
			defer s.Close()
			checkAllObjects(t, dir, s)
			checkAllObjects(t, dir, s) // again, now with cached delta bases
			learned := 0
			for _, p := range s.packs {
				if p.pi == nil {
					continue
				}
				for off, h := range p.pi.learned {
					learned++
					if exact, err := p.idx.FindHash(off); err != nil || exact != h {
						t.Errorf("learned id at offset %d = %s, the index says %s (%v)", off, h, exact, err)
					}
				}
			}
			if tc.packed && learned == 0 {
				t.Error("no offsets learned from decoded objects")
			}
		})
	}
}

// TestStoreSeesNewObjects opens a store, reads, and then lets git add a pack
// and loose objects behind its back, as a concurrent commit, fetch or gc does.
func TestStoreSeesNewObjects(t *testing.T) {
	dir := newRepo(t, 5)
	gittest.Git(t, dir, "repack", "-adq")
	s := NewStore(filepath.Join(dir, ".git"), Options{})
	defer s.Close()
	if _, err := object.GetCommit(s, plumbing.NewHash(gittest.Git(t, dir, "rev-parse", "HEAD"))); err != nil {
		t.Fatal(err)
	}
	addCommits(t, dir, 5, 2)
	loose := plumbing.NewHash(gittest.Git(t, dir, "rev-parse", "HEAD"))
	if _, err := object.GetCommit(s, loose); err != nil {
		t.Fatalf("new loose commit: %v", err)
	}
	addCommits(t, dir, 7, 2)
	packed := plumbing.NewHash(gittest.Git(t, dir, "rev-parse", "HEAD"))
	gittest.Git(t, dir, "repack", "-adq") // the old pack goes away, a new one holds everything
	c, err := object.GetCommit(s, packed)
	if err != nil {
		t.Fatalf("commit in a new pack: %v", err)
	}
	if c.Message != "commit 8\n\nbody of commit 8\n" {
		t.Errorf("message = %q", c.Message)
	}
	if len(s.packs) != 2 {
		t.Errorf("store knows %d packs, want 2 (the removed one stays mapped)", len(s.packs))
	}
	checkAllObjects(t, dir, s)
}

func TestStoreAlternates(t *testing.T) {
	src := newRepo(t, 30)
	gittest.Git(t, src, "repack", "-adq")
	dst := t.TempDir()
	gittest.Git(t, dst, "clone", "-q", "--shared", src, ".")
	addCommits(t, dst, 30, 2) // loose objects of its own
	if got := gittest.Git(t, dst, "count-objects", "-v"); !strings.Contains(got, "in-pack: 0") {
		t.Fatalf("the clone has packs of its own:\n%s", got)
	}
	s := NewStore(filepath.Join(dst, ".git"), Options{})
	defer s.Close()
	checkAllObjects(t, dst, s) // git lists the alternate's objects too
}

func TestStoreWritesLooseObjects(t *testing.T) {
	dir := newRepo(t, 2)
	s := NewStore(filepath.Join(dir, ".git"), Options{})
	defer s.Close()
	o := s.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	w, _ := o.Writer()
	io.WriteString(w, "a note line\n")
	w.Close()
	h, err := s.SetEncodedObject(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := gittest.Git(t, dir, "cat-file", "-p", h.String()); got != "a note line" {
		t.Errorf("git cat-file -p = %q", got)
	}
	back, err := s.EncodedObject(plumbing.BlobObject, h)
	if err != nil || string(content(t, back)) != "a note line\n" {
		t.Errorf("read back: %v", err)
	}
}

func TestStoreConcurrentReads(t *testing.T) {
	dir := newRepo(t, 20)
	gittest.Git(t, dir, "repack", "-adfq")
	objs := allObjects(t, dir)
	s := NewStore(filepath.Join(dir, ".git"), Options{Cache: cache.NewObjectLRU(16 * cache.KiByte)})
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range objs {
				o := objs[(i+g*7)%len(objs)]
				got, err := s.EncodedObject(plumbing.AnyObject, o.id)
				if err != nil {
					errs <- err
					return
				}
				if got.Size() != o.size {
					errs <- errors.New("size mismatch for " + o.id.String())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStoreClosed(t *testing.T) {
	dir := newRepo(t, 1)
	gittest.Git(t, dir, "repack", "-adq")
	s := NewStore(filepath.Join(dir, ".git"), Options{})
	head := plumbing.NewHash(gittest.Git(t, dir, "rev-parse", "HEAD"))
	if _, err := s.EncodedObject(plumbing.CommitObject, head); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.EncodedObject(plumbing.CommitObject, head); err == nil || errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("read after Close: error = %v, want a closed-store error", err)
	}
}

// failingObject is a blob whose content cannot be read to its end.
type failingObject struct{ plumbing.MemoryObject }

func (f *failingObject) Reader() (io.ReadCloser, error) {
	return io.NopCloser(io.MultiReader(strings.NewReader("half a no"), errReader{})), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// A write that fails leaves no temporary file (go-git's writer left an
// empty tmp_obj_ file in objects/pack), and an object the store has is not
// written again.
func TestStoreFailedWriteLeavesNothing(t *testing.T) {
	dir := newRepo(t, 2)
	s := NewStore(filepath.Join(dir, ".git"), Options{})
	defer s.Close()
	o := &failingObject{}
	o.SetType(plumbing.BlobObject)
	w, _ := o.MemoryObject.Writer()
	io.WriteString(w, "half a note line\n")
	w.Close()
	if _, err := s.SetEncodedObject(o); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("SetEncodedObject = %v, want the read error", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "*", "tmp_obj_*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if err := s.HasEncodedObject(o.Hash()); err == nil {
		t.Fatal("the failed object is in the store")
	}

	// An existing (packed) object: nothing is written.
	head := plumbing.NewHash(gittest.Git(t, dir, "rev-parse", "HEAD"))
	c, err := s.EncodedObject(plumbing.CommitObject, head)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*"))
	if h, err := s.SetEncodedObject(c); err != nil || h != head {
		t.Fatalf("SetEncodedObject(existing) = %s, %v", h, err)
	}
	after, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "??", "*"))
	if len(after) != len(before) {
		t.Fatalf("loose objects went from %d to %d", len(before), len(after))
	}
}
