package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/runner"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/workflow"
)

// runView shows a run as it goes: on a terminal one line per step, redrawn
// (waiting / running with its time and tokens / passed / failed …); piped,
// one plain line per change; with --json the events, one JSON object a
// line. Everything goes to stdout but warnings, which go to stderr once
// each. It is fed by the scheduler's goroutine (event) and the steps'
// (notify), and redraws itself on a terminal.
type runView struct {
	e      *Env
	out    io.Writer
	json   bool
	live   bool
	width  int
	p      ui.Palette
	prices *pricing.Table
	now    func() time.Time
	wf     *workflow.Workflow

	mu      sync.Mutex
	run     string
	begun   time.Time
	steps   []*stepView
	byID    map[string]*stepView
	drawn   int
	warned  map[string]bool
	stop    chan struct{}
	stopped sync.WaitGroup
	enc     *json.Encoder
}

// stepView is one step as the view shows it.
type stepView struct {
	id      string
	status  workflow.Status
	attempt int
	started time.Time
	ended   time.Time
	// done is the usage and cost of the attempts that finished; live the
	// usage of the running one.
	done    workflow.Usage
	live    workflow.Usage
	cost    pricing.Amount
	model   string
	note    string
	ran     bool // ran in this invocation (for the critical path)
	skipped bool
}

func newRunView(e *Env, wf *workflow.Workflow, prices *pricing.Table, asJSON bool) *runView {
	v := &runView{e: e, out: e.Stdout, json: asJSON, prices: prices, now: e.Now, wf: wf, byID: map[string]*stepView{}, warned: map[string]bool{}}
	if v.now == nil {
		v.now = time.Now
	}
	for _, s := range wf.Steps {
		sv := &stepView{id: s.ID, status: workflow.Waiting}
		v.steps = append(v.steps, sv)
		v.byID[s.ID] = sv
	}
	switch {
	case asJSON:
		v.enc = json.NewEncoder(v.out)
		v.enc.SetEscapeHTML(false)
	case e.IsTTY:
		v.live = true
		v.width = stdoutWidth(e)
		v.p = e.Palette()
	}
	return v
}

// resume shows what an earlier invocation of the run left: passed steps
// stay passed.
func (v *runView) resume(st *workflow.State) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for id, s := range st.Steps {
		if sv := v.byID[id]; sv != nil && s.Status == workflow.Passed {
			sv.status, sv.done, sv.model, sv.attempt = workflow.Passed, s.Usage, s.Model, s.Attempt
			sv.cost = v.prices.Amount(s.Model, pricing.Usage{Input: s.Usage.Input, Cached: s.Usage.Cached, Output: s.Usage.Output})
			sv.note = "passed before"
		}
	}
}

// event takes one of the scheduler's events.
func (v *runView) event(ev workflow.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.json {
		_ = v.enc.Encode(ev)
		return
	}
	sv := v.byID[ev.Step]
	switch ev.Kind {
	case workflow.EventRunStarted, workflow.EventRunResumed:
		v.run, v.begun = ev.Run, ev.Time
		verb := "started"
		if ev.Kind == workflow.EventRunResumed {
			verb = "resumed"
		}
		v.line(fmt.Sprintf("run %s %s: %s, %d steps, -j %d", text.ShortID(ev.Run), verb, v.wf.Name, len(v.steps), ev.Jobs))
		if v.live {
			v.start()
		}
	case workflow.EventStepStarted:
		sv.status, sv.attempt, sv.started, sv.ended, sv.live, sv.note, sv.ran = workflow.Running, ev.Attempt, ev.Time, time.Time{}, workflow.Usage{}, "", true
		what := "started"
		if ev.Attempt > 1 {
			what = fmt.Sprintf("started (attempt %d)", ev.Attempt)
		}
		v.line(fmt.Sprintf("%s: %s on topic %s", ev.Step, what, ev.Topic))
	case workflow.EventStepProgress:
		if ev.Usage != nil {
			sv.live = *ev.Usage
		}
		if ev.Model != "" {
			sv.model = ev.Model
		}
		v.redraw()
	case workflow.EventStepFinished:
		sv.status, sv.ended, sv.live = ev.Status, ev.Time, workflow.Usage{}
		if ev.Usage != nil {
			sv.done = sv.done.Add(*ev.Usage)
		}
		if ev.Model != "" {
			sv.model = ev.Model
		}
		sv.cost = sv.cost.Add(runner.EventCost(v.prices, ev))
		sv.note = redact.Line(ev.Detail, 200)
		sv.skipped = ev.Status == workflow.Skipped
		v.line(v.finishedLine(sv, ev))
	case workflow.EventRunFinished:
		v.redraw()
	}
}

