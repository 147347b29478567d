package workflow

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoBranch is returned by Topics when a step needs a default topic
// (<branch>/<workflow>/<id>) and there is no branch (detached HEAD).
var ErrNoBranch = errors.New("no branch to name the default topics")

// link builds the dependency graph and checks what spans steps: ids named
// by after, reply_to and templates, cycles, sessions continued by steps that
// may run at once, topics shared by steps that may run at once.
func (w *Workflow) link(e *errs) {
	n := len(w.Steps)
	w.index = make(map[string]int, n)
	ids := make([]string, n)
	for i, s := range w.Steps {
		if s.ID != "" {
			w.index[s.ID] = i
		}
		ids[i] = s.ID
	}
	w.deps = make([][]int, n)
	for i, s := range w.Steps {
		add := func(id string, p Pos, key string) {
			j, ok := w.index[id]
			switch {
			case id == s.ID && key == "reply_to":
				e.add(p, "reply_to: step %q cannot continue its own session", id)
			case id == s.ID:
				e.add(p, "after: step %q cannot wait for itself", id)
			case !ok:
				e.add(p, "%s: unknown step %q%s", key, id, suggest(id, ids))
			case !containsInt(w.deps[i], j):
				w.deps[i] = append(w.deps[i], j)
			}
		}
		for k, id := range s.After {
			add(id, s.afterPos[k], "after")
		}
		if s.ReplyTo != "" {
			add(s.ReplyTo, s.keyPos["reply_to"], "reply_to")
		}
		sort.Ints(w.deps[i])
	}
	order, ok := w.order(e)
	if !ok {
		return
	}
	w.reach = make([]bitset, n)
	for _, i := range order {
		b := newBitset(n)
		for _, d := range w.deps[i] {
			b.set(d)
			b.or(w.reach[d])
		}
		w.reach[i] = b
	}
	w.checkSessions(e)
	w.checkTopics(e, func(i int) (string, Pos) {
		s := w.Steps[w.root(i)]
		return s.Topic, s.keyPos["topic"]
	})
	w.checkRefs(e, ids)
	for _, s := range w.Steps {
		if s.Sandbox == SandboxReadOnly && s.Max > 1 {
			w.Warnings = append(w.Warnings, &Error{File: e.file, Pos: s.keyPos["max"], Msg: fmt.Sprintf(
				"step %q: %d fix rounds with sandbox read-only: the model cannot edit files, so its answers cannot fix the check (sandbox: workspace-write lets it)", s.ID, s.Max)})
		}
	}
}

