package history

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// rec makes a record with fixed id and time so output is byte-stable.
func rec(kind session.Kind, id, minute string, sess, topic string) session.Record {
	return session.Record{Time: "2026-01-02T05:" + minute + ":00.000000000Z", ID: id, Kind: kind, Session: sess, Topic: topic}
}

// historyFixture builds a feature branch with two sessions: S1 on its own
// commits (closed, with a summary), S2 on a hotfix commit that was
// cherry-picked into the branch (found again by patch-id).
func historyFixture(t *testing.T) string {
	t.Helper()
	dir := gittest.NewRepo(t)
	gittest.Git(t, dir, "checkout", "-q", "-b", "hotfix")
	hot := gittest.CommitFile(t, dir, 1, "fix.txt", "fix\n", "Fix the crash on empty input")
	gittest.Git(t, dir, "checkout", "-q", "main")
	gittest.Git(t, dir, "checkout", "-q", "-b", "feature")
	a := gittest.CommitFile(t, dir, 2, "parser.go", "package parser\n", "Add the parser")
	b := gittest.CommitFile(t, dir, 3, "errors.go", "package parser // errors\n", "Handle parse errors")
	gittest.GitAt(t, dir, "2026-01-02T04:04:00Z", "cherry-pick", hot)
	gittest.CommitFile(t, dir, 5, "README.md", "hello\nparser docs\n", "Document the parser")

	const s1, s2 = "01JA0000000000000000000000", "01JB0000000000000000000000"
	repo := repotest.OpenRepo(t, dir)
	sess := rec(session.KindSession, s1, "00", s1, "feature")
	sess.Engine, sess.Model, sess.Title = "responses", "gpt-5", "Build the expression parser"
	t1 := rec(session.KindTurn, "01JA0000000000000000000T01", "01", s1, "feature")
	t1.Text = "## Context\nSee ARCHITECTURE.md\n## Task\nWrite a recursive-descent parser\n"
	a1 := rec(session.KindAnswer, "01JA0000000000000000000A01", "02", s1, "feature")
	a1.Turn, a1.Text, a1.Usage = t1.ID, "Wrote parser.go with a Pratt loop.\nDetails follow.", &session.Usage{Input: 12000, Cached: 0, Output: 800}
	t2 := rec(session.KindTurn, "01JA0000000000000000000T02", "03", s1, "feature")
	t2.Text, t2.Parent = "Also: return positioned errors", t1.ID
	a2 := rec(session.KindAnswer, "01JA0000000000000000000A02", "04", s1, "feature")
	a2.Turn, a2.Text, a2.Usage = t2.ID, "Errors now carry line and column.", &session.Usage{Input: 900, Cached: 11000, Output: 300}
	sum := rec(session.KindSummary, "01JA0000000000000000000S01", "05", s1, "feature")
	sum.Text = "Added a Pratt parser with positioned errors."
	sum.Decisions = []string{"Pratt parsing instead of a generator", "Errors carry line and column"}
	sum.Next = []string{"Fuzz the parser"}
	closed := rec(session.KindClose, "01JA0000000000000000000C01", "06", s1, "feature")
	for _, step := range []struct {
		target string
		recs   []session.Record
	}{
		{a, []session.Record{sess, t1, a1}},
		{b, []session.Record{t2, a2, sum, closed}},
	} {
		for i := range step.recs {
			step.recs[i].Commit = step.target
		}
		if err := repotest.AppendRecords(repo, "feature", step.target, step.recs...); err != nil {
			t.Fatal(err)
		}
	}
	h1 := rec(session.KindTurn, "01JB0000000000000000000T01", "10", s2, "hotfix")
	h1.Text, h1.Commit = "Fix: crash on empty input", hot
	ha := rec(session.KindAnswer, "01JB0000000000000000000A01", "11", s2, "hotfix")
	ha.Turn, ha.Text, ha.Commit, ha.Usage = h1.ID, "Guarded the empty case.", hot, &session.Usage{Input: 3000, Output: 120}
	if err := repotest.AppendRecords(repo, "hotfix", hot, h1, ha); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSummarizeGolden(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := historyFixture(t)
	s, err := Summarize(context.Background(), repotest.OpenRepo(t, dir), SummaryOptions{Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.md", md.Bytes())
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.json", append(js, '\n'))

	// Deterministic: the same history gives the same bytes.
	s2, err := Summarize(context.Background(), repotest.OpenRepo(t, dir), SummaryOptions{Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	var md2 bytes.Buffer
	if err := WriteMarkdown(&md2, s2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md.Bytes(), md2.Bytes()) {
		t.Error("two summaries of the same history differ")
	}
}

func TestSummarizeWithoutSessions(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	gittest.Git(t, dir, "checkout", "-q", "-b", "feature")
	gittest.CommitFile(t, dir, 1, "a.txt", "a\n", "Plain change")
	s, err := Summarize(context.Background(), repotest.OpenRepo(t, dir), SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary-empty.md", md.Bytes())
}

func TestLogGolden(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := historyFixture(t)
	entries, warns, err := Log(context.Background(), repotest.OpenRepo(t, dir), LogOptions{Revs: []string{"main..feature"}})
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	var out bytes.Buffer
	if err := WriteLog(&out, entries, LogStyle{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "log.txt", out.Bytes())

	limited, _, err := Log(context.Background(), repotest.OpenRepo(t, dir), LogOptions{Max: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(limited) != 2 || limited[1].Subject != "Fix the crash on empty input" || limited[1].Turns[0].Via != RulePatchID {
		t.Errorf("Log -n 2 = %+v, want the docs commit and the reattached cherry-pick", limited)
	}
}

func TestDefaultBase(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		wantRef string
		wantErr error
	}{
		{"local main", func(t *testing.T, dir string) {}, "main", nil},
		{"upstream of another name", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "branch", "-q", "--set-upstream-to=main")
		}, "main", nil},
		{"origin/HEAD before main", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "update-ref", "refs/remotes/origin/trunk", "main")
			gittest.Git(t, dir, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
		}, "origin/HEAD", nil},
		{"upstream of the same name is skipped", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "update-ref", "refs/remotes/origin/feature", "HEAD")
			gittest.Git(t, dir, "config", "branch.feature.remote", "origin")
			gittest.Git(t, dir, "config", "branch.feature.merge", "refs/heads/feature")
		}, "main", nil},
		{"nothing to compare with", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "branch", "-q", "-m", "main", "trunk")
		}, "", ErrNoBase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gittest.NewRepo(t)
			gittest.Git(t, dir, "checkout", "-q", "-b", "feature")
			gittest.CommitFile(t, dir, 1, "a.txt", "a\n", "change")
			tt.setup(t, dir)
			repo := repotest.OpenRepo(t, dir)
			head, _ := repo.Resolve(context.Background(), "HEAD")
			_, ref, err := DefaultBase(context.Background(), repo, head)
			if !errors.Is(err, tt.wantErr) || ref != tt.wantRef {
				t.Errorf("DefaultBase = %q, %v; want %q, %v", ref, err, tt.wantRef, tt.wantErr)
			}
		})
	}
}

