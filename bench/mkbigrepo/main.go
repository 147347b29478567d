// Command mkbigrepo writes git fast-import streams for bench/mkbigrepo.sh: a
// long synthetic history ("history" mode) and a dozen git codex sessions as
// notes on recent commits ("notes" mode, commit ids on standard input).
//
// It is a benchmark fixture generator only; nothing in git codex imports it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mkbigrepo history|notes [flags]")
		os.Exit(2)
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	var err error
	switch os.Args[1] {
	case "history":
		fs := flag.NewFlagSet("history", flag.ExitOnError)
		commits := fs.Int("commits", 22000, "number of commits")
		files := fs.Int("files", 12, "files changed per commit")
		_ = fs.Parse(os.Args[2:])
		err = history(out, *commits, *files)
	case "notes":
		fs := flag.NewFlagSet("notes", flag.ExitOnError)
		topics := fs.Int("topics", 12, "number of topics, one session each")
		turns := fs.Int("turns", 10, "turns per session")
		_ = fs.Parse(os.Args[2:])
		var ids []string
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); len(s) == 40 {
				ids = append(ids, s)
			}
		}
		err = notes(out, ids, *topics, *turns)
	default:
		fmt.Fprintln(os.Stderr, "usage: mkbigrepo history|notes [flags]")
		os.Exit(2)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbigrepo:", err)
		os.Exit(1)
	}
}

const words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega"

// history writes n commits on refs/heads/main, each changing files paths
// in a 64×64-directory tree, so each commit adds about 3*files+2 objects.
func history(w io.Writer, n, files int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	ws := strings.Fields(words)
	rev := map[string]int{}
	const t0 = 1600000000
	for c := 1; c <= n; c++ {
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\n", c)
		fmt.Fprintf(w, "author Bench Author <author@example.com> %d +0000\n", t0+c*60)
		fmt.Fprintf(w, "committer Bench Committer <committer@example.com> %d +0000\n", t0+c*60)
		msg := fmt.Sprintf("change %d: touch %d files\n\nSynthetic history for git codex benchmarks.\n", c, files)
		fmt.Fprintf(w, "data %d\n%s", len(msg), msg)
		if c > 1 {
			fmt.Fprintf(w, "from :%d\n", c-1)
		}
		for f := 0; f < files; f++ {
			p := fmt.Sprintf("d%02x/s%02x/f%02d.txt", rng.IntN(64), rng.IntN(64), rng.IntN(24))
			rev[p]++
			var b strings.Builder
			fmt.Fprintf(&b, "%s revision %d (commit %d)\n", p, rev[p], c)
			for l := 0; l < 8; l++ {
				for k := 0; k < 8; k++ {
					b.WriteString(ws[rng.IntN(len(ws))])
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%d\n", rng.IntN(1000000))
			}
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", p, b.Len(), b.String())
		}
		w.Write([]byte("\n"))
	}
	return nil
}

// notes writes one notes commit per topic on refs/notes/codex/<topic>,
// holding one session whose turns are attached to commits from ids (newest
// first, as git rev-list prints them), in the JSON Lines record format.
func notes(w io.Writer, ids []string, topics, turns int) error {
	if len(ids) < topics*turns {
		return fmt.Errorf("need %d commit ids on stdin, got %d", topics*turns, len(ids))
	}
	const t0 = 1700000000
	for t := 0; t < topics; t++ {
		topic := fmt.Sprintf("feature-%02d", t+1)
		sess := fmt.Sprintf("01BENCH%02dSESSION0000000000", t+1)[:26]
		byCommit := map[string][]string{}
		var order []string
		add := func(commit, line string) {
			if _, ok := byCommit[commit]; !ok {
				order = append(order, commit)
			}
			byCommit[commit] = append(byCommit[commit], line)
		}
		base := ids[len(ids)-1-t*turns] // oldest commit of this session
		ts := func(i int) string { return fmt.Sprintf("2023-11-14T22:%02d:%02d.000000000Z", t, i) }
		id := func(i int) string { return fmt.Sprintf("01BENCH%02dREC%014d", t+1, i)[:26] }
		add(base, fmt.Sprintf(`{"v":1,"ts":%q,"id":%q,"kind":"session","session":%q,"topic":%q,"commit":%q,"engine":"responses","model":"gpt-5","title":"benchmark session %d","context":["ARCHITECTURE.md","AGENTS.md"]}`,
			ts(0), sess, sess, topic, base, t+1))
		prev := ""
		for i := 0; i < turns; i++ {
			commit := ids[len(ids)-1-t*turns-i]
			turn := id(2*i + 1)
			parent := ""
			if prev != "" {
				parent = fmt.Sprintf(`,"parent":%q`, prev)
			}
			add(commit, fmt.Sprintf(`{"v":1,"ts":%q,"id":%q,"kind":"turn","session":%q,"topic":%q,"commit":%q%s,"text":"Fix: the benchmark turn number %d asks for something specific."}`,
				ts(2*i+1), turn, sess, topic, commit, parent, i))
			add(commit, fmt.Sprintf(`{"v":1,"ts":%q,"id":%q,"kind":"answer","session":%q,"topic":%q,"commit":%q,"turn":%q,"text":"%s","usage":{"input":12000,"cached":9000,"output":800},"response_id":"resp_%d_%d"}`,
				ts(2*i+2), id(2*i+2), sess, topic, commit, turn, strings.Repeat("The answer explains the change in a few sentences. ", 20), t, i))
			prev = turn
		}
		fmt.Fprintf(w, "commit refs/notes/codex/%s\ncommitter Bench <bench@example.com> %d +0000\ndata 0\n", topic, t0+t)
		for _, c := range order {
			body := strings.Join(byCommit[c], "\n") + "\n"
			fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", c, len(body), body)
		}
		fmt.Fprintf(w, "\nreset refs/heads/%s\nfrom %s\n\n", topic, ids[len(ids)-1-t*turns-turns+1])
	}
	return nil
}
