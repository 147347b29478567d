package repoctx

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// fakeTracker answers UncommittedPaths from fixed lists.
type fakeTracker struct {
	untracked, changed []string
	err                error
	asked              []string
}

func (f *fakeTracker) UncommittedPaths(_ context.Context, paths ...string) ([]string, []string, error) {
	f.asked = paths
	return f.untracked, f.changed, f.err
}

func TestCheckTracked(t *testing.T) {
	tests := []struct {
		name      string
		tracker   fakeTracker
		want      map[string]ProblemKind
		wantHints []string
		wantErr   bool
	}{
		{name: "committed", want: map[string]ProblemKind{}},
		{name: "untracked and changed",
			tracker:   fakeTracker{untracked: []string{AgentsFile}, changed: []string{ArchitectureFile}},
			want:      map[string]ProblemKind{ArchitectureFile: ProblemUncommitted, AgentsFile: ProblemUntracked},
			wantHints: []string{"git commit ARCHITECTURE.md", "git add AGENTS.md && git commit"}},
		{name: "other paths are not reported",
			tracker: fakeTracker{untracked: []string{"notes.txt"}},
			want:    map[string]ProblemKind{}},
		{name: "git fails", tracker: fakeTracker{err: errors.New("boom")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs, err := CheckTracked(context.Background(), &tt.tracker)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckTracked error = %v", err)
			}
			if !reflect.DeepEqual(tt.tracker.asked, RequiredFiles) {
				t.Errorf("asked about %q, want %q", tt.tracker.asked, RequiredFiles)
			}
			if tt.wantErr {
				return
			}
			got := map[string]ProblemKind{}
			var hints []string
			for _, p := range probs {
				got[p.File] = p.Kind
				hints = append(hints, CommitHint(p))
			}
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(hints, tt.wantHints) {
				t.Errorf("CheckTracked = %v %q, want %v %q", got, hints, tt.want, tt.wantHints)
			}
		})
	}
}
