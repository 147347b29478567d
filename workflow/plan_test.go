package workflow

import (
	"reflect"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	w, err := ParseFile("testdata/examples/review.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := w.Plan()
	want := Plan{
		Order:    []string{"survey", "api", "api-tests", "storage", "report"},
		Levels:   [][]string{{"survey"}, {"api", "storage"}, {"api-tests"}, {"report"}},
		Critical: []string{"survey", "api", "api-tests", "report"},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Plan = %+v\nwant %+v", p, want)
	}
}

func TestCriticalPath(t *testing.T) {
	w, err := ParseFile("testdata/examples/review.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		cost  map[string]time.Duration
		chain []string
		total time.Duration
	}{
		{"the API branch is longer", map[string]time.Duration{"survey": 1, "api": 3, "api-tests": 3, "storage": 5, "report": 1},
			[]string{"survey", "api", "api-tests", "report"}, 8},
		{"the storage branch is longer", map[string]time.Duration{"survey": 1, "api": 1, "api-tests": 1, "storage": 5, "report": 1},
			[]string{"survey", "storage", "report"}, 7},
		{"a tie goes to the chain met first", map[string]time.Duration{"survey": 1, "api": 1, "api-tests": 1, "storage": 2, "report": 1},
			[]string{"survey", "api", "api-tests", "report"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, total := w.CriticalPath(func(id string) time.Duration { return tt.cost[id] })
			if !reflect.DeepEqual(chain, tt.chain) || total != tt.total {
				t.Errorf("CriticalPath = %v %v, want %v %v", chain, total, tt.chain, tt.total)
			}
		})
	}
}

func TestPlanIndependentSteps(t *testing.T) {
	w := mustParse(t, "steps:\n- {id: c, task: x}\n- {id: a, task: y}\n- {id: b, task: z, after: [c]}\n")
	p := w.Plan()
	if !reflect.DeepEqual(p.Order, []string{"c", "a", "b"}) || !reflect.DeepEqual(p.Levels, [][]string{{"c", "a"}, {"b"}}) ||
		!reflect.DeepEqual(p.Critical, []string{"c", "b"}) {
		t.Errorf("Plan = %+v", p)
	}
}
