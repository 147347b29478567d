package notesync

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

// shareFixture is a clone whose main is on the remote, with a new branch
// feature (two commits the remote lacks) and one topic per way of being
// (or not being) shared.
type shareFixture struct {
	dir, bare  string
	main, tip  string // main's commit (on the remote), feature's tip
	featureOne string // feature's first commit
}

func newShareFixture(t *testing.T) shareFixture {
	t.Helper()
	bare, clones := gittest.BareWithClones(t, 1)
	f := shareFixture{dir: clones[0], bare: bare}
	gittest.CommitContextFiles(t, f.dir)
	gittest.Git(t, f.dir, "push", "-q", "origin", "main")
	f.main = gittest.Git(t, f.dir, "rev-parse", "HEAD")
	gittest.Git(t, f.dir, "checkout", "-q", "-b", "feature")
	f.featureOne = gittest.CommitFile(t, f.dir, 1, "f.txt", "one\n", "feature one")
	f.tip = gittest.CommitFile(t, f.dir, 2, "f.txt", "two\n", "feature two")
	repo := repotest.OpenRepo(t, f.dir)
	for topic, target := range map[string]string{
		"feature": f.tip,        // its branch is pushed
		"on-tip":  f.tip,        // attached to the pushed tip
		"earlier": f.featureOne, // attached to a pushed commit below the tip
		"exp":     f.main,       // attached to a commit the remote has
		"priv":    f.tip,        // private
		"uns":     f.tip,        // unshared from origin
		"shr":     f.main,       // shared with origin by 'share'
		"main":    f.main,       // its branch is on the remote
	} {
		repotest.AddTurn(t, repo, topic, "S-"+topic, target, "about "+topic, session.Usage{})
	}
	gittest.Git(t, f.dir, "config", "codex.topic.priv.private", "true")
	gittest.Git(t, f.dir, "config", "codex.topic.uns.unshare", "origin")
	gittest.Git(t, f.dir, "config", "codex.topic.shr.share", "origin")
	return f
}