// order returns the steps in an order where every step comes after the steps
// it waits for, or reports each dependency cycle.
func (w *Workflow) order(e *errs) ([]int, bool) {
	const (
		white = iota
		grey
		black
	)
	n := len(w.Steps)
	color := make([]int, n)
	var order, stack []int
	reported := make([]bool, n)
	ok := true
	var visit func(i int)
	visit = func(i int) {
		color[i] = grey
		stack = append(stack, i)
		for _, d := range w.deps[i] {
			switch color[d] {
			case white:
				visit(d)
			case grey:
				ok = false
				k := len(stack) - 1
				for stack[k] != d {
					k--
				}
				cycle := stack[k:]
				if anyOf(reported, cycle) {
					continue
				}
				var parts []string
				for c, x := range cycle {
					next := cycle[(c+1)%len(cycle)]
					parts = append(parts, fmt.Sprintf("%s waits for %s", w.Steps[x].ID, w.Steps[next].ID))
					reported[x] = true
				}
				e.add(w.edgePos(cycle[0], cycle[1%len(cycle)]), "dependency cycle: %s", strings.Join(parts, ", "))
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		order = append(order, i)
	}
	for i := range w.Steps {
		if color[i] == white {
			visit(i)
		}
	}
	return order, ok
}

// edgePos is where step i names step j (in after, else reply_to).
func (w *Workflow) edgePos(i, j int) Pos {
	s := w.Steps[i]
	for k, id := range s.After {
		if id == w.Steps[j].ID {
			return s.afterPos[k]
		}
	}
	if p, ok := s.keyPos["reply_to"]; ok {
		return p
	}
	return s.Pos
}

// root is the step that opened the session step i continues (i itself when
// it opens one).
func (w *Workflow) root(i int) int {
	for k := 0; k <= len(w.Steps); k++ {
		r := w.Steps[i].ReplyTo
		if r == "" {
			return i
		}
		j, ok := w.index[r]
		if !ok {
			return i
		}
		i = j
	}
	return i
}

func (w *Workflow) ordered(i, j int) bool {
	return w.reach[i].has(j) || w.reach[j].has(i)
}

// checkSessions refuses two steps that continue one session and may run at
// the same time: their turns would fork the session.
func (w *Workflow) checkSessions(e *errs) {
	for j := range w.Steps {
		if w.Steps[j].ReplyTo == "" {
			continue
		}
		rj := w.root(j)
		for i := 0; i < j; i++ {
			if w.root(i) != rj || w.ordered(i, j) {
				continue
			}
			a, b := w.Steps[i], w.Steps[j]
			e.add(b.keyPos["reply_to"], "steps %q and %q both continue the session of %q and may run at the same time, which would fork it; make %q wait for %q (after: [%s])",
				a.ID, b.ID, w.Steps[rj].ID, b.ID, a.ID, a.ID)
			break
		}
	}
}

// checkTopics refuses two sessions on one topic that may run at the same
// time. topic returns the topic of step i ("" when unknown yet) and where it
// is written.
func (w *Workflow) checkTopics(e *errs, topic func(i int) (string, Pos)) {
	byTopic := map[string][]int{}
	for j := range w.Steps {
		tj, pj := topic(j)
		if tj == "" {
			continue
		}
		for _, i := range byTopic[tj] {
			if w.root(i) == w.root(j) || w.ordered(i, j) {
				continue
			}
			if pj.Line == 0 {
				pj = w.Steps[j].Pos
			}
			e.add(pj, "steps %q and %q open sessions on the same topic %q and may run at the same time; give one its own topic or make it wait for the other",
				w.Steps[i].ID, w.Steps[j].ID, tj)
			break
		}
		byTopic[tj] = append(byTopic[tj], j)
	}
}

// checkRefs checks every {{ steps.ID.FIELD }}: the step exists and the
// referring step waits for it.
func (w *Workflow) checkRefs(e *errs, ids []string) {
	for i, s := range w.Steps {
		for _, key := range []string{"task", "focus", "scope", "expect", "criteria"} {
			for _, ref := range s.Texts()[key].Refs() {
				expr := fmt.Sprintf("{{ steps.%s.%s }}", ref.Step, ref.Field)
				j, ok := w.index[ref.Step]
				switch {
				case !ok:
					e.add(ref.Pos, "%s: unknown step %q%s", expr, ref.Step, suggest(ref.Step, ids))
				case j == i:
					e.add(ref.Pos, "%s: a step cannot use its own output", expr)
				case !w.reach[i].has(j):
					e.add(ref.Pos, "%s: step %q does not wait for %q; add %q to its after", expr, s.ID, ref.Step, ref.Step)
				}
			}
		}
	}
}

// Topics returns the topic of every step for a run on branch: the step's
// topic, the topic of the session it continues, or <branch>/<Base>/<id>.
// It returns ErrNoBranch when a default is needed and branch is "", and an
// ErrorList when a default topic collides with another step's topic.
func (w *Workflow) Topics(branch string) (map[string]string, error) {
	out := make(map[string]string, len(w.Steps))
	for i := range w.Steps {
		r := w.Steps[w.root(i)]
		t := r.Topic
		if t == "" {
			if branch == "" {
				return nil, fmt.Errorf("topic of step %q: %w", w.Steps[i].ID, ErrNoBranch)
			}
			t = branch + "/" + w.Base + "/" + r.ID
		}
		out[w.Steps[i].ID] = t
	}
	e := &errs{file: w.File}
	w.checkTopics(e, func(i int) (string, Pos) {
		r := w.Steps[w.root(i)]
		return out[r.ID], r.keyPos["topic"]
	})
	if err := e.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// bitset is a set of step indexes.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) or(c bitset) {
	for k := range c {
		b[k] |= c[k]
	}
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

func anyOf(flags []bool, idx []int) bool {
	for _, i := range idx {
		if flags[i] {
			return true
		}
	}
	return false
}
