package notesync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
)

// Unit tests of the exchange and the sharing rule against fakes of the small
// interfaces in repo.go; the real-git tests are in the other _test files.

const (
	localPrefix = gitstore.DefaultRefPrefix
	trackPrefix = "refs/notes/remotes/origin/codex/"
)

// fakeRemote is a repository and one remote, refs in maps. The remote
// rejects pushes while someone else keeps pushing there (busy rounds).
type fakeRemote struct {
	refs   map[string]string // this repository's refs
	remote map[string]string // the remote's refs/notes/codex/*
	busy   int               // pushes still rejected
	pushed []map[string]string
	fetch  int
	merges []string
	config map[string][]string
}

func newFakeRemote() *fakeRemote {
	return &fakeRemote{refs: map[string]string{}, remote: map[string]string{}, config: map[string][]string{}}
}

func (f *fakeRemote) RefPrefix() string { return localPrefix }
func (f *fakeRemote) TrackingPrefixOf(remote string) string {
	return "refs/notes/remotes/" + remote + "/codex/"
}

func (f *fakeRemote) ListRefs(prefix string) (map[string]string, error) {
	out := map[string]string{}
	for name, v := range f.refs {
		if strings.HasPrefix(name, prefix) {
			out[name] = v
		}
	}
	return out, nil
}

func (f *fakeRemote) UpdateRef(ctx context.Context, name, old, new string) error {
	if f.refs[name] != old {
		return gitstore.ErrConflict
	}
	f.refs[name] = new
	return nil
}

func (f *fakeRemote) CreateRefs(ctx context.Context, refs map[string]string) error {
	for name, v := range refs {
		if _, ok := f.refs[name]; !ok {
			f.refs[name] = v
		}
	}
	return nil
}

func (f *fakeRemote) FetchRefs(ctx context.Context, remote string, refspecs []string, opt gitstore.FetchOptions) error {
	f.fetch++
	for _, spec := range refspecs {
		src, dst, _ := strings.Cut(strings.TrimPrefix(spec, "+"), ":")
		if from, ok := strings.CutSuffix(src, "*"); ok {
			to := strings.TrimSuffix(dst, "*")
			if opt.Prune {
				for name := range f.refs {
					if strings.HasPrefix(name, to) {
						delete(f.refs, name)
					}
				}
			}
			for name, v := range f.remote {
				if rest, ok := strings.CutPrefix(name, from); ok {
					f.refs[to+rest] = v
				}
			}
			continue
		}
		if v, ok := f.remote[src]; ok {
			f.refs[dst] = v
		}
	}
	return nil
}

func (f *fakeRemote) PushRefs(ctx context.Context, remote string, refs map[string]string) (map[string]gitstore.PushStatus, error) {
	f.pushed = append(f.pushed, maps.Clone(refs))
	out := map[string]gitstore.PushStatus{}
	for ref, v := range refs {
		if f.busy > 0 {
			f.remote[ref] += "+theirs" // someone else got there first
			out[ref] = gitstore.PushStatus{Flag: '!', Summary: "[rejected] (fetch first)"}
			continue
		}
		f.remote[ref] = v
		out[ref] = gitstore.PushStatus{Flag: ' ', Summary: "a..b"}
	}
	if f.busy > 0 {
		f.busy--
		return out, errors.New("git push: failed to push some refs")
	}
	return out, nil
}

func (f *fakeRemote) MergeFrom(ctx context.Context, topic, other string) (bool, error) {
	ref := localPrefix + topic
	f.merges = append(f.merges, topic)
	f.refs[ref] = "merge(" + f.refs[ref] + "," + other + ")"
	return true, nil
}

// The settings part of the fake, for the sharing rule.
func (f *fakeRemote) Config(key string) (string, bool) {
	vs := f.config[key]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}
func (f *fakeRemote) ConfigAll(key string) []string { return f.config[key] }
func (f *fakeRemote) ConfigBool(key string, def bool) bool {
	if v, ok := f.Config(key); ok {
		return v == "true"
	}
	return def
}
func (f *fakeRemote) Remotes() []string { return []string{"origin"} }
func (f *fakeRemote) TrackedTopics() ([]gitstore.Tracked, error) {
	var out []gitstore.Tracked
	for name, v := range f.refs {
		if enc, ok := strings.CutPrefix(name, trackPrefix); ok {
			topic, _ := gitstore.DecodeTopic(enc)
			out = append(out, gitstore.Tracked{Ref: name, Remote: "origin", Topic: topic, Commit: v})
		}
	}
	return out, nil
}

