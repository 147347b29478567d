package gitstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestBlobsSurviveGC: blobs written for a topic are git's blobs (git reads
// them by the ids returned), survive `git gc --prune=now` because the
// topic's blob ref reaches them, and stay out of the notes namespace that
// sync and the pre-push hook send.
func TestBlobsSurviveGC(t *testing.T) {
	dir := newRepo(t)
	r := openRepo(t, dir)
	ctx := context.Background()
	first := []byte("package calc\n\nfunc Add(a, b int) int { return a - b }\n")
	second := []byte("OPENAI_API_KEY=sk-not-a-real-key-but-a-secret-0123456789\n")
	ids, err := r.WriteBlobs(ctx, "feature/x", first, second, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[0] != ids[2] || ids[0] == ids[1] {
		t.Fatalf("ids = %v", ids)
	}
	if got, err := gitErr(dir, string(first), "hash-object", "--stdin"); err != nil || got != ids[0] {
		t.Errorf("blob id %s, git hashes the content as %s (%v)", ids[0], got, err)
	}
	// A second write chains onto the first commit of the ref.
	more, err := r.WriteBlobs(ctx, "feature/x", []byte("third\n"))
	if err != nil {
		t.Fatal(err)
	}
	ref := BlobRef("feature/x")
	if ref != "refs/codex/blobs/feature%2Fx" {
		t.Errorf("BlobRef = %s", ref)
	}
	if n := git(t, dir, "rev-list", "--count", ref); n != "2" {
		t.Errorf("%s has %s commits, want 2", ref, n)
	}
	git(t, dir, "gc", "--prune=now", "--quiet")
	if objs := git(t, dir, "count-objects", "-v"); !strings.Contains(objs, "count: 0") {
		t.Fatalf("gc left loose objects:\n%s", objs)
	}
	r2 := openRepo(t, dir) // the objects are now in a pack
	for i, id := range append(ids, more...) {
		data, err := r2.ReadBlob(ctx, id)
		if err != nil {
			t.Fatalf("blob %d after gc: %v", i, err)
		}
		if i < 2 && string(data) != string([][]byte{first, second}[i]) {
			t.Errorf("blob %d = %q", i, data)
		}
		if got := git(t, dir, "cat-file", "-t", id); got != "blob" {
			t.Errorf("git cat-file -t %s = %s", id, got)
		}
	}
	if notes := git(t, dir, "for-each-ref", "--format=%(refname)", "refs/notes/"); notes != "" {
		t.Errorf("blobs wrote notes refs: %s", notes)
	}
	_, err = r2.ReadBlob(ctx, strings.Repeat("ab", 20))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadBlob of a missing blob: %v, want ErrNotFound", err)
	}
}

// TestBlobsConcurrentWriters: writers racing on one topic's blob ref lose
// no blob: every one stays reachable.
func TestBlobsConcurrentWriters(t *testing.T) {
	dir := newRepo(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := openRepo(t, dir)
			got, err := r.WriteBlobs(ctx, "main", []byte(strings.Repeat("x", i+1)+"\n"))
			if err == nil {
				ids[i] = got[0]
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "gc", "--prune=now", "--quiet")
	reachable := git(t, dir, "rev-list", "--objects", BlobRef("main"))
	for i, id := range ids {
		if !strings.Contains(reachable, id) {
			t.Errorf("blob %d (%s) is not reachable from %s after concurrent writes", i, id, BlobRef("main"))
		}
	}
}
