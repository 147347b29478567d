package notesync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// Sharing (SPEC §9). A session is private to the machine until it is
// shared. Whether a topic's notes go to a remote is decided by one rule,
// which the pre-push hook, sync and list all apply (sharing.decide):
//
//  1. a private topic (delegate --private, unshare --private) never leaves;
//  2. a topic unshared from the remote (unshare) is not sent there;
//  3. a topic shared with the remote (share) is sent;
//  4. a topic the remote already has (its tracking ref
//     refs/notes/remotes/<remote>/codex/<topic> exists: sent by an earlier
//     push or sync, or fetched from there) is sent, so later turns follow;
//  5. otherwise codex.share decides: "all" sends every topic, "none" none,
//     and "pushed" (the default) the topics whose branch (topic = branch
//     name, or a topic under the branch's name: main/review and
//     main/review/api go with main, as a workflow's run and step topics
//     do) the push sends or the remote has (refs/remotes/<remote>/<branch>),
//     and those attached to a commit the push publishes (one no remote is
//     known to have). sync, which pushes no commits, applies the branch
//     part.
//
// The settings are per-repository git config, never pushed, which the user
// reads with `git config --get-regexp '^codex\.'`:
//
//	codex.share                   pushed | all | none
//	codex.topic.<topic>.share     a remote the topic is shared with (multi-valued)
//	codex.topic.<topic>.unshare   a remote it is not sent to any more (multi-valued)
//	codex.topic.<topic>.private   true: the topic never leaves this machine
//
// Nothing here ever deletes notes on a remote: unshare only stops sending.

// ShareKey is the git config key that says which topics are shared with a
// remote without being named: pushed (the default), all or none.
const ShareKey = "codex.share"

// Values of codex.share.
const (
	SharePushed = "pushed"
	ShareAll    = "all"
	ShareNone   = "none"
)

// Why a topic is sent to a remote, as the hook and sync print it.
const (
	ReasonBranch       = "its branch is pushed"
	ReasonCommit       = "a commit it is attached to is pushed"
	ReasonBranchOnSite = "its branch is on the remote"
	ReasonOnRemote     = "already on the remote"
	ReasonShared       = "shared with 'git codex share'"
	ReasonAll          = "codex.share=all"
)

// Why a topic is not sent.
const (
	ReasonPrivate   = "private"
	ReasonUnshared  = "unshared"
	ReasonNotShared = "not shared"
)

// ErrPrivateTopic is returned by ShareTopic for a private topic unless
// Force is set.
var ErrPrivateTopic = errors.New("topic is private")

// ErrNoSuchRemote is returned by ShareTopic and UnshareTopic for a remote
// that is neither configured nor a URL or path.
var ErrNoSuchRemote = errors.New("no such remote")

// topicKey is the config key of one of a topic's settings. The topic is a
// config subsection, which keeps its case and any character but a newline
// (ValidateTopic allows none), so it is written as it is.
func topicKey(topic, name string) string { return "codex.topic." + topic + "." + name }

// sharing is a repository's sharing configuration, read once.
type sharing struct {
	repo settings
	mode string
	// onRemote holds, per remote (remoteKey), the topics it has.
	onRemote map[string]map[string]bool
	// configured, when set, holds every topic with settings of its own
	// (and maybe more): the others have none to look up.
	configured map[string]bool
}

// topicSettingsPrefix starts the config keys of a topic's settings.
const topicSettingsPrefix = "codex.topic."

// configuredTopics returns the topics the configuration holds settings of
// (topicKey), or more: a key's case beyond the prefix's is not checked.
func configuredTopics(repo *gitstore.Repo) map[string]bool {
	out := map[string]bool{}
	for k := range repo.ConfigWithPrefix(topicSettingsPrefix) {
		if i := strings.LastIndexByte(k, '.'); i >= len(topicSettingsPrefix) {
			out[k[len(topicSettingsPrefix):i]] = true
		}
	}
	return out
}

// loadSharing reads the sharing configuration and the tracking refs. A
// codex.share value it does not know shares nothing implicitly (the safe
// reading), with a warning.
func loadSharing(repo settings) (*sharing, []string, error) {
	s := &sharing{repo: repo, mode: SharePushed, onRemote: map[string]map[string]bool{}}
	var warns []string
	if v, ok := repo.Config(ShareKey); ok {
		switch m := strings.ToLower(strings.TrimSpace(v)); m {
		case SharePushed, ShareAll, ShareNone:
			s.mode = m
		default:
			s.mode = ShareNone
			warns = append(warns, fmt.Sprintf("%s=%q is not pushed, all or none: only topics shared with 'git codex share' are sent", ShareKey, v))
		}
	}
	tracked, err := repo.TrackedTopics()
	if err != nil {
		return nil, warns, err
	}
	for _, tr := range tracked {
		k := remoteKey(tr.Remote)
		if s.onRemote[k] == nil {
			s.onRemote[k] = map[string]bool{}
		}
		s.onRemote[k][tr.Topic] = true
	}
	return s, warns, nil
}

