package gitstore

import (
	"context"
	"crypto/sha1"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// notesRefWithN builds, with git fast-import, a notes ref holding n notes in
// the 2/38 layout (flat below the fan-out threshold), all in one pack, as a
// long-lived repository would have them after gc.
func notesRefWithN(b *testing.B, dir, ref string, n int) {
	b.Helper()
	var in strings.Builder
	fmt.Fprintf(&in, "commit %s\ncommitter B <b@example.com> 1700000000 +0000\ndata 0\n", ref)
	line, _ := testRecord{Time: FormatTime(time.Unix(0, 0)), ID: "BENCH", Kind: kindTurn, Text: "x"}.Marshal()
	for i := 0; i < n; i++ {
		obj := objID(i)
		path := obj
		if n > fanoutThreshold {
			path = obj[:2] + "/" + obj[2:]
		}
		fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", path, len(line)+1, line)
	}
	if out, err := gitErr(dir, in.String(), "fast-import", "--quiet"); err != nil {
		b.Fatalf("fast-import: %v %s", err, out)
	}
}

// objID is a well-spread object id, like real commit ids.
func objID(i int) string { return fmt.Sprintf("%x", sha1.Sum([]byte(strconv.Itoa(i)))) }

// BenchmarkAppend measures one append (read ref, rewrite the path to one
// note, write objects, compare-and-swap) with 10, 1,000 and 100,000 notes
// already in the topic's ref. Goal: flat, a few milliseconds.
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{10, 1000, 100000} {
		b.Run(fmt.Sprintf("notes=%d", n), func(b *testing.B) {
			dir := newRepo(b)
			r := openRepo(b, dir)
			notesRefWithN(b, dir, r.TopicRef("bench"), n)
			s := r.Notes()
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				target := objID(i % 50) // existing notes
				now := time.Now()
				rec := testRecord{Time: FormatTime(now), ID: NewID(now), Kind: kindTurn, Session: "S", Text: "a turn of a realistic length, about one line"}.record()
				if err := s.Append(ctx, "bench", target, rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadSession measures reading a topic holding one session of 40
// turns spread over 20 commits, with the ref in a pack.
func BenchmarkReadSession(b *testing.B) {
	dir := newRepo(b)
	r := openRepo(b, dir)
	s := r.Notes()
	ctx := context.Background()
	for i := 0; i < 40; i++ {
		now := time.Now()
		rec := testRecord{Time: FormatTime(now), ID: NewID(now), Kind: kindTurn, Session: "S", Text: strings.Repeat("answer text ", 100)}.record()
		if err := s.Append(ctx, "read", fmt.Sprintf("%040x", i/2+1), rec); err != nil {
			b.Fatal(err)
		}
	}
	git(b, dir, "gc", "-q")
	b.ResetTimer()
	for b.Loop() {
		r2, err := Open(dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		recs, _, err := r2.Notes().Read(ctx, "read")
		if err != nil || len(recs) != 40 {
			b.Fatal(len(recs), err)
		}
		r2.Close()
	}
}

// BenchmarkTopics lists 10,000 local topics, their refs packed (as after
// git gc), as `git codex list` does.
func BenchmarkTopics(b *testing.B) {
	dir := newRepo(b)
	head := git(b, dir, "rev-parse", "HEAD")
	var in strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&in, "create refs/notes/codex/topic-%05d %s\n", i, head)
	}
	if out, err := gitErr(dir, in.String(), "update-ref", "--stdin"); err != nil {
		b.Fatalf("update-ref: %v %s", err, out)
	}
	git(b, dir, "pack-refs", "--all")
	s := openRepo(b, dir).Notes()
	for b.Loop() {
		if topics, err := s.Topics(context.Background()); err != nil || len(topics) != 10000 {
			b.Fatalf("%d topics, %v", len(topics), err)
		}
	}
}
