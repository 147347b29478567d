package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/workflow"
)

// fixture is a real repository with context files, a loopback model server
// and a runner over them.
type fixture struct {
	t      *testing.T
	dir    string
	repo   *gitstore.Repo
	srv    *openaitest.Server
	runner *Runner

	mu       sync.Mutex
	notified []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gittest.Hermetic(t)
	dir := gittest.NewRepo(t)
	gittest.CommitContextFiles(t, dir)
	repo, err := gitstore.Open(dir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	srv := openaitest.New(t)
	f := &fixture{t: t, dir: dir, repo: repo, srv: srv}
	eng := &session.Engine{Store: repo.Notes().WithRemotes(), Repo: repo,
		Config: model.Config{BaseURL: srv.URL(), Model: "test-model", Engine: model.EngineResponses}}
	f.runner = &Runner{Engine: eng, Notify: func(step string, ev session.Event) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.notified = append(f.notified, step+": "+string(ev.Kind)+": "+ev.Text)
	}}
	return f
}

func (f *fixture) parse(src string) *workflow.Workflow {
	f.t.Helper()
	wf, err := workflow.Parse("wf.yaml", []byte(src))
	if err != nil {
		f.t.Fatal(err)
	}
	return wf
}

// sink is a Sink on the run topic of wf.
func (f *fixture) sink(wf *workflow.Workflow) *Sink {
	return &Sink{Store: f.repo.Notes(), Topic: Topic("main", wf), Head: f.head}
}

func (f *fixture) head() (string, error) {
	h, err := f.repo.Head()
	if err != nil {
		return "", err
	}
	return h.Target(), nil
}

func (f *fixture) options(wf *workflow.Workflow, sink *Sink, jobs int) workflow.Options {
	opt := workflow.Options{Jobs: jobs, Branch: "main", Runner: f.runner, NewID: gitstore.NewID}
	if sink != nil {
		opt.Sink = sink
	}
	return opt
}

// requests returns the inputs of the model requests, in order.
func (f *fixture) requests() []string {
	var out []string
	for _, r := range f.srv.Requests() {
		if strings.HasSuffix(r.Path, "/responses") {
			in, _ := r.JSON["input"].(string)
			out = append(out, in)
		}
	}
	return out
}

// count is how many model requests have text in their input.
func (f *fixture) count(text string) int {
	n := 0
	for _, in := range f.requests() {
		if strings.Contains(in, text) {
			n++
		}
	}
	return n
}

