package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"
)

// epoch is the time of the first commit of every dataset.
var epoch = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// recordEvery is the mean time between two records of a one-topic dataset;
// commitEvery the time between two commits of a many-topic dataset.
const (
	recordEvery = 60 * time.Second
	commitEvery = time.Hour
)

// commitTime is when commit i (0 = the root) of d was made. The notes
// generator uses the same times, so that every record is written after the
// commit it is attached to.
func commitTime(d dataset, i int) time.Time {
	if d.topics > 1 {
		return epoch.Add(time.Duration(i) * commitEvery)
	}
	return epoch.Add(time.Duration(int64(i) * int64(d.records) / int64(d.commits) * int64(recordEvery)))
}

// history writes d.commits commits on refs/heads/main: the first adds a
// small Go project with ARCHITECTURE.md and AGENTS.md, each later one adds
// a line to one of its files.
func history(w io.Writer, d dataset) error {
	rng := rand.New(rand.NewPCG(1, uint64(d.commits)))
	x := texter{rng}
	src := []string{}
	for _, f := range files {
		if strings.HasSuffix(f, ".go") {
			src = append(src, f)
		}
	}
	content := map[string]string{
		"ARCHITECTURE.md": "# Architecture\n\nA small service: `cmd/server` wires `internal/http` (routes, middleware),\n" +
			"`internal/auth` (sessions, token refresh), `internal/cache` (an LRU in front of `internal/store`),\n" +
			"`internal/queue` (background workers), `internal/metrics` and `internal/config`; `pkg/client` is the\n" +
			"public client.\n\nLayer rule: `internal/store` imports nothing of ours; only `cmd/server` wires.\n",
		"AGENTS.md": "# Working here\n\n- build: `go build ./...`\n- test: `go test ./...`\n- lint: `go vet ./...`\n",
		"README.md": "# service\n\nA benchmark fixture for git codex.\n",
		"go.mod":    "module example.com/service\n\ngo 1.24\n",
	}
	for _, f := range src {
		pkg := f[strings.LastIndexByte(f[:strings.LastIndexByte(f, '/')], '/')+1 : strings.LastIndexByte(f, '/')]
		content[f] = "package " + pkg + "\n"
	}
	for i := 0; i < d.commits; i++ {
		at := commitTime(d, i).Unix()
		dev := rng.IntN(12) + 1
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\n", i+1)
		fmt.Fprintf(w, "author Dev %d <dev%d@example.com> %d +0000\ncommitter Dev %d <dev%d@example.com> %d +0000\n", dev, dev, at, dev, dev, at)
		var changed []string
		msg := "Initial commit\n"
		if i == 0 {
			for f := range content {
				changed = append(changed, f)
			}
			sort.Strings(changed)
		} else {
			f := src[rng.IntN(len(src))]
			content[f] += "// " + x.sentence() + "\n"
			changed = []string{f}
			msg = strings.TrimSuffix(x.sentence(), ".") + "\n\n" + x.prose(x.between(40, 300)) + "\n"
			fmt.Fprintf(w, "data %d\n%sfrom :%d\n", len(msg), msg, i)
		}
		if i == 0 {
			fmt.Fprintf(w, "data %d\n%s", len(msg), msg)
		}
		for _, f := range changed {
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", f, len(content[f]), content[f])
		}
		fmt.Fprintln(w)
	}
	return nil
}

// notesGen writes the notes of one dataset.
type notesGen struct {
	w       io.Writer
	x       texter
	d       dataset
	commits []string // commit ids, oldest first
	// place returns the time and the commit (an index into commits) of
	// the next record.
	place func() (time.Time, int)
	// emit takes one record.
	emit func(ci int, r record)
	// records and bytes count what was emitted.
	records, bytes int
}

