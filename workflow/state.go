package workflow

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Status is where a step (or a run) is.
type Status string

// Step statuses: waiting → running → passed, failed, skipped or cancelled.
// A run is running, passed, failed or stopped.
const (
	Waiting   Status = "waiting"
	Running   Status = "running"
	Passed    Status = "passed"
	Failed    Status = "failed"
	Skipped   Status = "skipped"   // a step it waits for failed (when_failed: continue)
	Cancelled Status = "cancelled" // interrupted while running; resumable
	Stopped   Status = "stopped"   // a run interrupted before its end; resumable
)

// Done reports whether a step in this status has finished for this run
// invocation. Only Passed counts as done for a resume.
func (s Status) Done() bool {
	return s == Passed || s == Failed || s == Skipped || s == Cancelled
}

// EventKind names what an Event records.
type EventKind string

// Event kinds. All but EventStepProgress are meant to be stored: they are
// what Rebuild needs to resume a run.
const (
	// EventRunStarted opens a run: Workflow, File, Blob, Branch, Jobs, Steps.
	EventRunStarted EventKind = "run.started"
	// EventRunResumed marks a resume of the run (Jobs, Branch).
	EventRunResumed EventKind = "run.resumed"
	// EventStepStarted: a step's attempt began (Step, Attempt, Topic).
	EventStepStarted EventKind = "step.started"
	// EventStepSession: the runner named the session and turn it writes to
	// (Session, Turn), so that a resume can re-check the step.
	EventStepSession EventKind = "step.session"
	// EventStepProgress: usage so far and the model (for a live view only).
	EventStepProgress EventKind = "step.progress"
	// EventStepFinished: the attempt ended (Status and the outputs).
	EventStepFinished EventKind = "step.finished"
	// EventRunFinished: the run ended (Status: passed, failed or stopped).
	EventRunFinished EventKind = "run.finished"
)

// Stored reports whether events of this kind belong in the run's record
// stream (EventStepProgress does not: it only feeds a live view).
func (k EventKind) Stored() bool { return k != EventStepProgress }

// Usage is a token count. Input includes Cached, as the OpenAI API reports it.
type Usage struct {
	Input  int `json:"input,omitempty"`
	Cached int `json:"cached,omitempty"`
	Output int `json:"output,omitempty"`
}

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{Input: u.Input + v.Input, Cached: u.Cached + v.Cached, Output: u.Output + v.Output}
}

// IsZero reports whether nothing was counted.
func (u Usage) IsZero() bool { return u == Usage{} }

