package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// memSink keeps the events; fail, when set, is returned for the n-th event.
type memSink struct {
	mu     sync.Mutex
	events []Event
	failAt int
	notify func(Event)
}

func (m *memSink) Emit(ev Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failAt > 0 && len(m.events)+1 == m.failAt {
		return errors.New("disk full")
	}
	m.events = append(m.events, ev)
	if m.notify != nil {
		m.notify(ev)
	}
	return nil
}

func (m *memSink) stored() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Event
	for _, ev := range m.events {
		if ev.Kind.Stored() {
			out = append(out, ev)
		}
	}
	return out
}

// fakeRunner records calls and the order of starts and ends; fn decides the
// outcome (default: pass, continuing req.Continue or opening S-<id>).
type fakeRunner struct {
	mu           sync.Mutex
	calls        map[string]int
	reqs         map[string][]Request
	log          []string
	active, peak int
	fn           func(ctx context.Context, req Request) (Result, error)
}

func newFake(fn func(ctx context.Context, req Request) (Result, error)) *fakeRunner {
	return &fakeRunner{calls: map[string]int{}, reqs: map[string][]Request{}, fn: fn}
}

func pass(req Request) Result {
	session := req.Continue
	if session == "" {
		session = "S-" + req.Step.ID
	}
	return Result{Passed: true, Session: session, Turn: fmt.Sprintf("T-%s-%d", req.Step.ID, req.Attempt), Model: "gpt-5",
		Answer: "answer of " + req.Step.ID, Summary: "summary of " + req.Step.ID, Usage: Usage{Input: 100, Cached: 40, Output: 10}}
}

func (f *fakeRunner) Run(ctx context.Context, req Request) (Result, error) {
	id := req.Step.ID
	f.mu.Lock()
	f.calls[id]++
	f.reqs[id] = append(f.reqs[id], req)
	f.active++
	f.peak = max(f.peak, f.active)
	f.log = append(f.log, "start "+id)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.active--
		f.log = append(f.log, "end "+id)
		f.mu.Unlock()
	}()
	if f.fn != nil {
		return f.fn(ctx, req)
	}
	return pass(req), nil
}

func (f *fakeRunner) index(entry string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, e := range f.log {
		if e == entry {
			return i
		}
	}
	return -1
}

