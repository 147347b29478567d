package gitstore

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTrackedTopics(t *testing.T) {
	dir := newRepo(t)
	head := git(t, dir, "rev-parse", "HEAD")
	long := "https://example.com/" + strings.Repeat("deep/", 50) + "r.git"
	refs := []string{
		"refs/notes/remotes/origin/codex/main",
		"refs/notes/remotes/origin/codex/feature%2Fx",
		"refs/notes/remotes/team%2Forigin/codex/main",
		"refs/notes/remotes/" + TrackingName(long) + "/codex/main",
		// Not ours: deeper than one component, another prefix, bad escapes.
		"refs/notes/remotes/origin/codex/deep/x",
		"refs/notes/remotes/origin/other/x",
		"refs/notes/remotes/origin/codex/bad%zz",
		"refs/notes/codex/local-only",
	}
	for _, ref := range refs {
		git(t, dir, "update-ref", ref, head)
	}
	got, err := openRepo(t, dir).TrackedTopics()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, tr := range got {
		if tr.Commit != head {
			t.Errorf("%s at %s, want %s", tr.Ref, tr.Commit, head)
		}
		lines = append(lines, tr.Remote+" "+tr.Topic)
	}
	want := []string{TrackingName(long) + " main", "origin feature/x", "origin main", "team/origin main"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("TrackedTopics = %q\nwant %q", lines, want)
	}
	// One topic's refs are those of all of them, packed or loose, and
	// only those: a non-canonical name is no more a topic's for it.
	git(t, dir, "update-ref", "refs/notes/remotes/origin/codex/feature%2fx", head)
	git(t, dir, "pack-refs", "--all")
	git(t, dir, "update-ref", "refs/notes/remotes/upstream/codex/feature%2Fx", head) // loose
	all, err := openRepo(t, dir).TrackedTopics()
	if err != nil {
		t.Fatal(err)
	}
	for _, topics := range [][]string{{"main"}, {"feature/x"}, {"main", "feature/x"}, {"none"}, {"feature%2Fx"}} {
		of, err := openRepo(t, dir).trackedTopicsOf(topics...)
		if err != nil {
			t.Fatal(err)
		}
		var want []Tracked
		for _, tr := range all {
			if slices.Contains(topics, tr.Topic) {
				want = append(want, tr)
			}
		}
		if !slices.Equal(of, want) {
			t.Errorf("trackedTopicsOf(%q) = %v\nwant %v", topics, of, want)
		}
	}
	if n := len(all); n != 5 {
		t.Errorf("%d tracked topics, want the 4 above and upstream's", n)
	}
	r := openRepo(t, dir)
	if ref := r.TrackingRef("team/origin", "feature/x"); ref != "refs/notes/remotes/team%2Forigin/codex/feature%2Fx" {
		t.Errorf("TrackingRef = %s", ref)
	}
	if n := TrackingName(long); !strings.HasPrefix(n, "%%") || len(n) > maxTrackingName {
		t.Errorf("TrackingName of a long URL = %q", n)
	}
}

