package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// instant is a runner that passes at once, to measure the scheduler alone.
type instant struct{}

func (instant) Run(_ context.Context, req Request) (Result, error) {
	req.Report(Progress{Session: "S-" + req.Step.ID, Turn: "T"})
	return Result{Passed: true, Session: "S-" + req.Step.ID, Answer: "a", Usage: Usage{Input: 1, Output: 1}}, nil
}

func independent(b testing.TB, n int) *Workflow {
	var src strings.Builder
	src.WriteString("steps:\n")
	for i := range n {
		fmt.Fprintf(&src, "- {id: s%d, task: 'step %d'}\n", i, i)
	}
	w, err := Parse("bench.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkScheduler measures the scheduler's overhead per step: an
// instant runner, every event handed to a sink that keeps nothing.
//
//	go test ./workflow -run '^$' -bench Scheduler -count 5
func BenchmarkScheduler(b *testing.B) {
	for _, n := range []int{50, 500} {
		w := independent(b, n)
		for _, jobs := range []int{1, 4, 8} {
			b.Run(fmt.Sprintf("steps=%d/j=%d", n, jobs), func(b *testing.B) {
				opt := Options{Jobs: jobs, Branch: "main", Runner: instant{}, Sink: SinkFunc(func(Event) error { return nil }),
					NewID: func(time.Time) string { return "RUN" }}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Start(context.Background(), w, opt); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/step")
			})
		}
	}
}

// sleeper is a runner whose steps take a fixed time each.
type sleeper map[string]time.Duration

func (s sleeper) Run(ctx context.Context, req Request) (Result, error) {
	select {
	case <-time.After(s[req.Step.ID]):
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	return Result{Passed: true, Answer: req.Step.ID}, nil
}

// TestCriticalPathFigures runs the five-step example (a survey, two
// branches, a join) with steps that sleep, and prints the wall time against
// the sum of the steps and the critical path: the scheduler runs the
// branches at once, so the wall time follows the critical path. Figures
// only (go test -v -run CriticalPathFigures ./workflow); no timed assertion.
func TestCriticalPathFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps about a second")
	}
	w, err := ParseFile("testdata/examples/review.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cost := sleeper{"survey": 40 * time.Millisecond, "api": 60 * time.Millisecond, "api-tests": 60 * time.Millisecond,
		"storage": 100 * time.Millisecond, "report": 40 * time.Millisecond}
	var sum time.Duration
	for _, d := range cost {
		sum += d
	}
	chain, critical := w.CriticalPath(func(id string) time.Duration { return cost[id] })
	var walls []time.Duration
	for range 5 {
		start := time.Now()
		st, err := Start(context.Background(), w, Options{Jobs: 4, Branch: "main", Runner: cost, NewID: func(time.Time) string { return "R" }})
		if err != nil || st.Status != Passed {
			t.Fatalf("run: %v", err)
		}
		walls = append(walls, time.Since(start))
	}
	slices.Sort(walls)
	med := walls[len(walls)/2]
	t.Logf("five steps, -j 4: wall %v (median of %d: %v); sum of steps %v; critical path %v (%s)",
		med.Round(time.Millisecond), len(walls), walls, sum, critical, strings.Join(chain, " → "))
	t.Logf("wall/critical = %.2f, wall/sum = %.2f", float64(med)/float64(critical), float64(med)/float64(sum))
}