// remoteKey names a remote the way TrackedTopics reports it: its name, or
// the hashed ref component when the name is too long for one.
func remoteKey(remote string) string {
	if n := gitstore.TrackingName(remote); strings.HasPrefix(n, "%%") {
		return n
	}
	return remote
}

func (s *sharing) private(topic string) bool {
	return (s.configured == nil || s.configured[topic]) && Private(s.repo, topic)
}

// Private reports whether topic is private (codex.topic.<topic>.private).
// A value that is not a boolean counts as true: a mistyped setting keeps
// the topic home rather than sending it.
func Private(repo settings, topic string) bool {
	key := topicKey(topic, "private")
	return len(repo.ConfigAll(key)) > 0 && repo.ConfigBool(key, true)
}

func (s *sharing) listed(topic, name, remote string) bool {
	if s.configured != nil && !s.configured[topic] {
		return false
	}
	for _, v := range s.repo.ConfigAll(topicKey(topic, name)) {
		if v == remote {
			return true
		}
	}
	return false
}

// decide says whether topic goes to remote, and why (one of the Reason
// constants, or what pushed returned). pushed answers rule 5 under
// codex.share=pushed: the reason the push shares the topic, "" when it does
// not; nil means no push is involved.
func (s *sharing) decide(topic, remote string, pushed func(topic string) string) (bool, string) {
	switch {
	case s.private(topic):
		return false, ReasonPrivate
	case s.listed(topic, "unshare", remote):
		return false, ReasonUnshared
	case s.listed(topic, "share", remote):
		return true, ReasonShared
	case s.onRemote[remoteKey(remote)][topic]:
		return true, ReasonOnRemote
	case s.mode == ShareAll:
		return true, ReasonAll
	case s.mode == ShareNone || pushed == nil:
		return false, ReasonNotShared
	}
	if why := pushed(topic); why != "" {
		return true, why
	}
	return false, ReasonNotShared
}

// TopicSharing is how one topic is shared, as `list` shows it.
type TopicSharing struct {
	// State is "private" (never leaves this machine), "shared" (goes to
	// SharedWith with every push or sync there: shared, already there, or
	// its branch is there) or "local" (under codex.share=pushed a push of
	// its branch, or of a commit it is attached to, shares it).
	State      string   `json:"state"`
	SharedWith []string `json:"shared_with,omitempty"`
}

// Sharing states.
const (
	StatePrivate = "private"
	StateShared  = "shared"
	StateLocal   = "local"
)

// Sharing returns the sharing state of each topic with respect to the
// remotes this repository knows (the configured ones, those it holds
// fetched notes of, and those named by share): what the next sync with
// each would do.
func Sharing(repo *gitstore.Repo, topics []string) (map[string]TopicSharing, error) {
	s, _, err := loadSharing(repo)
	if err != nil {
		return nil, err
	}
	// Ten thousand topics are mostly ten thousand without settings: those
	// are not looked up one key at a time.
	s.configured = configuredTopics(repo)
	remotes := map[string]bool{}
	for _, r := range repo.Remotes() {
		remotes[r] = true
	}
	for r := range s.onRemote {
		remotes[r] = true
	}
	// Each topic once: list names a topic once per session (in order:
	// then no sorted copy is needed).
	if !sortedUnique(topics) {
		topics = slices.Compact(slices.Sorted(slices.Values(topics)))
	}
	out := make(map[string]TopicSharing, len(topics))
	for _, t := range topics {
		if s.configured[t] {
			for _, r := range repo.ConfigAll(topicKey(t, "share")) {
				remotes[r] = true
			}
		}
	}
	names := make([]string, 0, len(remotes))
	for r := range remotes {
		names = append(names, r)
	}
	sort.Strings(names)
	// What the next sync with each remote would send (without a push,
	// the pushed rule is its branch part).
	branches := make(map[string]func(string) string, len(names))
	for _, r := range names {
		branches[r] = remoteBranches(repo, r)
	}
	for _, t := range topics {
		if s.private(t) {
			out[t] = TopicSharing{State: StatePrivate}
			continue
		}
		ts := TopicSharing{State: StateLocal}
		for _, r := range names {
			if ok, _ := s.decide(t, r, branches[r]); ok {
				ts.SharedWith = append(ts.SharedWith, r)
			}
		}
		if len(ts.SharedWith) > 0 {
			ts.State = StateShared
		}
		out[t] = ts
	}
	return out, nil
}

// sortedUnique reports whether s is sorted without repeats.
func sortedUnique(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] <= s[i-1] {
			return false
		}
	}
	return true
}

// checkRemote accepts a configured remote, or a URL or path (which git
// push accepts in place of a name).
func checkRemote(repo settings, remote string) error {
	if configured(repo, remote) || strings.ContainsAny(remote, ":/") {
		return nil
	}
	return fmt.Errorf("%w: %q (see 'git remote -v')", ErrNoSuchRemote, remote)
}

