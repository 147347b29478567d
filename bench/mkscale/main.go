// Command mkscale writes the datasets of bench/scale.sh as git fast-import
// streams, in git codex's own storage format (ARCHITECTURE.md, Storage): one
// notes ref per topic, refs/notes/codex/<escaped topic>; a note per commit
// holding JSON Lines records in the canonical key order (v, ts, id, kind, …),
// sorted and deduplicated; notes trees flat up to 256 notes and 2/38 past
// them. It also counts the records of notes refs for bench/contention.sh.
//
//	mkscale version                       the format version (cache key)
//	mkscale history -dataset NAME         the commits, on refs/heads/main
//	mkscale notes -dataset NAME -meta F   the notes; commit ids (oldest first) on stdin
//	mkscale census [-marker M] REF…       count the records the refs hold
//
// The records are synthetic but well formed and of realistic shape and
// size: each session opens with a session record and the structured first
// message, then turn/answer pairs (prose, code and diffs of varied length,
// usage, response ids, some tool calls), compaction summaries in long
// sessions, and, for most old sessions, the closing turn, its answer, the
// summary and the close record; about 0.7 KB a record as stored. Records
// are attached to the commit that was HEAD when they were written. Every
// notes commit adds the notes of one commit (one topic, in the many-topic
// datasets), so a topic's notes history is that of a bulk import, not one
// notes commit per append as git codex writes it. Patch-ids are synthetic.
//
// It is a benchmark fixture generator only; nothing in git codex imports it,
// and it must not import go-git.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// formatVersion changes whenever the generated data changes (or the way
// bench/scale.sh packs it), so that bench/scale.sh rebuilds its cached
// datasets.
const formatVersion = 3

// dataset is one row of the table.
type dataset struct {
	commits int // commits on main
	topics  int // > 1: that many topics of one session each
	records int // with one topic: the records of topic "main"
}

var datasets = map[string]dataset{
	"topics1k":  {commits: 2000, topics: 1000},
	"topics10k": {commits: 2000, topics: 10000},
	"rec10k":    {commits: 100, topics: 1, records: 10000},
	"rec100k":   {commits: 1000, topics: 1, records: 100000},
	"rec300k":   {commits: 100, topics: 1, records: 300000},
}

func main() {
	if len(os.Args) < 2 {
		usageExit()
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "version":
		fmt.Fprintln(out, formatVersion)
	case "history", "notes":
		fs := flag.NewFlagSet(cmd, flag.ExitOnError)
		name := fs.String("dataset", "", "dataset name: topics1k, topics10k, rec10k, rec100k or rec300k")
		meta := fs.String("meta", "", "notes: write what the dataset holds (key=value lines) to this file")
		_ = fs.Parse(args)
		d, ok := datasets[*name]
		if !ok {
			fmt.Fprintf(os.Stderr, "mkscale: unknown dataset %q\n", *name)
			os.Exit(2)
		}
		if cmd == "history" {
			err = history(out, d)
			break
		}
		var ids []string
		ids, err = readIDs(os.Stdin)
		if err == nil && len(ids) != d.commits {
			err = fmt.Errorf("read commit ids: got %d, want %d", len(ids), d.commits)
		}
		if err == nil {
			var m map[string]string
			m, err = notes(out, *name, d, ids)
			if err == nil && *meta != "" {
				err = writeMeta(*meta, m)
			}
		}
	case "census":
		fs := flag.NewFlagSet(cmd, flag.ExitOnError)
		marker := fs.String("marker", "", "also count the turns whose text contains this, and their answers")
		_ = fs.Parse(args)
		err = census(out, *marker, fs.Args())
	default:
		usageExit()
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkscale:", err)
		os.Exit(1)
	}
}

func usageExit() {
	fmt.Fprintln(os.Stderr, "usage: mkscale version | history -dataset NAME | notes -dataset NAME [-meta FILE] | census [-marker M] REF…")
	os.Exit(2)
}

func readIDs(r io.Reader) ([]string, error) {
	var ids []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); len(s) == 40 {
			ids = append(ids, s)
		}
	}
	return ids, sc.Err()
}

func writeMeta(path string, m map[string]string) error {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s=%s\n", k, m[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// record is one line of a note. Its fields and their order are those of
// session.Record (the canonical key order). The generator writes the format
// on its own on purpose (the layer table gives bench/mkscale no imports of
// ours): its test reading the data back with git codex checks the format,
// not the encoder against itself.
type record struct {
	V          int        `json:"v"`
	Time       string     `json:"ts"`
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Session    string     `json:"session,omitempty"`
	Topic      string     `json:"topic,omitempty"`
	Commit     string     `json:"commit,omitempty"`
	PatchID    string     `json:"patch_id,omitempty"`
	Parent     string     `json:"parent,omitempty"`
	Turn       string     `json:"turn,omitempty"`
	Engine     string     `json:"engine,omitempty"`
	Model      string     `json:"model,omitempty"`
	Title      string     `json:"title,omitempty"`
	Context    []string   `json:"context,omitempty"`
	Text       string     `json:"text,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	Usage      *usage     `json:"usage,omitempty"`
	ResponseID string     `json:"response_id,omitempty"`
	BytesSent  int        `json:"bytes_sent,omitempty"`
	Status     string     `json:"status,omitempty"`
	Error      string     `json:"error,omitempty"`
	Decisions  []string   `json:"decisions,omitempty"`
	Next       []string   `json:"next,omitempty"`
	Through    string     `json:"through,omitempty"`
	Event      string     `json:"event,omitempty"`
}

type usage struct {
	Input  int `json:"input,omitempty"`
	Cached int `json:"cached,omitempty"`
	Output int `json:"output,omitempty"`
}

type toolCall struct {
	Name   string `json:"name"`
	Args   string `json:"args,omitempty"`
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// marshal is the canonical line of r, as gitstore writes it: encoding/json
// in field order, HTML escaping off, no trailing newline.
func marshal(r record) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		panic(err) // only strings, ints and slices of them
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// encodeTopic is gitstore.EncodeTopic for the topic names generated here
// (letters, digits, '-', '/' and no dots): '/' becomes %2F.
func encodeTopic(t string) string { return strings.ReplaceAll(t, "/", "%2F") }

// patchID is a stand-in for the stable patch-id of commit.
func patchID(commit string) string {
	return fmt.Sprintf("%x", sha1.Sum([]byte("patch-id "+commit)))
}
