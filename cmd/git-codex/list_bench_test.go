package main

import (
	"fmt"
	"io"
	"testing"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/notesync"
	"github.com/git-codex/git-codex/session"
)

// BenchmarkPrintList prints list's table of 10,000 sessions (a topic each),
// as `git codex list` does at the scale issue's 10,000 topics.
func BenchmarkPrintList(b *testing.B) {
	ovs := make([]session.Overview, 10000)
	entries := make([]listEntry, len(ovs))
	for i := range ovs {
		ovs[i] = session.Overview{Topic: fmt.Sprintf("feature/topic-%d", i), ID: fmt.Sprintf("01JNW49DY930F19B5R3SED%04d", i),
			Status: "open", Turns: 12, Usage: session.Usage{Input: 120000 + i, Cached: 3000, Output: 4000 + i},
			Last: "2026-03-01T09:00:00.123Z", Title: "Find why the cache test is flaky on CI"}
		entries[i] = listEntry{Overview: &ovs[i], Sharing: notesync.TopicSharing{State: "local"}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := printList(io.Discard, entries, 0, ui.Palette{}); err != nil {
			b.Fatal(err)
		}
	}
}