// notes writes the notes of dataset d (named name) whose commits are ids,
// and returns what it holds, for the meta file.
func notes(w io.Writer, name string, d dataset, ids []string) (map[string]string, error) {
	var seed uint64
	for _, c := range name {
		seed = seed*31 + uint64(c)
	}
	g := &notesGen{w: w, x: texter{rand.New(rand.NewPCG(seed, 2))}, d: d, commits: ids}
	meta := map[string]string{"dataset": name, "format": fmt.Sprint(formatVersion), "commits": fmt.Sprint(d.commits)}
	if d.topics > 1 {
		g.manyTopics(meta)
	} else {
		g.oneTopic(meta)
	}
	meta["records"] = fmt.Sprint(g.records)
	meta["stored_bytes"] = fmt.Sprint(g.bytes)
	meta["bytes_per_record"] = fmt.Sprint(g.bytes / max(1, g.records))
	return meta, nil
}

// oneTopic writes d.records records on topic main: sessions one after the
// other, one notes commit per commit they are attached to. The last
// session is open (the current one); most older ones are closed.
func (g *notesGen) oneTopic(meta map[string]string) {
	const topic = "main"
	ref := "refs/notes/codex/" + encodeTopic(topic)
	fanned := len(g.commits) > 256
	k := 0
	g.place = func() (time.Time, int) {
		ci := int(int64(k) * int64(len(g.commits)) / int64(g.d.records))
		t := epoch.Add(time.Duration(k)*recordEvery + 30*time.Second + time.Duration(g.x.rng.Int64N(int64(20*time.Second))))
		k++
		return t, ci
	}
	cur, lines := -1, [][]byte(nil)
	flush := func() {
		if len(lines) > 0 {
			g.writeNotesCommit(ref, map[int][][]byte{cur: lines}, fanned)
		}
		lines = nil
	}
	g.emit = func(ci int, r record) {
		if ci != cur {
			flush()
			cur = ci
		}
		lines = append(lines, g.count(r))
	}
	sessions := 0
	for {
		left := g.d.records - g.records
		turns, closed := g.sessionShape()
		if left < estimate(turns, closed)+60 {
			// The current session: open, taking exactly the records left.
			id, n := g.session(topic, 0, false, left)
			sessions++
			meta["current_session"], meta["current_turns"] = id, fmt.Sprint(n)
			break
		}
		id, _ := g.session(topic, turns, closed, -1)
		sessions++
		if meta["old_session"] == "" && g.records >= g.d.records/10 {
			meta["old_session"], meta["old_topic"] = id, topic
		}
	}
	flush()
	meta["topics"], meta["sessions"], meta["current_topic"] = "1", fmt.Sprint(sessions), topic
	meta["notes"] = fmt.Sprint(len(g.commits))
}

// manyTopics writes d.topics topics of one session each, one notes commit
// per topic. Each session starts at a random commit and is attached to the
// commits made while it ran. The last topic's session is open and is the
// current one; most others are closed.
func (g *notesGen) manyTopics(meta map[string]string) {
	prefixes := []string{"feature/", "feature/", "feature/", "fix/", "fix/", "refactor/", "chore/", "spike/", ""}
	notes := 0
	for j := 0; j < g.d.topics; j++ {
		topic := fmt.Sprintf("%s%s-%s-%d", g.x.pick(prefixes), g.x.pick(nouns), g.x.pick(nouns), j+1)
		start := g.x.rng.IntN(len(g.commits) - 3)
		t := commitTime(g.d, start).Add(time.Duration(g.x.between(60, 1800)) * time.Second)
		g.place = func() (time.Time, int) {
			t = t.Add(time.Duration(g.x.between(40, 400))*time.Second + time.Duration(g.x.rng.Int64N(int64(time.Second))))
			ci := min(int(t.Sub(epoch)/commitEvery), len(g.commits)-1)
			return t, ci
		}
		byCommit := map[int][][]byte{}
		g.emit = func(ci int, r record) { byCommit[ci] = append(byCommit[ci], g.count(r)) }
		current := j == g.d.topics-1
		turns, closed := g.x.between(1, 12), g.x.rng.IntN(10) < 7
		if current {
			turns, closed = 12, false
		}
		id, n := g.session(topic, turns, closed, -1)
		switch {
		case current:
			meta["current_topic"], meta["current_session"], meta["current_turns"] = topic, id, fmt.Sprint(n)
		case j == g.d.topics/2:
			meta["old_topic"], meta["old_session"] = topic, id
		}
		notes += len(byCommit)
		g.writeNotesCommit("refs/notes/codex/"+encodeTopic(topic), byCommit, false)
	}
	meta["topics"], meta["sessions"], meta["notes"] = fmt.Sprint(g.d.topics), fmt.Sprint(g.d.topics), fmt.Sprint(notes)
}

