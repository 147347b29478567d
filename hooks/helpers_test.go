package hooks

import (
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
)

// The test helpers of internal/gittest and internal/repotest, under the
// names the tests use.
var (
	hermeticGit        = hermetic
	commitFile         = gittest.CommitFile
	writeFile          = gittest.WriteFile
	commitContextFiles = gittest.CommitContextFiles
	bareWithClones     = gittest.BareWithClones
	openRepo           = repotest.OpenRepo
	addTurn            = repotest.AddTurn
	recordIDs          = repotest.RecordIDs
	remoteNoteIDs      = repotest.RemoteNoteIDs
	missing            = repotest.Missing
	gitOr              = gittest.GitOr
)

// hermetic makes git ignore the user's and the system's configuration and
// use fixed identities and dates, and clears the pre-push guard.
func hermetic(t testing.TB) {
	t.Helper()
	gittest.Hermetic(t)
	gittest.Unsetenv(t, gitstore.GuardEnv)
}
