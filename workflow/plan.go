package workflow

import "time"

// Plan is what a dry run shows: the order, what may run at once, and the
// chain of steps that bounds the run's time.
type Plan struct {
	// Order runs every step after the steps it waits for (file order among
	// steps that are ready together): the order with -j 1.
	Order []string
	// Levels groups the steps by the length of the longest chain of steps
	// they wait for: the steps of a level may all run at once.
	Levels [][]string
	// Critical is the longest chain of steps, each waiting for the one
	// before: the run takes at least as long as this chain.
	Critical []string
}

// Plan computes the dry-run plan; every step counts the same.
func (w *Workflow) Plan() Plan {
	p := Plan{Order: w.topo()}
	depth := make([]int, len(w.Steps))
	for _, id := range p.Order {
		i := w.index[id]
		for _, d := range w.deps[i] {
			depth[i] = max(depth[i], depth[d]+1)
		}
		for len(p.Levels) <= depth[i] {
			p.Levels = append(p.Levels, nil)
		}
		p.Levels[depth[i]] = append(p.Levels[depth[i]], id)
	}
	p.Critical, _ = w.CriticalPath(func(string) time.Duration { return 1 })
	return p
}

// CriticalPath returns the chain of steps with the largest total cost (each
// step waiting for the one before) and that total: with unlimited jobs and
// steps taking cost(id), the run takes this long. Ties go to the chain met
// first in file order.
func (w *Workflow) CriticalPath(cost func(id string) time.Duration) ([]string, time.Duration) {
	n := len(w.Steps)
	total := make([]time.Duration, n)
	prev := make([]int, n)
	best := -1
	for _, id := range w.topo() {
		i := w.index[id]
		prev[i] = -1
		for _, d := range w.deps[i] {
			if prev[i] == -1 || total[d] > total[prev[i]] {
				prev[i] = d
			}
		}
		total[i] = cost(id)
		if prev[i] >= 0 {
			total[i] += total[prev[i]]
		}
		if best == -1 || total[i] > total[best] || (total[i] == total[best] && i < best) {
			best = i
		}
	}
	if best < 0 {
		return nil, 0
	}
	var chain []string
	for i := best; i >= 0; i = prev[i] {
		chain = append([]string{w.Steps[i].ID}, chain...)
	}
	return chain, total[best]
}

// topo orders the steps so that each comes after the steps it waits for,
// taking the first ready step in file order each time.
func (w *Workflow) topo() []string {
	out := make([]string, 0, len(w.Steps))
	done := make([]bool, len(w.Steps))
	for len(out) < len(w.Steps) {
		progress := false
		for i, s := range w.Steps {
			if done[i] {
				continue
			}
			ready := true
			for _, d := range w.deps[i] {
				ready = ready && done[d]
			}
			if ready {
				done[i] = true
				out = append(out, s.ID)
				progress = true
				break
			}
		}
		if !progress { // a cycle: Parse refuses those
			break
		}
	}
	return out
}