func mustParse(t *testing.T, src string) *Workflow {
	t.Helper()
	w, err := Parse(".codex/workflows/flow.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func opts(r StepRunner, sink StateSink, jobs int) Options {
	return Options{Jobs: jobs, Branch: "main", Blob: "b10b", Runner: r, Sink: sink, NewID: func(time.Time) string { return "RUN1" }}
}

func statuses(st *State) map[string]Status {
	out := map[string]Status{}
	for id, s := range st.Steps {
		out[id] = s.Status
	}
	return out
}

func TestRunReviewExample(t *testing.T) {
	w, err := ParseFile("testdata/examples/review.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, sink := newFake(nil), &memSink{}
	st, err := Start(context.Background(), w, opts(r, sink, 4))
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != Passed || st.Run != "RUN1" || st.Blob != "b10b" {
		t.Errorf("run = %s %s %s", st.Status, st.Run, st.Blob)
	}
	for _, s := range w.Steps {
		if st.Steps[s.ID].Status != Passed || r.calls[s.ID] != 1 {
			t.Errorf("step %s: %s after %d calls", s.ID, st.Steps[s.ID].Status, r.calls[s.ID])
		}
		for _, d := range w.Deps(s.ID) {
			if r.index("start "+s.ID) < r.index("end "+d) {
				t.Errorf("%s started before %s ended: %v", s.ID, d, r.log)
			}
		}
	}
	tests := r.reqs["api-tests"][0]
	if tests.Continue != "S-api" || tests.Topic != "main/review/api" || tests.Step.Max != 3 {
		t.Errorf("api-tests request: continue %q topic %q", tests.Continue, tests.Topic)
	}
	report := r.reqs["report"][0]
	if want := "Write a short report.\nAPI: summary of api-tests\nStorage: summary of storage\n"; report.Task != want || report.Topic != "main/review/report" {
		t.Errorf("report task %q topic %q", report.Task, report.Topic)
	}
	if got := r.reqs["storage"][0].Task; got != "Review the storage layer. The survey said: answer of survey" {
		t.Errorf("storage task = %q", got)
	}
	if got := r.reqs["survey"][0].Context; !reflect.DeepEqual(got, []string{"docs/design.md"}) {
		t.Errorf("context = %v", got)
	}
	if u := st.Usage(); u != (Usage{Input: 500, Cached: 200, Output: 50}) {
		t.Errorf("usage = %+v", u)
	}
	// The stored events rebuild the same state.
	re, err := Rebuild("RUN1", sink.stored())
	if err != nil {
		t.Fatal(err)
	}
	assertSameState(t, re, st)
}

func assertSameState(t *testing.T, got, want *State) {
	t.Helper()
	if got.Status != want.Status || got.Blob != want.Blob || got.Workflow != want.Workflow || got.Branch != want.Branch || len(got.Steps) != len(want.Steps) {
		t.Errorf("rebuilt run %+v, want %+v", got, want)
	}
	for id, w := range want.Steps {
		g := got.Steps[id]
		if g == nil {
			t.Errorf("step %s missing", id)
			continue
		}
		gc, wc := *g, *w
		gc.Started, gc.Finished, wc.Started, wc.Finished = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if w.Status == Waiting && g.Status == Waiting {
			continue
		}
		if !reflect.DeepEqual(gc, wc) {
			t.Errorf("step %s rebuilt as %+v, want %+v", id, gc, wc)
		}
	}
}

func TestJobsBound(t *testing.T) {
	var src strings.Builder
	src.WriteString("steps:\n")
	for i := range 9 {
		fmt.Fprintf(&src, "- {id: s%d, task: x}\n", i)
	}
	w := mustParse(t, src.String())
	started := make(chan string, 9)
	gate := make(chan struct{})
	r := newFake(func(ctx context.Context, req Request) (Result, error) {
		started <- req.Step.ID
		<-gate
		return pass(req), nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := Start(context.Background(), w, opts(r, nil, 3))
		done <- err
	}()
	// Three steps start before any ends: the scheduler runs them at once.
	for range 3 {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("three steps did not start at once")
		}
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.peak != 3 {
		t.Errorf("peak concurrency = %d, want 3", r.peak)
	}
}

func TestWhenFailedStop(t *testing.T) {
	w := mustParse(t, "steps:\n- {id: a, task: x}\n- {id: b, task: y}\n- {id: c, task: z, after: b}\n- {id: d, task: w}\n")
	aFailed := make(chan struct{})
	sink := &memSink{notify: func(ev Event) {
		if ev.Kind == EventStepFinished && ev.Step == "a" {
			close(aFailed)
		}
	}}
	r := newFake(func(ctx context.Context, req Request) (Result, error) {
		switch req.Step.ID {
		case "a":
			return Result{Detail: "go test: 2 failures"}, nil
		case "b":
			<-aFailed // still running when a fails
		}
		return pass(req), nil
	})
	st, err := Start(context.Background(), w, opts(r, sink, 2))
	if !errors.Is(err, ErrStepFailed) || !strings.Contains(err.Error(), ": a") {
		t.Fatalf("Start = %v, want ErrStepFailed naming a", err)
	}
	want := map[string]Status{"a": Failed, "b": Passed, "c": Waiting, "d": Waiting}
	if got := statuses(st); !reflect.DeepEqual(got, want) || st.Status != Failed {
		t.Errorf("statuses = %v (run %s), want %v", got, st.Status, want)
	}
	if st.Steps["a"].Detail != "go test: 2 failures" {
		t.Errorf("detail = %q", st.Steps["a"].Detail)
	}
	if r.calls["c"]+r.calls["d"] != 0 {
		t.Errorf("steps started after the failure: %v", r.log)
	}
}

func TestWhenFailedContinue(t *testing.T) {
	w := mustParse(t, `steps:
- {id: a, task: x, when_failed: continue}
- {id: b, task: y, after: a}
- {id: c, task: z, reply_to: b}
- {id: d, task: w}
- {id: e, task: v, after: d}
`)
	r := newFake(func(ctx context.Context, req Request) (Result, error) {
		if req.Step.ID == "a" {
			return Result{}, errors.New("model API: 500")
		}
		return pass(req), nil
	})
	sink := &memSink{}
	st, err := Start(context.Background(), w, opts(r, sink, 1))
	if !errors.Is(err, ErrStepFailed) {
		t.Fatalf("Start = %v", err)
	}
	want := map[string]Status{"a": Failed, "b": Skipped, "c": Skipped, "d": Passed, "e": Passed}
	if got := statuses(st); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	if st.Steps["a"].Detail != "model API: 500" || st.Steps["c"].Detail != "waits for failed step a" {
		t.Errorf("details: %q, %q", st.Steps["a"].Detail, st.Steps["c"].Detail)
	}
	re, err := Rebuild("RUN1", sink.stored())
	if err != nil {
		t.Fatal(err)
	}
	assertSameState(t, re, st)
}

func TestWhenFailedRetry(t *testing.T) {
	t.Run("passes on the third attempt", func(t *testing.T) {
		w := mustParse(t, "steps:\n- {id: a, task: x, when_failed: retry, retries: 2}\n- {id: b, task: y, after: a}\n")
		r := newFake(func(ctx context.Context, req Request) (Result, error) {
			res := pass(req)
			res.Passed = req.Step.ID != "a" || req.Attempt == 3
			return res, nil
		})
		sink := &memSink{}
		st, err := Start(context.Background(), w, opts(r, sink, 1))
		if err != nil {
			t.Fatal(err)
		}
		a := st.Steps["a"]
		if a.Status != Passed || a.Attempt != 3 || r.calls["a"] != 3 || a.Usage.Input != 300 {
			t.Errorf("a = %+v after %d calls", a, r.calls["a"])
		}
		var details []string
		for _, ev := range sink.stored() {
			if ev.Kind == EventStepFinished && ev.Step == "a" {
				details = append(details, fmt.Sprintf("%d %s %s", ev.Attempt, ev.Status, ev.Detail))
			}
		}
		want := []string{"1 failed the step did not pass; retrying (1 of 2)", "2 failed the step did not pass; retrying (2 of 2)", "3 passed "}
		if !reflect.DeepEqual(details, want) {
			t.Errorf("finished events %q, want %q", details, want)
		}
		re, _ := Rebuild("RUN1", sink.stored())
		assertSameState(t, re, st)
	})
	t.Run("stops when the retries run out", func(t *testing.T) {
		w := mustParse(t, "steps:\n- {id: a, task: x, when_failed: retry, retries: 1}\n- {id: b, task: y}\n")
		r := newFake(func(ctx context.Context, req Request) (Result, error) {
			if req.Step.ID == "a" {
				return Result{Detail: "check failed"}, nil
			}
			return pass(req), nil
		})
		st, err := Start(context.Background(), w, opts(r, nil, 1))
		if !errors.Is(err, ErrStepFailed) || r.calls["a"] != 2 || r.calls["b"] != 0 {
			t.Errorf("Start = %v; calls %v", err, r.calls)
		}
		if st.Steps["a"].Status != Failed || st.Steps["a"].Attempt != 2 {
			t.Errorf("a = %+v", st.Steps["a"])
		}
	})
}

// TestCancelAndResume: Ctrl-C while b runs; b stores what it has; the run
// resumes from its stored events without running a or d again.
func TestCancelAndResume(t *testing.T) {
	w := mustParse(t, "steps:\n- {id: a, task: x}\n- {id: b, task: y, after: a}\n- {id: c, task: 'z {{ steps.b.answer }}', reply_to: b}\n- {id: d, task: w}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newFake(func(ctx context.Context, req Request) (Result, error) {
		if req.Step.ID == "b" {
			req.Report(Progress{Session: "S-b", Turn: "T-b-1"})
			cancel() // the user presses Ctrl-C while b runs
			<-ctx.Done()
			return Result{Session: "S-b", Turn: "T-b-1", Answer: "partial"}, ctx.Err()
		}
		return pass(req), nil
	})
	sink := &memSink{}
	st, err := Start(ctx, w, opts(r, sink, 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start = %v, want context.Canceled", err)
	}
	// a and b ran one at a time (jobs 1, file order); d was not started.
	want := map[string]Status{"a": Passed, "b": Cancelled, "c": Waiting, "d": Waiting}
	if got := statuses(st); !reflect.DeepEqual(got, want) || st.Status != Stopped {
		t.Fatalf("statuses = %v (run %s), want %v", got, st.Status, want)
	}

	prev, err := Rebuild("RUN1", sink.stored())
	if err != nil {
		t.Fatal(err)
	}
	assertSameState(t, prev, st)
	r2 := newFake(nil)
	final, err := Resume(context.Background(), w, prev, opts(r2, sink, 2))
	if err != nil {
		t.Fatal(err)
	}
	if r2.calls["a"] != 0 || r2.calls["b"] != 1 || r2.calls["c"] != 1 || r2.calls["d"] != 1 {
		t.Errorf("resume calls = %v: passed steps must not run again", r2.calls)
	}
	if b := final.Steps["b"]; b.Attempt != 2 || b.Status != Passed {
		t.Errorf("b = %+v", b)
	}
	if p := r2.reqs["b"][0].Previous; p == nil || p.Status != Cancelled || p.Session != "S-b" || p.Answer != "partial" {
		t.Errorf("b's request on resume: previous = %+v, want the cancelled attempt", p)
	}
	if got := r2.reqs["c"][0]; got.Task != "z answer of b" || got.Continue != "S-b" {
		t.Errorf("c request: task %q continue %q", got.Task, got.Continue)
	}
	all, err := Rebuild("RUN1", sink.stored())
	if err != nil {
		t.Fatal(err)
	}
	if all.Status != Passed || all.Steps["a"].Answer != "answer of a" {
		t.Errorf("rebuilt after resume: %s, a = %+v", all.Status, all.Steps["a"])
	}
	assertSameState(t, all, final)
}

// recheckRunner is a fakeRunner that can re-check interrupted steps.
type recheckRunner struct {
	*fakeRunner
	done     bool
	rechecks []Request
}

func (r *recheckRunner) Recheck(ctx context.Context, req Request) (Result, bool, error) {
	r.mu.Lock()
	r.rechecks = append(r.rechecks, req)
	r.mu.Unlock()
	if !r.done {
		return Result{}, false, nil
	}
	res := pass(req)
	res.Session, res.Turn, res.Answer = req.Previous.Session, req.Previous.Turn, "answer stored before the kill"
	return res, true, nil
}

// TestResumeAfterKill: the process died (SIGKILL) while b ran: its
// step.started and step.session events are stored, step.finished is not.
func TestResumeAfterKill(t *testing.T) {
	w := mustParse(t, "steps:\n- {id: a, task: x}\n- {id: b, task: y, after: a}\n- {id: c, task: '{{ steps.b.answer }}', after: b}\n")
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	events := []Event{
		{Time: t0, Run: "R", Kind: EventRunStarted, Workflow: "flow", Blob: "b10b", Branch: "main", Jobs: 4},
		{Time: t0.Add(1), Run: "R", Kind: EventStepStarted, Step: "a", Attempt: 1, Topic: "main/flow/a"},
		{Time: t0.Add(2), Run: "R", Kind: EventStepFinished, Step: "a", Attempt: 1, Status: Passed, Session: "S-a", Answer: "answer of a", Usage: &Usage{Input: 7}},
		{Time: t0.Add(3), Run: "R", Kind: EventStepStarted, Step: "b", Attempt: 1, Topic: "main/flow/b"},
		{Time: t0.Add(4), Run: "R", Kind: EventStepSession, Step: "b", Attempt: 1, Session: "S-b", Turn: "T-b-1"},
	}
	prev, err := Rebuild("R", events)
	if err != nil {
		t.Fatal(err)
	}
	if b := prev.Steps["b"]; b.Status != Running || b.Session != "S-b" || prev.Status != Running {
		t.Fatalf("rebuilt b = %+v, run %s", b, prev.Status)
	}
	for _, done := range []bool{true, false} {
		t.Run(fmt.Sprintf("answer stored %v", done), func(t *testing.T) {
			r := &recheckRunner{fakeRunner: newFake(nil), done: done}
			st, err := Resume(context.Background(), w, prev, opts(r, &memSink{}, 4))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.rechecks) != 1 || r.rechecks[0].Previous.Session != "S-b" || r.rechecks[0].Attempt != 2 {
				t.Fatalf("rechecks = %+v", r.rechecks)
			}
			if r.calls["a"] != 0 || r.calls["c"] != 1 {
				t.Errorf("calls = %v", r.calls)
			}
			c := r.reqs["c"][0].Task
			if done {
				if r.calls["b"] != 0 || c != "answer stored before the kill" || !strings.Contains(st.Steps["b"].Detail, "re-checked") {
					t.Errorf("b ran %d times; c got %q; b detail %q", r.calls["b"], c, st.Steps["b"].Detail)
				}
			} else if r.calls["b"] != 1 || r.reqs["b"][0].Previous == nil || r.reqs["b"][0].Previous.Turn != "T-b-1" {
				t.Errorf("b ran %d times, previous %+v", r.calls["b"], r.reqs["b"])
			}
			if st.Steps["a"].Usage.Input != 7 || st.Status != Passed {
				t.Errorf("state %s, a = %+v", st.Status, st.Steps["a"])
			}
		})
	}
}

func TestResumeRefusesAnotherWorkflow(t *testing.T) {
	w := mustParse(t, "steps:\n- {id: a, task: x}\n")
	prev := &State{Run: "R", Steps: map[string]*StepState{"gone": {ID: "gone", Status: Passed}}}
	if _, err := Resume(context.Background(), w, prev, opts(newFake(nil), nil, 1)); err == nil || !strings.Contains(err.Error(), `step "gone"`) {
		t.Errorf("Resume = %v", err)
	}
}

func TestSinkErrorStopsTheRun(t *testing.T) {
	w := mustParse(t, "steps:\n- {id: a, task: x}\n- {id: b, task: y, after: a}\n")
	r := newFake(nil)
	// Events: run.started, a started, a finished (fails).
	_, err := Start(context.Background(), w, opts(r, &memSink{failAt: 3}, 1))
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "store event step.finished") {
		t.Fatalf("Start = %v", err)
	}
	if r.calls["b"] != 0 {
		t.Error("a step started after the sink failed")
	}
}

func TestProgressEvents(t *testing.T) {
	w := mustParse(t, "steps:\n- {id: a, task: x}\n")
	late := make(chan Request, 1)
	r := newFake(func(ctx context.Context, req Request) (Result, error) {
		req.Report(Progress{Session: "S-a", Turn: "T1"})
		req.Report(Progress{Session: "S-a", Turn: "T1", Usage: Usage{Input: 5}, Model: "gpt-5"})
		late <- req
		return pass(req), nil
	})
	sink := &memSink{}
	if _, err := Start(context.Background(), w, opts(r, sink, 1)); err != nil {
		t.Fatal(err)
	}
	(<-late).Report(Progress{Turn: "T9"}) // after Run returned: ignored, does not block
	var kinds []string
	for _, ev := range sink.events {
		kinds = append(kinds, string(ev.Kind))
	}
	want := []string{"run.started", "step.started", "step.session", "step.progress", "step.finished", "run.finished"}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("events = %v, want %v", kinds, want)
	}
	if n := len(sink.stored()); n != 5 {
		t.Errorf("stored events = %d, want 5 (progress is not stored)", n)
	}
}

