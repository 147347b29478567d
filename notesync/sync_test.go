package notesync

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

func TestSyncThreeClonesConverge(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	bare, clones := gittest.BareWithClones(t, 3)
	want := map[string]bool{}
	for i, dir := range clones {
		// Every topic travels (the sharing rule has its own tests).
		gittest.Git(t, dir, "config", ShareKey, ShareAll)
		repo := repotest.OpenRepo(t, dir)
		h, err := repo.Head()
		if err != nil {
			t.Fatal(err)
		}
		// Every clone continues the same session on the same topic.
		for j := 0; j < 2; j++ {
			id := repotest.AddTurn(t, repo, "feature/x", "S1", h.Target(), "turn from clone", session.Usage{Input: 10 * (i + 1)})
			want[id] = true
		}
		// And one clone-only topic each, which sync must carry too.
		want[repotest.AddTurn(t, repo, "solo", "S"+string(rune('A'+i)), h.Target(), "solo", session.Usage{})] = true
	}
	for round := 0; round < 2; round++ {
		for _, dir := range clones {
			if _, err := Sync(ctx, repotest.OpenRepo(t, dir), SyncOptions{}); err != nil {
				t.Fatalf("round %d: sync %s: %v", round, dir, err)
			}
		}
	}
	for _, dir := range clones {
		got := repotest.RecordIDs(t, dir, "feature/x")
		for id := range repotest.RecordIDs(t, dir, "solo") {
			got[id] = true
		}
		if m := repotest.Missing(want, got); len(m) > 0 {
			t.Errorf("%s misses %d records: %v", dir, len(m), m)
		}
	}
	remote := repotest.RemoteNoteIDs(t, bare, "refs/notes/codex/feature%2Fx")
	for id := range repotest.RemoteNoteIDs(t, bare, "refs/notes/codex/solo") {
		remote[id] = true
	}
	if m := repotest.Missing(want, remote); len(m) > 0 {
		t.Errorf("remote misses %d records: %v", len(m), m)
	}

	// Idempotent: another round changes and pushes nothing anywhere.
	for _, dir := range clones {
		res, err := Sync(ctx, repotest.OpenRepo(t, dir), SyncOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed() || res.Rounds != 0 {
			t.Errorf("repeated sync in %s changed something: %+v", dir, res)
		}
	}
}

func TestSyncReportsWhatChanged(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	_, clones := gittest.BareWithClones(t, 2)
	a, b := repotest.OpenRepo(t, clones[0]), repotest.OpenRepo(t, clones[1])
	ha, _ := a.Head()
	repotest.AddTurn(t, a, "topic", "S1", ha.Target(), "from a", session.Usage{})
	repotest.AddTurn(t, a, "mine", "S2", ha.Target(), "only a's", session.Usage{})
	share(t, a, "topic", "origin")

	tests := []struct {
		name   string
		repo   *gitstore.Repo
		before func()
		want   SyncResult
	}{
		{"first push", a, nil, SyncResult{Remote: "origin", Fetched: []string{}, Merged: []string{}, Pushed: []string{"topic"},
			Kept: []string{"mine"}, Reasons: map[string]string{"topic": ReasonShared, "mine": ReasonNotShared}}},
		// b has no topic of its own: it reads a's from the tracking ref.
		{"other clone fetches", b, nil, SyncResult{Remote: "origin", Fetched: []string{"topic"}, Merged: []string{}, Pushed: []string{},
			Kept: []string{}, Reasons: map[string]string{}}},
		{"other clone continues it", b, func() { repotest.AddTurn(t, b, "topic", "S1", ha.Target(), "from b", session.Usage{}) },
			SyncResult{Remote: "origin", Fetched: []string{}, Merged: []string{"topic"}, Pushed: []string{"topic"},
				Kept: []string{}, Reasons: map[string]string{"topic": ReasonOnRemote}}},
		{"back in a", a, nil, SyncResult{Remote: "origin", Fetched: []string{"topic"}, Merged: []string{"topic"}, Pushed: []string{},
			Kept: []string{"mine"}, Reasons: map[string]string{"mine": ReasonNotShared}}},
		{"nothing left", a, nil, SyncResult{Remote: "origin", Fetched: []string{}, Merged: []string{}, Pushed: []string{},
			Kept: []string{"mine"}, Reasons: map[string]string{"mine": ReasonNotShared}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			got, err := Sync(ctx, tt.repo, SyncOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Fetched, tt.want.Fetched) || !slices.Equal(got.Merged, tt.want.Merged) ||
				!slices.Equal(got.Pushed, tt.want.Pushed) || !slices.Equal(got.Kept, tt.want.Kept) ||
				!reflect.DeepEqual(got.Reasons, tt.want.Reasons) || got.Remote != tt.want.Remote {
				t.Errorf("Sync = %+v, want %+v", got, tt.want)
			}
		})
	}
	// The second clone sees the whole session, though it holds only its own turn.
	recs, _, err := b.Notes().WithRemotes().Read(ctx, "topic")
	if err != nil || len(recs) != 4 {
		t.Errorf("b reads %d records of topic (%v), want 4", len(recs), err)
	}
}

func TestSyncBadRemoteIsAnError(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	repo := repotest.OpenRepo(t, dir)
	h, _ := repo.Head()
	repotest.AddTurn(t, repo, "t", "S", h.Target(), "x", session.Usage{})
	if _, err := Sync(context.Background(), repo, SyncOptions{Remote: "nowhere"}); err == nil {
		t.Fatal("sync with a remote that does not exist succeeded")
	}
	if got := gittest.GitOr(dir, "none", "config", "--get-regexp", "^remote\\."); got != "none" {
		t.Errorf("sync wrote remote config: %q", got)
	}
}

// A writer appending in the same clone while sync runs loses nothing: the
// merge is a compare-and-swap under the ref lock, and whatever the push
// missed goes with the next sync.
func TestSyncRacingLocalWriter(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	bare, clones := gittest.BareWithClones(t, 2)
	other := repotest.OpenRepo(t, clones[1])
	ho, _ := other.Head()
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		want[repotest.AddTurn(t, other, "race", "S2", ho.Target(), "remote side", session.Usage{})] = true
	}
	share(t, other, "race", "origin")
	share(t, repotest.OpenRepo(t, clones[0]), "race", "origin")
	if _, err := Sync(ctx, other, SyncOptions{}); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// A separate Repo, as a separate process would have.
		w, err := gitstore.Open(clones[0], nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close()
		h, _ := w.Head()
		for i := 0; i < 40; i++ {
			id := repotest.AddTurn(t, w, "race", "S1", h.Target(), "local writer", session.Usage{})
			mu.Lock()
			want[id] = true
			mu.Unlock()
		}
	}()
	for i := 0; i < 5; i++ {
		if _, err := Sync(ctx, repotest.OpenRepo(t, clones[0]), SyncOptions{}); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	wg.Wait()
	if _, err := Sync(ctx, repotest.OpenRepo(t, clones[0]), SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	if m := repotest.Missing(want, repotest.RecordIDs(t, clones[0], "race")); len(m) > 0 {
		t.Errorf("local clone lost %d records", len(m))
	}
	if m := repotest.Missing(want, repotest.RemoteNoteIDs(t, bare, "refs/notes/codex/race")); len(m) > 0 {
		t.Errorf("remote misses %d records", len(m))
	}
}

// rivalTurns makes a bare remote and two clones of it, a and b, with a turn
// on topic t in each; a shares t and syncs it, so that b's push of t is
// rejected until b merges a's notes. It returns the remote's path, b and
// the ids of the two turns.
func rivalTurns(t *testing.T) (bare string, b *gitstore.Repo, ids map[string]bool) {
	t.Helper()
	bare, clones := gittest.BareWithClones(t, 2)
	a, b := repotest.OpenRepo(t, clones[0]), repotest.OpenRepo(t, clones[1])
	ha, _ := a.Head()
	ids = map[string]bool{
		repotest.AddTurn(t, a, "t", "SA", ha.Target(), "a", session.Usage{}): true,
		repotest.AddTurn(t, b, "t", "SB", ha.Target(), "b", session.Usage{}): true,
	}
	share(t, a, "t", "origin")
	if _, err := Sync(context.Background(), a, SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	return bare, b, ids
}

// Pushing into a remote whose notes moved is rejected, then answered with
// fetch, merge and a push that succeeds (the exchange the hook uses).
func TestExchangeRetriesAfterRejection(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	bare, b, want := rivalTurns(t)
	var merged []string
	pushed, rounds, err := newNotesRemote(wrap(b), "origin").exchange(ctx, 3, map[string]bool{"refs/notes/codex/t": true}, &merged)
	if err != nil {
		t.Fatal(err)
	}
	if rounds != 1 || !slices.Equal(pushed, []string{"t"}) || !slices.Equal(merged, []string{"t"}) {
		t.Errorf("exchange: rounds %d pushed %v merged %v; want 1 [t] [t]", rounds, pushed, merged)
	}
	if m := repotest.Missing(want, repotest.RemoteNoteIDs(t, bare, "refs/notes/codex/t")); len(m) > 0 {
		t.Errorf("remote misses %v", m)
	}
}

func TestExchangeGivesUpAfterMaxRounds(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	_, b, _ := rivalTurns(t)
	var merged []string
	_, _, err := newNotesRemote(wrap(b), "origin").exchange(ctx, 1, map[string]bool{"refs/notes/codex/t": true}, &merged)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("exchange with one round = %v, want ErrDiverged", err)
	}
}

// receive-pack words a ref it cannot write for good as it words a lost
// lock race ("failed to update ref"): here the remote holds
// refs/notes/codex/t/x, so refs/notes/codex/t cannot be created there. The
// remote's ref never moves, so the refusal is real after two tries: an
// error naming the remote's reason, not ten rounds ending in "others kept
// pushing".
func TestExchangeTellsARealRefusalFromARace(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	bare, clones := gittest.BareWithClones(t, 1)
	a := repotest.OpenRepo(t, clones[0])
	ha, _ := a.Head()
	gittest.Git(t, clones[0], "push", "-q", bare, ha.Target()+":refs/notes/codex/t/x")
	repotest.AddTurn(t, a, "t", "SA", ha.Target(), "a", session.Usage{})
	var merged []string
	_, rounds, err := newNotesRemote(wrap(a), "origin").exchange(ctx, 10, map[string]bool{"refs/notes/codex/t": true}, &merged)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "failed to update ref") {
		t.Fatalf("exchange = %v, want ErrRefused naming the remote's reason", err)
	}
	if rounds > stuckRounds {
		t.Errorf("gave up after %d rounds, want at most %d", rounds, stuckRounds)
	}
}
