package workflow

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// StepRunner runs steps; the session engine implements it. Run is called
// from several goroutines at once (at most Options.Jobs), each on its own
// topic.
type StepRunner interface {
	// Run performs one attempt of a step: open a session on req.Topic with
	// the structured first message (req.Continue == ""), or continue the
	// session req.Continue with req.Task as the follow-up; then, when the
	// step has a check, run the fix loop (req.Step.Check, req.Step.Max).
	// Before continuing a session it checks the session is healthy (not
	// closed, not forked, its last response still known to the provider)
	// and, when not, restarts it with the context rebuilt from git,
	// reporting Result.Restarted.
	//
	// As soon as it knows the session and turn it writes to, it calls
	// req.Report, so that an interrupted run can re-check the step. When ctx
	// is cancelled it stores what it has (an incomplete answer) and returns.
	// A returned error fails the attempt like a Result with Passed false.
	Run(ctx context.Context, req Request) (Result, error)
}

// Rechecker is implemented by runners that can tell, on a resume, whether a
// step that was running when the run stopped finished after all (its answer
// is in git although the step.finished event is not). When done is false the
// step runs again, with req.Previous set.
type Rechecker interface {
	Recheck(ctx context.Context, req Request) (res Result, done bool, err error)
}

// StateSink receives the run's events in order, from one goroutine. An error
// stops the run: no new step starts, running ones finish, and the error is
// returned (a run whose events are not stored could not be resumed).
type StateSink interface {
	Emit(Event) error
}

// SinkFunc adapts a function to StateSink.
type SinkFunc func(Event) error

// Emit calls f.
func (f SinkFunc) Emit(ev Event) error { return f(ev) }

// Request is one attempt of a step, as the runner gets it.
type Request struct {
	Run     string
	Step    *Step
	Attempt int
	Topic   string
	// Context is the workflow's context files.
	Context []string
	// The step's texts with every {{ … }} rendered.
	Task, Focus, Scope, Expect, Criteria string
	// Continue is the session to continue (the session the reply_to step
	// ended in), or "" to open one.
	Continue string
	// Previous is the step's state when an earlier invocation of the run
	// stopped while it was running (Status Running: killed; Cancelled:
	// interrupted, its partial answer stored), else nil. The runner may
	// continue Previous.Session rather than open a new one.
	Previous *StepState

	report func(Progress)
}

// Report tells the scheduler how a step is going: the session and turn it
// writes to (stored, so a resume can re-check the step) and the usage and
// model so far (for the live view). Safe to call from any goroutine while
// Run has not returned.
func (r Request) Report(p Progress) {
	if r.report != nil {
		r.report(p)
	}
}

// Progress is what a runner reports while a step runs.
type Progress struct {
	Session, Turn string
	Model         string
	Usage         Usage
}

// Result is the outcome of one attempt.
type Result struct {
	Session, Turn string
	Model         string
	// Answer is the final answer's text ({{ steps.ID.answer }}); Summary a
	// short account of it ({{ steps.ID.summary }}; the answer when empty).
	Answer, Summary string
	Usage           Usage
	// Passed: the answer is complete and the check, if any, passed.
	Passed bool
	// Detail says why it did not pass (the check's last output, an error).
	Detail    string
	Restarted bool
}

