package history

import (
	"bytes"
	"encoding/gob"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// The history index cache keeps what LoadIndex read of each notes commit —
// the records by annotated object and the skipped-line warnings — and the
// headers of the noted commits in
// <git common dir>/codex/history-index, so that log, pr-summary and
// reattach do not read and parse every note of every topic on every run
// (on a large repository, most of their time).
//
// It is a derived index in the sense of the storage rules: an entry is
// keyed by the notes commit it was read from, an immutable id, so it is
// used only while a topic ref (local, or fetched from a remote) still points
// there, and a local ref and its tracking ref at the same commit share one
// entry; the whole file is keyed by the git-codex executable that wrote it,
// so a new build never trusts what an older reader made of the notes. It is
// never written to git, never pushed, ignored when unreadable, rewritten
// whole (a temporary file renamed over it, so concurrent runs leave one
// complete file), and deleting it loses nothing.

// indexCacheVersion changes when the cached shape changes.
const indexCacheVersion = 3

type indexCache struct {
	Version int
	Binary  string
	Notes   map[string]cachedNotes // by notes commit
	// Commits holds the headers (without bodies) of the noted commits
	// that existed when they were read: immutable, but a commit can be
	// collected since, which readers check before relying on it.
	Commits map[string]gitstore.Commit
}

type cachedNotes struct {
	ByObject map[string][]session.Record
	Warnings []gitstore.Warning
}

func newIndexCache() *indexCache {
	return &indexCache{Version: indexCacheVersion, Binary: binaryID(), Notes: map[string]cachedNotes{}}
}

// cacheName is the cache's file name, under <git common dir>/codex/.
const cacheName = "history-index"

// cacheFile is where the cache is kept; *gitstore.Repo implements it.
type cacheFile interface {
	ReadCache(name string) ([]byte, error)
	WriteCache(name string, data []byte) error
}

// readIndexCache returns the cache, or an empty one when there is none, it
// does not decode, or another executable wrote it.
func readIndexCache(repo cacheFile) *indexCache {
	empty := newIndexCache()
	if empty.Binary == "" {
		return empty
	}
	data, err := repo.ReadCache(cacheName)
	if err != nil {
		return empty
	}
	var c indexCache
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&c); err != nil || c.Version != indexCacheVersion || c.Binary != empty.Binary || c.Notes == nil {
		return empty
	}
	return &c
}

// writeIndexCache replaces the cache file with c. It is best effort: a
// read-only repository just goes without.
func writeIndexCache(repo cacheFile, c *indexCache) {
	if c.Binary == "" {
		return
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c); err != nil {
		return
	}
	_ = repo.WriteCache(cacheName, buf.Bytes())
}

// binaryID names the running executable (gitstore.BuildID): "" turns the
// cache off.
func binaryID() string { return gitstore.BuildID() }
