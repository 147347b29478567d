//go:build unix

package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/workflow"
)

// BenchmarkRunOverhead measures what running a step through the workflow
// scheduler costs beyond the session it is, on a real repository against an
// instant loopback model server (the model's own time is excluded):
//
//   - engine: the baseline, one Delegate per step called in a loop, what
//     the steps' sessions cost by themselves (records, request, answer);
//   - run/j=1: the same steps as a workflow of independent steps with -j 1
//     through the real Runner and the batched Sink (events as records);
//   - run/j=1/sync-sink: the same with a Sink that writes every event
//     before the scheduler goes on (one notes commit per event);
//   - run/j=8: the same steps eight at once.
//
// Each iteration runs 20 steps on fresh topics. It reports per step the
// median wall time and CPU time (user and system, git's child processes
// included: a loaded machine inflates it less) over the iterations, and for
// the runs sched-ms/step: the wall time not spent inside Runner.Run (the
// scheduler, the events stored as records, the live view's feed), the
// scheduler's overhead per step (goal: under 10 ms). run/j=1 minus engine
// is the same figure from outside, noisier:
//
//	go test ./runner -run '^$' -bench RunOverhead -benchtime 10x
func BenchmarkRunOverhead(b *testing.B) {
	const steps = 20
	for _, mode := range []string{"engine", "run/j=1", "run/j=1/sync-sink", "run/j=8"} {
		b.Run(mode, func(b *testing.B) {
			gittest.Hermetic(b)
			dir := gittest.NewRepo(b)
			gittest.CommitContextFiles(b, dir)
			repo, err := gitstore.Open(dir, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer repo.Close()
			srv := openaitest.New(b)
			srv.SetChunkSize(1 << 10)
			eng := &session.Engine{Store: repo.Notes().WithRemotes(), Repo: repo,
				Config: model.Config{BaseURL: srv.URL(), Model: "test-model", Engine: model.EngineResponses}}
			r := &timedRunner{Runner: &Runner{Engine: eng}}
			var perStep, cpuPerStep, schedPerStep []float64
			iter, writes := 0, 0
			for b.Loop() {
				iter++
				name := fmt.Sprintf("wf%d", iter)
				r.spent.Store(0)
				start, cpu0 := time.Now(), cpuTime()
				switch mode {
				case "engine":
					e := eng.With(nil)
					for i := range steps {
						if _, err := e.Delegate(context.Background(), session.DelegateOptions{
							Topic: fmt.Sprintf("main/%s/s%02d", name, i), Task: fmt.Sprintf("Step %d.", i)}); err != nil {
							b.Fatal(err)
						}
					}
				default:
					var src strings.Builder
					src.WriteString("steps:\n")
					for i := range steps {
						fmt.Fprintf(&src, "  - id: s%02d\n    task: Step %d.\n", i, i)
					}
					wf, err := workflow.Parse(name+".yaml", []byte(src.String()))
					if err != nil {
						b.Fatal(err)
					}
					sink := &Sink{Store: repo.Notes(), Topic: Topic("main", wf), Sync: strings.HasSuffix(mode, "sync-sink"),
						Head: func() (string, error) { h, err := repo.Head(); return h.Target(), err }}
					jobs := 1
					if strings.HasSuffix(mode, "j=8") {
						jobs = 8
					}
					st, err := workflow.Start(context.Background(), wf, workflow.Options{Jobs: jobs, Branch: "main", Runner: r, Sink: sink, NewID: gitstore.NewID})
					if cerr := sink.Close(); err != nil || cerr != nil || st.Status != workflow.Passed {
						b.Fatalf("run: %v %v", err, cerr)
					}
					writes += sink.Writes()
				}
				wall := time.Since(start)
				perStep = append(perStep, ms(wall)/steps)
				cpuPerStep = append(cpuPerStep, ms(cpuTime()-cpu0)/steps)
				if mode == "run/j=1" || mode == "run/j=1/sync-sink" {
					schedPerStep = append(schedPerStep, ms(wall-time.Duration(r.spent.Load()))/steps)
				}
			}
			b.ReportMetric(median(perStep), "median-ms/step")
			b.ReportMetric(median(cpuPerStep), "cpu-ms/step")
			if len(schedPerStep) > 0 {
				b.ReportMetric(median(schedPerStep), "sched-ms/step")
			}
			if writes > 0 {
				b.ReportMetric(float64(writes)/float64(iter*steps), "writes/step")
			}
		})
	}
}

// timedRunner adds up the time spent inside the runner's Run.
type timedRunner struct {
	*Runner
	spent atomic.Int64
}

func (t *timedRunner) Run(ctx context.Context, req workflow.Request) (workflow.Result, error) {
	start := time.Now()
	defer func() { t.spent.Add(int64(time.Since(start))) }()
	return t.Runner.Run(ctx, req)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// cpuTime is the CPU time (user and system) of this process and the
// children it waited for.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
}
