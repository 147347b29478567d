package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/workflow"
)

// Sink stores a run's events as records of kind Kind in the run's topic:
// the workflow.StateSink of git codex run. Events the scheduler keeps for
// the live view only (step.progress) are not stored.
//
// By default Emit queues the event and returns: a writer goroutine stores
// what has queued up, in order, in one notes commit, so that the scheduler
// never waits for git and events that come together (steps that finish at
// once, a step's end and the next one's start) cost one write. An event is
// in git a linger and a write after it was emitted (about 5 ms); a process
// killed in between loses at most those events, which a resume makes good
// (a step whose finished event is lost is re-checked: its answer is in its
// session's records). Close writes what is left.
type Sink struct {
	Store gitstore.Store
	// Topic is the run's topic (see Topic).
	Topic string
	// Head returns the object records attach to: HEAD's commit, or the
	// empty tree on an unborn branch.
	Head func() (string, error)
	// Sync stores each event before Emit returns (one notes commit each).
	Sync bool
	// Linger is how long the writer waits, once woken, for more events to
	// join the write (a step's finished event and the next one's started
	// come together); 0 means DefaultLinger, negative none.
	Linger time.Duration

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []workflow.Event
	err     error
	started bool
	closing bool
	writes  int
	done    sync.WaitGroup
}

// Emit stores ev (or queues it). It returns the first error a write met,
// so that the scheduler stops a run whose events are not stored.
func (s *Sink) Emit(ev workflow.Event) error {
	if !ev.Kind.Stored() {
		return nil
	}
	if s.Sync {
		return s.write([]workflow.Event{ev})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.closing {
		return fmt.Errorf("store event %s of run %s: the sink is closed", ev.Kind, ev.Run)
	}
	if !s.started {
		s.started = true
		s.cond = sync.NewCond(&s.mu)
		s.done.Add(1)
		go s.loop()
	}
	s.queue = append(s.queue, ev)
	s.cond.Signal()
	return nil
}

// Close stores the events still queued and returns the first error a write
// met. The Sink takes no event after it.
func (s *Sink) Close() error {
	s.mu.Lock()
	s.closing = true
	if s.cond != nil {
		s.cond.Signal()
	}
	s.mu.Unlock()
	s.done.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Writes returns the number of notes commits the sink made.
func (s *Sink) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// DefaultLinger is the Sink's default Linger.
const DefaultLinger = 2 * time.Millisecond

func (s *Sink) loop() {
	defer s.done.Done()
	linger := s.Linger
	if linger == 0 {
		linger = DefaultLinger
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for len(s.queue) == 0 && !s.closing {
			s.cond.Wait()
		}
		if len(s.queue) == 0 {
			return
		}
		if linger > 0 && !s.closing {
			s.mu.Unlock()
			time.Sleep(linger)
			s.mu.Lock()
		}
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		err := s.write(batch)
		s.mu.Lock()
		if err != nil && s.err == nil {
			s.err = err
		}
	}
}

// write stores events in one notes commit.
func (s *Sink) write(events []workflow.Event) error {
	target, err := s.Head()
	if err != nil {
		return fmt.Errorf("store run events: read HEAD: %w", err)
	}
	recs := make([]gitstore.Record, 0, len(events))
	for _, ev := range events {
		r, err := encode(ev, target)
		if err != nil {
			return err
		}
		recs = append(recs, r)
	}
	// The run's context may be cancelled (Ctrl-C): its last events are
	// stored all the same, so that it can be resumed.
	if err := s.Store.Append(context.Background(), s.Topic, target, recs...); err != nil {
		return fmt.Errorf("store %d event(s) of run %s: %w", len(events), events[0].Run, err)
	}
	s.mu.Lock()
	s.writes++
	s.mu.Unlock()
	return nil
}
