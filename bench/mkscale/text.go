package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The text of turns and answers: prose with code, lists and diffs, built
// from a vocabulary of a software team's words, of the lengths asked for.

var (
	nouns = strings.Fields(`cache entry eviction lock mutex channel goroutine request response handler
		middleware token session refresh expiry deadline context timeout retry backoff queue worker pool
		buffer writer reader parser lexer schema migration index query transaction commit rollback
		snapshot replica leader follower heartbeat config flag option default test fixture benchmark
		profile allocation pointer slice map struct interface method error wrapper sentinel log metric
		trace span counter histogram gauge endpoint route client server proxy socket connection stream
		frame header payload checksum digest signature certificate key secret vault policy role user
		account tenant quota limit window bucket rate burst shard partition offset cursor page batch`)
	verbs = strings.Fields(`returns holds releases acquires evicts refreshes expires wraps retries
		blocks leaks races reads writes flushes drops keeps checks parses validates rejects accepts
		logs records counts measures allocates copies moves renames splits merges sorts filters maps`)
	adjs = strings.Fields(`stale concurrent nil empty expired flaky slow fast idle busy cold warm
		partial duplicate missing extra wrong unbounded bounded shared private exported internal
		deprecated new old first last next previous outer inner upstream downstream`)
	files = strings.Fields(`internal/cache/cache.go internal/cache/lru.go internal/auth/session.go
		internal/auth/refresh.go internal/store/sql.go internal/store/migrate.go cmd/server/main.go
		internal/http/router.go internal/http/middleware.go internal/queue/worker.go pkg/client/client.go
		internal/metrics/metrics.go internal/config/config.go internal/cache/cache_test.go
		internal/auth/session_test.go docs/ARCHITECTURE.md`)
	idents = strings.Fields(`Get Put Delete Refresh Evict Lookup Open Close Flush Run Serve Handle
		Parse Validate Retry Acquire Release Load Store Commit Rollback Next Reset`)
)

// texter makes text from one random source.
type texter struct{ rng *rand.Rand }

func (x texter) pick(ws []string) string { return ws[x.rng.IntN(len(ws))] }

// between returns a number in [lo, hi].
func (x texter) between(lo, hi int) int { return lo + x.rng.IntN(hi-lo+1) }

// sentence is one sentence of 6 to 18 words, ending with a period.
func (x texter) sentence() string {
	var b strings.Builder
	n := x.between(6, 18)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch r := x.rng.IntN(10); {
		case i == 0:
			w := x.pick([]string{"The", "This", "Each", "A", "Our", "That", "Every", "No"})
			b.WriteString(w)
		case r < 4:
			b.WriteString(x.pick(nouns))
		case r < 6:
			b.WriteString(x.pick(verbs))
		case r < 8:
			b.WriteString(x.pick(adjs))
		case r < 9:
			fmt.Fprintf(&b, "`%s`", x.pick(idents))
		default:
			b.WriteString(x.pick([]string{"the", "a", "when", "because", "so", "and", "but", "before", "after", "with"}))
		}
	}
	b.WriteByte('.')
	return b.String()
}

// code is a Go snippet of n lines, fenced.
func (x texter) code(n int) string {
	var b strings.Builder
	b.WriteString("```go\n")
	fmt.Fprintf(&b, "func (c *%s) %s(ctx context.Context, key string) (%s, error) {\n", upper(x.pick(nouns)), x.pick(idents), x.pick(nouns))
	for i := 0; i < n; i++ {
		switch x.rng.IntN(4) {
		case 0:
			fmt.Fprintf(&b, "\tif err := c.%s.%s(ctx, key); err != nil {\n\t\treturn nil, fmt.Errorf(\"%s %%s: %%w\", key, err)\n\t}\n", x.pick(nouns), x.pick(idents), strings.ToLower(x.pick(idents)))
		case 1:
			fmt.Fprintf(&b, "\tc.mu.Lock()\n\tdefer c.mu.Unlock()\n")
		case 2:
			fmt.Fprintf(&b, "\t%s := c.%s[key] // %s %s\n", x.pick(nouns), x.pick(nouns), x.pick(adjs), x.pick(nouns))
		default:
			fmt.Fprintf(&b, "\tfor _, e := range c.%ss {\n\t\te.%s()\n\t}\n", x.pick(nouns), x.pick(idents))
		}
	}
	b.WriteString("\treturn v, nil\n}\n```")
	return b.String()
}

// diff is a unified diff of one hunk.
func (x texter) diff() string {
	f := x.pick(files)
	var b strings.Builder
	fmt.Fprintf(&b, "```diff\n--- a/%s\n+++ b/%s\n@@ -%d,6 +%d,7 @@\n", f, f, x.between(10, 400), x.between(10, 400))
	for i := 0; i < x.between(3, 8); i++ {
		sign := []string{" ", " ", "-", "+"}[x.rng.IntN(4)]
		fmt.Fprintf(&b, "%s\t%s := %s.%s(%s)\n", sign, x.pick(nouns), x.pick(nouns), x.pick(idents), x.pick(nouns))
	}
	b.WriteString("```")
	return b.String()
}

