package gitstore

import (
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// fanoutThreshold is the number of notes in a flat notes tree above which a
// write converts it to git's 2/38 fan-out layout, so that each later append
// rewrites two small trees instead of one huge one. git reads any layout.
const fanoutThreshold = 256

// addToNote returns the id of a tree that is root with lines merged into
// the note of target. Only the trees on the path to that note are rewritten.
// Notes for target at other fan-out depths are folded into one note.
func (w *treeWriter) addToNote(root plumbing.Hash, target string, lines [][]byte) (plumbing.Hash, error) {
	t, err := w.tree(root)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries := append([]object.TreeEntry(nil), t.Entries...)
	fanned, flatNotes := false, 0
	for _, e := range entries {
		if e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name) {
			fanned = true
		} else if len(e.Name) == 40 {
			flatNotes++
		}
	}
	if !fanned && flatNotes+1 > fanoutThreshold {
		return w.fanOut(entries, target, lines)
	}
	var existing [][]byte
	// Fold a flat note for target, wherever the layout puts the new one.
	kept := entries[:0]
	for _, e := range entries {
		if strings.EqualFold(e.Name, target) && isNoteMode(e.Mode) {
			b, err := w.blob(e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			existing = append(existing, b)
			continue
		}
		kept = append(kept, e)
	}
	entries = kept
	if !fanned {
		data := mergeLines(append(existing, lines...)...)
		bh, err := w.writeBlob(data)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: target, Mode: filemode.Regular, Hash: bh})
		return w.writeTree(entries)
	}
	// 2/38 (or deeper, as git may have written): recurse into target[:2].
	dir := target[:2]
	var sub plumbing.Hash
	kept = entries[:0]
	for _, e := range entries {
		if strings.EqualFold(e.Name, dir) && e.Mode == filemode.Dir {
			sub = e.Hash
			continue
		}
		kept = append(kept, e)
	}
	entries = kept
	newSub, err := w.addToSubtree(sub, target, 2, existing, lines)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: newSub})
	return w.writeTree(entries)
}

// addToSubtree handles a fan-out subtree holding notes whose ids start with
// target[:depth].
func (w *treeWriter) addToSubtree(h plumbing.Hash, target string, depth int, existing, lines [][]byte) (plumbing.Hash, error) {
	t, err := w.tree(h)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	rest := target[depth:]
	var entries []object.TreeEntry
	var deeper plumbing.Hash
	deeperName := ""
	if len(rest) > 2 {
		deeperName = rest[:2]
	}
	hasDeeper := false
	for _, e := range t.Entries {
		switch {
		case strings.EqualFold(e.Name, rest) && isNoteMode(e.Mode):
			b, err := w.blob(e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			existing = append(existing, b)
		case e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name):
			hasDeeper = true
			if strings.EqualFold(e.Name, deeperName) {
				deeper = e.Hash
				continue
			}
			entries = append(entries, e)
		default:
			entries = append(entries, e)
		}
	}
	if hasDeeper && depth < 38 {
		nh, err := w.addToSubtree(deeper, target, depth+2, existing, lines)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, object.TreeEntry{Name: deeperName, Mode: filemode.Dir, Hash: nh})
		return w.writeTree(entries)
	}
	bh, err := w.writeBlob(mergeLines(append(existing, lines...)...))
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries = append(entries, object.TreeEntry{Name: rest, Mode: filemode.Regular, Hash: bh})
	return w.writeTree(entries)
}

// fanOut converts a flat notes tree into the 2/38 layout while adding lines
// to target's note. Non-note entries stay at the root.
func (w *treeWriter) fanOut(entries []object.TreeEntry, target string, lines [][]byte) (plumbing.Hash, error) {
	buckets := map[string][]object.TreeEntry{}
	var root []object.TreeEntry
	var existing [][]byte
	for _, e := range entries {
		if len(e.Name) != 40 || !isHex(e.Name) || !isNoteMode(e.Mode) {
			root = append(root, e)
			continue
		}
		if strings.EqualFold(e.Name, target) {
			b, err := w.blob(e.Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			existing = append(existing, b)
			continue
		}
		name := strings.ToLower(e.Name)
		buckets[name[:2]] = append(buckets[name[:2]], object.TreeEntry{Name: name[2:], Mode: e.Mode, Hash: e.Hash})
	}
	bh, err := w.writeBlob(mergeLines(append(existing, lines...)...))
	if err != nil {
		return plumbing.ZeroHash, err
	}
	buckets[target[:2]] = append(buckets[target[:2]], object.TreeEntry{Name: target[2:], Mode: filemode.Regular, Hash: bh})
	return w.writeFanned(root, buckets)
}

// writeFanned writes a 2/38 notes tree: root's entries and a subtree per
// bucket (the first two hex digits of the objects noted in it).
func (w *treeWriter) writeFanned(root []object.TreeEntry, buckets map[string][]object.TreeEntry) (plumbing.Hash, error) {
	for dir, es := range buckets {
		sh, err := w.writeTree(es)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		root = append(root, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: sh})
	}
	return w.writeTree(root)
}

// nonNotes returns the top-level entries of a notes tree that are neither
// notes nor fan-out directories.
func (w *treeWriter) nonNotes(root plumbing.Hash) ([]object.TreeEntry, error) {
	t, err := w.tree(root)
	if err != nil {
		return nil, err
	}
	var out []object.TreeEntry
	for _, e := range t.Entries {
		fanout := e.Mode == filemode.Dir && len(e.Name) == 2 && isHex(e.Name)
		note := isNoteMode(e.Mode) && len(e.Name) == 40 && isHex(e.Name)
		if !fanout && !note {
			out = append(out, e)
		}
	}
	return out, nil
}

// writeNotesTree writes a whole notes tree from note contents per object,
// flat below fanoutThreshold notes and 2/38 above, with the entries of keep
// (non-notes) at the top.
func (w *treeWriter) writeNotesTree(notes map[string][][]byte, keep []object.TreeEntry) (plumbing.Hash, error) {
	blobs := map[string]plumbing.Hash{}
	for obj, parts := range notes {
		h, err := w.writeBlob(mergeLines(parts...))
		if err != nil {
			return plumbing.ZeroHash, err
		}
		blobs[obj] = h
	}
	if len(blobs) <= fanoutThreshold {
		es := append([]object.TreeEntry(nil), keep...)
		for obj, h := range blobs {
			es = append(es, object.TreeEntry{Name: obj, Mode: filemode.Regular, Hash: h})
		}
		return w.writeTree(es)
	}
	buckets := map[string][]object.TreeEntry{}
	for obj, h := range blobs {
		buckets[obj[:2]] = append(buckets[obj[:2]], object.TreeEntry{Name: obj[2:], Mode: filemode.Regular, Hash: h})
	}
	return w.writeFanned(append([]object.TreeEntry(nil), keep...), buckets)
}
