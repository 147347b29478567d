// Package packidx gives go-git fast, low-memory access to large repositories:
// Index reads a version 2 pack index (.idx) lazily through a read-only memory
// map — fan-out table, binary search in the name table, 32- or 64-bit offset —
// instead of decoding every entry into memory as go-git's MemoryIndex does,
// and Store is a storer.EncodedObjectStorer that finds objects in packs
// through such indexes (and in loose objects and alternates), leaving pack
// parsing and delta resolution to go-git's packfile reader.
//
// It is part of the gitstore layer and may import go-git. It must not know
// about notes, sessions, topics or the command line, and it never writes to
// a pack or an index: new objects are written loose through go-git.
package packidx