// Event is one state transition of a run: what the scheduler reports to its
// StateSink, what the wiring stores as a record and prints with --json.
// Events of one run rebuild its State (Rebuild), in any order.
type Event struct {
	Time    time.Time `json:"ts"`
	Run     string    `json:"run"`
	Kind    EventKind `json:"event"`
	Step    string    `json:"step,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	Status  Status    `json:"status,omitempty"`
	Topic   string    `json:"topic,omitempty"`
	Session string    `json:"session,omitempty"`
	Turn    string    `json:"turn,omitempty"`
	Model   string    `json:"model,omitempty"`
	Usage   *Usage    `json:"usage,omitempty"`
	Answer  string    `json:"answer,omitempty"`
	Summary string    `json:"summary,omitempty"`
	// Detail says why a step failed, was skipped or will be retried.
	Detail    string `json:"detail,omitempty"`
	Restarted bool   `json:"restarted,omitempty"`

	// Set on run.started (and Branch, Jobs on run.resumed); Steps lists the
	// workflow's step ids in file order.
	Steps    []string `json:"steps,omitempty"`
	Workflow string   `json:"workflow,omitempty"`
	File     string   `json:"file,omitempty"`
	Blob     string   `json:"blob,omitempty"`
	Branch   string   `json:"branch,omitempty"`
	Jobs     int      `json:"jobs,omitempty"`
}

// State is a run as its events describe it.
type State struct {
	Run      string
	Workflow string
	File     string
	// Blob is the git blob id of the workflow file the run started from.
	Blob    string
	Branch  string
	Started time.Time
	Updated time.Time
	// Status is Running until a run.finished event says otherwise (a run
	// killed without one stays Running).
	Status Status
	Steps  map[string]*StepState
}

// StepState is one step of a run.
type StepState struct {
	ID     string
	Status Status
	// Attempt is the number of the latest attempt (1-based; 0 before the
	// first).
	Attempt int
	Topic   string
	Session string
	Turn    string
	Model   string
	Answer  string
	Summary string
	// Usage is summed over every attempt that finished.
	Usage     Usage
	Detail    string
	Restarted bool
	Started   time.Time
	Finished  time.Time
}

// Output returns a step's output for {{ steps.ID.FIELD }}; a summary the
// runner did not give falls back to the answer.
func (s *StepState) Output(field string) string {
	if s == nil {
		return ""
	}
	if field == FieldSummary && s.Summary != "" {
		return s.Summary
	}
	return s.Answer
}

// Usage sums the usage of every step.
func (st *State) Usage() Usage {
	var u Usage
	for _, s := range st.Steps {
		u = u.Add(s.Usage)
	}
	return u
}

// ErrNoRun is returned by Rebuild when no event opens the run.
var ErrNoRun = errors.New("no such run")

// Rebuild returns the state of run from its events, which may come in any
// order, repeated, and mixed with other runs' events (git merges record
// streams by line union). For each step the latest attempt wins; within an
// attempt, finished beats session beats started. Returns ErrNoRun when no
// run.started event names run.
func Rebuild(run string, events []Event) (*State, error) {
	st := &State{Run: run, Status: Running, Steps: map[string]*StepState{}}
	type attempt struct{ started, session, finished *Event }
	steps := map[string]map[int]*attempt{}
	var started, lastFinished, lastResumed *Event
	for i := range events {
		ev := &events[i]
		if ev.Run != run {
			continue
		}
		if ev.Time.After(st.Updated) {
			st.Updated = ev.Time
		}
		switch ev.Kind {
		case EventRunStarted:
			if started == nil || ev.Time.Before(started.Time) {
				started = ev
			}
		case EventRunResumed:
			if lastResumed == nil || ev.Time.After(lastResumed.Time) {
				lastResumed = ev
			}
		case EventRunFinished:
			if lastFinished == nil || ev.Time.After(lastFinished.Time) {
				lastFinished = ev
			}
		case EventStepStarted, EventStepSession, EventStepFinished:
			if ev.Step == "" {
				continue
			}
			as := steps[ev.Step]
			if as == nil {
				as = map[int]*attempt{}
				steps[ev.Step] = as
			}
			a := as[ev.Attempt]
			if a == nil {
				a = &attempt{}
				as[ev.Attempt] = a
			}
			slot := &a.started
			switch ev.Kind {
			case EventStepSession:
				slot = &a.session
			case EventStepFinished:
				slot = &a.finished
			}
			if *slot == nil || ev.Time.After((*slot).Time) {
				*slot = ev
			}
		}
	}
	if started == nil {
		return nil, fmt.Errorf("rebuild run %s: %w", run, ErrNoRun)
	}
	st.Workflow, st.File, st.Blob, st.Branch, st.Started = started.Workflow, started.File, started.Blob, started.Branch, started.Time
	for _, id := range started.Steps {
		st.Steps[id] = &StepState{ID: id, Status: Waiting}
	}
	if lastResumed != nil && lastResumed.Branch != "" {
		st.Branch = lastResumed.Branch
	}
	if lastFinished != nil && (lastResumed == nil || !lastResumed.Time.After(lastFinished.Time)) {
		st.Status = lastFinished.Status
	}
	for id, as := range steps {
		nums := make([]int, 0, len(as))
		for n := range as {
			nums = append(nums, n)
		}
		sort.Ints(nums)
		s := &StepState{ID: id, Status: Waiting}
		for _, n := range nums {
			a := as[n]
			if a.finished != nil && a.finished.Usage != nil {
				s.Usage = s.Usage.Add(*a.finished.Usage)
			}
		}
		last := as[nums[len(nums)-1]]
		s.Attempt = nums[len(nums)-1]
		if a := last.started; a != nil {
			s.Status, s.Topic, s.Started = Running, a.Topic, a.Time
		}
		if a := last.session; a != nil {
			s.Status = Running
			s.Session, s.Turn = a.Session, a.Turn
			if s.Topic == "" {
				s.Topic = a.Topic
			}
		}
		if f := last.finished; f != nil {
			s.Status, s.Finished, s.Detail, s.Restarted = f.Status, f.Time, f.Detail, f.Restarted
			s.Model, s.Answer, s.Summary = f.Model, f.Answer, f.Summary
			if f.Session != "" {
				s.Session, s.Turn = f.Session, f.Turn
			}
			if f.Topic != "" {
				s.Topic = f.Topic
			}
		}
		st.Steps[id] = s
	}
	return st, nil
}
