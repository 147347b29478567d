package history

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/repotest"
	"github.com/git-codex/git-codex/session"
)

// logOf is Log, its entries as JSON and its warnings as sorted strings.
func logOf(t *testing.T, dir string, revs []string, max int) (string, []string) {
	t.Helper()
	entries, warns, err := Log(context.Background(), repotest.OpenRepo(t, dir), LogOptions{Revs: revs, Max: max})
	if err != nil {
		t.Fatalf("Log %v -n %d: %v", revs, max, err)
	}
	return logJSON(t, entries, warns)
}

// fullLogOf is what Log shows when it reads every record of every topic
// (LoadIndex's way): the reference Log's reading only what it shows must
// agree with.
func fullLogOf(t *testing.T, dir string, revs []string, max int) (string, []string) {
	t.Helper()
	h, err := readHistory(context.Background(), repotest.OpenRepo(t, dir), revs, max, true)
	if err != nil {
		t.Fatalf("readHistory %v -n %d: %v", revs, max, err)
	}
	return logJSON(t, h.logEntries(), h.idx.Warnings)
}

// matchesOf lists matches with their records' ids.
func matchesOf(ms []Match) string {
	var out []string
	for _, m := range ms {
		s := m.Commit + "<-" + m.Source + ":" + m.Topic + ":" + m.Rule
		for _, r := range m.Records {
			s += ":" + r.ID
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func logJSON(t *testing.T, entries []LogEntry, warns []gitstore.Warning) (string, []string) {
	t.Helper()
	data, err := json.MarshalIndent(entries, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range warns {
		ws = append(ws, w.String())
	}
	slices.Sort(ws)
	return string(data), ws
}

// recordClock makes distinct, ordered record times.
var recordClock = time.Date(2026, 3, 4, 5, 0, 0, 0, time.UTC)

// record makes a session record of kind on target.
func record(kind session.Kind, sess, target string, set func(*session.Record)) session.Record {
	recordClock = recordClock.Add(time.Second)
	r := session.Record{Time: gitstore.FormatTime(recordClock), ID: gitstore.NewID(recordClock), Kind: kind, Session: sess, Commit: target}
	if set != nil {
		set(&r)
	}
	return r
}

// Log and pr-summary read the notes of the commits they list and the
// sessions with records there, not every record (notesView); what they
// show must be what reading everything shows, whatever the notes hold: answers, changes and undos on
// other commits than their turn, continuation notes, fetched topics,
// reattachments, malformed lines; and whatever its cache holds: nothing, a
// corrupt file, notes refs moved forward or back since.
func TestHistoryViewsReadWhatTheyShow(t *testing.T) {
	gittest.Hermetic(t, gitstore.GuardEnv)
	dir := gittest.NewRepo(t)
	repo := repotest.OpenRepo(t, dir)
	c1 := gittest.CommitFile(t, dir, 1, "a.txt", "one\n", "first")
	c2 := gittest.CommitFile(t, dir, 2, "b.txt", "two\n", "second")
	c3 := gittest.CommitFile(t, dir, 3, "c.txt", "three\n", "third")
	c4 := gittest.CommitFile(t, dir, 4, "d.txt", "four\n", "fourth")
	gittest.Git(t, dir, "branch", "side", c1)
	add := func(topic, target string, recs ...session.Record) {
		t.Helper()
		if err := repotest.AppendRecords(repo, topic, target, recs...); err != nil {
			t.Fatal(err)
		}
	}
	same := func(what string) {
		t.Helper()
		for _, q := range []struct {
			revs []string
			max  int
		}{{nil, 0}, {nil, 1}, {nil, 2}, {[]string{"main~1"}, 1}, {[]string{"main~3..main"}, 0}, {[]string{"main", "side"}, 0}, {[]string{"side"}, 0}} {
			got, gotW := logOf(t, dir, q.revs, q.max)
			want, wantW := fullLogOf(t, dir, q.revs, q.max)
			if got != want {
				t.Fatalf("%s: log %v -n %d shows\n%s\nreading every note shows\n%s", what, q.revs, q.max, got, want)
			}
			if !slices.Equal(gotW, wantW) {
				t.Fatalf("%s: log %v -n %d warns %q; reading every note warns %q", what, q.revs, q.max, gotW, wantW)
			}
		}
		// Reattach finds the same in local topics only.
		for _, revs := range [][]string{nil, {"side"}, {"main", "side"}} {
			shown, err := readShown(context.Background(), repotest.OpenRepo(t, dir), revs, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			full, err := readHistory(context.Background(), repotest.OpenRepo(t, dir), revs, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := matchesOf(shown.matches), matchesOf(full.matches); g != w {
				t.Fatalf("%s: reattach %v finds %s; reading every local note finds %s", what, revs, g, w)
			}
		}
		// pr-summary reads the same way: the commits of the range and
		// their sessions whole.
		for _, base := range []string{c1, c2, "side"} {
			revs := []string{"main", "^" + base}
			shown, err := readShown(context.Background(), repotest.OpenRepo(t, dir), revs, 0, true)
			if err != nil {
				t.Fatal(err)
			}
			full, err := readHistory(context.Background(), repotest.OpenRepo(t, dir), revs, 0, true)
			if err != nil {
				t.Fatal(err)
			}
			got := buildSummary(shown.idx, base, base, "main", shown.commits, shown.matches)
			want := buildSummary(full.idx, base, base, "main", full.commits, full.matches)
			if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
				t.Fatalf("%s: pr-summary from %s shows\n%s\nreading every note shows\n%s", what, base, g, w)
			}
			for _, ss := range got.Sessions {
				if g, w := jsonOf(t, shown.idx.BySession[ss.ID]), jsonOf(t, full.idx.BySession[ss.ID]); g != w {
					t.Fatalf("%s: pr-summary from %s reads session %s as\n%s\nnot\n%s", what, base, ss.ID, g, w)
				}
			}
		}
	}

	repotest.AddTurn(t, repo, "main", "S1", c1, "open the first session", session.Usage{Input: 10, Output: 2})
	repotest.AddTurn(t, repo, "main", "S2", c2, "second session", session.Usage{Input: 20, Output: 3})
	// S1 goes on two commits later: a range from c2 holds half of it.
	repotest.AddTurn(t, repo, "main", "S1", c3, "back to the first session", session.Usage{Input: 30, Output: 4})
	// A turn on c3 answered twice, the later answer and its change on c4,
	// undone from c4 too.
	turn := record(session.KindTurn, "S2", c3, func(r *session.Record) { r.Text = "Fix: the cache" })
	add("main", c3, turn, record(session.KindAnswer, "S2", c3, func(r *session.Record) { r.Turn, r.Text = turn.ID, "first try" }))
	add("main", c4,
		record(session.KindAnswer, "S2", c4, func(r *session.Record) { r.Turn, r.Text = turn.ID, "second try" }),
		record(session.KindChange, "S2", c4, func(r *session.Record) {
			r.Turn, r.Status, r.Path = turn.ID, session.ChangeApplied, "c.txt"
		}),
		record(session.KindEvent, "S2", c4, func(r *session.Record) { r.Turn, r.Event = turn.ID, session.RecordUndo }))
	same("answers on other commits")

	// A note past the bound rolls over into a continuation note.
	big := strings.Repeat("a long transcript line ", 12000)
	var bulk []session.Record
	for range 5 {
		bulk = append(bulk, record(session.KindTurn, "S3", c2, func(r *session.Record) { r.Text = big }))
	}
	add("big", c2, bulk...)
	repotest.AddTurn(t, repo, "big", "S3", c2, "after the roll-over", session.Usage{})
	if list, err := repo.Notes().ListNotes(context.Background(), gittest.Git(t, dir, "rev-parse", repo.Notes().Ref("big"))); err != nil || len(list) != 2 {
		t.Fatalf("topic big has notes %v (%v); want a note and its continuation", list, err)
	}
	same("continuation notes")

	// A malformed line, and a record that does not decode.
	gittest.Git(t, dir, "notes", "--ref", repo.Notes().Ref("bad"), "add", "-m", "not a record", c3)
	same("malformed lines")

	// A topic fetched from a remote only, and a fetched ref behind the
	// local one.
	repotest.AddTurn(t, repo, "theirs", "S4", c4, "a teammate's session", session.Usage{})
	theirs := repo.Notes().Ref("theirs")
	gittest.Git(t, dir, "update-ref", gitstore.TrackingPrefix+"origin/"+strings.TrimPrefix(theirs, "refs/notes/"), theirs)
	gittest.Git(t, dir, "update-ref", "-d", theirs)
	mainRef := repo.Notes().Ref("main")
	gittest.Git(t, dir, "update-ref", gitstore.TrackingPrefix+"origin/"+strings.TrimPrefix(mainRef, "refs/notes/"), mainRef+"~1")
	same("fetched topics")

	// A cherry-pick of a noted commit onto a branch: found by patch-id.
	gittest.Git(t, dir, "checkout", "-q", "side")
	gittest.Git(t, dir, "cherry-pick", "-x", c3)
	same("a reattachment")
	gittest.Git(t, dir, "checkout", "-q", "main")

	// The cache: corrupt, then gone, then notes refs moved on and back.
	cache := filepath.Join(dir, ".git", "codex", notesFactsName)
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("Log wrote no notes facts cache: %v", err)
	}
	if err := os.WriteFile(cache, []byte("not a cache"), 0o600); err != nil {
		t.Fatal(err)
	}
	same("a corrupt cache")
	if err := os.Remove(cache); err != nil {
		t.Fatal(err)
	}
	same("no cache")
	before := gittest.Git(t, dir, "rev-parse", mainRef)
	repotest.AddTurn(t, repo, "main", "S5", c4, "a new session", session.Usage{})
	same("a notes ref moved on")
	gittest.Git(t, dir, "update-ref", mainRef, before)
	same("a notes ref moved back")

	// And the cases were there to see.
	got, warns := logOf(t, dir, []string{"main", "side"}, 0)
	side, _ := logOf(t, dir, []string{"side"}, 1)
	got += side
	for _, want := range []string{`"answer": "second try"`, `"undone": true`, `"via": "patch-id"`,
		`"topic": "theirs"`, `"message": "after the roll-over"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log shows no %s:\n%s", want, got)
		}
	}
	if len(warns) == 0 {
		t.Errorf("log warns about nothing; the note on %s in topic bad is not a record", c3)
	}
}