// The pre-push hook sends exactly the topics shared with the remote, and
// says why each one goes (Send is its sending half).
func TestPrePushSharingRule(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	tests := []struct {
		name     string
		mode     string // codex.share
		remote   string // "" = origin; "fork" = a new empty remote
		lines    func(f shareFixture) string
		want     map[string]string // topic → reason
		wantWarn string
	}{
		{"push a new branch", "", "", func(f shareFixture) string {
			return "refs/heads/feature " + f.tip + " refs/heads/feature " + zero + "\n"
		}, map[string]string{"feature": ReasonBranch, "on-tip": ReasonCommit, "earlier": ReasonCommit,
			"shr": ReasonShared, "main": ReasonBranchOnSite}, ""},
		{"push under another name", "", "", func(f shareFixture) string {
			return "refs/heads/feature " + f.featureOne + " refs/heads/review " + zero + "\n"
		}, map[string]string{"feature": ReasonBranch, "earlier": ReasonCommit, "shr": ReasonShared, "main": ReasonBranchOnSite}, ""},
		// A fork gets the pushed branch's topic and the topics of work no
		// remote has seen, never those attached to history origin has.
		{"push main to a fork", "", "fork", func(f shareFixture) string {
			return "refs/heads/main " + f.main + " refs/heads/main " + zero + "\n"
		}, map[string]string{"main": ReasonBranch}, ""},
		{"push a new branch to a fork", "", "fork", func(f shareFixture) string {
			return "refs/heads/feature " + f.tip + " refs/heads/feature " + zero + "\n"
		}, map[string]string{"feature": ReasonBranch, "on-tip": ReasonCommit, "earlier": ReasonCommit, "uns": ReasonCommit}, ""},
		{"push what the remote has", "", "", func(f shareFixture) string { return "" },
			map[string]string{"shr": ReasonShared, "main": ReasonBranchOnSite}, ""},
		{"codex.share=all", "all", "", func(f shareFixture) string { return "" },
			map[string]string{"feature": ReasonAll, "on-tip": ReasonAll, "earlier": ReasonAll, "exp": ReasonAll,
				"shr": ReasonShared, "main": ReasonAll}, ""},
		{"codex.share=none", "none", "", func(f shareFixture) string {
			return "refs/heads/feature " + f.tip + " refs/heads/feature " + zero + "\n"
		}, map[string]string{"shr": ReasonShared}, ""},
		{"codex.share unknown", "everything", "", func(f shareFixture) string {
			return "refs/heads/feature " + f.tip + " refs/heads/feature " + zero + "\n"
		}, map[string]string{"shr": ReasonShared}, `codex.share="everything" is not pushed, all or none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newShareFixture(t)
			if tt.mode != "" {
				gittest.Git(t, f.dir, "config", ShareKey, tt.mode)
			}
			remote, bare := "origin", f.bare
			if tt.remote == "fork" {
				remote, bare = "fork", filepath.Join(t.TempDir(), "fork.git")
				gittest.Git(t, f.dir, "init", "-q", "--bare", bare)
				gittest.Git(t, f.dir, "remote", "add", "fork", bare)
			}
			res, err := prePush(context.Background(), repotest.OpenRepo(t, f.dir), remote, tt.lines(f))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Reasons, tt.want) {
				t.Errorf("sent %v\nwant %v", res.Reasons, tt.want)
			}
			if got := remoteTopics(t, bare); !reflect.DeepEqual(got, sortedTopics(tt.want)) {
				t.Errorf("the remote has %v, want %v", got, sortedTopics(tt.want))
			}
			warns := strings.Join(res.Warnings, "\n")
			if tt.wantWarn == "" && warns != "" || !strings.Contains(warns, tt.wantWarn) {
				t.Errorf("Warnings = %q, want %q", warns, tt.wantWarn)
			}
		})
	}
}

// Once sent, a topic stays shared with that remote: its next turn goes with
// a push that has nothing to do with it. unshare stops that; share of a
// private topic needs force.
func TestShareStaysAndUnshare(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	f := newShareFixture(t)
	push := func() SendResult {
		t.Helper()
		res, err := prePush(ctx, repotest.OpenRepo(t, f.dir), "origin", "")
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res, err := prePush(ctx, repotest.OpenRepo(t, f.dir), "origin", "refs/heads/feature "+f.tip+" refs/heads/feature "+zero+"\n")
	if err != nil || res.Reasons["on-tip"] != ReasonCommit {
		t.Fatalf("first push = %+v, %v", res, err)
	}
	repotest.AddTurn(t, repotest.OpenRepo(t, f.dir), "on-tip", "S-on-tip", f.tip, "later", session.Usage{})
	if res := push(); res.Reasons["on-tip"] != ReasonOnRemote {
		t.Errorf("second push sent %v; want on-tip as already on the remote", res.Reasons)
	}

	u, err := UnshareTopic(ctx, repotest.OpenRepo(t, f.dir), "on-tip", "origin", false)
	if err != nil || !reflect.DeepEqual(u.StaysOn, []string{"origin"}) {
		t.Fatalf("UnshareTopic = %+v, %v", u, err)
	}
	before := gittest.Git(t, f.bare, "rev-parse", "refs/notes/codex/on-tip")
	repotest.AddTurn(t, repotest.OpenRepo(t, f.dir), "on-tip", "S-on-tip", f.tip, "after unshare", session.Usage{})
	if res := push(); len(res.Pushed) != 0 {
		t.Errorf("push after unshare sent %v", res.Pushed)
	}
	if after := gittest.Git(t, f.bare, "rev-parse", "refs/notes/codex/on-tip"); after != before {
		t.Errorf("the remote's notes moved after unshare")
	}

	if _, err := ShareTopic(ctx, repotest.OpenRepo(t, f.dir), "priv", "origin", false); !errors.Is(err, ErrPrivateTopic) {
		t.Errorf("share of a private topic = %v, want ErrPrivateTopic", err)
	}
	if res := push(); res.Reasons["priv"] != "" {
		t.Errorf("the private topic was sent: %v", res.Reasons)
	}
	s, err := ShareTopic(ctx, repotest.OpenRepo(t, f.dir), "priv", "origin", true)
	if err != nil || !s.WasPrivate {
		t.Fatalf("share -f = %+v, %v", s, err)
	}
	if res := push(); res.Reasons["priv"] != ReasonShared {
		t.Errorf("after share -f sent %v", res.Reasons)
	}
	sent := repotest.RemoteNoteIDs(t, f.bare, "refs/notes/codex/priv")
	if _, err := ShareTopic(ctx, repotest.OpenRepo(t, f.dir), "priv", "nowhere", false); !errors.Is(err, ErrNoSuchRemote) {
		t.Errorf("share with an unknown remote = %v", err)
	}

	// Private again: nothing more leaves, and the remote keeps what it has.
	u, err = UnshareTopic(ctx, repotest.OpenRepo(t, f.dir), "priv", "", true)
	if err != nil || !u.Private || !reflect.DeepEqual(u.StaysOn, []string{"origin"}) {
		t.Fatalf("unshare --private = %+v, %v", u, err)
	}
	repotest.AddTurn(t, repotest.OpenRepo(t, f.dir), "priv", "S-priv", f.tip, "secret", session.Usage{})
	if res := push(); len(res.Pushed) != 0 {
		t.Errorf("push after unshare --private sent %v", res.Pushed)
	}
	if _, err := Sync(ctx, repotest.OpenRepo(t, f.dir), SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	if ids := repotest.RemoteNoteIDs(t, f.bare, "refs/notes/codex/priv"); len(sent) == 0 || !reflect.DeepEqual(ids, sent) {
		t.Errorf("the remote has %d records of priv, want the %d sent before it became private", len(ids), len(sent))
	}
}

// list's view: each topic's state with respect to the remotes known here.
func TestSharingStates(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	f := newShareFixture(t)
	gittest.Git(t, f.dir, "remote", "add", "fork", t.TempDir())
	gittest.Git(t, f.dir, "config", "--add", "codex.topic.exp.share", "fork")
	gittest.Git(t, f.dir, "update-ref", "refs/notes/remotes/origin/codex/earlier", f.main)
	got, err := Sharing(repotest.OpenRepo(t, f.dir), []string{"feature", "exp", "priv", "shr", "earlier", "uns", "new", "main"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]TopicSharing{
		"feature": {State: StateLocal},
		"exp":     {State: StateShared, SharedWith: []string{"fork"}},
		"priv":    {State: StatePrivate},
		"shr":     {State: StateShared, SharedWith: []string{"origin"}},
		"earlier": {State: StateShared, SharedWith: []string{"origin"}},
		"uns":     {State: StateLocal},
		"new":     {State: StateLocal},
		"main":    {State: StateShared, SharedWith: []string{"origin"}}, // its branch is there
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sharing = %v\nwant %v", got, want)
	}
}

// sync pushes back only the topics shared with the remote, and never
// deletes what the remote has.
func TestSyncSendsSharedTopicsOnly(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	f := newShareFixture(t)
	res, err := Sync(ctx, repotest.OpenRepo(t, f.dir), SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"shr": ReasonShared, "main": ReasonBranchOnSite}
	if got := remoteTopics(t, f.bare); !reflect.DeepEqual(got, sortedTopics(want)) {
		t.Errorf("the remote has %v, want %v", got, sortedTopics(want))
	}
	if !slices.Equal(res.Pushed, []string{"main", "shr"}) ||
		!slices.Equal(res.Kept, []string{"earlier", "exp", "feature", "on-tip", "priv", "uns"}) ||
		res.Reasons["priv"] != ReasonPrivate || res.Reasons["uns"] != ReasonUnshared || res.Reasons["main"] != ReasonBranchOnSite {
		t.Errorf("Sync = %+v", res)
	}
	// The branch reaches the remote (without the hook): its topic follows.
	gittest.Git(t, f.dir, "push", "-q", "origin", "feature")
	res, err = Sync(ctx, repotest.OpenRepo(t, f.dir), SyncOptions{})
	if err != nil || !slices.Equal(res.Pushed, []string{"feature"}) {
		t.Errorf("second Sync = %+v, %v", res, err)
	}
	// Unsharing never deletes: the remote keeps feature.
	if _, err := UnshareTopic(ctx, repotest.OpenRepo(t, f.dir), "feature", "origin", false); err != nil {
		t.Fatal(err)
	}
	if _, err := Sync(ctx, repotest.OpenRepo(t, f.dir), SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := remoteTopics(t, f.bare); !reflect.DeepEqual(got, []string{"feature", "main", "shr"}) {
		t.Errorf("the remote has %v after unshare", got)
	}
}

// remoteTopics lists the topic refs of a bare remote.
func remoteTopics(t testing.TB, bare string) []string {
	t.Helper()
	out := gittest.GitOr(bare, "", "for-each-ref", "--format=%(refname)", "refs/notes/codex/")
	topics := []string{}
	for _, ref := range strings.Fields(out) {
		topic, err := gitstore.DecodeTopic(strings.TrimPrefix(ref, "refs/notes/codex/"))
		if err != nil {
			t.Fatal(err)
		}
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	return topics
}

func sortedTopics(m map[string]string) []string {
	out := []string{}
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// A workflow's topics go where their branch goes: a topic under a branch's
// name (main/review for a run, main/review/api for a step) is sent with the
// branch by a push and by sync, even when its records are on commits the
// remote has; a topic whose name merely starts the same way is not.
func TestTopicsUnderABranchFollowIt(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	ctx := context.Background()
	f := newShareFixture(t)
	repo := repotest.OpenRepo(t, f.dir)
	for _, topic := range []string{"feature/review", "feature/review/api", "featurex", "main/review/api"} {
		repotest.AddTurn(t, repo, topic, "S-"+topic, f.main, "about "+topic, session.Usage{})
	}
	res, err := prePush(ctx, repotest.OpenRepo(t, f.dir), "origin", "refs/heads/feature "+f.tip+" refs/heads/feature "+zero+"\n")
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]string{
		"feature/review":     "under branch feature, which is pushed",
		"feature/review/api": "under branch feature, which is pushed",
		"main/review/api":    "under branch main, which is on the remote",
		"featurex":           "",
	} {
		if got := res.Reasons[topic]; got != want {
			t.Errorf("push: %s sent for %q, want %q", topic, got, want)
		}
	}

	// sync (no push): the branch part of the rule.
	_, clones := gittest.BareWithClones(t, 1)
	other := clones[0]
	gittest.Git(t, other, "checkout", "-q", "-b", "topic")
	orepo := repotest.OpenRepo(t, other)
	head := gittest.Git(t, other, "rev-parse", "HEAD")
	repotest.AddTurn(t, orepo, "topic/wf/a", "S-a", head, "step a", session.Usage{})
	repotest.AddTurn(t, orepo, "topic/wf", "S-run", head, "run", session.Usage{})
	sres, err := Sync(ctx, repotest.OpenRepo(t, other), SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sres.Pushed) != 0 {
		t.Errorf("sync before the branch is on the remote sent %v", sres.Pushed)
	}
	gittest.Git(t, other, "push", "-q", "origin", "topic")
	sres, err = Sync(ctx, repotest.OpenRepo(t, other), SyncOptions{})
	if err != nil || !slices.Equal(sres.Pushed, []string{"topic/wf", "topic/wf/a"}) ||
		sres.Reasons["topic/wf/a"] != "under branch topic, which is on the remote" {
		t.Errorf("sync after the branch is pushed = %+v, %v", sres, err)
	}
}

// BenchmarkSharingPerSession is Sharing as list calls it, with the topic
// of every session listed: 10,000 sessions on 10 topics, then on 10,000.
func BenchmarkSharingPerSession(b *testing.B) {
	gittest.Hermetic(b, gitstore.GuardEnv)
	bare, clones := gittest.BareWithClones(b, 1)
	dir := clones[0]
	gittest.CommitContextFiles(b, dir)
	gittest.Git(b, dir, "push", "-q", "origin", "main")
	gittest.Git(b, dir, "remote", "add", "fork", bare)
	repo := repotest.OpenRepo(b, dir)
	for _, perTopic := range []int{1000, 1} {
		names := make([]string, 0, 10000)
		for i := range cap(names) {
			names = append(names, fmt.Sprintf("main/flow-%d", i/perTopic))
		}
		b.Run(fmt.Sprintf("sessions-per-topic=%d", perTopic), func(b *testing.B) {
			for b.Loop() {
				if _, err := Sharing(repo, names); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