// prose is text of about n bytes: paragraphs, with code, lists and diffs
// when long enough (code reaches only texts of 600 bytes or more).
func (x texter) prose(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		left := n - b.Len()
		switch r := x.rng.IntN(10); {
		case left > 600 && r == 0:
			b.WriteString(x.code(x.between(2, 6)))
		case left > 500 && r == 1:
			b.WriteString(x.diff())
		case left > 200 && r == 2:
			for i := 0; i < x.between(2, 4); i++ {
				fmt.Fprintf(&b, "- %s\n", x.sentence())
			}
		default:
			for i := 0; i < x.between(1, 4) && b.Len() < n; i++ {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(x.sentence())
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// answerText is the text of an answer: mostly a few hundred bytes, some
// pages long.
func (x texter) answerText() string {
	switch r := x.rng.IntN(100); {
	case r < 50:
		return x.prose(x.between(60, 250))
	case r < 88:
		return x.prose(x.between(250, 520))
	case r < 98:
		return x.prose(x.between(600, 1500))
	default:
		return x.prose(x.between(1500, 4000))
	}
}

// turnText is a follow-up the user typed: mostly a line or two.
func (x texter) turnText() string {
	switch r := x.rng.IntN(100); {
	case r < 75:
		lead := x.pick([]string{"Also: ", "Fix: ", "Based on that, ", "", "", "Why does ", "Check "})
		return lead + x.prose(x.between(15, 120))
	case r < 97:
		return x.prose(x.between(120, 350))
	default:
		// A pasted failure, as `git codex fix` sends it.
		return "Failed: --- FAIL: Test" + x.pick(idents) + " (0.02s)\n    " + x.pick(files) + ":" +
			fmt.Sprint(x.between(10, 300)) + ": " + x.prose(x.between(150, 600)) + "\nFAIL\n. Fix."
	}
}

// task is what delegate was asked, and the structured first message that
// carries it.
func (x texter) task() (task, first string, context []string) {
	what := strings.TrimSuffix(x.prose(x.between(30, 160)), ".")
	what = strings.ToLower(what[:1]) + what[1:]
	task = x.pick([]string{"Find why", "Fix", "Explain why", "Make", "Refactor how", "Measure how"}) + " " + what
	context = []string{"ARCHITECTURE.md", "AGENTS.md"}
	for i := 0; i < x.rng.IntN(3); i++ {
		context = append(context, x.pick(files))
	}
	var b strings.Builder
	b.WriteString("## Context\n- ARCHITECTURE.md — architecture, packages and layer rules\n- AGENTS.md — conventions and test commands\n")
	for _, f := range context[2:] {
		fmt.Fprintf(&b, "- %s\n", f)
	}
	b.WriteString("\nRead these files from the repository; they are not pasted here.\n\n## Task\n")
	b.WriteString(task)
	b.WriteString("\n\n## Scope\n- No explicit limits: stay within what the task needs, and ask before wide refactors or new dependencies.\n\n")
	b.WriteString("## Expected Output\nA concise answer: what you found and what you change or propose, with code as unified diffs or complete snippets with file paths.\n\n")
	b.WriteString("## Success Criteria\n- The task is done as described, within the scope.\n- Existing tests still pass, and new behaviour is covered by tests.\n")
	return task, b.String(), context
}

// title is a task's first line, cut at a word before 72 bytes.
func title(task string) string {
	if len(task) <= 72 {
		return task
	}
	cut := strings.LastIndexByte(task[:72], ' ')
	if cut <= 0 {
		cut = 72
	}
	return task[:cut]
}

// closing is the message close sends (as prompt.Close words it).
const closing = "We are closing this session. Summarise it for the record, with exactly these three sections and nothing else:\n\n" +
	"### Found\nA short paragraph: what we learned about the code and the problem.\n" +
	"### Decided\n- one decision per line (write \"- none\" if there were none)\n" +
	"### Next\n- one next step per line (write \"- none\" if nothing is left)\n\n" +
	"Keep it short: the summary is stored with the session in git and may go into a pull request description."

// toolResult is a read_file result, clipped as the session engine clips it.
func (x texter) toolResult() string {
	s := x.code(x.between(3, 24))
	if len(s) > 2048 {
		cut := strings.LastIndexByte(s[:2048], '\n')
		s = s[:cut] + "\n[… truncated]"
	}
	return s
}

// upper is w with its first (ASCII) letter in upper case.
func upper(w string) string { return strings.ToUpper(w[:1]) + w[1:] }