// Options configure a run.
type Options struct {
	// Jobs bounds the steps running at once; 0 means DefaultJobs.
	Jobs int
	// Branch names the default topics (<branch>/<workflow>/<id>).
	Branch string
	// Blob is the git blob id of the workflow file, recorded in run.started
	// so a resume runs the same file.
	Blob   string
	Runner StepRunner
	// Sink receives the events; nil drops them.
	Sink StateSink
	// NewID makes the run id (the wiring passes gitstore.NewID: 26
	// characters, time-sortable). Required by Start.
	NewID func(time.Time) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultJobs is the default bound on steps running at once.
const DefaultJobs = 4

// ErrStepFailed is returned (wrapped, naming the steps) when a run ends with
// a failed or skipped step.
var ErrStepFailed = errors.New("workflow step failed")

// Start runs a workflow: steps start as soon as the steps they wait for have
// passed, at most opt.Jobs at once, in file order among those ready. It
// returns the final state and nil when every step passed, ErrStepFailed
// when one failed, the context's error when ctx was cancelled (no new step
// starts; running ones get the cancelled context to store what they have),
// or the sink's error. Every returned state can be resumed.
func Start(ctx context.Context, wf *Workflow, opt Options) (*State, error) {
	if opt.NewID == nil {
		return nil, errors.New("start run: no id generator")
	}
	s, err := newScheduler(wf, opt)
	if err != nil {
		return nil, err
	}
	now := s.now()
	s.state = &State{Run: opt.NewID(now), Workflow: wf.Name, File: wf.File, Blob: opt.Blob, Branch: opt.Branch,
		Started: now, Status: Running, Steps: map[string]*StepState{}}
	ids := make([]string, len(wf.Steps))
	for i, st := range wf.Steps {
		s.state.Steps[st.ID] = &StepState{ID: st.ID, Status: Waiting}
		ids[i] = st.ID
	}
	first := Event{Time: now, Kind: EventRunStarted, Workflow: wf.Name, File: wf.File, Blob: opt.Blob, Branch: opt.Branch, Jobs: s.jobs, Steps: ids}
	return s.run(ctx, first)
}

// Resume continues a run from its rebuilt state (Rebuild): passed steps keep
// their outputs and do not run again; a step that was running when the
// process died is re-checked through the runner's Rechecker when it has one,
// and runs again otherwise; failed, skipped and cancelled steps run again.
// The retry budget of when_failed: retry starts afresh. wf must be the
// workflow the run started from (parse the blob State.Blob names). Returns
// as Start does.
func Resume(ctx context.Context, wf *Workflow, prev *State, opt Options) (*State, error) {
	s, err := newScheduler(wf, opt)
	if err != nil {
		return nil, err
	}
	for id := range prev.Steps {
		if wf.Step(id) == nil {
			return nil, fmt.Errorf("resume run %s: step %q is not in the workflow; resume with the file the run started from", prev.Run, id)
		}
	}
	st := &State{Run: prev.Run, Workflow: prev.Workflow, File: prev.File, Blob: prev.Blob, Branch: opt.Branch,
		Started: prev.Started, Status: Running, Steps: map[string]*StepState{}}
	if st.Blob == "" {
		st.Blob = opt.Blob
	}
	s.previous = map[string]*StepState{}
	for _, step := range wf.Steps {
		p := prev.Steps[step.ID]
		switch {
		case p == nil:
			st.Steps[step.ID] = &StepState{ID: step.ID, Status: Waiting}
		case p.Status == Passed:
			c := *p
			st.Steps[step.ID] = &c
		default:
			c := *p
			c.Status = Waiting
			st.Steps[step.ID] = &c
			if p.Status == Running || p.Status == Cancelled {
				pc := *p
				s.previous[step.ID] = &pc
			}
		}
	}
	s.state = st
	first := Event{Time: s.now(), Kind: EventRunResumed, Branch: opt.Branch, Jobs: s.jobs}
	return s.run(ctx, first)
}

type scheduler struct {
	wf       *Workflow
	opt      Options
	jobs     int
	topics   map[string]string
	state    *State
	previous map[string]*StepState // steps interrupted by an earlier invocation

	dependents [][]int
	ready      readyQueue
	running    int
	tries      []int // attempts made by this invocation, by step index
	stopping   bool
	sinkErr    error

	msgs chan message
	quit chan struct{}
}

type message struct {
	step     int
	attempt  int
	progress *Progress
	result   *Result
	err      error
	recheck  bool // result came from Rechecker
}

func newScheduler(wf *Workflow, opt Options) (*scheduler, error) {
	if opt.Runner == nil {
		return nil, errors.New("run workflow: no step runner")
	}
	topics, err := wf.Topics(opt.Branch)
	if err != nil {
		return nil, fmt.Errorf("run workflow %s: %w", wf.Name, err)
	}
	jobs := opt.Jobs
	if jobs <= 0 {
		jobs = DefaultJobs
	}
	n := len(wf.Steps)
	s := &scheduler{wf: wf, opt: opt, jobs: jobs, topics: topics, dependents: make([][]int, n), tries: make([]int, n),
		msgs: make(chan message), quit: make(chan struct{})}
	for i := range wf.Steps {
		for _, d := range wf.deps[i] {
			s.dependents[d] = append(s.dependents[d], i)
		}
	}
	return s, nil
}

func (s *scheduler) now() time.Time {
	if s.opt.Now != nil {
		return s.opt.Now()
	}
	return time.Now()
}

func (s *scheduler) emit(ev Event) {
	ev.Run = s.state.Run
	if ev.Time.IsZero() {
		ev.Time = s.now()
	}
	if ev.Time.After(s.state.Updated) {
		s.state.Updated = ev.Time
	}
	if s.opt.Sink == nil || s.sinkErr != nil {
		return
	}
	if err := s.opt.Sink.Emit(ev); err != nil {
		s.sinkErr = fmt.Errorf("store event %s of run %s: %w", ev.Kind, s.state.Run, err)
		s.stopping = true
	}
}

func (s *scheduler) run(ctx context.Context, first Event) (*State, error) {
	defer close(s.quit)
	s.emit(first)
	for i, step := range s.wf.Steps {
		if s.state.Steps[step.ID].Status == Waiting && s.depsPassed(i) {
			heap.Push(&s.ready, i)
		}
	}
	cancelled := false
	for {
		if ctx.Err() != nil {
			cancelled, s.stopping = true, true
		}
		for !s.stopping && s.running < s.jobs && len(s.ready) > 0 {
			i := heap.Pop(&s.ready).(int)
			if s.state.Steps[s.wf.Steps[i].ID].Status == Waiting { // not skipped meanwhile
				s.launch(ctx, i)
			}
		}
		if s.running == 0 {
			break
		}
		select {
		case m := <-s.msgs:
			s.handle(ctx, m)
		case <-ctx.Done():
			cancelled, s.stopping = true, true
			// Running steps see the same context; wait for them.
			m := <-s.msgs
			s.handle(ctx, m)
		}
	}
	status := Passed
	var failed []string
	for _, step := range s.wf.Steps {
		st := s.state.Steps[step.ID]
		switch st.Status {
		case Failed, Skipped:
			failed = append(failed, step.ID)
			status = Failed
		case Waiting, Cancelled, Running:
			if status == Passed {
				status = Stopped
			}
		}
	}
	if cancelled || s.sinkErr != nil {
		status = Stopped
	}
	s.state.Status = status
	s.emit(Event{Kind: EventRunFinished, Status: status})
	switch {
	case s.sinkErr != nil:
		return s.state, s.sinkErr
	case cancelled:
		return s.state, fmt.Errorf("run %s stopped: %w", s.state.Run, context.Cause(ctx))
	case len(failed) > 0:
		return s.state, fmt.Errorf("run %s: %w: %s", s.state.Run, ErrStepFailed, strings.Join(failed, ", "))
	}
	return s.state, nil
}

func (s *scheduler) depsPassed(i int) bool {
	for _, d := range s.wf.deps[i] {
		if s.state.Steps[s.wf.Steps[d].ID].Status != Passed {
			return false
		}
	}
	return true
}

// launch starts an attempt of step i in its own goroutine.
func (s *scheduler) launch(ctx context.Context, i int) {
	step := s.wf.Steps[i]
	st := s.state.Steps[step.ID]
	st.Attempt++
	s.tries[i]++
	st.Status, st.Topic, st.Started, st.Finished, st.Detail = Running, s.topics[step.ID], s.now(), time.Time{}, ""
	s.running++
	s.emit(Event{Time: st.Started, Kind: EventStepStarted, Step: step.ID, Attempt: st.Attempt, Topic: st.Topic})

	output := func(id, field string) string { return s.state.Steps[id].Output(field) }
	req := Request{
		Run: s.state.Run, Step: step, Attempt: st.Attempt, Topic: st.Topic, Context: s.wf.Context,
		Task: step.Task.Render(output), Focus: step.Focus.Render(output), Scope: step.Scope.Render(output),
		Expect: step.Expect.Render(output), Criteria: step.Criteria.Render(output),
	}
	if step.ReplyTo != "" {
		req.Continue = s.state.Steps[step.ReplyTo].Session
	}
	prev := s.previous[step.ID]
	delete(s.previous, step.ID)
	req.Previous = prev
	attempt := st.Attempt
	var mu sync.Mutex
	finished := false
	req.report = func(p Progress) {
		mu.Lock()
		done := finished
		mu.Unlock()
		if done {
			return
		}
		s.send(message{step: i, attempt: attempt, progress: &p})
	}
	go func() {
		var (
			res     Result
			err     error
			recheck bool
		)
		if rc, ok := s.opt.Runner.(Rechecker); ok && prev != nil && prev.Status == Running {
			var done bool
			res, done, err = rc.Recheck(ctx, req)
			recheck = done && err == nil
		}
		if !recheck {
			res, err = s.opt.Runner.Run(ctx, req)
		}
		mu.Lock()
		finished = true
		mu.Unlock()
		s.send(message{step: i, attempt: attempt, result: &res, err: err, recheck: recheck})
	}()
}

// send hands a message to the scheduler's loop; it gives up once the run is
// over (a runner that reports after Run returned).
func (s *scheduler) send(m message) {
	select {
	case s.msgs <- m:
	case <-s.quit:
	}
}

func (s *scheduler) handle(ctx context.Context, m message) {
	step := s.wf.Steps[m.step]
	st := s.state.Steps[step.ID]
	if m.progress != nil {
		p := m.progress
		if (p.Session != "" && p.Session != st.Session) || (p.Turn != "" && p.Turn != st.Turn) {
			if p.Session != "" {
				st.Session = p.Session
			}
			if p.Turn != "" {
				st.Turn = p.Turn
			}
			s.emit(Event{Kind: EventStepSession, Step: step.ID, Attempt: m.attempt, Topic: st.Topic, Session: st.Session, Turn: st.Turn})
		}
		if !p.Usage.IsZero() || p.Model != "" {
			u := p.Usage
			s.emit(Event{Kind: EventStepProgress, Step: step.ID, Attempt: m.attempt, Model: p.Model, Usage: &u})
		}
		return
	}
	s.running--
	res := *m.result
	st.Finished = s.now()
	st.Usage = st.Usage.Add(res.Usage)
	if res.Session != "" {
		st.Session, st.Turn = res.Session, res.Turn
	}
	st.Model, st.Answer, st.Summary, st.Restarted = res.Model, res.Answer, res.Summary, res.Restarted
	st.Detail = res.Detail
	switch {
	case m.err == nil && res.Passed:
		st.Status = Passed
		if m.recheck {
			st.Detail = "finished before the run stopped (re-checked)"
		}
	case ctx.Err() != nil:
		st.Status = Cancelled
		if st.Detail == "" {
			st.Detail = "interrupted"
		}
	default:
		st.Status = Failed
		if m.err != nil {
			st.Detail = m.err.Error()
		}
		if st.Detail == "" {
			st.Detail = "the step did not pass"
		}
	}
	retry := st.Status == Failed && step.WhenFailed == Retry && s.tries[m.step] <= step.Retries && !s.stopping
	detail := st.Detail
	if retry {
		detail += fmt.Sprintf("; retrying (%d of %d)", s.tries[m.step], step.Retries)
	}
	u := res.Usage
	s.emit(Event{Time: st.Finished, Kind: EventStepFinished, Step: step.ID, Attempt: m.attempt, Status: st.Status, Topic: st.Topic,
		Session: st.Session, Turn: st.Turn, Model: res.Model, Usage: &u, Answer: res.Answer, Summary: res.Summary,
		Detail: detail, Restarted: res.Restarted})
	switch {
	case st.Status == Passed:
		for _, d := range s.dependents[m.step] {
			if s.state.Steps[s.wf.Steps[d].ID].Status == Waiting && s.depsPassed(d) {
				heap.Push(&s.ready, d)
			}
		}
	case retry:
		st.Status = Waiting
		heap.Push(&s.ready, m.step)
	case st.Status == Failed && step.WhenFailed == Continue:
		s.skipDependents(m.step, step.ID)
	case st.Status == Failed:
		s.stopping = true
	}
}

// skipDependents marks every waiting step that waits for step i, directly or
// not, skipped.
func (s *scheduler) skipDependents(i int, failed string) {
	for j, step := range s.wf.Steps {
		st := s.state.Steps[step.ID]
		if st.Status != Waiting || !s.wf.reach[j].has(i) {
			continue
		}
		st.Attempt++
		st.Status, st.Finished = Skipped, s.now()
		st.Detail = fmt.Sprintf("waits for failed step %s", failed)
		s.emit(Event{Time: st.Finished, Kind: EventStepFinished, Step: step.ID, Attempt: st.Attempt, Status: Skipped, Detail: st.Detail})
	}
}

// readyQueue holds the indexes of steps ready to start, smallest (first in
// the file) first.
type readyQueue []int

func (q readyQueue) Len() int           { return len(q) }
func (q readyQueue) Less(i, j int) bool { return q[i] < q[j] }
func (q readyQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *readyQueue) Push(x any)        { *q = append(*q, x.(int)) }
func (q *readyQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