// count adds r to the totals and returns its line.
func (g *notesGen) count(r record) []byte {
	l := marshal(r)
	g.records++
	g.bytes += len(l) + 1
	return l
}

// writeNotesCommit writes one commit on ref adding the notes byCommit
// (commit index → lines), sorted and deduplicated as git codex leaves them,
// at the 2/38 paths when fanned.
func (g *notesGen) writeNotesCommit(ref string, byCommit map[int][][]byte, fanned bool) {
	cis := make([]int, 0, len(byCommit))
	for ci := range byCommit {
		cis = append(cis, ci)
	}
	sort.Ints(cis)
	var last []byte
	for _, ci := range cis {
		for _, l := range byCommit[ci] {
			if bytes.Compare(l, last) > 0 {
				last = l
			}
		}
	}
	at := epoch.Unix()
	if t, err := time.Parse(time.RFC3339Nano, tsOf(last)); err == nil {
		at = t.Unix()
	}
	msg := "Notes added by 'git codex'\n"
	fmt.Fprintf(g.w, "commit %s\ncommitter Bench <bench@example.com> %d +0000\ndata %d\n%s", ref, at, len(msg), msg)
	for _, ci := range cis {
		lines := byCommit[ci]
		slices.SortFunc(lines, bytes.Compare)
		lines = slices.CompactFunc(lines, bytes.Equal)
		size := 0
		for _, l := range lines {
			size += len(l) + 1
		}
		path := g.commits[ci]
		if fanned {
			path = path[:2] + "/" + path[2:]
		}
		fmt.Fprintf(g.w, "M 100644 inline %s\ndata %d\n", path, size)
		for _, l := range lines {
			g.w.Write(l)
			g.w.Write([]byte{'\n'})
		}
		fmt.Fprintln(g.w)
	}
	fmt.Fprintln(g.w)
}

// tsOf is the ts field of a canonical line.
func tsOf(line []byte) string {
	const pre = `{"v":1,"ts":"`
	if !bytes.HasPrefix(line, []byte(pre)) || len(line) < len(pre)+30 {
		return ""
	}
	return string(line[len(pre) : len(pre)+30])
}

// sessionShape picks the length of an older session of a one-topic
// dataset, and whether it was closed.
func (g *notesGen) sessionShape() (turns int, closed bool) {
	switch r := g.x.rng.IntN(100); {
	case r < 50:
		turns = g.x.between(2, 10)
	case r < 85:
		turns = g.x.between(10, 30)
	default:
		turns = g.x.between(30, 80)
	}
	return turns, g.x.rng.IntN(10) < 8
}

// estimate is how many records session writes for that shape (restart
// events aside).
func estimate(turns int, closed bool) int {
	n := 1 + 2*turns + compactions(turns)
	if closed {
		n += 4
	}
	return n
}

// compactions is how many compaction summaries a session of turns has:
// one every 20 turns in sessions longer than 24.
func compactions(turns int) int {
	if turns <= 24 {
		return 0
	}
	return (turns - 3) / 20
}