// stored reads the run back from git.
func (f *fixture) stored(id string) *Run {
	f.t.Helper()
	run, _, err := Find(context.Background(), f.repo.Notes().WithRemotes(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return run
}

const review = `
steps:
  - id: survey
    task: TASK-SURVEY name the modules.
  - id: api
    after: survey
    task: "TASK-APIREVIEW review the API given {{ steps.survey.summary }}"
  - id: api-tests
    reply_to: api
    task: Now, with what you found above, please write TASK-TESTS.
  - id: storage
    after: survey
    task: TASK-STORAGE review the storage.
  - id: report
    after: [api-tests, storage]
    task: "TASK-REPORT join {{ steps.api-tests.answer }} and {{ steps.storage.answer }}"
`

// A five-step workflow runs to the end through the session engine: every
// step is a session (the reply_to step a turn of its target's), the outputs
// flow into later tasks, and the run's records, read back from git, rebuild
// the state the scheduler returned.
func TestRunFiveSteps(t *testing.T) {
	f := newFixture(t)
	wf := f.parse(review)
	sink := f.sink(wf)
	st, err := workflow.Start(context.Background(), wf, f.options(wf, sink, 4))
	if cerr := sink.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil || st.Status != workflow.Passed {
		t.Fatalf("run: %v, status %s", err, st.Status)
	}
	for _, id := range []string{"TASK-SURVEY", "TASK-APIREVIEW", "TASK-TESTS", "TASK-STORAGE", "TASK-REPORT"} {
		if n := f.count(id); n != 1 {
			t.Errorf("%d requests for %s, want 1", n, id)
		}
	}
	api, tests := st.Steps["api"], st.Steps["api-tests"]
	if tests.Session != api.Session || tests.Topic != api.Topic || api.Topic != "main/wf/api" {
		t.Errorf("api-tests continued %s on %s; api is %s on %s", tests.Session, tests.Topic, api.Session, api.Topic)
	}
	if api.Turn == tests.Turn {
		t.Errorf("api-tests did not add a turn")
	}
	report := f.requests()[len(f.requests())-1]
	if !strings.Contains(report, st.Steps["storage"].Answer) || !strings.Contains(report, tests.Answer) {
		t.Errorf("the report's task lacks the outputs it names:\n%s", report)
	}
	s, err := f.runner.Engine.With(nil).Load(context.Background(), "", tests.Session)
	if err != nil || len(s.Turns) != 2 {
		t.Fatalf("api's session: %v, %d turns", err, len(s.Turns))
	}
	run := f.stored(st.Run)
	if run.Topic != "main/wf" {
		t.Errorf("run topic %q", run.Topic)
	}
	for id, want := range st.Steps {
		got := run.State.Steps[id]
		if got.Status != want.Status || got.Session != want.Session || got.Turn != want.Turn || got.Answer != want.Answer ||
			got.Usage != want.Usage || got.Model != want.Model {
			t.Errorf("stored %s = %+v, want %+v", id, got, want)
		}
	}
	if run.State.Status != workflow.Passed || run.State.Usage().Output == 0 {
		t.Errorf("stored run: %s, usage %+v", run.State.Status, run.State.Usage())
	}
	t.Logf("%d events in %d writes", len(run.Events), sink.Writes())
	// Every event is a record plain git reads, in the run's topic.
	notes := gittest.Git(t, f.dir, "notes", "--ref="+f.repo.Notes().Ref("main/wf"), "show", "HEAD")
	if n := strings.Count(notes, `"kind":"run"`); n != len(run.Events) {
		t.Errorf("git notes show: %d run records, want %d", n, len(run.Events))
	}
	if strings.Contains(notes, `"session":`) {
		t.Errorf("a run record names a session as session records do:\n%s", notes)
	}
}

// A step whose session is closed is continued in a new session on its
// topic, opened with the closed one's transcript: restarted with context.
func TestReplyToClosedSessionRestarts(t *testing.T) {
	f := newFixture(t)
	wf := f.parse(`
steps:
  - id: a
    task: TASK-A first.
  - id: b
    reply_to: a
    task: Now that you have done that, follow up with TASK-B.
`)
	eng := f.runner.Engine.With(nil)
	first, err := eng.Delegate(context.Background(), session.DelegateOptions{Topic: "main/wf/a", Task: "TASK-A first."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Close(context.Background(), session.CloseOptions{Target: session.Target{Session: first.Session}}); err != nil {
		t.Fatal(err)
	}
	prev := &workflow.State{Run: "R", Steps: map[string]*workflow.StepState{
		"a": {ID: "a", Status: workflow.Passed, Session: first.Session, Turn: first.Turn, Topic: "main/wf/a", Answer: first.Text},
		"b": {ID: "b", Status: workflow.Waiting},
	}}
	st, err := workflow.Resume(context.Background(), wf, prev, f.options(wf, nil, 1))
	if err != nil {
		t.Fatal(err)
	}
	b := st.Steps["b"]
	if b.Status != workflow.Passed || !b.Restarted || b.Session == first.Session || b.Topic != "main/wf/a" {
		t.Fatalf("b = %+v; want passed, restarted, in a new session on a's topic", b)
	}
	last := f.requests()[len(f.requests())-1]
	if !strings.Contains(last, "TASK-A first.") || !strings.Contains(last, "follow up with TASK-B.") {
		t.Errorf("the new session does not carry the closed one's transcript:\n%s", last)
	}
	s, err := eng.Load(context.Background(), "", b.Session)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Events) == 0 || s.Events[0].Event != session.RecordRestart || !strings.Contains(s.Events[0].Text, first.Session) {
		t.Errorf("no restart event naming the closed session: %+v", s.Events)
	}
}

// A run killed in the middle of a step: its stored events say the step
// was running in a session whose turn has no answer. On resume the steps
// that passed are not asked again, the interrupted one continues its own
// session (the message it did not answer goes along), and the run ends.
func TestResumeAfterKill(t *testing.T) {
	f := newFixture(t)
	wf := f.parse(`
steps:
  - id: a
    task: TASK-A first.
  - id: b
    after: a
    task: TASK-B second.
  - id: c
    after: b
    task: TASK-C third.
`)
	// The first invocation: b's request never comes back; the process
	// "dies" (the context ends) while it waits.
	f.srv.Hold("TASK-B")
	ctx, kill := context.WithCancel(context.Background())
	sink := f.sink(wf)
	sink.Sync = true
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = workflow.Start(ctx, wf, f.options(wf, sink, 2))
	}()
	waitFor(t, func() bool { return f.count("TASK-B") == 1 })
	waitFor(t, func() bool { return storedStatus(f, wf, "b") == workflow.Running && storedSession(f, wf, "b") != "" })
	runID := f.onlyRun(wf).State.Run
	// What a SIGKILL leaves: the events stored so far, nothing after.
	killed := f.onlyRun(wf)
	kill()
	<-done
	f.srv.Release()

	prev, err := workflow.Rebuild(runID, killed.Events)
	if err != nil {
		t.Fatal(err)
	}
	if prev.Steps["a"].Status != workflow.Passed || prev.Steps["b"].Status != workflow.Running {
		t.Fatalf("killed state: a %s, b %s", prev.Steps["a"].Status, prev.Steps["b"].Status)
	}
	sink2 := f.sink(wf)
	st, err := workflow.Resume(context.Background(), wf, prev, f.options(wf, sink2, 2))
	if cerr := sink2.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil || st.Status != workflow.Passed {
		t.Fatalf("resume: %v (%s)", err, st.Status)
	}
	if f.count("TASK-A") != 1 || f.count("TASK-C") != 1 {
		t.Errorf("requests: %d for a, %d for c; want 1 each (a passed before the kill)", f.count("TASK-A"), f.count("TASK-C"))
	}
	if st.Steps["b"].Session != prev.Steps["b"].Session {
		t.Errorf("b continued session %s, want its own %s", st.Steps["b"].Session, prev.Steps["b"].Session)
	}
	if f.count(ResumeMessage) != 1 {
		t.Errorf("%d requests continue b with the resume message, want 1", f.count(ResumeMessage))
	}
	if got := f.stored(runID).State; got.Status != workflow.Passed {
		t.Errorf("stored run %s", got.Status)
	}
}

// A step that was running when the process died but whose answer is in
// git passes on resume without a request (Recheck).
func TestRecheckFindsTheAnswer(t *testing.T) {
	f := newFixture(t)
	wf := f.parse(`
steps:
  - id: a
    task: TASK-A first.
  - id: b
    after: a
    task: TASK-B second.
`)
	eng := f.runner.Engine.With(nil)
	ans, err := eng.Delegate(context.Background(), session.DelegateOptions{Topic: "main/wf/a", Task: "TASK-A first."})
	if err != nil {
		t.Fatal(err)
	}
	prev := &workflow.State{Run: "R", Steps: map[string]*workflow.StepState{
		"a": {ID: "a", Status: workflow.Running, Attempt: 1, Session: ans.Session, Turn: ans.Turn, Topic: "main/wf/a"},
		"b": {ID: "b", Status: workflow.Waiting},
	}}
	st, err := workflow.Resume(context.Background(), wf, prev, f.options(wf, nil, 1))
	if err != nil {
		t.Fatal(err)
	}
	if f.count("TASK-A") != 1 {
		t.Errorf("a was asked again: %d requests", f.count("TASK-A"))
	}
	a := st.Steps["a"]
	if a.Status != workflow.Passed || a.Answer != ans.Text || a.Usage.Output == 0 || !strings.Contains(a.Detail, "re-checked") {
		t.Errorf("a = %+v", a)
	}
	if !strings.Contains(f.requests()[len(f.requests())-1], "TASK-B") {
		t.Errorf("b did not run")
	}
}

// A check that keeps failing fails the step after its rounds: in
// read-only the failure is sent once and the model changes nothing.
func TestCheckFails(t *testing.T) {
	f := newFixture(t)
	wf := f.parse(`
steps:
  - id: a
    task: TASK-A first.
    check: echo CHECK-OUTPUT; exit 3
    when_failed: continue
  - id: b
    after: a
    task: TASK-B never.
  - id: c
    task: TASK-C independent.
    check: "true"
`)
	st, err := workflow.Start(context.Background(), wf, f.options(wf, nil, 2))
	if !errors.Is(err, workflow.ErrStepFailed) {
		t.Fatalf("err = %v", err)
	}
	a := st.Steps["a"]
	if a.Status != workflow.Failed || !strings.Contains(a.Detail, "last output: CHECK-OUTPUT") || !strings.Contains(a.Detail, "check failed: round 1 of 1") {
		t.Errorf("a = %s: %s", a.Status, a.Detail)
	}
	if st.Steps["b"].Status != workflow.Skipped || st.Steps["c"].Status != workflow.Passed {
		t.Errorf("b %s, c %s", st.Steps["b"].Status, st.Steps["c"].Status)
	}
	if f.count("CHECK-OUTPUT") != 1 || f.count("TASK-B") != 0 {
		t.Errorf("%d failures sent, %d requests for b", f.count("CHECK-OUTPUT"), f.count("TASK-B"))
	}
	// The two answers of a (task, failure) count in its usage.
	s, _ := f.runner.Engine.With(nil).Load(context.Background(), "", a.Session)
	var out int
	for _, turn := range s.Turns {
		out += turn.Answer.Usage.Output
	}
	if a.Usage.Output != out || len(s.Turns) != 2 {
		t.Errorf("usage %+v over %d turns, want output %d", a.Usage, len(s.Turns), out)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.Contains(strings.Join(f.notified, "\n"), "a: verdict: round 1 of 1") {
		t.Errorf("no verdict reached Notify: %q", f.notified)
	}
}

// Many steps at once on one repository lose no record (run with -race:
// every step has its engine; the store and the repository are shared).
func TestManyStepsAtOnce(t *testing.T) {
	f := newFixture(t)
	f.srv.SetDelay(5 * time.Millisecond)
	var b strings.Builder
	b.WriteString("steps:\n")
	const n = 24
	for i := range n {
		fmt.Fprintf(&b, "  - id: s%02d\n    task: TASK-%02d go.\n", i, i)
	}
	wf := f.parse(b.String())
	sink := f.sink(wf)
	st, err := workflow.Start(context.Background(), wf, f.options(wf, sink, 8))
	if cerr := sink.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	run := f.stored(st.Run)
	for i := range n {
		id := fmt.Sprintf("s%02d", i)
		got := run.State.Steps[id]
		if got.Status != workflow.Passed || got.Session == "" || got.Session != st.Steps[id].Session {
			t.Errorf("stored %s = %+v", id, got)
		}
		s, err := f.runner.Engine.With(nil).Load(context.Background(), "main/wf/"+id, "")
		if err != nil || len(s.Turns) != 1 || s.Turns[0].Answer == nil {
			t.Errorf("session of %s: %v", id, err)
		}
	}
	t.Logf("%d events in %d writes", len(run.Events), sink.Writes())
}

// The cost of a run is its finished attempts priced with their models:
// unknown, never zero, for a model without a price.
func TestRunCost(t *testing.T) {
	u := &workflow.Usage{Input: 1_000_000, Cached: 0, Output: 1_000_000}
	run := &Run{Events: []workflow.Event{
		{Kind: workflow.EventStepStarted, Step: "a"},
		{Kind: workflow.EventStepFinished, Step: "a", Model: "gpt-5", Usage: u},
		{Kind: workflow.EventStepFinished, Step: "b", Model: "test-model", Usage: u},
		{Kind: workflow.EventStepFinished, Step: "c", Model: "test-model"},
	}}
	prices := pricing.Builtin()
	if got := run.StepCost(prices, "a").String(); got != "$11.25" {
		t.Errorf("a costs %s", got)
	}
	if got := run.StepCost(prices, "b").String(); got != "unknown" {
		t.Errorf("b costs %s", got)
	}
	if got := run.StepCost(prices, "c").String(); got != "$0.00" {
		t.Errorf("c (no tokens) costs %s", got)
	}
	if got := run.Cost(prices).String(); got != "$11.25 + unknown" {
		t.Errorf("run costs %s", got)
	}
}

func (f *fixture) onlyRun(wf *workflow.Workflow) *Run {
	f.t.Helper()
	runs, _, err := Read(context.Background(), f.repo.Notes(), Topic("main", wf))
	if err != nil || len(runs) != 1 {
		f.t.Fatalf("runs: %v (%d)", err, len(runs))
	}
	return runs[0]
}

func storedStatus(f *fixture, wf *workflow.Workflow, step string) workflow.Status {
	runs, _, _ := Read(context.Background(), f.repo.Notes(), Topic("main", wf))
	if len(runs) != 1 {
		return ""
	}
	return runs[0].State.Steps[step].Status
}

func storedSession(f *fixture, wf *workflow.Workflow, step string) string {
	runs, _, _ := Read(context.Background(), f.repo.Notes(), Topic("main", wf))
	if len(runs) != 1 {
		return ""
	}
	return runs[0].State.Steps[step].Session
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The sink stores events in order, what queued up in one write, and says
// so when a write fails: the scheduler then stops the run.
func TestSinkBatchesAndReportsErrors(t *testing.T) {
	store := gitstore.NewMemoryStore()
	head := func() (string, error) { return gitstore.EmptyTree, nil }
	sink := &Sink{Store: store, Topic: "main/wf", Head: head, Linger: 50 * time.Millisecond}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var sent []workflow.Event
	for i, kind := range []workflow.EventKind{workflow.EventRunStarted, workflow.EventStepStarted, workflow.EventStepProgress,
		workflow.EventStepSession, workflow.EventStepFinished, workflow.EventRunFinished} {
		ev := workflow.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Run: "R1", Kind: kind, Step: "a", Attempt: 1,
			Session: "S", Turn: "T", Usage: &workflow.Usage{Output: i}, Steps: []string{"a"}, Workflow: "wf"}
		if err := sink.Emit(ev); err != nil {
			t.Fatal(err)
		}
		if kind.Stored() {
			sent = append(sent, ev)
		}
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if sink.Writes() != 1 {
		t.Errorf("%d writes, want the 5 stored events in 1", sink.Writes())
	}
	runs, warns, err := Read(context.Background(), store, "main/wf")
	if err != nil || len(warns) > 0 || len(runs) != 1 {
		t.Fatalf("read: %v %v %d", err, warns, len(runs))
	}
	if got := runs[0].Events; len(got) != len(sent) || got[3].Kind != workflow.EventStepFinished || got[3].Session != "S" ||
		got[3].Usage.Output != 4 || !got[0].Time.Equal(t0) {
		t.Errorf("events read back = %+v", got)
	}
	if err := sink.Emit(sent[0]); err == nil {
		t.Error("a closed sink took an event")
	}

	failing := &Sink{Store: store, Topic: "bad\ntopic", Head: head}
	_ = failing.Emit(sent[0])
	if err := failing.Close(); err == nil {
		t.Fatal("no error from a write that failed")
	}
	if err := failing.Emit(sent[1]); err == nil {
		t.Error("the sink took an event after a write failed")
	}
	sync := &Sink{Store: store, Topic: "bad\ntopic", Head: head, Sync: true}
	if err := sync.Emit(sent[0]); err == nil {
		t.Error("a synchronous write that failed returned no error")
	}
}

// A session whose last response the provider forgot is restarted from its
// transcript in git by the engine; the step says it was restarted.
func TestReplyToForgottenSessionRestarts(t *testing.T) {
	f := newFixture(t)
	wf := f.parse(`
steps:
  - id: a
    task: TASK-A first.
  - id: b
    reply_to: a
    task: Now that you have done that, follow up with TASK-B.
`)
	first, err := f.runner.Engine.With(nil).Delegate(context.Background(), session.DelegateOptions{Topic: "main/wf/a", Task: "TASK-A first."})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Forget()
	prev := &workflow.State{Run: "R", Steps: map[string]*workflow.StepState{
		"a": {ID: "a", Status: workflow.Passed, Session: first.Session, Turn: first.Turn, Topic: "main/wf/a", Answer: first.Text},
		"b": {ID: "b", Status: workflow.Waiting},
	}}
	st, err := workflow.Resume(context.Background(), wf, prev, f.options(wf, nil, 1))
	if err != nil {
		t.Fatal(err)
	}
	if b := st.Steps["b"]; b.Status != workflow.Passed || !b.Restarted || b.Session != first.Session {
		t.Fatalf("b = %+v; want passed and restarted in a's session", b)
	}
	last := f.requests()[len(f.requests())-1]
	if !strings.Contains(last, "TASK-A first.") || !strings.Contains(last, "follow up with TASK-B.") {
		t.Errorf("the restart does not carry the transcript:\n%s", last)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !strings.Contains(strings.Join(f.notified, "\n"), "b: restart:") {
		t.Errorf("the restart was not reported: %q", f.notified)
	}
}

// A request that fails fails the step with the model's error as its detail
// (not the engine's wrapper naming the turn); its message is stored all the
// same.
func TestRequestFailureFailsTheStep(t *testing.T) {
	f := newFixture(t)
	wf := f.parse(`
steps:
  - id: a
    task: TASK-A first.
`)
	f.srv.Inject(openaitest.Fault{Kind: openaitest.FaultBadRequest})
	st, err := workflow.Start(context.Background(), wf, f.options(wf, nil, 1))
	if !errors.Is(err, workflow.ErrStepFailed) {
		t.Fatalf("err = %v", err)
	}
	a := st.Steps["a"]
	if a.Status != workflow.Failed || !strings.Contains(a.Detail, "scripted bad request") || strings.Contains(a.Detail, "send turn") {
		t.Errorf("a = %s: %q", a.Status, a.Detail)
	}
	s, err := f.runner.Engine.With(nil).Load(context.Background(), "main/wf/a", "")
	if err != nil || len(s.Turns) != 1 || a.Session != s.ID || a.Turn != s.Turns[0].Record.ID {
		t.Errorf("the step's turn is not stored: %v, %+v", err, a)
	}
}
