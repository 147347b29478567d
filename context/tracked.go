package repoctx

import (
	"context"
	"fmt"
)

// Problem kinds reported by CheckTracked: the file is in place here but a
// clone (a teammate, CI, the model's next session elsewhere) does not get
// it as it is.
const (
	// ProblemUntracked: git does not track the file (or ignores it).
	ProblemUntracked ProblemKind = "untracked"
	// ProblemUncommitted: the file has changes, staged or not, that are
	// not committed.
	ProblemUncommitted ProblemKind = "uncommitted"
)

// Tracker tells which work-tree files git would not hand to a clone as
// they are; *gitstore.Repo implements it (repoctx itself never reads git's
// data).
type Tracker interface {
	// UncommittedPaths sorts the existing files among paths (relative to
	// the top of the work tree) into untracked ones and tracked ones with
	// changes not committed.
	UncommittedPaths(ctx context.Context, paths ...string) (untracked, changed []string, err error)
}

// CheckTracked reports the required context files that exist but are not
// committed as they are: untracked, or with uncommitted changes. Missing
// files are Check's business and are not reported here.
func CheckTracked(ctx context.Context, t Tracker) ([]Problem, error) {
	untracked, changed, err := t.UncommittedPaths(ctx, RequiredFiles...)
	if err != nil {
		return nil, fmt.Errorf("check that the context files are committed: %w", err)
	}
	kind := map[string]ProblemKind{}
	for _, f := range untracked {
		kind[f] = ProblemUntracked
	}
	for _, f := range changed {
		kind[f] = ProblemUncommitted
	}
	var probs []Problem
	for _, f := range RequiredFiles {
		switch kind[f] {
		case ProblemUntracked:
			probs = append(probs, Problem{File: f, Kind: ProblemUntracked,
				Detail: "is not tracked by git: clones (teammates, CI) do not get it"})
		case ProblemUncommitted:
			probs = append(probs, Problem{File: f, Kind: ProblemUncommitted,
				Detail: "has uncommitted changes: clones get the committed version only"})
		}
	}
	return probs, nil
}

// CommitHint returns the command that settles a CheckTracked problem.
func CommitHint(p Problem) string {
	if p.Kind == ProblemUntracked {
		return "git add " + p.File + " && git commit"
	}
	return "git commit " + p.File
}
