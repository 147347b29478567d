package session

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
)

// deltaFigures are the wire figures of a 10-turn session whose model
// re-reads ARCHITECTURE.md (8 KiB) in every turn.
type deltaFigures struct {
	// turn1 and later are the request bytes of turn 1 and of turns 2–10.
	turn1, later int
	// perRequest is the instruction block and tool schemas one request
	// carries.
	perRequest int
	// rereads are the sizes of the read_file answers of turns 2–10 as sent.
	rereads []int
}

// deltaSession runs the session, each turn a process of its own as on the
// command line (a new Engine over the same store and work tree), with or
// without context deltas, and returns its figures.
func deltaSession(tb testing.TB, deltas bool) deltaFigures {
	tb.Helper()
	dir := tb.TempDir()
	line := "The storage layer keeps each record as one line of JSON in a git note.\n"
	arch := strings.Repeat(line, 8192/len(line)+1)[:8192]
	for name, body := range map[string]string{"ARCHITECTURE.md": arch, "AGENTS.md": "Run go test ./... before you finish.\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	srv := openaitest.New(tb)
	repo := &fakeRepo{dir: dir}
	repo.head.Branch, repo.head.Commit = "main", "1111111111111111111111111111111111111111"
	store := gitstore.NewMemoryStore()
	clock := &tick{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	read := openaitest.Reply{ToolCalls: []openaitest.ToolCall{{Name: "read_file", Arguments: `{"path":"ARCHITECTURE.md"}`}}}
	var f deltaFigures
	for turn := 1; turn <= 10; turn++ {
		eng := &Engine{Store: store, Repo: repo, Now: clock.now, Out: textOutput{}, noContextDeltas: !deltas,
			Config: model.Config{Engine: model.EngineResponses, BaseURL: srv.URL(), Model: "test-model"}}
		srv.Enqueue(read, openaitest.Reply{Text: fmt.Sprintf("Turn %d: the layer rule still holds.", turn)})
		mark := len(srv.Requests())
		var err error
		if turn == 1 {
			_, err = eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Review the storage layer against ARCHITECTURE.md"})
		} else {
			_, err = eng.Reply(context.Background(), ReplyOptions{Target: Target{Topic: "main"}, Message: fmt.Sprintf("Also: check point %d of the architecture again", turn)})
		}
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range srv.Requests()[mark:] {
			if turn == 1 {
				f.turn1 += len(r.Body)
				continue
			}
			f.later += len(r.Body)
			var body struct {
				Instructions json.RawMessage   `json:"instructions"`
				Tools        json.RawMessage   `json:"tools"`
				Input        []json.RawMessage `json:"input"`
			}
			if json.Unmarshal(r.Body, &body) != nil {
				continue // the user's message is a string
			}
			f.perRequest = len(body.Instructions) + len(body.Tools)
			for _, it := range body.Input {
				var item struct {
					Type   string          `json:"type"`
					Output json.RawMessage `json:"output"`
				}
				if json.Unmarshal(it, &item) == nil && item.Type == "function_call_output" {
					f.rereads = append(f.rereads, len(item.Output))
				}
			}
		}
	}
	return f
}

// TestContextDeltaWire checks what context deltas are for, on the wire: in
// a 10-turn session whose model re-reads ARCHITECTURE.md (8 KiB) in every
// turn, each unchanged re-read is answered in under 300 bytes and turns
// 2–10 send at least 3× fewer request bytes than without deltas, although
// every request still carries the instruction block and the tool schemas.
func TestContextDeltaWire(t *testing.T) {
	with, without := deltaSession(t, true), deltaSession(t, false)
	if len(with.rereads) != 9 || len(without.rereads) != 9 {
		t.Fatalf("re-reads: %d with deltas, %d without", len(with.rereads), len(without.rereads))
	}
	for i, n := range with.rereads {
		if n >= 300 {
			t.Errorf("turn %d: the unchanged re-read was answered in %d bytes", i+2, n)
		}
		if without.rereads[i] < 8192 {
			t.Errorf("turn %d without deltas: the re-read was answered in %d bytes, less than the file", i+2, without.rereads[i])
		}
	}
	ratio := float64(without.later) / float64(with.later)
	t.Logf("turn 1: %d bytes (both); turns 2–10: %d bytes with context deltas, %d without: %.2fx fewer; re-read answers %d vs %d bytes; instructions and tools %d bytes a request",
		with.turn1, with.later, without.later, ratio, with.rereads[0], without.rereads[0], with.perRequest)
	if ratio < 3 {
		t.Errorf("turns 2–10 sent %.2fx fewer bytes with context deltas, want at least 3x", ratio)
	}
	if with.perRequest < 1500 {
		t.Errorf("a request carries %d bytes of instructions and tools; the comparison wants a realistic ~2 KB", with.perRequest)
	}
}

// BenchmarkContextDelta reports the request bytes of turns 2–10 of that
// session with and without context deltas, and the size of an unchanged
// re-read's answer:
//
//	go test ./session -run '^$' -bench ContextDelta
func BenchmarkContextDelta(b *testing.B) {
	for _, mode := range []string{"deltas", "full"} {
		b.Run(mode, func(b *testing.B) {
			var f deltaFigures
			for b.Loop() {
				f = deltaSession(b, mode == "deltas")
			}
			b.ReportMetric(float64(f.later), "req-bytes-turns-2-10")
			b.ReportMetric(float64(f.rereads[0]), "reread-bytes")
			b.ReportMetric(float64(f.perRequest), "instr+tools-bytes/req")
		})
	}
}
