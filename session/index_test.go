package session

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
)

// plainStore hides the index capability of a store: an engine over it reads
// every topic in full, as before the index.
type plainStore struct{ gitstore.Store }

// warnOutput records the warnings an engine reports.
type warnOutput struct{ warns *[]string }

func (o warnOutput) Delta(string) {}
func (o warnOutput) Event(ev Event) {
	if ev.Kind == EventWarning {
		*o.warns = append(*o.warns, ev.Text)
	}
}
func (o warnOutput) Approve(context.Context, Approval) (Decision, error) { return Deny, nil }

// recordWriter writes session records in a real repository, with times
// that advance.
type recordWriter struct {
	t    *testing.T
	repo *gitstore.Repo
	now  time.Time
}

func (w *recordWriter) rec(k Kind, sess, topic, commit string) Record {
	w.now = w.now.Add(time.Second)
	return Record{Time: gitstore.FormatTime(w.now), ID: gitstore.NewID(w.now), Kind: k, Session: sess, Topic: topic, Commit: commit}
}

func (w *recordWriter) put(topic, target string, recs ...Record) {
	w.t.Helper()
	if err := (&Engine{Store: w.repo.Notes()}).append(context.Background(), topic, target, recs...); err != nil {
		w.t.Fatal(err)
	}
}

// session writes a session of turns on topic, attached to target: forks,
// retried answers, compactions, engine switches, edits and undos, closing,
// as the options say. It returns the session id.
func (w *recordWriter) session(topic, target, model string, turns int, opts ...string) string {
	has := map[string]bool{}
	for _, o := range opts {
		has[o] = true
	}
	open := w.rec(KindSession, "", topic, target)
	open.Session, open.Engine, open.Model, open.Title, open.Text = open.ID, "responses", model, "Task on "+topic, "Do the thing on "+topic
	id := open.ID
	w.put(topic, target, open)
	parent := ""
	for i := 0; i < turns; i++ {
		turn := w.rec(KindTurn, id, topic, target)
		turn.Parent, turn.Text = parent, fmt.Sprintf("turn %d of %s", i, topic)
		if has["fork"] && i == turns-1 && i > 0 {
			turn.Parent = "" // the same parent as the first turn: a fork
		}
		ans := w.rec(KindAnswer, id, topic, target)
		ans.Turn, ans.Model, ans.Text = turn.ID, model, "answer "+turn.Text
		if i%3 != 2 {
			ans.Usage = &Usage{Input: 100 * (i + 1), Cached: 10 * i, Output: 7 * (i + 1)}
			ans.BytesSent = 500 + i
			ans.ResponseID = "resp_" + turn.ID
		}
		recs := []Record{turn, ans}
		if has["retry"] && i == 0 {
			again := w.rec(KindAnswer, id, topic, target)
			again.Turn, again.Model, again.Text = turn.ID, "other-model", "a newer answer"
			again.Usage = &Usage{Input: 1, Output: 1}
			recs = append(recs, again)
		}
		if has["edit"] && i == 1 {
			ch := w.rec(KindChange, id, topic, target)
			ch.Turn, ch.Op, ch.Path, ch.Status = turn.ID, "update_file", "a.go", ChangeApplied
			undo := w.rec(KindEvent, id, topic, target)
			undo.Event, undo.Turn = RecordUndo, turn.ID
			recs = append(recs, ch, undo)
		}
		if has["engine"] && i == 1 {
			ev := w.rec(KindEvent, id, topic, target)
			ev.Event, ev.Engine, ev.Turn = RecordEngine, "chat", turn.ID
			recs = append(recs, ev)
		}
		w.put(topic, target, recs...)
		parent = turn.ID
	}
	if has["compact"] {
		sum := w.rec(KindSummary, id, topic, target)
		sum.Through, sum.Text, sum.Model, sum.Usage = parent, "compacted so far", "small-model", &Usage{Input: 50, Output: 5}
		w.put(topic, target, sum)
	}
	if has["close"] {
		sum := w.rec(KindSummary, id, topic, target)
		sum.Text, sum.Decisions, sum.Usage = "We found it.\nThen we fixed it.", []string{"keep it"}, &Usage{Input: 30, Output: 3}
		w.put(topic, target, sum, w.rec(KindClose, id, topic, target))
	}
	return id
}

// run writes a workflow run's record (no session) on topic.
func (w *recordWriter) run(topic, target string) {
	w.t.Helper()
	w.now = w.now.Add(time.Second)
	line := fmt.Sprintf(`{"v":1,"ts":%q,"id":%q,"kind":"run","commit":%q,"run":"R1","event":"run.started"}`,
		gitstore.FormatTime(w.now), gitstore.NewID(w.now), target)
	g, err := gitstore.ParseRecord([]byte(line))
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.repo.Notes().Append(context.Background(), topic, target, g); err != nil {
		w.t.Fatal(err)
	}
}

