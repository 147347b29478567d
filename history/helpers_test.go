package history

import (
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
)

// The test helpers of internal/gittest and internal/repotest, under the
// names the tests use.
var (
	hermeticGit    = hermetic
	gitAt          = gittest.GitAt
	commitFile     = gittest.CommitFile
	writeFile      = gittest.WriteFile
	bareWithClones = gittest.BareWithClones
	openRepo       = repotest.OpenRepo
	addTurn        = repotest.AddTurn
	appendRecords  = repotest.AppendRecords
	gitOr          = gittest.GitOr
)

// hermetic makes git ignore the user's and the system's configuration and
// use fixed identities and dates, and clears the pre-push guard.
func hermetic(t testing.TB) {
	t.Helper()
	gittest.Hermetic(t)
	gittest.Unsetenv(t, gitstore.GuardEnv)
}
