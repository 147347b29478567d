package history

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"maps"
	"slices"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// notesView is what Log reads of the notes of every topic: the layout of
// each notes tree (which blob notes which object: paths, no blob read), what
// each note blob holds in brief (blobFacts, kept in the notes facts cache),
// and the records of only the objects and sessions it is asked for. So `log
// -n 5` reads the notes of five commits and the sessions of their turns,
// not every record of every topic.
type notesView struct {
	ctx   context.Context
	notes noteReader
	srcs  []noteSource
	// at maps a noted object to its notes: a continuation note is listed
	// on the object it continues.
	at    map[string][]noteLoc
	facts map[string]*blobFacts
	// lists and heads are the notes of each notes commit and the commit
	// of each ref, for the cache.
	lists map[string][]gitstore.NoteBlob
	heads map[string]string
	// recs holds the records read, by object; sessions those read by
	// session.
	recs     map[string][]session.Record
	sessions map[string][]session.Record
	warnings []gitstore.Warning
	err      error
}

// noteReader lists notes refs and reads notes trees and note blobs;
// *gitstore.NotesStore implements it.
type noteReader interface {
	Sources(ctx context.Context, topics ...string) (map[string][]gitstore.NotesSource, error)
	ListNotes(ctx context.Context, id string) ([]gitstore.NoteBlob, error)
	DiffNotes(ctx context.Context, from, to string) (removed, added []gitstore.NoteBlob, err error)
	ReadNote(ctx context.Context, blob string, ids ...string) (gitstore.Note, error)
}

// noteSource is one notes commit read: a topic ref, local or fetched.
type noteSource struct{ ref, topic, commit string }

// noteLoc is one note of an object: the source listing it and its blob.
type noteLoc struct {
	src  int
	blob string
}

// blobFacts is what one note blob holds, in brief. A blob never changes,
// so neither do they.
type blobFacts struct {
	// Continues is the object a continuation note continues.
	Continues string
	// Sessions are the sessions with records in it, sorted.
	Sessions []string
	// PatchIDs maps the commits its records were attached to onto the
	// patch-id they carry for them.
	PatchIDs map[string]string
	// Keys are the idKey of its records, 8 bytes each (little-endian).
	Keys []byte
	// Warnings are what a reader skips in it (Ref and Object empty).
	Warnings []gitstore.Warning
	// unreadable: the blob could not be read this time (never cached).
	unreadable bool
}

// notesFactsVersion changes when blobFacts or notesFacts change shape.
const notesFactsVersion = 1

// notesFacts is the notes facts cache, <git common dir>/codex/history-notes,
// so that the history views do not read every note on every run (on a
// large repository, most of their time). It is a derived index in the sense
// of the storage rules: its entries are keyed by immutable ids (the blob a
// brief was learned from, the notes commit a list was read from, the commit
// a header belongs to), the whole file by the git-codex executable that
// wrote it (a new build never trusts what an older reader made of the
// notes); it is never written to git, never pushed, ignored when
// unreadable, rewritten whole (a temporary file renamed over it, so
// concurrent runs leave one complete file), and deleting it loses nothing.
type notesFacts struct {
	Version int
	Binary  string
	Blobs   map[string]*blobFacts
	// Commits holds the headers (without bodies) of the noted commits
	// that existed when they were read: immutable, but a commit can be
	// collected since, which readers check before relying on it.
	Commits map[string]gitstore.Commit
	// Notes lists the notes of each notes commit read, and Heads the notes
	// commit each ref pointed at then: a ref that moved is listed by
	// comparing its old and new trees (DiffNotes), not read whole.
	Notes map[string][]gitstore.NoteBlob
	Heads map[string]string
}

const notesFactsName = "history-notes"

// cacheFile is where the cache is kept; *gitstore.Repo implements it.
type cacheFile interface {
	ReadCache(name string) ([]byte, error)
	WriteCache(name string, data []byte) error
}

// binaryID names the running executable (gitstore.BuildID): "" turns the
// cache off.
func binaryID() string { return gitstore.BuildID() }

// readNotesFacts returns the cache, or an empty one when there is none, it
// does not decode, or another executable wrote it.
func readNotesFacts(repo cacheFile) *notesFacts {
	empty := &notesFacts{Version: notesFactsVersion, Binary: binaryID(), Blobs: map[string]*blobFacts{}}
	if empty.Binary == "" {
		return empty
	}
	data, err := repo.ReadCache(notesFactsName)
	if err != nil {
		return empty
	}
	var f notesFacts
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil || f.Version != notesFactsVersion || f.Binary != empty.Binary || f.Blobs == nil {
		return empty
	}
	return &f
}

