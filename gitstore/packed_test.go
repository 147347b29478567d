package gitstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// CreateRefs adds refs to packed-refs as git would hold them: what was
// there (packed refs with their peeled lines, loose refs) stays, existing
// refs are not touched, git reads every ref back, and the lookups of a Repo
// that read packed-refs before see the new file.
func TestCreateRefsInPackedRefs(t *testing.T) {
	dir := newRepo(t)
	head := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "tag", "-a", "-m", "annotated", "v1")
	git(t, dir, "branch", "packed-branch")
	git(t, dir, "pack-refs", "--all")
	git(t, dir, "branch", "loose-branch")
	before := git(t, dir, "show-ref", "-d")
	r := openRepo(t, dir)
	if v, err := r.ReadRef("refs/heads/packed-branch"); err != nil || v != head {
		t.Fatalf("ReadRef = %q, %v", v, err)
	}
	add := map[string]string{}
	for i := 0; i < 200; i++ {
		add[fmt.Sprintf("refs/notes/remotes/origin/codex/t%03d", i)] = head
	}
	add["refs/heads/loose-branch"] = EmptyTree  // exists loose: left alone
	add["refs/heads/packed-branch"] = EmptyTree // exists packed: left alone
	if err := r.CreateRefs(context.Background(), add); err != nil {
		t.Fatal(err)
	}
	after := git(t, dir, "show-ref", "-d")
	for _, line := range strings.Split(before, "\n") {
		if !strings.Contains(after, line) {
			t.Errorf("lost %q", line)
		}
	}
	if n := strings.Count(after, "refs/notes/remotes/origin/codex/t"); n != 200 {
		t.Errorf("git sees %d new refs, want 200", n)
	}
	if v, err := r.ReadRef("refs/notes/remotes/origin/codex/t123"); err != nil || v != head {
		t.Errorf("ReadRef of a new ref = %q, %v", v, err)
	}
	if v, _ := r.ReadRef("refs/heads/packed-branch"); v != head {
		t.Errorf("an existing ref was changed to %s", v)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "packed-refs.lock")); !os.IsNotExist(err) {
		t.Errorf("lock left: %v", err)
	}
	git(t, dir, "fsck", "--no-dangling")
	// git's own transactions go on with the file.
	git(t, dir, "update-ref", "-d", "refs/notes/remotes/origin/codex/t000")
	git(t, dir, "pack-refs", "--all")
	if n := strings.Count(git(t, dir, "show-ref"), "/codex/t"); n != 199 {
		t.Errorf("after git's own edits: %d refs, want 199", n)
	}
}

// A push's staged refs are dropped from packed-refs by the next push that
// stages once they are old and their process is gone on this machine; a
// live push's, a recent push's and another machine's are kept.
func TestStaleStagedRefsAreDropped(t *testing.T) {
	dir := newRepo(t)
	head := git(t, dir, "rev-parse", "HEAD")
	r := openRepo(t, dir)
	me := self()
	old, recent := time.Now().Add(-time.Hour).Unix(), time.Now().Unix()
	staged := func(pid int, start, machine string, at int64, n int) string {
		return fmt.Sprintf("%s%d-%s-%s-%d-%x/notes/codex/x", pushStagePrefix, pid, start, machine, at, n)
	}
	dead := staged(999999999, "1", machineTag(me), old, 1)
	live := staged(os.Getpid(), orDash(me.Start), machineTag(me), old, 2)
	young := staged(999999999, "1", machineTag(me), recent, 3)
	elsewhere := staged(999999999, "1", machineTag(lockOwner{Host: me.Host, Boot: "another boot"}), old, 4)
	keep := strings.Join([]string{live, young, elsewhere}, "\n")
	if err := r.CreateRefs(context.Background(), map[string]string{dead: head, live: head, young: head, elsewhere: head}); err != nil {
		t.Fatal(err)
	}
	// check reports the killed push's refs only, with a command that
	// removes them.
	probs, err := r.VerifyNotesRefs(context.Background())
	if err != nil || len(probs) != 1 || !strings.HasPrefix(dead, probs[0].Ref) || !strings.Contains(probs[0].Detail, "killed") {
		t.Fatalf("check = %+v, %v; want the killed push's refs", probs, err)
	}
	cmd := exec.Command("sh", "-c", strings.TrimSpace(strings.Split(probs[0].Fix, "#")[0]))
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", probs[0].Fix, err, out)
	}
	if got := git(t, dir, "for-each-ref", "--format=%(refname)", pushStagePrefix); strings.Contains(got, dead) || strings.Count(got, "\n") != 2 {
		t.Fatalf("after the fix: %q", got)
	}
	if err := r.CreateRefs(context.Background(), map[string]string{dead: head}); err != nil {
		t.Fatal(err)
	}
	stage, err := r.stageRefs(context.Background(), []string{"refs/notes/codex/y"}, map[string]string{"refs/notes/codex/y": head})
	if err != nil {
		t.Fatal(err)
	}
	got := git(t, dir, "for-each-ref", "--format=%(refname)", pushStagePrefix)
	if strings.Contains(got, dead) || !strings.Contains(got, live) || !strings.Contains(got, young) ||
		!strings.Contains(got, elsewhere) || !strings.Contains(got, stage+"notes/codex/y") {
		t.Fatalf("staged refs = %q", got)
	}
	r.unstageRefs(stage)
	got = git(t, dir, "for-each-ref", "--format=%(refname)", pushStagePrefix)
	if want := strings.Split(keep, "\n"); !slices.Equal(strings.Split(got, "\n"), slices.Sorted(slices.Values(want))) {
		t.Fatalf("after unstaging: %q, want %q", got, want)
	}
}

// BenchmarkJudgeStagedRefs judges the 10,000 refs a live push staged, as a
// concurrent push's stageRefs and check do: once per push ("per push"),
// against once per ref ("per ref").
func BenchmarkJudgeStagedRefs(b *testing.B) {
	me := self()
	token := fmt.Sprintf("%d-%s-%s-%d-%x", os.Getpid(), orDash(me.Start), machineTag(me), time.Now().Add(-time.Hour).Unix(), 1)
	names := make([]string, 10000)
	for i := range names {
		names[i] = fmt.Sprintf("%s/notes/codex/t%05d", token, i)
	}
	b.Run("per push", func(b *testing.B) {
		for b.Loop() {
			gone := gonePushes()
			for _, n := range names {
				if gone(n) {
					b.Fatal("a live push's refs judged gone")
				}
			}
		}
	})
	b.Run("per ref", func(b *testing.B) {
		for b.Loop() {
			for _, n := range names {
				t, _, _ := strings.Cut(n, "/")
				if stagedByGonePush(t) {
					b.Fatal("a live push's refs judged gone")
				}
			}
		}
	})
}
