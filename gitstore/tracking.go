package gitstore

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
)

// TrackingPrefix is where notes fetched from remotes are kept:
// refs/notes/remotes/<remote>/<rest of the notes prefix><topic>, e.g.
// refs/notes/remotes/origin/codex/main. It is a private namespace that no
// remote.* refspec touches. Only fetches write there (sync, the pre-push
// hook after a push, or the user's own `git fetch`); readers see it
// read-only through NotesStore.WithRemotes.
const TrackingPrefix = "refs/notes/remotes/"

// maxTrackingName bounds the ref-name component that stands for a remote:
// it is a directory name, which must fit the file system's 255-byte limit.
const maxTrackingName = 200

// TrackingName is the one ref-name component that stands for a remote name
// or URL: the name escaped like a topic, or, when that would be too long (a
// URL with a deep path), "%%" and the SHA-256 of the name; EncodeTopic never
// writes "%%", so the two forms cannot collide.
func TrackingName(remote string) string {
	if enc := EncodeTopic(remote); len(enc) <= maxTrackingName {
		return enc
	}
	return fmt.Sprintf("%%%%%x", sha256.Sum256([]byte(remote)))
}

// TrackingPrefixOf is the prefix of the tracking refs of one remote:
// refs/notes/remotes/<remote>/codex/ with the default notes prefix.
func (r *Repo) TrackingPrefixOf(remote string) string {
	return TrackingPrefix + TrackingName(remote) + "/" + strings.TrimPrefix(r.RefPrefix(), "refs/notes/")
}

// TrackingRef is the ref that holds what remote has of topic.
func (r *Repo) TrackingRef(remote, topic string) string {
	return r.TrackingPrefixOf(remote) + EncodeTopic(topic)
}

// Tracked is one topic as a remote had it when last fetched or pushed to.
type Tracked struct {
	Ref    string // refs/notes/remotes/<remote>/codex/<topic>
	Remote string // the remote's name (or URL); the ref component when it was hashed
	Topic  string
	Commit string // the notes commit
}

// TrackedTopics lists the tracking refs of every remote, sorted by remote
// then topic. Refs that git codex did not write (deeper paths, names that
// do not decode to a valid topic) are left out.
func (r *Repo) TrackedTopics() ([]Tracked, error) { return r.trackedTopics(nil) }

// trackedTopicsOf is TrackedTopics for the named topics only: a command
// that reads one topic does not decode every fetched topic's ref.
func (r *Repo) trackedTopicsOf(topics ...string) ([]Tracked, error) {
	want := make(map[string]bool, len(topics))
	for _, t := range topics {
		want[EncodeTopic(t)] = true
	}
	return r.trackedTopics(want)
}

// trackedTopics lists the tracking refs whose encoded topic is in want
// (all of them for nil).
func (r *Repo) trackedTopics(want map[string]bool) ([]Tracked, error) {
	suffix := strings.TrimPrefix(r.RefPrefix(), "refs/notes/")
	var out []Tracked
	err := r.eachRef(TrackingPrefix, func(name, commit string) {
		comp, rest, ok := strings.Cut(strings.TrimPrefix(name, TrackingPrefix), "/")
		if !ok {
			return
		}
		enc, ok := strings.CutPrefix(rest, suffix)
		if !ok || enc == "" || strings.Contains(enc, "/") || (want != nil && !want[enc]) {
			return
		}
		topic, err := DecodeTopic(enc)
		if err != nil || ValidateTopic(topic) != nil {
			return
		}
		remote := comp
		if !strings.HasPrefix(comp, "%%") {
			if rm, err := DecodeTopic(comp); err == nil {
				remote = rm
			}
		}
		out = append(out, Tracked{Ref: name, Remote: remote, Topic: topic, Commit: commit})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Remote != out[j].Remote {
			return out[i].Remote < out[j].Remote
		}
		return out[i].Topic < out[j].Topic
	})
	return out, nil
}