// session writes one session of topic with turns turns (closed or not) and
// returns its id and the number of records written. With budget ≥ 0 it
// writes exactly budget records (at least 3) instead, as an open session:
// turn/answer pairs while they fit, and a fallback event for an odd one.
func (g *notesGen) session(topic string, turns int, closed bool, budget int) (string, int) {
	x := g.x
	written := 0
	emit := func(r record, ci int) {
		r.V, r.Topic = 1, topic
		r.Commit = g.commits[ci]
		g.emit(ci, r)
		written++
	}
	next := func(kind string) (record, int) {
		t, ci := g.place()
		return record{Time: t.UTC().Format("2006-01-02T15:04:05.000000000Z"), ID: ulid(t, x.rng), Kind: kind}, ci
	}
	model := "gpt-5"
	if x.rng.IntN(5) == 0 {
		model = "gpt-5-mini"
	}
	task, first, context := x.task()
	open, ci := next("session")
	id := open.ID
	open.Session, open.Engine, open.Model, open.Title, open.Context, open.Text = id, "responses", model, title(task), context, task
	emit(open, ci)

	var prevTurn string
	chain := 0 // tokens the provider holds for the chain
	restarts := budget < 0
	pair := func(text string, withTools bool) string {
		turn, ci := next("turn")
		turn.Session, turn.Parent, turn.Text = id, prevTurn, text
		if prevTurn != "" {
			turn.PatchID = patchID(g.commits[ci])
		}
		emit(turn, ci)
		if restarts && prevTurn != "" && x.rng.IntN(100) == 0 {
			ev, ci := next("event")
			ev.Session, ev.Turn, ev.Event = id, turn.ID, "restart"
			ev.Text = "previous response " + respID(x) + " not found; context rebuilt from the git transcript"
			emit(ev, ci)
		}
		a, ci := next("answer")
		a.Session, a.Turn, a.Model, a.PatchID = id, turn.ID, model, patchID(g.commits[ci])
		a.Text = x.answerText()
		if withTools && x.rng.IntN(20) == 0 {
			for i := 0; i < x.between(1, 2); i++ {
				a.ToolCalls = append(a.ToolCalls, toolCall{Name: "read_file", Args: `{"path":"` + x.pick(files) + `"}`, Result: x.toolResult()})
			}
		}
		sent := len(text) + 1400
		in := (sent + 3) / 4
		a.Usage = &usage{Input: chain + in, Cached: chain, Output: (len(a.Text) + 3) / 4}
		chain += in + a.Usage.Output
		a.ResponseID, a.BytesSent, a.Status = respID(x), sent, "complete"
		emit(a, ci)
		prevTurn = turn.ID
		return turn.ID
	}
	compact := func() {
		s, ci := next("summary")
		s.Session, s.Model, s.Through, s.Text = id, model, prevTurn, x.prose(x.between(500, 1400))
		s.Usage = &usage{Input: chain + 200, Cached: chain, Output: (len(s.Text) + 3) / 4}
		s.ResponseID, s.BytesSent = respID(x), 900
		chain = s.Usage.Output
		emit(s, ci)
	}

	pair(first, true)
	if budget >= 0 {
		n := 1
		for budget-written >= 2 {
			pair(x.turnText(), true)
			n++
		}
		if budget-written == 1 {
			ev, ci := next("event")
			ev.Session, ev.Turn, ev.Event, ev.Model = id, prevTurn, "fallback", model
			ev.Text = "model gpt-5 not available; answered by " + model
			emit(ev, ci)
		}
		return id, n
	}
	for i := 2; i <= turns; i++ {
		pair(x.turnText(), true)
		if turns > 24 && i%20 == 0 && i < turns-2 {
			compact()
		}
	}
	if closed {
		closeTurn := pair(closing, false)
		s, ci := next("summary")
		s.Session, s.Turn, s.Text = id, closeTurn, x.prose(x.between(150, 500))
		for i := 0; i < x.between(1, 4); i++ {
			s.Decisions = append(s.Decisions, strings.TrimSuffix(x.sentence(), "."))
		}
		for i := 0; i < x.rng.IntN(4); i++ {
			s.Next = append(s.Next, strings.TrimSuffix(x.sentence(), "."))
		}
		emit(s, ci)
		c, ci := next("close")
		c.Session, c.Turn = id, closeTurn
		emit(c, ci)
	}
	return id, turns
}

// respID is a provider response id of the usual shape.
func respID(x texter) string {
	return fmt.Sprintf("resp_%016x%016x%016x", x.rng.Uint64(), x.rng.Uint64(), x.rng.Uint64())
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulid is a 26-character time-sortable id for t (48 bits of milliseconds,
// 80 random bits, Crockford base32), the layout gitstore.NewID writes.
func ulid(t time.Time, rng *rand.Rand) string {
	hi := uint64(t.UnixMilli())<<16 | rng.Uint64()&0xffff
	lo := rng.Uint64()
	var out [26]byte
	for j := 25; j >= 0; j-- {
		out[j] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}