// writeNotesFacts replaces the cache file with f. It is best effort: a
// read-only repository just goes without.
func writeNotesFacts(repo cacheFile, f *notesFacts) {
	if f.Binary == "" {
		return
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(f); err != nil {
		return
	}
	_ = repo.WriteCache(notesFactsName, buf.Bytes())
}

// openNotesView lists the notes of every topic reader reads (the local
// refs and, from a NotesStore WithRemotes, the fetched ones) and learns the
// facts of the blobs cache lacks, reading each once. It reports whether the
// cache should be written back: something was learned, or something the
// cache holds is gone from every topic.
func openNotesView(ctx context.Context, reader noteReader, cache *notesFacts) (*notesView, bool, error) {
	srcs, err := listSources(ctx, reader)
	if err != nil {
		return nil, false, err
	}
	v := &notesView{ctx: ctx, notes: reader, at: map[string][]noteLoc{}, facts: map[string]*blobFacts{},
		recs: map[string][]session.Record{}, sessions: map[string][]session.Record{},
		lists: map[string][]gitstore.NoteBlob{}, heads: map[string]string{}}
	seen := map[string]bool{}
	learned := false
	for _, src := range srcs {
		if seen[src.commit] {
			continue // a tracking ref where the local ref is: the same notes
		}
		seen[src.commit] = true
		i := len(v.srcs)
		v.srcs = append(v.srcs, src)
		v.heads[src.ref] = src.commit
		list, ok := cache.Notes[src.commit]
		if !ok {
			if list, err = listNotes(ctx, reader, cache, src); err != nil {
				return nil, false, fmt.Errorf("read topic %s: %w", src.topic, err)
			}
			learned = true
		}
		v.lists[src.commit] = list
		for _, nb := range list {
			f, ok := v.facts[nb.Blob]
			if !ok {
				if f, ok = cache.Blobs[nb.Blob]; !ok {
					if f, err = learnBlob(ctx, reader, nb.Blob); err != nil {
						if ctx.Err() != nil {
							return nil, false, ctx.Err()
						}
						// As ReadCommit: an unreadable note is a warning,
						// and not a fact to keep (a later fetch may bring
						// the blob).
						f = &blobFacts{Warnings: []gitstore.Warning{{Reason: "unreadable note: " + err.Error()}}, unreadable: true}
					} else {
						learned = true
					}
				}
				v.facts[nb.Blob] = f
			}
			obj := nb.Object
			if f.Continues != "" {
				obj = f.Continues
			}
			v.at[obj] = append(v.at[obj], noteLoc{i, nb.Blob})
			for _, w := range f.Warnings {
				w.Ref, w.Object = src.ref, obj
				v.warnings = append(v.warnings, w)
			}
		}
	}
	if len(v.facts) != len(cache.Blobs) || len(v.lists) != len(cache.Notes) || len(v.heads) != len(cache.Heads) {
		learned = true // some are gone
	}
	return v, learned, nil
}

// listSources lists the notes commits of every topic, by topic, the local
// ref before the fetched ones (gitstore.NotesStore.Sources).
func listSources(ctx context.Context, reader noteReader) ([]noteSource, error) {
	byTopic, err := reader.Sources(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var srcs []noteSource
	for _, topic := range slices.Sorted(maps.Keys(byTopic)) {
		for _, s := range byTopic[topic] {
			srcs = append(srcs, noteSource{s.Ref, topic, s.Commit})
		}
	}
	return srcs, nil
}

// listNotes lists the notes of src's notes commit: from those of the
// commit its ref pointed at before, when the cache has them, by comparing
// the two trees; else by reading the tree.
func listNotes(ctx context.Context, reader noteReader, cache *notesFacts, src noteSource) ([]gitstore.NoteBlob, error) {
	if prev, ok := cache.Heads[src.ref]; ok {
		if have, ok := cache.Notes[prev]; ok {
			removed, added, err := reader.DiffNotes(ctx, prev, src.commit)
			if err == nil {
				return gitstore.ApplyNoteDiff(have, removed, added), nil
			}
			// The old commit may be gone (gc after a forced update).
		}
	}
	return reader.ListNotes(ctx, src.commit)
}

// learnBlob reads a note blob whole and sums it up.
func learnBlob(ctx context.Context, reader noteReader, blob string) (*blobFacts, error) {
	note, err := reader.ReadNote(ctx, blob)
	if err != nil {
		return nil, err
	}
	f := &blobFacts{Continues: note.Continues, Warnings: note.Warnings, Keys: make([]byte, 0, 8*len(note.Records))}
	for _, g := range note.Records {
		r, err := session.Decode(g)
		if err != nil {
			f.Warnings = append(f.Warnings, gitstore.Warning{Record: g.ID, Reason: "skipped malformed record: " + text.Cut(err.Error(), 80)})
			continue
		}
		f.Keys = binary.LittleEndian.AppendUint64(f.Keys, idKey(r.ID))
		if r.Session != "" && !slices.Contains(f.Sessions, r.Session) {
			f.Sessions = append(f.Sessions, r.Session)
		}
		if r.PatchID != "" && r.Commit != "" {
			if f.PatchIDs == nil {
				f.PatchIDs = map[string]string{}
			}
			if _, ok := f.PatchIDs[r.Commit]; !ok {
				f.PatchIDs[r.Commit] = r.PatchID
			}
		}
	}
	slices.Sort(f.Sessions)
	return f, nil
}

// factsCache is what the view knows, to write back: the facts of the blobs
// of every topic now.
func (v *notesView) factsCache(commits map[string]gitstore.Commit) *notesFacts {
	blobs := make(map[string]*blobFacts, len(v.facts))
	for id, f := range v.facts {
		if !f.unreadable {
			blobs[id] = f
		}
	}
	return &notesFacts{Version: notesFactsVersion, Binary: binaryID(), Blobs: blobs, Commits: commits,
		Notes: v.lists, Heads: v.heads}
}

func (v *notesView) objects() []string { return slices.Collect(maps.Keys(v.at)) }

func (v *notesView) has(obj string) bool { return len(v.at[obj]) > 0 }

func (v *notesView) patchID(obj string) string {
	for _, l := range v.at[obj] {
		if pid := v.facts[l.blob].PatchIDs[obj]; pid != "" {
			return pid
		}
	}
	return ""
}

func (v *notesView) recordKeys(obj string) []uint64 {
	var out []uint64
	for _, l := range v.at[obj] {
		keys := v.facts[l.blob].Keys
		for i := 0; i+8 <= len(keys); i += 8 {
			out = append(out, binary.LittleEndian.Uint64(keys[i:]))
		}
	}
	return out
}

// records reads obj's records from its notes in every topic, sorted and
// each once, with Topic filled in from the ref where a line lacks it. A
// note that cannot be read is left out with a warning; when the context
// ends, v.err says so.
func (v *notesView) records(obj string) []session.Record {
	if recs, ok := v.recs[obj]; ok {
		return recs
	}
	var recs []session.Record
	for _, l := range v.at[obj] {
		recs = append(recs, v.read(l, obj)...)
	}
	recs = uniqueSorted(recs)
	v.recs[obj] = recs
	return recs
}

// sessionRecords reads the records of sessions ids from the notes whose
// facts name them, each once (the first copy read, local topics first).
func (v *notesView) sessionRecords(ids []string) map[string][]session.Record {
	want := map[string]bool{}
	for _, id := range ids {
		if _, ok := v.sessions[id]; !ok {
			want[id] = true
			v.sessions[id] = nil
		}
	}
	if len(want) > 0 {
		seen := map[string]bool{}
		take := func(r session.Record) {
			if want[r.Session] && !seen[r.ID] {
				seen[r.ID] = true
				v.sessions[r.Session] = append(v.sessions[r.Session], r)
			}
		}
		for _, obj := range slices.Sorted(maps.Keys(v.at)) {
			if recs, ok := v.recs[obj]; ok {
				// Read whole already.
				for _, r := range recs {
					take(r)
				}
				continue
			}
			for _, l := range v.at[obj] {
				var hit []string
				for _, s := range v.facts[l.blob].Sessions {
					if want[s] {
						hit = append(hit, s)
					}
				}
				if hit == nil {
					continue
				}
				for _, r := range v.read(l, obj, hit...) {
					take(r)
				}
			}
		}
		for id := range want {
			session.SortRecords(v.sessions[id])
		}
	}
	out := make(map[string][]session.Record, len(ids))
	for _, id := range ids {
		out[id] = v.sessions[id]
	}
	return out
}

// read decodes the records of one note (with ids, only the lines naming
// one of them), as notes on obj. Warnings were taken from the facts.
func (v *notesView) read(l noteLoc, obj string, ids ...string) []session.Record {
	if v.err != nil {
		return nil
	}
	src := v.srcs[l.src]
	note, err := v.notes.ReadNote(v.ctx, l.blob, ids...)
	if err != nil {
		if v.ctx.Err() != nil {
			v.err = v.ctx.Err()
		} else if !v.facts[l.blob].unreadable { // else warned about already
			v.warnings = append(v.warnings, gitstore.Warning{Ref: src.ref, Object: obj, Reason: "unreadable note: " + err.Error()})
		}
		return nil
	}
	out := make([]session.Record, 0, len(note.Records))
	for _, g := range note.Records {
		g.NoteObject = obj
		r, err := session.Decode(g)
		if err != nil {
			continue // warned about with the facts
		}
		if r.Topic == "" {
			r.Topic = src.topic
		}
		out = append(out, r)
	}
	return out
}
