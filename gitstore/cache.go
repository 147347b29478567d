package gitstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cacheDir is where derived files live, under the common git dir: data that
// git codex computes from the notes to save time, never the source of truth,
// never pushed, and safe to delete.
const cacheDir = "codex"

// cachePath returns the path of cache file name (a plain file name).
func (r *Repo) cachePath(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", fmt.Errorf("cache file %q: not a file name", name)
	}
	return filepath.Join(r.commonDir, cacheDir, name), nil
}

// ReadCache returns the content of the derived file name under <common git
// dir>/codex/. A file that does not exist is an error satisfying
// errors.Is(err, fs.ErrNotExist).
func (r *Repo) ReadCache(name string) ([]byte, error) {
	p, err := r.cachePath(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// WriteCache replaces the derived file name under <common git dir>/codex/
// with data: written to a temporary file and renamed over it, so that
// readers and concurrent writers see one complete file, old or new.
func (r *Repo) WriteCache(name string, data []byte) error {
	p, err := r.cachePath(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write cache %s: %w", name, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+name+"-*")
	if err != nil {
		return fmt.Errorf("write cache %s: %w", name, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write cache %s: %w", name, err)
	}
	return nil
}
