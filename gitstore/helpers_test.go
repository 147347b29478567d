package gitstore

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/gittest"
)

// git runs the real git binary in dir and returns its trimmed output.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return gittest.Git(t, dir, args...)
}

func gitErr(dir, stdin string, args ...string) (string, error) {
	return gittest.GitErr(dir, stdin, args...)
}

// newRepo creates a work tree with one commit and returns its path.
func newRepo(t testing.TB) string {
	t.Helper()
	gittest.Hermetic(t)
	return gittest.NewRepo(t)
}

func openRepo(t testing.TB, dir string) *Repo {
	t.Helper()
	r, err := Open(dir, os.Getenv)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

var seq int

// kindTurn is the kind of the records the storage tests write.
const kindTurn = "turn"

// testRecord is a record as the storage tests write it: a few fields of the
// session schema (which lives in package session), in its key order.
type testRecord struct {
	V       int      `json:"v"`
	Time    string   `json:"ts"`
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Session string   `json:"session,omitempty"`
	Commit  string   `json:"commit,omitempty"`
	Model   string   `json:"model,omitempty"`
	Title   string   `json:"title,omitempty"`
	Context []string `json:"context,omitempty"`
	Text    string   `json:"text,omitempty"`
	// ToolCalls nest objects in a record, as the session schema does.
	ToolCalls []testToolCall `json:"tool_calls,omitempty"`
	// Decisions and Next are parts of a summary.
	Decisions []string `json:"decisions,omitempty"`
	Next      []string `json:"next,omitempty"`
}

type testToolCall struct {
	Name   string `json:"name"`
	Args   string `json:"args,omitempty"`
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Marshal returns the record's line.
func (tr testRecord) Marshal() ([]byte, error) {
	if tr.V == 0 {
		tr.V = 1
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tr); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// record returns the storage record of tr.
func (tr testRecord) record() Record {
	line, err := tr.Marshal()
	if err != nil {
		panic(err)
	}
	r, err := ParseRecord(line)
	if err != nil {
		panic(err)
	}
	return r
}

// rec builds a turn record with a fresh id.
func rec(text string) Record { return recOn(text, "") }

// recOn builds a turn record with a fresh id that says it was made on commit.
func recOn(text, commit string) Record {
	seq++
	now := time.Date(2026, 1, 2, 3, 4, 5, seq, time.UTC)
	return testRecord{Time: FormatTime(now), ID: NewID(now), Kind: kindTurn, Session: "S1", Commit: commit, Text: text}.record()
}

// textOf reads the text of a record written by the tests.
func textOf(r Record) string {
	var tr testRecord
	if err := json.Unmarshal(r.Line, &tr); err != nil {
		panic(err)
	}
	return tr.Text
}

func appendOK(t testing.TB, s Store, topic, target string, recs ...Record) {
	t.Helper()
	if err := s.Append(context.Background(), topic, target, recs...); err != nil {
		t.Fatalf("Append: %v", err)
	}
}
