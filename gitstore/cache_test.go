package gitstore

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
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