// readsAlike compares what an engine with the index and one without read:
// list (every topic and each alone), each topic's current session, each
// session by id and by prefix, with the warnings they report.
func readsAlike(t *testing.T, dir, step string) {
	t.Helper()
	ctx := context.Background()
	view := func(indexed bool) map[string]string {
		repo, err := gitstore.Open(dir, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		var warns []string
		var store gitstore.Store = repo.Notes().WithRemotes()
		if !indexed {
			store = plainStore{store}
		}
		e := &Engine{Store: store, Repo: repo, Out: warnOutput{&warns}}
		out := map[string]string{}
		show := func(key string, v any, err error) {
			b, _ := json.Marshal(v)
			out[key] = string(b) + fmt.Sprintf(" err=%v warns=%q", err, warns)
			warns = nil
		}
		all, err := e.List(ctx)
		show("list", all, err)
		var lines []string // not in the JSON
		for _, o := range all {
			lines = append(lines, o.TitleLine)
		}
		show("title lines", lines, nil)
		topics, _ := repo.Notes().WithRemotes().Topics(ctx)
		ids := map[string]bool{}
		for _, o := range all {
			ids[o.ID] = true
		}
		for _, topic := range append(topics, "no-such-topic") {
			l, err := e.List(ctx, topic)
			show("list "+topic, l, err)
			s, err := e.Load(ctx, topic, "")
			show("load "+topic, s, err)
		}
		var sorted []string
		for id := range ids {
			sorted = append(sorted, id)
		}
		sort.Strings(sorted)
		for _, id := range sorted {
			s, err := e.Load(ctx, "", id)
			show("load "+id, s, err)
			s, err = e.Load(ctx, "", strings.ToLower(id[:8]))
			show("prefix "+id[:8], s, err)
		}
		s, err := e.Load(ctx, "", "0") // every id starts so: ambiguous
		show("prefix 0", s, err)
		return out
	}
	plain := view(false)
	indexed := view(true)
	again := view(true) // from the index just written
	for _, got := range []map[string]string{indexed, again} {
		if !reflect.DeepEqual(got, plain) {
			for k, v := range plain {
				if got[k] != v {
					t.Errorf("%s: %s differs:\nwithout the index: %.600s\nwith it:           %.600s", step, k, v, got[k])
				}
			}
			for k := range got {
				if _, ok := plain[k]; !ok {
					t.Errorf("%s: %s only with the index", step, k)
				}
			}
			t.FailNow()
		}
	}
}

// The session index never changes what is read: list, show and reply's
// session, by topic, id and prefix, with fetched notes, rewritten copies,
// forks, edits, runs and hand-edited notes — cold, warm, after changes of
// every kind, and after the index file is deleted or damaged.
func TestIndexReadsAsTheNotes(t *testing.T) {
	gittest.Hermetic(t)
	bare, clones := gittest.BareWithClones(t, 2)
	dir, mate := clones[0], clones[1]
	for _, d := range clones {
		gittest.Git(t, d, "config", "notes.rewriteRef", "refs/notes/codex/*")
	}
	repo := openTestRepo(t, dir)
	head := gittest.Git(t, dir, "rev-parse", "HEAD")
	w := &recordWriter{t: t, repo: repo, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	w.session("main", head, "gpt-5", 4, "retry", "close")
	w.session("main", head, "gpt-5-mini", 3, "fork", "engine")
	w.session("feature/x", head, "gpt-5", 5, "edit", "compact")
	w.session("feature/x", gitstore.EmptyTree, "unpriced-model", 2)
	w.run("main/wf", head)

	// A teammate's sessions, fetched: one topic only they have, one both.
	mw := &recordWriter{t: t, repo: openTestRepo(t, mate), now: w.now.Add(time.Hour)}
	mhead := gittest.Git(t, mate, "rev-parse", "HEAD")
	mw.session("theirs", mhead, "gpt-5", 2, "close")
	mw.session("main", mhead, "gpt-5", 2)
	gittest.Git(t, mate, "push", "-q", "origin", "refs/notes/codex/*:refs/notes/codex/*")
	fetch := func() {
		gittest.Git(t, dir, "fetch", "-q", "origin", "+refs/notes/codex/*:refs/notes/remotes/origin/codex/*")
	}
	fetch()
	readsAlike(t, dir, "cold")
	readsAlike(t, dir, "warm")

	// Changes of every kind: a reply here, a new session, a teammate's
	// reply fetched, a rewritten commit (git copies the notes).
	w.now = mw.now.Add(time.Hour)
	w.session("main", head, "gpt-5", 1)
	mw.now = w.now.Add(time.Hour)
	mw.session("main", mhead, "gpt-5", 1, "close")
	gittest.Git(t, mate, "push", "-q", "origin", "refs/notes/codex/*:refs/notes/codex/*")
	fetch()
	readsAlike(t, dir, "after new sessions")
	gittest.Git(t, dir, "commit", "-q", "--amend", "-m", "amended")
	readsAlike(t, dir, "after an amend")
	amended := gittest.Git(t, dir, "rev-parse", "HEAD")
	w.session("feature/x", amended, "gpt-5", 2)
	readsAlike(t, dir, "after writing to the amended commit")
	_ = bare

	// A session past the note bound: its records are in the note and its
	// continuation notes.
	big := w.session("big", amended, "gpt-5", 1)
	// Batches until a note past the bound has taken new records elsewhere.
	for batch := 0; batch < 8 && !strings.Contains(gittest.Git(t, dir, "notes", "--ref=refs/notes/codex/big", "list"), "\n"); batch++ {
		var recs []Record
		for i := 0; i < 400; i++ {
			turn := w.rec(KindTurn, big, "big", amended)
			turn.Text = fmt.Sprintf("batch %d turn %d %s", batch, i, strings.Repeat("words ", 100))
			ans := w.rec(KindAnswer, big, "big", amended)
			ans.Turn, ans.Text, ans.Usage = turn.ID, "ok", &Usage{Input: 10, Output: 1}
			recs = append(recs, turn, ans)
		}
		w.put("big", amended, recs...)
	}
	if notes := gittest.Git(t, dir, "notes", "--ref=refs/notes/codex/big", "list"); strings.Count(notes, "\n") < 1 {
		t.Fatalf("no continuation note: %q", notes)
	}
	readsAlike(t, dir, "continuation notes")

	// The index deleted, then damaged in several ways: rebuilt, same reads.
	index := filepath.Join(dir, ".git", "codex", indexFile)
	data, err := os.ReadFile(index)
	if err != nil {
		t.Fatalf("no index after reads: %v", err)
	}
	os.Remove(index)
	readsAlike(t, dir, "index deleted")
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)/2],
		"garbage":   []byte("not an index at all"),
		"empty":     nil,
		"bits flipped": func() []byte {
			b := append([]byte(nil), data...)
			for i := len(indexMagic) + 10; i < len(b); i += 97 {
				b[i] ^= 0x5a
			}
			return b
		}(),
	} {
		if err := os.WriteFile(index, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		readsAlike(t, dir, "index "+name)
	}

	// A hand-edited note: the topic is read in full, the warning is the
	// same.
	gittest.Git(t, dir, "notes", "--ref=refs/notes/codex/main", "append", "-m", "not json at all", amended)
	readsAlike(t, dir, "a malformed line")
}

