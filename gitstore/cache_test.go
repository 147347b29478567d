package gitstore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Derived files live under <common dir>/codex/, are replaced whole, and
// their names cannot leave that directory.
func TestCacheFiles(t *testing.T) {
	r := openRepo(t, newRepo(t))
	if _, err := r.ReadCache("history-index"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadCache of a missing file = %v", err)
	}
	for _, data := range []string{"first version, longer", "second"} {
		if err := r.WriteCache("history-index", []byte(data)); err != nil {
			t.Fatal(err)
		}
		if got, err := r.ReadCache("history-index"); err != nil || string(got) != data {
			t.Fatalf("ReadCache = %q, %v; want %q", got, err, data)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(r.CommonDir(), "codex", "*")); len(m) != 1 {
		t.Errorf("cache dir holds %v, want the one file", m)
	}
	for _, bad := range []string{"", "..", "../config", "a/b"} {
		if err := r.WriteCache(bad, nil); err == nil {
			t.Errorf("WriteCache(%q) accepted", bad)
		}
	}
}

// A cache file damaged on disk reads as damaged, never as other data; a
// temporary file a killed writer left is removed by a later write once it
// is old.
func TestCacheDamageAndLeftovers(t *testing.T) {
	r := openRepo(t, newRepo(t))
	if err := r.WriteCache("session-index", []byte("what the index holds")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(r.CommonDir(), "codex", "session-index")
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range good {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x04
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := r.ReadCache("session-index"); !errors.Is(err, ErrCacheDamaged) {
			t.Fatalf("byte %d flipped: ReadCache = %q, %v; want ErrCacheDamaged", i, got, err)
		}
	}
	for _, cut := range []int{0, 3, len(good) - 1} {
		os.WriteFile(p, good[:cut], 0o644)
		if _, err := r.ReadCache("session-index"); !errors.Is(err, ErrCacheDamaged) {
			t.Fatalf("cut to %d bytes: ReadCache = %v; want ErrCacheDamaged", cut, err)
		}
	}
	left := filepath.Join(r.CommonDir(), "codex", ".session-index-123")
	recent := filepath.Join(r.CommonDir(), "codex", ".session-index-456")
	for _, f := range []string{left, recent} {
		if err := os.WriteFile(f, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * cacheTempAge)
	os.Chtimes(left, old, old)
	if err := r.WriteCache("session-index", []byte("again")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an old temporary file is still there: %v", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("a recent temporary file (a writer at work) was removed: %v", err)
	}
}
