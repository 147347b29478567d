// Package storetest is the conformance suite every gitstore.Store
// implementation must pass. It only uses the Store interface.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
)

// Targets are object ids the suite attaches records to.
var Targets = []string{
	"1111111111111111111111111111111111111111",
	"2222222222222222222222222222222222222222",
	gitstore.EmptyTree,
}

// Run runs the suite. newStore returns a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) gitstore.Store) {
	t.Run("EmptyTopicReadsNothing", func(t *testing.T) {
		s := newStore(t)
		recs, warns, err := s.Read(context.Background(), "nothing-here")
		if err != nil || len(recs) != 0 || len(warns) != 0 {
			t.Fatalf("Read of missing topic = %v, %v, %v; want nothing", recs, warns, err)
		}
	})
	t.Run("AppendThenRead", func(t *testing.T) {
		s := newStore(t)
		a, b := mk(1, "first"), mk(2, "second")
		c := mk(3, "third")
		mustAppend(t, s, "feature", Targets[0], b, a)
		mustAppend(t, s, "feature", Targets[1], c)
		recs := mustRead(t, s, "feature")
		if got := ids(recs); fmt.Sprint(got) != fmt.Sprint([]string{a.ID, b.ID, c.ID}) {
			t.Fatalf("Read order = %v, want by time", got)
		}
		if recs[2].NoteObject != Targets[1] || recs[0].NoteObject != Targets[0] {
			t.Fatalf("NoteObject = %q/%q", recs[0].NoteObject, recs[2].NoteObject)
		}
		if recs[0].V != gitstore.RecordVersion || recs[0].Text != "first" {
			t.Fatalf("record came back as %+v", recs[0])
		}
	})
	t.Run("TopicsAreIsolatedWithoutClashes", func(t *testing.T) {
		s := newStore(t)
		topics := []string{"feature", "feature/x", "feature/x/y", "Feature", "a.b", "..weird..", "ünïcode topic", "x.lock"}
		for i, tp := range topics {
			mustAppend(t, s, tp, Targets[0], mk(i, tp))
		}
		got, err := s.Topics(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(topics) {
			t.Fatalf("Topics = %q, want %d topics", got, len(topics))
		}
		for _, tp := range topics {
			recs := mustRead(t, s, tp)
			if len(recs) != 1 || recs[0].Text != tp {
				t.Fatalf("topic %q holds %+v", tp, recs)
			}
		}
	})
	t.Run("DuplicateAppendIsIdempotent", func(t *testing.T) {
		s := newStore(t)
		r := mk(1, "once")
		mustAppend(t, s, "t", Targets[0], r)
		mustAppend(t, s, "t", Targets[0], r)
		if recs := mustRead(t, s, "t"); len(recs) != 1 {
			t.Fatalf("same record twice gave %d records", len(recs))
		}
	})
	t.Run("SecretsAreRedacted", func(t *testing.T) {
		s := newStore(t)
		r := mk(1, "my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD ok")
		r.ToolCalls = []gitstore.ToolCall{{Name: "read_file", Result: "OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789"}}
		mustAppend(t, s, "t", Targets[0], r)
		got := mustRead(t, s, "t")[0]
		for _, text := range []string{got.Text, got.ToolCalls[0].Result} {
			if containsAny(text, "abcdefghijklmnopqrstuvwxyz0123456789") {
				t.Fatalf("secret stored: %q", text)
			}
		}
	})
	t.Run("UnknownKindsAndFieldsAreKept", func(t *testing.T) {
		s := newStore(t)
		r := mk(1, "x")
		r.Kind = "from-the-future"
		mustAppend(t, s, "t", Targets[0], r)
		if recs := mustRead(t, s, "t"); len(recs) != 1 || recs[0].Kind != "from-the-future" {
			t.Fatalf("unknown kind lost: %+v", recs)
		}
	})
	t.Run("InvalidInputIsRefused", func(t *testing.T) {
		s := newStore(t)
		if err := s.Append(context.Background(), "", Targets[0], mk(1, "x")); err == nil {
			t.Fatal("empty topic accepted")
		}
		if err := s.Append(context.Background(), "t", Targets[0], gitstore.Record{Kind: gitstore.KindTurn}); err == nil {
			t.Fatal("record without id accepted")
		}
	})
	t.Run("ConcurrentAppendsLoseNothing", func(t *testing.T) {
		s := newStore(t)
		const writers, each = 4, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					errs <- s.Append(context.Background(), "busy", Targets[i%2], mk(w*1000+i, fmt.Sprintf("w%d-%d", w, i)))
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if recs := mustRead(t, s, "busy"); len(recs) != writers*each {
			t.Fatalf("%d records after %d appends", len(recs), writers*each)
		}
	})
}

var base = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func mk(i int, text string) gitstore.Record {
	ts := base.Add(time.Duration(i) * time.Millisecond)
	return gitstore.Record{Time: gitstore.FormatTime(ts), ID: gitstore.NewID(ts), Kind: gitstore.KindTurn, Session: "S", Text: text}
}

func mustAppend(t *testing.T, s gitstore.Store, topic, target string, recs ...gitstore.Record) {
	t.Helper()
	if err := s.Append(context.Background(), topic, target, recs...); err != nil {
		t.Fatalf("Append(%q): %v", topic, err)
	}
}

func mustRead(t *testing.T, s gitstore.Store, topic string) []gitstore.Record {
	t.Helper()
	recs, warns, err := s.Read(context.Background(), topic)
	if err != nil {
		t.Fatalf("Read(%q): %v", topic, err)
	}
	if len(warns) > 0 {
		t.Fatalf("Read(%q) warned: %v", topic, warns)
	}
	return recs
}

func ids(recs []gitstore.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func containsAny(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