// A compaction summary (the model's whole text, headings and all) is read
// the way a closing summary is: pr-summary shows what was found, not the
// headings, and its decisions and next steps (issue 13.7).
func TestSummarizeCompaction(t *testing.T) {
	text := "### Found\nThe TTL was read as seconds.\n\n### Decided\n- use time.Duration\n\n### Next\n- release 1.2.1\n\n" +
		"Earlier decisions (kept from the previous summary):\n- keep the cache\n"
	recs := []session.Record{
		{Kind: session.KindSession, Session: "S", Topic: "main", Title: "TTL"},
		{Kind: session.KindTurn, ID: "T1", Session: "S", Topic: "main", Text: "why?"},
		{Kind: session.KindSummary, Session: "S", Topic: "main", Through: "T1", Text: text,
			Decisions: []string{"use time.Duration", "keep the cache"}, Next: []string{"release 1.2.1"}},
	}
	ss := summarizeSession("S", recs)
	if ss.Summary != "The TTL was read as seconds." {
		t.Errorf("summary = %q", ss.Summary)
	}
	if strings.Join(ss.Decisions, "|") != "use time.Duration|keep the cache" || strings.Join(ss.Next, "|") != "release 1.2.1" {
		t.Errorf("decisions %q, next %q", ss.Decisions, ss.Next)
	}
	// A closing summary, stored parsed, wins over the compaction.
	recs = append(recs, session.Record{Kind: session.KindSummary, Session: "S", Text: "Closed: all done.", Decisions: []string{"ship"}})
	if ss := summarizeSession("S", recs); ss.Summary != "Closed: all done." || strings.Join(ss.Decisions, "|") != "ship" || ss.Next != nil {
		t.Errorf("with a closing summary: %+v", ss)
	}
}
