package gitstore

import (
	"context"
	"sort"
	"strings"
	"sync"
)

// MemoryStore is a Store kept in memory, for tests of the layers above. It
// follows the same rules as NotesStore: redaction, canonical lines,
// union semantics per note.
type MemoryStore struct {
	mu      sync.Mutex
	notes   map[string]map[string][]byte // topic → object → note
	secrets []string
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{notes: map[string]map[string][]byte{}}
}

// AddSecrets names literal values never to be written, as Repo.AddSecrets
// does for a NotesStore.
func (m *MemoryStore) AddSecrets(values ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			m.secrets = append(m.secrets, v)
		}
	}
}

// Append implements Store.
func (m *MemoryStore) Append(ctx context.Context, topic, target string, recs ...Record) error {
	if err := ValidateTopic(topic); err != nil {
		return err
	}
	target, err := normalizeTarget(topic, target)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	lines, err := scrubRecords(recs, m.secrets)
	if err != nil || len(lines) == 0 {
		return err
	}
	if m.notes[topic] == nil {
		m.notes[topic] = map[string][]byte{}
	}
	m.notes[topic][target] = mergeLines(append([][]byte{m.notes[topic][target]}, lines...)...)
	return nil
}

// Read implements Store.
func (m *MemoryStore) Read(ctx context.Context, topic string) ([]Record, []Warning, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	byObj := map[string][]Record{}
	var warns []Warning
	for obj, data := range m.notes[topic] {
		recs, ws := ParseNote(data)
		for i := range recs {
			recs[i].NoteObject = obj
		}
		for i := range ws {
			ws[i].Ref, ws[i].Object = topic, obj
		}
		byObj[obj] = recs
		warns = append(warns, ws...)
	}
	return flattenCopies(byObj), warns, nil
}

// Topics implements Store.
func (m *MemoryStore) Topics(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for t := range m.notes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

var (
	_ Store = (*MemoryStore)(nil)
	_ Store = (*NotesStore)(nil)
)