// TestManyStepsLoseNoEvent: 50 independent steps with -j 8; every event
// arrives and the events rebuild every step.
func TestManyStepsLoseNoEvent(t *testing.T) {
	var src strings.Builder
	src.WriteString("steps:\n")
	for i := range 50 {
		fmt.Fprintf(&src, "- {id: s%02d, task: x}\n", i)
	}
	w := mustParse(t, src.String())
	r := newFake(func(ctx context.Context, req Request) (Result, error) {
		req.Report(Progress{Session: "S-" + req.Step.ID, Turn: "T"})
		return pass(req), nil
	})
	sink := &memSink{}
	st, err := Start(context.Background(), w, opts(r, sink, 8))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sink.stored()); n != 2+3*50 {
		t.Errorf("stored %d events, want %d", n, 2+3*50)
	}
	re, err := Rebuild("RUN1", sink.stored())
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, s := range re.Steps {
		if s.Status == Passed && s.Session == "S-"+s.ID {
			passed++
		}
	}
	if passed != 50 || r.peak > 8 {
		t.Errorf("rebuilt %d passed steps of 50; peak %d", passed, r.peak)
	}
	assertSameState(t, re, st)
}

func TestRebuildIgnoresOrderAndDuplicates(t *testing.T) {
	w, err := ParseFile("testdata/examples/review.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	st, err := Start(context.Background(), w, opts(newFake(nil), sink, 2))
	if err != nil {
		t.Fatal(err)
	}
	events := sink.stored()
	other := Event{Time: time.Now(), Run: "OTHER", Kind: EventStepFinished, Step: "survey", Attempt: 9, Status: Failed}
	rng := rand.New(rand.NewSource(1))
	for range 20 {
		mixed := append(append(append([]Event{}, events...), events[:5]...), other)
		rng.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		re, err := Rebuild("RUN1", mixed)
		if err != nil {
			t.Fatal(err)
		}
		assertSameState(t, re, st)
	}
	if _, err := Rebuild("NOPE", events); !errors.Is(err, ErrNoRun) {
		t.Errorf("Rebuild(NOPE) = %v, want ErrNoRun", err)
	}
}

func TestEventJSON(t *testing.T) {
	ev := Event{Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Run: "01JRUN", Kind: EventStepFinished, Step: "api", Attempt: 1,
		Status: Passed, Topic: "main/review/api", Session: "01JSES", Turn: "01JTURN", Model: "gpt-5",
		Usage: &Usage{Input: 1200, Cached: 800, Output: 90}, Answer: "All good.", Summary: "Fine."}
	b, err := jsonMarshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ts":"2026-12-01T10:00:00Z","run":"01JRUN","event":"step.finished","step":"api","attempt":1,"status":"passed","topic":"main/review/api","session":"01JSES","turn":"01JTURN","model":"gpt-5","usage":{"input":1200,"cached":800,"output":90},"answer":"All good.","summary":"Fine."}`
	if string(b) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", b, want)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