// The exchange pushes only what it may send, without force; a rejection is
// answered with fetch, merge and push again, round after round, until the
// remote takes it or the rounds run out.
func TestExchangeWithFakeRemote(t *testing.T) {
	tests := []struct {
		name       string
		busy       int
		maxRounds  int
		wantRounds int
		wantErr    error
	}{
		{"accepted at once", 0, 3, 0, nil},
		{"rejected twice", 2, 3, 2, nil},
		{"the remote keeps moving", 5, 3, 3, ErrDiverged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRemote()
			f.busy = tt.busy
			f.refs[localPrefix+"a"] = "A1"
			f.refs[localPrefix+"b"] = "B1" // not shared
			f.refs[localPrefix+"c"] = "C1" // the user's push sends it
			f.refs[localPrefix+"d"] = "D1" // the remote has it as it is
			f.refs[trackPrefix+"d"] = "D1"
			f.remote[localPrefix+"d"] = "D1"
			nr := newNotesRemote(f, "origin")
			nr.skip = map[string]bool{localPrefix + "c": true}
			send := map[string]bool{localPrefix + "a": true, localPrefix + "c": true, localPrefix + "d": true}
			var merged []string
			pushed, rounds, err := nr.exchange(context.Background(), tt.maxRounds, send, &merged)
			if !errors.Is(err, tt.wantErr) || rounds != tt.wantRounds {
				t.Fatalf("exchange = rounds %d, %v; want %d, %v", rounds, err, tt.wantRounds, tt.wantErr)
			}
			for i, p := range f.pushed {
				if !slices.Equal(slices.Sorted(maps.Keys(p)), []string{localPrefix + "a"}) {
					t.Errorf("push %d sent %v; want topic a only", i, p)
				}
			}
			if tt.wantErr != nil {
				return
			}
			if !slices.Equal(pushed, []string{"a"}) || len(merged) != tt.busy {
				t.Errorf("pushed %v, merged %v", pushed, merged)
			}
			if want := f.refs[localPrefix+"a"]; f.remote[localPrefix+"a"] != want || f.refs[trackPrefix+"a"] != want {
				t.Errorf("remote has %q, tracking ref %q; want the local %q", f.remote[localPrefix+"a"], f.refs[trackPrefix+"a"], want)
			}
			if tt.busy > 0 && !strings.Contains(f.refs[localPrefix+"a"], "+theirs") {
				t.Errorf("the local topic %q does not hold the remote's notes", f.refs[localPrefix+"a"])
			}
		})
	}
}

// The sharing rule, in its order: private, unshared, shared, on the remote,
// codex.share, then the push's own reason.
func TestDecideWithFakeSettings(t *testing.T) {
	pushed := func(topic string) string {
		if topic == "pushed" {
			return ReasonBranch
		}
		return ""
	}
	tests := []struct {
		name   string
		config map[string][]string
		topic  string
		push   func(string) string
		ok     bool
		why    string
	}{
		{"private beats everything", map[string][]string{"codex.topic.t.private": {"true"}, "codex.topic.t.share": {"origin"}, ShareKey: {"all"}}, "t", pushed, false, ReasonPrivate},
		{"unshared beats shared", map[string][]string{"codex.topic.t.unshare": {"origin"}, "codex.topic.t.share": {"origin"}}, "t", pushed, false, ReasonUnshared},
		{"shared with this remote", map[string][]string{"codex.topic.t.share": {"other", "origin"}}, "t", nil, true, ReasonShared},
		{"shared with another remote only", map[string][]string{"codex.topic.t.share": {"other"}}, "t", nil, false, ReasonNotShared},
		{"already on the remote", nil, "there", nil, true, ReasonOnRemote},
		{"codex.share=all", map[string][]string{ShareKey: {"all"}}, "t", nil, true, ReasonAll},
		{"codex.share=none", map[string][]string{ShareKey: {"none"}}, "pushed", pushed, false, ReasonNotShared},
		{"pushed", nil, "pushed", pushed, true, ReasonBranch},
		{"not pushed", nil, "t", pushed, false, ReasonNotShared},
		{"no push involved", nil, "pushed", nil, false, ReasonNotShared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRemote()
			maps.Copy(f.config, tt.config)
			f.refs[trackPrefix+"there"] = "X"
			s, warns, err := loadSharing(f)
			if err != nil || len(warns) != 0 {
				t.Fatalf("loadSharing: %v %v", warns, err)
			}
			ok, why := s.decide(tt.topic, "origin", tt.push)
			if ok != tt.ok || why != tt.why {
				t.Errorf("decide(%s) = %v, %q; want %v, %q", tt.topic, ok, why, tt.ok, tt.why)
			}
		})
	}
	f := newFakeRemote()
	f.config[ShareKey] = []string{"some"}
	if s, warns, _ := loadSharing(f); s.mode != ShareNone || len(warns) != 1 {
		t.Errorf("an unknown codex.share: mode %q, warnings %v; want none with a warning", s.mode, warns)
	}
}

// Sync over the fake: what it fetched, merged, pushed and kept, and why.
func TestSyncWithFakeRemote(t *testing.T) {
	f := newFakeRemote()
	f.refs[localPrefix+"mine"] = "M1"
	f.refs[localPrefix+"both"] = "B1"
	f.refs[localPrefix+"secret"] = "S1"
	f.config["codex.topic.mine.share"] = []string{"origin"}
	f.config["codex.topic.secret.private"] = []string{"true"}
	f.remote[localPrefix+"both"] = "B0"
	f.remote[localPrefix+"theirs"] = "T0"
	res, err := syncWith(context.Background(), fakeHistory{f}, SyncOptions{Remote: "origin"})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("fetched %v merged %v pushed %v kept %v", res.Fetched, res.Merged, res.Pushed, res.Kept)
	if want := "fetched [both theirs] merged [both] pushed [both mine] kept [secret]"; got != want {
		t.Errorf("Sync: %s\nwant  %s", got, want)
	}
	if res.Reasons["mine"] != ReasonShared || res.Reasons["both"] != ReasonOnRemote || res.Reasons["secret"] != ReasonPrivate {
		t.Errorf("reasons %v", res.Reasons)
	}
	if _, ok := f.refs[localPrefix+"theirs"]; ok {
		t.Errorf("a teammate's topic became a local topic")
	}
}

// fakeHistory adds the push-history questions Sync never asks.
type fakeHistory struct{ *fakeRemote }

func (fakeHistory) Published(ctx context.Context, candidates, tips, bases []string) (map[string]bool, error) {
	return nil, errors.New("sync pushes no commits")
}

func (fakeHistory) NotedObjects(ctx context.Context, notesCommit string) ([]string, error) {
	return nil, errors.New("sync pushes no commits")
}
