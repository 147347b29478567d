package mcpserver

import (
	"context"
	"sync"
)

// locks are in-process mutexes by name: one per session (two calls on one
// session never fork it by accident) and one per topic (codex and delegate
// open the topic's current session). Calls on other names run in parallel.
// They do not reach other processes: two MCP servers replying to one
// session at once fork it, visibly, as two clones would (SPEC §4.2).
type locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	ch   chan struct{} // holds a token while the lock is taken
	refs int           // holders and waiters; the entry goes at 0
}

// lock takes the lock of name, waiting until it is free or ctx is done.
// The returned function releases it (once).
func (l *locks) lock(ctx context.Context, name string) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*lockEntry{}
	}
	e := l.m[name]
	if e == nil {
		e = &lockEntry{ch: make(chan struct{}, 1)}
		l.m[name] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.ch <- struct{}{}:
	case <-ctx.Done():
		l.drop(name, e)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.ch
			l.drop(name, e)
		})
	}, nil
}

func (l *locks) drop(name string, e *lockEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.m, name)
	}
}

// size is the number of names with holders or waiters (for tests).
func (l *locks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