// notify takes what a step's engine reports for people.
func (v *runView) notify(step string, ev session.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	msg := redact.Line(ev.Text, 200)
	switch {
	case ev.Kind == session.EventWarning:
		if v.warned[msg] {
			return
		}
		v.warned[msg] = true
		v.erase()
		fmt.Fprintf(v.e.Stderr, "git-codex: warning: %s\n", msg)
		v.redraw()
	case v.json, ev.Kind == session.EventMode:
		// The events say what happened; the run decides the steps' modes.
	default:
		if sv := v.byID[step]; sv != nil {
			sv.note = string(ev.Kind) + ": " + msg
		}
		v.line(fmt.Sprintf("%s: %s: %s", step, ev.Kind, msg))
	}
}

// finishedLine is the plain line of a finished attempt.
func (v *runView) finishedLine(sv *stepView, ev workflow.Event) string {
	if ev.Status == workflow.Skipped {
		return fmt.Sprintf("%s: skipped: %s", ev.Step, sv.note)
	}
	parts := []string{fmt.Sprintf("%s: %s in %s", ev.Step, ev.Status, seconds(sv.ended.Sub(sv.started)))}
	if ev.Usage != nil {
		parts = append(parts, tokens(*ev.Usage)+" tokens", costNote(runner.EventCost(v.prices, ev)))
	}
	line := strings.Join(parts, " · ")
	if ev.Status != workflow.Passed && sv.note != "" {
		line += ": " + sv.note
	}
	return line
}

// line shows a change: as a plain line when piped, by a redraw on a
// terminal.
func (v *runView) line(s string) {
	if v.live {
		v.redraw()
		return
	}
	fmt.Fprintln(v.out, s)
}

// start redraws the terminal view every 200 ms until finish.
func (v *runView) start() {
	if v.stop != nil {
		return
	}
	v.stop = make(chan struct{})
	v.stopped.Add(1)
	go func() {
		defer v.stopped.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-v.stop:
				return
			case <-t.C:
				v.mu.Lock()
				v.redraw()
				v.mu.Unlock()
			}
		}
	}()
}

// erase moves the cursor back over the drawn view and clears it.
func (v *runView) erase() {
	if !v.live || v.drawn == 0 {
		return
	}
	fmt.Fprintf(v.out, "\x1b[%dA\x1b[J", v.drawn)
	v.drawn = 0
}

// redraw draws the terminal view again in place.
func (v *runView) redraw() {
	if !v.live || v.run == "" {
		return
	}
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.drawn)
	}
	lines := v.frame()
	for _, l := range lines {
		if v.width > 0 {
			l = ui.Truncate(l, v.width-1)
		}
		b.WriteString("\r\x1b[2K" + l + "\n")
	}
	_, _ = io.WriteString(v.out, b.String())
	v.drawn = len(lines)
}

// frame is the terminal view: a header, then one line per step.
func (v *runView) frame() []string {
	now := v.now()
	var total workflow.Usage
	var cost pricing.Amount
	passed := 0
	for _, sv := range v.steps {
		total = total.Add(sv.done).Add(sv.live)
		cost = cost.Add(sv.cost)
		if sv.status == workflow.Passed {
			passed++
		}
	}
	head := fmt.Sprintf("run %s · %s · %s · %d/%d passed · %s tokens · %s", v.p.Paint(ui.SlotID, text.ShortID(v.run)), v.wf.Name,
		seconds(now.Sub(v.begun)), passed, len(v.steps), tokens(total), cost)
	rows := make([][]string, 0, len(v.steps))
	for _, sv := range v.steps {
		elapsed, toks, money := "", "", ""
		switch sv.status {
		case workflow.Running:
			elapsed = seconds(now.Sub(sv.started))
		case workflow.Waiting:
		default:
			if !sv.ended.IsZero() && !sv.started.IsZero() {
				elapsed = seconds(sv.ended.Sub(sv.started))
			}
		}
		if u := sv.done.Add(sv.live); !u.IsZero() {
			toks = tokens(u) + " tok"
		}
		if sv.cost.Priced+sv.cost.Unpriced > 0 {
			money = costNote(sv.cost)
		}
		rows = append(rows, []string{statusMark(sv.status), sv.id, string(sv.status), elapsed, toks, money, sv.note})
	}
	var b strings.Builder
	width := v.width
	if width > 0 {
		width -= 2
	}
	_ = ui.Table{Flex: 6, Width: width, Paint: func(row, col int, s string) string {
		if col == 2 || col == 0 {
			return v.p.Paint(stepSlot(v.steps[row].status), s)
		}
		return s
	}}.Write(&b, rows)
	lines := []string{head}
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		lines = append(lines, "  "+l)
	}
	return lines
}