func openTestRepo(t *testing.T, dir string) *gitstore.Repo {
	t.Helper()
	r, err := gitstore.Open(dir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// A note whose blob is gone (a damaged object store, a partial clone) is
// skipped with a warning by the readers; with the index, the other topics
// and the rest of its topic read the same, and list does not fail.
func TestIndexMissingNoteBlob(t *testing.T) {
	gittest.Hermetic(t)
	dir := gittest.NewRepo(t)
	gittest.CommitFile(t, dir, 1, "a.txt", "a\n", "first")
	repo := openTestRepo(t, dir)
	head := gittest.Git(t, dir, "rev-parse", "HEAD")
	w := &recordWriter{t: t, repo: repo, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	w.session("a", head, "gpt-5", 2)
	w.session("b", head, "gpt-5", 2)
	w.session("b", gitstore.EmptyTree, "gpt-5", 1)
	readsAlike(t, dir, "before")
	blob := strings.Fields(gittest.Git(t, dir, "ls-tree", "-r", "refs/notes/codex/b"))[2]
	if err := os.Remove(filepath.Join(dir, ".git", "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ".git", "codex", indexFile))
	readsAlike(t, dir, "a note's blob missing, cold")
	readsAlike(t, dir, "a note's blob missing, warm")
}

// A topic whose notes or blob table do not decode (a file damaged in a way
// its checksum missed) is read in full and not written back.
func TestIndexUndecodableTopic(t *testing.T) {
	for name, te := range map[string]*topicIndex{
		"notes": {Heads: []gitstore.NotesSource{{Ref: "refs/notes/codex/t", Commit: strings.Repeat("a", 40)}},
			notesRaw: []byte{0x05, 0x01}, blobsRaw: []byte{0x00}},
		"blobs": {Heads: []gitstore.NotesSource{{Ref: "refs/notes/codex/t", Commit: strings.Repeat("a", 40)}},
			notesRaw: []byte{0x00}, blobsRaw: []byte{0x09}},
	} {
		if !te.dirty() {
			t.Errorf("%s: a topic that does not decode is not read in full", name)
		}
		ix := &sessionIndex{Binary: "b", Topics: map[string]*topicIndex{"t": te, "ok": {}}}
		data, err := ix.encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeIndex(data)
		if err != nil {
			t.Fatal(err)
		}
		if _, kept := back.Topics["t"]; kept || back.Topics["ok"] == nil {
			t.Errorf("%s: written back: %v", name, back.Topics)
		}
	}
}

// The file's compact forms (object ids as bytes, strings written as "the
// same as before") read back as written, and so does everything they do
// not fit: ids in upper case, of SHA-256 length or empty, keys unlike the
// session's, a zero key.
func TestIndexCodecRoundTrip(t *testing.T) {
	sha1 := "0123456789abcdef0123456789abcdef01234567"
	heads := []gitstore.NotesSource{{Ref: "refs/notes/codex/t", Commit: sha1}, {Ref: "refs/notes/remotes/o/codex/t", Remote: "o", Commit: strings.ToUpper(sha1)}}
	notes := []indexNote{
		{Src: 0, Object: sha1, Blob: strings.Repeat("b", 40)},
		{Src: 1, Object: strings.ToUpper(sha1), Blob: strings.Repeat("c", 64)},
		{Src: 1, Object: "", Blob: "not hex at all, forty characters long.."},
	}
	at := func(s string) recKey { return recKey{Time: "2026-03-01T09:00:0" + s + "Z", ID: "01ID" + s} }
	blobs := map[string]*blobInfo{
		notes[0].Blob: {Sessions: []blobSession{
			{ID: "01ID1", Count: 3, Sum: 1 << 63, First: at("1"), Last: at("1")},                           // opened here, once
			{ID: "01ID2", Count: 1, Sum: 7, First: at("3"), Last: recKey{Time: at("3").Time, ID: "01ID9"}}, // not its id
			{ID: "01ID4", Count: 2, Sum: 0}, // no opening record here
		}},
		notes[1].Blob: {Continues: sha1, Warn: true, Sessions: []blobSession{{ID: "01ID1", Count: 1, First: at("1"), Last: at("2")}}},
		notes[2].Blob: {Sessions: []blobSession{}},
	}
	sums := map[string]*sessionSummary{
		"01ID1": {Foot: 42, HasOpen: true, First: at("1"), Overview: Overview{ID: "01ID1", Engine: "responses", Model: "gpt-5", Title: "a\nb", TitleLine: "a", Status: "open", Turns: 2, Started: at("1").Time, Last: at("2").Time},
			Costs: []costItem{{Model: "gpt-5", Usage: Usage{Input: 1, Cached: 2, Output: 3}}, {Model: "other", Usage: Usage{Output: 9}}}},
		"01ID2": {Foot: 1, First: recKey{Time: at("5").Time, ID: "01ID7"}, Overview: Overview{ID: "01ID2", Status: "closed", Started: at("3").Time, Remote: "o"}},
		"01ID4": {},
	}
	sums["01ID4"].Overview.ID = "01ID4"
	for _, s := range sums {
		s.Costs = append([]costItem{}, s.Costs...)
	}
	ix := &sessionIndex{Binary: "b", Topics: map[string]*topicIndex{
		"t": {Heads: heads, Notes: notes, blobs: blobs, Fresh: true, summaries: sums, sumsChanged: true},
	}}
	data, err := ix.encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	te := back.Topics["t"]
	gotSums, err := te.decodedSummaries()
	switch {
	case err != nil:
		t.Fatal(err)
	case !reflect.DeepEqual(te.Heads, heads):
		t.Errorf("heads %+v, want %+v", te.Heads, heads)
	case !reflect.DeepEqual(te.notes(), notes):
		t.Errorf("notes %+v, want %+v", te.notes(), notes)
	case !reflect.DeepEqual(te.blobTable(), blobs):
		t.Errorf("blobs %+v, want %+v", te.blobTable(), blobs)
	case !reflect.DeepEqual(gotSums, sums):
		t.Errorf("summaries %+v, want %+v", gotSums, sums)
	case !te.Fresh || te.bad:
		t.Errorf("fresh %v, bad %v", te.Fresh, te.bad)
	}
}
