package gitflow

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
)

func TestZZPhases(t *testing.T) {
	dir := os.Getenv("CODEX_BIGREPO")
	if dir == "" {
		t.Skip()
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		repo, _ := gitstore.Open(dir, os.Getenv)
		t1 := time.Now()
		commits, err := RevList(ctx, repo, []string{"feature-01"}, 200)
		t2 := time.Now()
		idx, _ := LoadIndex(ctx, repo)
		t3 := time.Now()
		m, err := FindReattachments(ctx, repo, idx, commits)
		t4 := time.Now()
		t.Logf("open %v revlist %v index %v find %v (%d matches %v)", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), len(m), err)
		repo.Close()
	}
}

func BenchmarkZZIndex(b *testing.B) {
	dir := os.Getenv("CODEX_BIGREPO")
	ctx := context.Background()
	for b.Loop() {
		repo, _ := gitstore.Open(dir, os.Getenv)
		LoadIndex(ctx, repo)
		repo.Close()
	}
}

func BenchmarkZZFind(b *testing.B) {
	dir := os.Getenv("CODEX_BIGREPO")
	ctx := context.Background()
	repo, _ := gitstore.Open(dir, os.Getenv)
	commits, _ := RevList(ctx, repo, []string{"feature-01"}, 200)
	idx, _ := LoadIndex(ctx, repo)
	repo.Close()
	for b.Loop() {
		repo, _ := gitstore.Open(dir, os.Getenv)
		FindReattachments(ctx, repo, idx, commits)
		repo.Close()
	}
}