// A clone reads its teammate's session from the tracking ref (fetched the
// way the README's CI recipe fetches it) together with its own records,
// each once, the fetched ones marked with the remote; writing never touches
// the tracking ref.
func TestNotesWithRemotes(t *testing.T) {
	ctx := context.Background()
	a := newRepo(t)
	bare := filepath.Join(t.TempDir(), "r.git")
	git(t, a, "clone", "-q", "--bare", a, bare)
	b := filepath.Join(t.TempDir(), "b")
	git(t, a, "clone", "-q", bare, b)
	head := git(t, a, "rev-parse", "HEAD")

	ra := openRepo(t, a)
	theirs := rec("from a")
	appendOK(t, ra.Notes(), "feature/x", head, theirs)
	onlyRemote := rec("a's other topic")
	appendOK(t, ra.Notes(), "review", head, onlyRemote)
	git(t, a, "push", "-q", bare, "refs/notes/codex/*:refs/notes/codex/*")

	git(t, b, "fetch", "-q", "origin", "refs/notes/codex/*:refs/notes/remotes/origin/codex/*")
	rb := openRepo(t, b)
	mine := rec("from b")
	appendOK(t, rb.Notes().WithRemotes(), "feature/x", head, mine)
	tracking := git(t, b, "rev-parse", "refs/notes/remotes/origin/codex/feature%2Fx")

	view := rb.Notes().WithRemotes()
	topics, err := view.Topics(ctx)
	if err != nil || strings.Join(topics, ",") != "feature/x,review" {
		t.Errorf("Topics = %q, %v; want feature/x and review", topics, err)
	}
	if local, _ := rb.Notes().Topics(ctx); strings.Join(local, ",") != "feature/x" {
		t.Errorf("local Topics = %q, want feature/x only", local)
	}
	recs, _, err := view.Read(ctx, "feature/x")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		got[r.ID] = r.Remote
	}
	if len(recs) != 2 || got[theirs.ID] != "origin" || got[mine.ID] != "" {
		t.Errorf("Read = %d records, remotes %v; want %s from origin and %s local", len(recs), got, theirs.ID, mine.ID)
	}
	if after := git(t, b, "rev-parse", "refs/notes/remotes/origin/codex/feature%2Fx"); after != tracking {
		t.Errorf("the tracking ref moved: %s → %s", tracking, after)
	}
	if recs, _, _ := rb.Notes().Read(ctx, "feature/x"); len(recs) != 1 || recs[0].ID != mine.ID {
		t.Errorf("local Read = %v, want only b's record", recs)
	}

	// Once the local ref holds a record too (b merged, as sync does, and
	// sent its notes), it is one local record, however many refs hold it.
	if _, err := rb.Notes().MergeFrom(ctx, "feature/x", tracking); err != nil {
		t.Fatal(err)
	}
	git(t, b, "push", "-q", "origin", "refs/notes/codex/feature%2Fx:refs/notes/codex/feature%2Fx")
	git(t, b, "fetch", "-q", "origin", "+refs/notes/codex/*:refs/notes/remotes/origin/codex/*")
	git(t, b, "update-ref", "refs/notes/remotes/mirror/codex/feature%2Fx", tracking)
	recs, _, err = view.Read(ctx, "feature/x")
	if err != nil || len(recs) != 2 {
		t.Fatalf("Read = %v, %v; want 2 records", recs, err)
	}
	for _, r := range recs {
		if r.Remote != "" {
			t.Errorf("record %s, held by the local ref, is marked %q", r.ID, r.Remote)
		}
	}
}

func TestConfigSubsectionsKeepCase(t *testing.T) {
	ctx := context.Background()
	dir := newRepo(t)
	r := openRepo(t, dir)
	topics := []string{"Fix", "fix", `odd "quoted" \ topic`, "feature/x.y"}
	for i, tp := range topics {
		if err := r.AddConfig(ctx, "codex.topic."+tp+".share", "remote"+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.AddConfig(ctx, "codex.topic.Fix.share", "remote0"); err != nil { // already there
		t.Fatal(err)
	}
	if err := r.AddConfig(ctx, "codex.topic.Fix.share", "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UnsetConfigValue(ctx, "codex.topic.Fix.share", "other"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UnsetConfigValue(ctx, "codex.topic.Fix.share", "never-set"); err != nil {
		t.Fatal(err)
	}
	fresh := openRepo(t, dir)
	for i, tp := range topics {
		got := fresh.ConfigAll("CODEX.topic." + tp + ".SHARE")
		if len(got) != 1 || got[0] != "remote"+string(rune('0'+i)) {
			t.Errorf("%q: share = %q", tp, got)
		}
	}
	// git agrees on every key.
	cfg, err := fresh.gitConfigList()
	if err != nil {
		t.Fatal(err)
	}
	if v := cfg[`codex.topic.odd "quoted" \ topic.share`]; len(v) != 1 || v[0] != "remote2" {
		t.Errorf("git config --list has %q", v)
	}
}
