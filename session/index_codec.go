package session

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"sort"
	"unsafe"

	"github.com/git-codex/git-codex/gitstore"
)

// The index file: a header (magic, format, executable),
// the blob table, then the topics. A topic's summaries (what list shows) are
// one length-prefixed block, decoded only by the commands that show them:
// reply and show read the blob table and the notes, not the summaries of
// thousands of sessions. Integers are varints, strings length-prefixed.
// Object ids are written as their 20 bytes (id), and a string that mostly
// repeats one written before it (a session's opening record is the
// session's id; its last is its first) as a reference to it (same): at
// 10,000 topics the file was 9.3 MB, which list reads in full.

const (
	indexMagic   = "git-codex session index\n"
	indexVersion = 8
)

var errIndexFormat = errors.New("session index: unreadable")

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int)     { e.b = binary.AppendVarint(e.b, int64(v)) }
func (e *encoder) str(s string)  { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) raw(b []byte)  { e.uint(uint64(len(b))); e.b = append(e.b, b...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// id writes an object id: 0 and its 20 bytes for 40 lower-case hex
// digits, else its length + 1 and the string.
func (e *encoder) id(s string) {
	if len(s) == 40 && lowerHex(s) {
		e.b, _ = hex.AppendDecode(append(e.b, 0), []byte(s)) // hex: checked
		return
	}
	e.uint(uint64(len(s)) + 1)
	e.b = append(e.b, s...)
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// same writes s as 0 when it is was (the reader knows was), else as its
// length + 1 and the string.
func (e *encoder) same(s, was string) {
	if s == was {
		e.uint(0)
		return
	}
	e.uint(uint64(len(s)) + 1)
	e.b = append(e.b, s...)
}

type decoder struct {
	b []byte
	// s is the bytes decoding started from as a string (see frozen): str
	// returns parts of it rather than copies.
	s   string
	err error
}

// frozenDecoder decodes b, an index file's bytes as read (see frozen).
func frozenDecoder(b []byte) *decoder { return &decoder{b: b, s: frozen(b)} }

// frozen views b as a string without copying it. Only for the bytes of an
// index file as read, which nothing writes afterwards: the strings decoded
// from them (topics, ids, times, titles of ten thousand sessions) are then
// parts of the file rather than as many allocations, which at 10,000
// topics cost list more than the rest of their decoding. They keep the
// file's bytes alive while any of them is.
func frozen(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errIndexFormat
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errIndexFormat
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

// count reads a length, refusing one larger than what is left (each item
// takes a byte at least).
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.err = errIndexFormat
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return d.take(d.uint()) }

func (d *decoder) bool() bool {
	if d.err != nil || len(d.b) == 0 {
		d.err = errIndexFormat
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v == 1
}

// id reads what encoder.id wrote.
func (d *decoder) id() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if n == 0 {
		if len(d.b) < 20 {
			d.err = errIndexFormat
			return ""
		}
		v := hex.EncodeToString(d.b[:20])
		d.b = d.b[20:]
		return v
	}
	return d.take(n - 1)
}

// same reads what encoder.same wrote.
func (d *decoder) same(was string) string {
	n := d.uint()
	if d.err != nil || n == 0 {
		return was
	}
	return d.take(n - 1)
}

// take reads the next n bytes as a string.
func (d *decoder) take(n uint64) string {
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errIndexFormat
		return ""
	}
	start := len(d.s) - len(d.b)
	d.b = d.b[n:]
	return d.s[start : start+int(n)]
}

// encode writes the index file. A topic untouched since the file was
// read is written from its raw parts.
func (ix *sessionIndex) encode() ([]byte, error) {
	size := 1 << 16
	for _, te := range ix.Topics {
		size += len(te.notesRaw) + len(te.blobsRaw) + len(te.raw) + 256
	}
	e := &encoder{b: make([]byte, 0, size)}
	e.b = append(e.b, indexMagic...)
	e.uint(indexVersion)
	e.str(ix.Binary)
	e.raw(encodeLineCache(ix.linesCache()))
	topics := make([]string, 0, len(ix.Topics))
	for t, te := range ix.Topics {
		if !te.bad { // one that did not decode is built again next time
			topics = append(topics, t)
		}
	}
	sort.Strings(topics)
	e.uint(uint64(len(topics)))
	for _, t := range topics {
		te := ix.Topics[t]
		e.str(t)
		e.uint(uint64(len(te.Heads)))
		for _, h := range te.Heads {
			e.str(h.Ref)
			e.str(h.Remote)
			e.str(h.Commit)
		}
		if te.notesRaw != nil {
			e.raw(te.notesRaw)
		} else {
			e.raw(encodeNotes(te.Notes))
		}
		if te.blobsRaw != nil {
			e.raw(te.blobsRaw)
		} else {
			e.raw(encodeBlobTable(te.blobs, te.notes()))
		}
		e.bool(te.Fresh)
		if te.summaries == nil || te.raw != nil && !te.sumsChanged {
			e.raw(te.raw) // as read: not decoded, or unchanged since
		} else {
			e.raw(encodeSummaries(te.summaries))
		}
	}
	return e.b, nil
}

// encodeNotes writes a topic's notes block.
func encodeNotes(notes []indexNote) []byte {
	e := &encoder{}
	e.uint(uint64(len(notes)))
	for _, n := range notes {
		e.uint(uint64(n.Src))
		e.id(n.Object)
		e.id(n.Blob)
	}
	return e.b
}

// encodeBlobTable writes a topic's blob table block: the blobs of its
// notes, in id order.
func encodeBlobTable(table map[string]*blobInfo, notes []indexNote) []byte {
	used := make([]string, 0, len(notes))
	seen := make(map[string]bool, len(notes))
	for _, n := range notes {
		if !seen[n.Blob] && table[n.Blob] != nil {
			seen[n.Blob] = true
			used = append(used, n.Blob)
		}
	}
	sort.Strings(used)
	e := &encoder{}
	e.uint(uint64(len(used)))
	for _, id := range used {
		b := table[id]
		e.id(id)
		e.str(b.Continues)
		e.bool(b.Warn)
		e.uint(uint64(len(b.Sessions)))
		for _, s := range b.Sessions {
			e.str(s.ID)
			e.uint(uint64(s.Count))
			e.uint(s.Sum)
			e.str(s.First.Time)
			e.same(s.First.ID, s.ID)
			e.same(s.Last.Time, s.First.Time)
			e.same(s.Last.ID, s.First.ID)
		}
	}
	return e.b
}

// encodeSummaries writes a topic's summaries block.
func encodeSummaries(sums map[string]*sessionSummary) []byte {
	ids := make([]string, 0, len(sums))
	for id := range sums {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	e := &encoder{}
	e.uint(uint64(len(ids)))
	for _, id := range ids {
		s := sums[id]
		o := s.Overview
		e.str(id)
		e.uint(s.Foot)
		e.bool(s.HasOpen)
		e.str(o.Engine)
		e.str(o.Model)
		e.str(o.Title)
		e.bool(o.TitleLine == o.Title) // mostly: one line, nothing redacted
		if o.TitleLine != o.Title {
			e.str(o.TitleLine)
		}
		e.str(o.Status)
		e.int(o.Turns)
		e.int(o.Forks)
		e.int(o.Usage.Input)
		e.int(o.Usage.Cached)
		e.int(o.Usage.Output)
		e.int(o.BytesSent)
		e.str(o.Started)
		e.same(s.First.Time, o.Started) // mostly: its opening record
		e.same(s.First.ID, id)
		e.str(o.Last)
		e.str(o.Summary)
		e.str(o.Remote)
		e.uint(uint64(len(s.Costs)))
		model := ""
		for _, c := range s.Costs {
			// The model is written when it changes (a session mostly has one).
			e.bool(c.Model != model)
			if c.Model != model {
				e.str(c.Model)
				model = c.Model
			}
			e.int(c.Usage.Input)
			e.int(c.Usage.Cached)
			e.int(c.Usage.Output)
		}
	}
	return e.b
}

// decodeIndex reads an index file; topics' summaries stay encoded.
func decodeIndex(data []byte) (*sessionIndex, error) {
	if len(data) < len(indexMagic) || string(data[:len(indexMagic)]) != indexMagic {
		return nil, errIndexFormat
	}
	d := frozenDecoder(data[len(indexMagic):])
	if d.uint() != indexVersion {
		return nil, errIndexFormat
	}
	ix := &sessionIndex{Binary: d.str()}
	ix.linesRaw = d.bytes()
	nt := d.count()
	ix.Topics = make(map[string]*topicIndex, nt)
	// One array of entries and one of heads (mostly one a topic) rather
	// than two allocations a topic.
	entries := make([]topicIndex, nt)
	heads := make([]gitstore.NotesSource, 0, nt)
	for i := 0; i < nt && d.err == nil; i++ {
		name := d.str()
		te := &entries[i]
		nh := d.count()
		from := len(heads)
		for j := 0; j < nh && d.err == nil; j++ {
			heads = append(heads, gitstore.NotesSource{Ref: d.str(), Remote: d.str(), Commit: d.str()})
		}
		te.Heads = heads[from:len(heads):len(heads)]
		te.notesRaw = d.bytes()
		te.blobsRaw = d.bytes()
		te.Fresh = d.bool()
		te.raw = d.bytes()
		ix.Topics[name] = te
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errIndexFormat
	}
	return ix, nil
}

// encodeLineCache writes the line cache block, oldest first.
func encodeLineCache(c *lineCache) []byte {
	e := &encoder{}
	e.uint(uint64(len(c.Order)))
	for _, k := range c.Order {
		e.str(k)
		e.str(string(c.Lines[k]))
	}
	return e.b
}

// decodeLineCache reads the line cache block.
func decodeLineCache(raw []byte) (*lineCache, error) {
	c := &lineCache{Lines: map[string][]byte{}}
	if len(raw) == 0 {
		return c, nil
	}
	d := frozenDecoder(raw)
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		k, v := d.str(), d.bytes()
		if _, dup := c.Lines[k]; !dup && d.err == nil {
			c.Lines[k] = v
			c.Order = append(c.Order, k)
			c.size += len(v)
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errIndexFormat
	}
	return c, nil
}

// decodeBlobTable reads the blob table block of an index file.
func decodeBlobTable(raw []byte) (map[string]*blobInfo, error) {
	d := frozenDecoder(raw)
	nb := d.count()
	out := make(map[string]*blobInfo, nb)
	for i := 0; i < nb && d.err == nil; i++ {
		id := d.id()
		b := &blobInfo{Continues: d.str(), Warn: d.bool()}
		ns := d.count()
		b.Sessions = make([]blobSession, 0, ns)
		for j := 0; j < ns && d.err == nil; j++ {
			s := blobSession{ID: d.str(), Count: int(d.uint()), Sum: d.uint()}
			s.First.Time = d.str()
			s.First.ID = d.same(s.ID)
			s.Last.Time = d.same(s.First.Time)
			s.Last.ID = d.same(s.First.ID)
			b.Sessions = append(b.Sessions, s)
		}
		out[id] = b
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errIndexFormat
	}
	return out, nil
}

// decodeNotes reads a topic's notes block; heads is how many sources the
// topic has.
func decodeNotes(raw []byte, heads int) ([]indexNote, error) {
	d := frozenDecoder(raw)
	nn := d.count()
	out := make([]indexNote, 0, nn)
	for j := 0; j < nn && d.err == nil; j++ {
		n := indexNote{Src: int(d.uint()), Object: d.id(), Blob: d.id()}
		if n.Src >= heads {
			d.err = errIndexFormat
		}
		out = append(out, n)
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errIndexFormat
	}
	return out, nil
}

// decodedSummaries returns the topic's summaries, decoding them on first
// use.
func (te *topicIndex) decodedSummaries() (map[string]*sessionSummary, error) {
	if te.summaries != nil {
		return te.summaries, nil
	}
	sums := map[string]*sessionSummary{}
	err := eachSummary(te.raw, &sessionSummary{}, func(s *sessionSummary) {
		c := *s
		c.Costs = slices.Clone(s.Costs)
		sums[s.Overview.ID] = &c
	})
	if err != nil {
		return nil, err
	}
	te.summaries = sums
	return sums, nil
}

// eachSummary decodes a summaries block (an index file's bytes as read),
// calling fn with each session's summary in turn, decoded into s (its
// Costs reused).
func eachSummary(raw []byte, s *sessionSummary, fn func(*sessionSummary)) error {
	d := decoder{b: raw, s: frozen(raw)}
	n := 0
	if len(raw) > 0 {
		n = d.count()
	}
	for i := 0; i < n && d.err == nil; i++ {
		id := d.str()
		*s = sessionSummary{Foot: d.uint(), HasOpen: d.bool(), Costs: s.Costs[:0]}
		o := &s.Overview
		o.ID = id
		o.Engine, o.Model, o.Title = d.str(), d.str(), d.str()
		if o.TitleLine = o.Title; !d.bool() {
			o.TitleLine = d.str()
		}
		o.Status = d.str()
		o.Turns, o.Forks = d.int(), d.int()
		o.Usage = Usage{Input: d.int(), Cached: d.int(), Output: d.int()}
		o.BytesSent = d.int()
		o.Started = d.str()
		s.First = recKey{Time: d.same(o.Started), ID: d.same(id)}
		o.Last, o.Summary, o.Remote = d.str(), d.str(), d.str()
		nc := d.count()
		model := ""
		for j := 0; j < nc && d.err == nil; j++ {
			if d.bool() {
				model = d.str()
			}
			s.Costs = append(s.Costs, costItem{Model: model, Usage: Usage{Input: d.int(), Cached: d.int(), Output: d.int()}})
		}
		if d.err == nil {
			fn(s)
		}
	}
	if d.err != nil || len(d.b) != 0 {
		return errIndexFormat
	}
	return nil
}
