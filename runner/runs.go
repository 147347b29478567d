package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/workflow"
)

// ErrAmbiguous is returned by Find when an id prefix names several runs; the
// error text lists them.
var ErrAmbiguous = errors.New("ambiguous run id")

// Run is a stored run: its events and the state they rebuild.
type Run struct {
	// Topic is the topic that holds its records.
	Topic string
	State *workflow.State
	// Events are its stored events, oldest first.
	Events []workflow.Event
	// Remote names the remote whose fetched notes alone hold the run ("" when
	// the local topic ref holds some of it).
	Remote string
}

// List reads every run stored in the topics of store (with
// gitstore.NotesStore.WithRemotes, those fetched from remotes too), oldest
// first, and the note lines and records it skipped.
func List(ctx context.Context, store gitstore.Store) ([]*Run, []gitstore.Warning, error) {
	topics, err := store.Topics(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list runs: %w", err)
	}
	var out []*Run
	var warns []gitstore.Warning
	for _, t := range topics {
		runs, ws, err := Read(ctx, store, t)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, runs...)
		warns = append(warns, ws...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].State.Run < out[j].State.Run })
	return out, warns, nil
}

// Read returns the runs whose records topic holds, oldest first. Records
// of runs without a run.started event (a copy of notes cut short by hand)
// are skipped with a warning.
func Read(ctx context.Context, store gitstore.Store, topic string) ([]*Run, []gitstore.Warning, error) {
	copies, warns, err := store.Read(ctx, topic)
	if err != nil {
		return nil, nil, fmt.Errorf("read runs of topic %q: %w", topic, err)
	}
	byRun := map[string]*Run{}
	seen := map[string]bool{}
	local := map[string]bool{}
	var ids []string
	for _, g := range copies {
		if g.Kind != Kind {
			continue
		}
		ev, err := decode(g)
		if err != nil {
			warns = append(warns, gitstore.Warning{Object: g.NoteObject, Record: g.ID, Reason: "skipped malformed record: " + text.Cut(err.Error(), 80)})
			continue
		}
		if g.Remote == "" {
			local[ev.Run] = true
		}
		if seen[g.ID] {
			continue // the same record on another note (a rewritten commit)
		}
		seen[g.ID] = true
		r := byRun[ev.Run]
		if r == nil {
			r = &Run{Topic: topic, Remote: g.Remote}
			byRun[ev.Run] = r
			ids = append(ids, ev.Run)
		}
		r.Events = append(r.Events, ev)
	}
	sort.Strings(ids)
	var out []*Run
	for _, id := range ids {
		r := byRun[id]
		st, err := workflow.Rebuild(id, r.Events)
		if err != nil {
			warns = append(warns, gitstore.Warning{Reason: fmt.Sprintf("skipped run %s in topic %q: %v", text.ShortID(id), topic, err)})
			continue
		}
		if local[id] {
			r.Remote = ""
		}
		sort.SliceStable(r.Events, func(i, j int) bool { return r.Events[i].Time.Before(r.Events[j].Time) })
		r.State = st
		out = append(out, r)
	}
	return out, warns, nil
}

// Find returns the run whose id starts with prefix (case aside). Returns
// workflow.ErrNoRun when there is none, ErrAmbiguous (listing them) when
// there are several.
func Find(ctx context.Context, store gitstore.Store, prefix string) (*Run, []gitstore.Warning, error) {
	runs, warns, err := List(ctx, store)
	if err != nil {
		return nil, nil, err
	}
	want := strings.ToUpper(strings.TrimSpace(prefix))
	var found []*Run
	for _, r := range runs {
		if want != "" && strings.HasPrefix(r.State.Run, want) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, warns, fmt.Errorf("find run %q: %w", prefix, workflow.ErrNoRun)
	case 1:
		return found[0], warns, nil
	}
	var names []string
	for _, r := range found {
		names = append(names, r.State.Run+" ("+r.State.Workflow+")")
	}
	return nil, warns, fmt.Errorf("find run %q: %w: %s", prefix, ErrAmbiguous, strings.Join(names, ", "))
}

// Cost is what a run's steps cost: every finished attempt priced with the
// model that answered it; unknown (never zero) for a model without a price.
func (r *Run) Cost(prices *pricing.Table) pricing.Amount {
	var a pricing.Amount
	for _, ev := range r.Events {
		a = a.Add(EventCost(prices, ev))
	}
	return a
}

// StepCost is what a step's finished attempts cost.
func (r *Run) StepCost(prices *pricing.Table, step string) pricing.Amount {
	var a pricing.Amount
	for _, ev := range r.Events {
		if ev.Step == step {
			a = a.Add(EventCost(prices, ev))
		}
	}
	return a
}

// EventCost is what the attempt a step.finished event ends cost (nothing
// for other events and for attempts that used no tokens).
func EventCost(prices *pricing.Table, ev workflow.Event) pricing.Amount {
	if ev.Kind != workflow.EventStepFinished || ev.Usage == nil || ev.Usage.IsZero() {
		return pricing.Amount{}
	}
	return prices.Amount(ev.Model, pricing.Usage{Input: ev.Usage.Input, Cached: ev.Usage.Cached, Output: ev.Usage.Output})
}

// Holder is what Claim and Hold hold a run with: one process at a time
// runs a run (*gitstore.Repo implements it).
type Holder interface {
	HoldRun(id string) (release func(), err error)
}

// Claim holds the run prefix names for this process and returns its state
// as read under the hold: a second resume, or a resume of a run still
// going, would ask every pending step twice, and the process that held it
// may have moved it on meanwhile. Another process holding it is
// gitstore.ErrRunBusy. release is never nil.
func Claim(ctx context.Context, h Holder, store gitstore.Store, prefix string) (run *Run, release func(), warns []gitstore.Warning, err error) {
	release = func() {}
	run, warns, err = Find(ctx, store, prefix)
	if err != nil {
		return nil, release, warns, err
	}
	if release, err = Hold(h, run.State.Run); err != nil {
		return nil, release, warns, err
	}
	run, warns, err = Find(ctx, store, run.State.Run)
	return run, release, warns, err
}

// Hold holds a new run, id, for this process (see Claim). release is
// never nil.
func Hold(h Holder, id string) (release func(), err error) {
	release, err = h.HoldRun(id)
	if err != nil {
		return func() {}, fmt.Errorf("run %s: %w", text.ShortID(id), err)
	}
	return release, nil
}