// configured reports whether remote names a configured remote (rather than
// a URL or path), which has remote-tracking branches under refs/remotes/.
func configured(repo settings, remote string) bool {
	for _, r := range repo.Remotes() {
		if r == remote {
			return true
		}
	}
	return false
}

// ShareResult says what ShareTopic changed.
type ShareResult struct {
	Topic  string `json:"topic"`
	Remote string `json:"remote"`
	// WasPrivate: the topic was private and Force lifted that.
	WasPrivate bool `json:"was_private,omitempty"`
}

// ShareTopic shares topic with remote: every later push or sync there
// sends its notes. A private topic is refused with ErrPrivateTopic unless
// force is set, which lifts the private mark (and shares it with remote
// only). An earlier unshare from remote is undone.
func ShareTopic(ctx context.Context, repo *gitstore.Repo, topic, remote string, force bool) (ShareResult, error) {
	res := ShareResult{Topic: topic, Remote: remote}
	if err := gitstore.ValidateTopic(topic); err != nil {
		return res, fmt.Errorf("share %s: %w", topic, err)
	}
	if err := checkRemote(repo, remote); err != nil {
		return res, fmt.Errorf("share %s: %w", topic, err)
	}
	if repo.ConfigBool(topicKey(topic, "private"), false) {
		if !force {
			return res, fmt.Errorf("share %s: %w", topic, ErrPrivateTopic)
		}
		if err := repo.UnsetConfig(ctx, topicKey(topic, "private")); err != nil {
			return res, fmt.Errorf("share %s: %w", topic, err)
		}
		res.WasPrivate = true
	}
	if _, err := repo.UnsetConfigValue(ctx, topicKey(topic, "unshare"), remote); err != nil {
		return res, fmt.Errorf("share %s: %w", topic, err)
	}
	if err := repo.AddConfig(ctx, topicKey(topic, "share"), remote); err != nil {
		return res, fmt.Errorf("share %s: %w", topic, err)
	}
	return res, nil
}

// UnshareResult says what UnshareTopic changed.
type UnshareResult struct {
	Topic string `json:"topic"`
	// Remote is "" when the topic was made private (every remote).
	Remote string `json:"remote,omitempty"`
	// Private: the topic is now private.
	Private bool `json:"private,omitempty"`
	// StaysOn lists the remotes that already have the topic's notes: they
	// keep what they have (nothing is ever deleted there).
	StaysOn []string `json:"stays_on"`
}

// UnshareTopic stops sending topic to remote; with private, to every remote
// (the topic becomes private, as delegate --private makes it). Notes the
// remote already has stay there: nothing is ever deleted on a remote.
func UnshareTopic(ctx context.Context, repo *gitstore.Repo, topic, remote string, private bool) (UnshareResult, error) {
	res := UnshareResult{Topic: topic, StaysOn: []string{}}
	if err := gitstore.ValidateTopic(topic); err != nil {
		return res, fmt.Errorf("unshare %s: %w", topic, err)
	}
	if private {
		if err := MakePrivate(ctx, repo, topic); err != nil {
			return res, err
		}
		res.Private = true
	} else {
		if err := checkRemote(repo, remote); err != nil {
			return res, fmt.Errorf("unshare %s: %w", topic, err)
		}
		res.Remote = remote
		if _, err := repo.UnsetConfigValue(ctx, topicKey(topic, "share"), remote); err != nil {
			return res, fmt.Errorf("unshare %s: %w", topic, err)
		}
		if err := repo.AddConfig(ctx, topicKey(topic, "unshare"), remote); err != nil {
			return res, fmt.Errorf("unshare %s: %w", topic, err)
		}
	}
	on, err := RemotesWith(repo, topic)
	if err != nil {
		return res, err
	}
	for _, r := range on {
		if private || r == remoteKey(remote) {
			res.StaysOn = append(res.StaysOn, r)
		}
	}
	return res, nil
}

// MakePrivate marks topic private: no push, sync or other command sends it
// anywhere again, whatever else says so (its share entries are dropped).
// What remotes already have stays there.
func MakePrivate(ctx context.Context, repo *gitstore.Repo, topic string) error {
	if err := gitstore.ValidateTopic(topic); err != nil {
		return fmt.Errorf("make %s private: %w", topic, err)
	}
	if err := repo.SetConfig(ctx, topicKey(topic, "private"), "true"); err != nil {
		return fmt.Errorf("make %s private: %w", topic, err)
	}
	if err := repo.UnsetConfig(ctx, topicKey(topic, "share")); err != nil {
		return fmt.Errorf("make %s private: %w", topic, err)
	}
	return nil
}

// RemotesWith lists the remotes this repository knows to have topic's
// notes (it has their tracking refs), sorted.
func RemotesWith(repo *gitstore.Repo, topic string) ([]string, error) {
	tracked, err := repo.TrackedTopics()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, tr := range tracked {
		if tr.Topic == topic {
			out = append(out, tr.Remote)
		}
	}
	sort.Strings(out)
	return out, nil
}
