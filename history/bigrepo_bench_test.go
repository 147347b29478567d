package history

import (
	"context"
	"os"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
)

// The benchmarks below run on the large repository bench/mkbigrepo.sh
// builds; they are skipped unless CODEX_BIGREPO names it:
//
//	bench/mkbigrepo.sh /tmp/codex-bigrepo
//	CODEX_BIGREPO=/tmp/codex-bigrepo go test -run '^$' -bench BigRepo ./history/
//
// Each iteration opens the repository afresh, as one command run does.
func bigRepo(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("CODEX_BIGREPO")
	if dir == "" {
		b.Skip("CODEX_BIGREPO is not set (see bench/mkbigrepo.sh)")
	}
	return dir
}

func BenchmarkBigRepoLog200(b *testing.B) {
	dir := bigRepo(b)
	ctx := context.Background()
	for b.Loop() {
		repo, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			b.Fatal(err)
		}
		entries, _, err := Log(ctx, repo, LogOptions{Revs: []string{"feature-01"}, Max: 200})
		if err != nil || len(entries) != 200 {
			b.Fatalf("Log = %d entries, %v", len(entries), err)
		}
		repo.Close()
	}
}

func BenchmarkBigRepoSummary200(b *testing.B) {
	dir := bigRepo(b)
	ctx := context.Background()
	for b.Loop() {
		repo, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			b.Fatal(err)
		}
		s, err := Summarize(ctx, repo, SummaryOptions{Base: "feature-01~200", Head: "feature-01"})
		if err != nil || len(s.Commits) != 200 {
			b.Fatalf("Summarize = %v", err)
		}
		repo.Close()
	}
}
