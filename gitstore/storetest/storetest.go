// Package storetest is the conformance suite every gitstore.Store
// implementation must pass. It only uses the Store interface.
package storetest

import (
	"context"
	"encoding/json"
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
		if string(recs[0].Line) != string(a.Line) || text(t, recs[0]) != "first" || recs[0].ID != a.ID || recs[0].Time != a.Time {
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
			if len(recs) != 1 || text(t, recs[0]) != tp {
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
		// Every string value is redacted, also in nested objects and arrays.
		r := mkLine(t, 1, `"text":"my key is sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD ok",`+
			`"tool_calls":[{"name":"read_file","result":"OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123456789"}]`)
		mustAppend(t, s, "t", Targets[0], r)
		got := mustRead(t, s, "t")[0]
		var v struct {
			Text      string `json:"text"`
			ToolCalls []struct {
				Result string `json:"result"`
			} `json:"tool_calls"`
		}
		if err := json.Unmarshal(got.Line, &v); err != nil || len(v.ToolCalls) != 1 || got.ID != r.ID {
			t.Fatalf("record came back as %s (%v)", got.Line, err)
		}
		for _, text := range []string{v.Text, v.ToolCalls[0].Result} {
			if containsAny(text, "abcdefghijklmnopqrstuvwxyz0123456789") {
				t.Fatalf("secret stored: %q", text)
			}
		}
	})
	t.Run("UnknownKindsAndFieldsAreKept", func(t *testing.T) {
		s := newStore(t)
		r := mkKind(t, 1, "from-the-future", `"text":"x","shape":{"of":["things",2,"come"]}`)
		mustAppend(t, s, "t", Targets[0], r)
		if recs := mustRead(t, s, "t"); len(recs) != 1 || recs[0].Kind != "from-the-future" || string(recs[0].Line) != string(r.Line) {
			t.Fatalf("unknown kind lost: %+v", recs)
		}
	})
	t.Run("InvalidInputIsRefused", func(t *testing.T) {
		s := newStore(t)
		if err := s.Append(context.Background(), "", Targets[0], mk(1, "x")); err == nil {
			t.Fatal("empty topic accepted")
		}
		for _, line := range []string{`{"v":1,"kind":"turn"}`, `{"v":1,"id":"X"}`, "not json", `{"v":1,"id":"X",` + "\n" + `"kind":"turn"}`, ""} {
			if err := s.Append(context.Background(), "t", Targets[0], gitstore.Record{Line: []byte(line)}); err == nil {
				t.Fatalf("record %q accepted", line)
			}
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

// mk builds a turn record holding text.
func mk(i int, text string) gitstore.Record {
	b, _ := json.Marshal(text)
	return mkLine(nil, i, `"session":"S","text":`+string(b))
}

// mkLine builds a record from the fields after the envelope (a JSON object's
// members, without braces). The suite knows nothing of the session schema:
// a record is a line of JSON whose first keys are v, ts and id.
func mkLine(t *testing.T, i int, fields string) gitstore.Record { return mkKind(t, i, "turn", fields) }

// mkKind is mkLine for a record of another kind.
func mkKind(t *testing.T, i int, kind, fields string) gitstore.Record {
	ts := base.Add(time.Duration(i) * time.Millisecond)
	line := fmt.Sprintf(`{"v":1,"ts":%q,"id":%q,"kind":%q,%s}`, gitstore.FormatTime(ts), gitstore.NewID(ts), kind, fields)
	r, err := gitstore.ParseRecord([]byte(line))
	if err != nil {
		if t != nil {
			t.Fatalf("ParseRecord(%s): %v", line, err)
		}
		panic(err)
	}
	return r
}

// text reads the "text" field of a record.
func text(t *testing.T, r gitstore.Record) string {
	t.Helper()
	var v struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(r.Line, &v); err != nil {
		t.Fatalf("record %s: %v", r.Line, err)
	}
	return v.Text
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