// finish stops the redraws, draws the last frame and prints the summary:
// wall time against the sum of the steps' times and the critical path of
// this invocation's steps, tokens and cost.
func (v *runView) finish(st *workflow.State) {
	if v.stop != nil {
		close(v.stop)
		v.stopped.Wait()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.json || st == nil {
		return
	}
	v.redraw()
	wall := v.now().Sub(v.begun)
	durations := map[string]time.Duration{}
	var sum time.Duration
	counts := map[workflow.Status][]string{}
	var total workflow.Usage
	var cost pricing.Amount
	for _, sv := range v.steps {
		s := st.Steps[sv.id]
		status := sv.status
		if s != nil {
			status = s.Status
		}
		counts[status] = append(counts[status], sv.id)
		if sv.ran && !sv.ended.IsZero() && !sv.skipped {
			durations[sv.id] = sv.ended.Sub(sv.started)
			sum += durations[sv.id]
		}
		total = total.Add(sv.done)
		cost = cost.Add(sv.cost)
	}
	chain, critical := v.wf.CriticalPath(func(id string) time.Duration { return durations[id] })
	var tally []string
	for _, s := range []workflow.Status{workflow.Passed, workflow.Failed, workflow.Skipped, workflow.Cancelled, workflow.Running, workflow.Waiting} {
		if ids := counts[s]; len(ids) > 0 {
			t := fmt.Sprintf("%d %s", len(ids), s)
			if s == workflow.Failed {
				t += " (" + strings.Join(ids, ", ") + ")"
			}
			tally = append(tally, t)
		}
	}
	fmt.Fprintf(v.out, "run %s %s in %s: %s · steps took %s in all, critical path %s (%s) · %s tokens · %s\n",
		text.ShortID(st.Run), st.Status, seconds(wall), strings.Join(tally, ", "), seconds(sum), seconds(critical),
		strings.Join(chain, " → "), tokens(total), costNote(cost))
}

func statusMark(s workflow.Status) string {
	switch s {
	case workflow.Passed:
		return "✓"
	case workflow.Failed:
		return "✗"
	case workflow.Running:
		return "▸"
	case workflow.Skipped:
		return "-"
	case workflow.Cancelled:
		return "!"
	}
	return "·"
}

func stepSlot(s workflow.Status) ui.Slot {
	switch s {
	case workflow.Passed:
		return ui.SlotOpen
	case workflow.Failed:
		return ui.SlotError
	case workflow.Running:
		return ui.SlotID
	case workflow.Cancelled:
		return ui.SlotWarning
	}
	return ui.SlotDim
}

// seconds shows a duration for people: "0.42s", "12.3s", "4m05s".
func seconds(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// tokens is a usage's input and output tokens, with thousands separators.
func tokens(u workflow.Usage) string { return ui.Thousands(u.Input + u.Output) }

// stdoutWidth is the width of the terminal stdout is, 0 when it is none.
func stdoutWidth(e *Env) int {
	w := e.Stdout
	if p, ok := w.(*pipeWriter); ok {
		w = p.w
	}
	f, _ := w.(*os.File)
	return ui.TerminalWidth(f, e.Getenv)
}

// tableTo writes rows under a header, fitted to the terminal on stdout.
func tableTo(e *Env, w io.Writer, header []string, flex int, rows [][]string) error {
	return ui.Table{Header: header, Flex: flex, Width: stdoutWidth(e), Palette: e.Palette()}.Write(w, rows)
}
