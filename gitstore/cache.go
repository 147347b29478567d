package gitstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// BuildID names the running executable (its path, size and modification
// time), "" when unknown. A derived file records the build that wrote it
// and is not trusted by another: a new build may read the notes
// differently. "" turns such files off.
func BuildID() string { return buildID() }

var buildID = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d", exe, fi.Size(), fi.ModTime().UnixNano())
})

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

// A cache file ends with a trailer: the CRC-32C of what precedes it and
// cacheTrailer, so that a file damaged on disk (a torn copy, flipped
// bits) reads as missing rather than as wrong data.
const cacheTrailer = "codex-crc"

// castagnoli is the CRC-32C table, made on first use (crc32 keeps it) rather
// than at every process's start.
func castagnoli() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// ErrCacheDamaged is ReadCache's error for a file whose trailer does not
// match its content.
var ErrCacheDamaged = errors.New("cache file damaged")

// ReadCache returns the content of the derived file name under <common git
// dir>/codex/. A file that does not exist is an error satisfying
// errors.Is(err, fs.ErrNotExist); a damaged one, ErrCacheDamaged.
func (r *Repo) ReadCache(name string) ([]byte, error) {
	p, err := r.cachePath(name)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	n := len(data) - 4 - len(cacheTrailer)
	if n < 0 || string(data[n+4:]) != cacheTrailer || binary.BigEndian.Uint32(data[n:]) != crc32.Checksum(data[:n], castagnoli()) {
		return nil, fmt.Errorf("read cache %s: %w", name, ErrCacheDamaged)
	}
	return data[:n:n], nil
}

// cacheTempAge is the age from which a temporary cache file is taken to
// be left by a killed writer and removed.
const cacheTempAge = time.Hour

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
	sweepCacheTemps(filepath.Dir(p), name)
	trailer := binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, castagnoli()))
	_, err = f.Write(data)
	if err == nil {
		_, err = f.Write(append(trailer, cacheTrailer...))
	}
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

// sweepCacheTemps removes the temporary files of cache file name that
// writers killed before their rename left in dir.
func sweepCacheTemps(dir, name string) {
	old, _ := filepath.Glob(filepath.Join(dir, "."+name+"-*"))
	for _, f := range old {
		if fi, err := os.Lstat(f); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > cacheTempAge {
			_ = os.Remove(f)
		}
	}
}
