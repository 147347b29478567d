package prompt

import (
	"fmt"
	"strings"
)

// InitTopic is the topic `git codex init --llm` opens its session on, so the
// conversation that improved the context files is stored like any other.
const InitTopic = "codex-init"

// InitImproveTask is the task of the session that improves the context
// files `git codex init` drafted (files, relative to the work tree; they
// are on disk while the session runs). The model reads the code with its
// read-only tools and answers with every file in full between the markers
// ParseFiles reads.
func InitImproveTask(files []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`git codex init` drafted %s from this repository's manifests, CI definitions and imports. "+
		"Every later session tells the model to read these files first, so they must be correct, specific and short.\n\n",
		strings.Join(quoteAll(files), " and "))
	b.WriteString("Improve them:\n" +
		"- Check each claim against the code with your file tools; fix what is wrong and remove what you cannot confirm.\n" +
		"- Add what the draft could not derive: why the parts are split this way, how a request or command flows through them, the invariants a change must keep.\n" +
		"- Keep the commands exactly as CI runs them (flags, features, working directories), the Policies section at the top, and the Never run list.\n" +
		"- Keep the Markdown structure; no filler, no marketing.\n\n")
	b.WriteString("Answer with each file in full and nothing else, each one between these two marker lines:\n\n")
	for _, f := range files {
		fmt.Fprintf(&b, "%s\n(the whole improved %s)\n%s\n\n", beginMarker(f), f, endMarker(f))
	}
	return strings.TrimRight(b.String(), "\n")
}

func beginMarker(f string) string { return "===== BEGIN " + f + " =====" }
func endMarker(f string) string   { return "===== END " + f + " =====" }

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return out
}

// ParseFiles returns the files an answer to InitImproveTask holds, by
// name: the text between each file's markers, with a Markdown fence that
// wraps all of it removed and one final newline. Files the answer does not
// hold (or leaves empty) are absent from the map.
func ParseFiles(answer string, files []string) map[string]string {
	answer = strings.ReplaceAll(answer, "\r\n", "\n")
	out := map[string]string{}
	for _, f := range files {
		_, rest, ok := strings.Cut(answer, beginMarker(f)+"\n")
		if !ok {
			continue
		}
		body, _, ok := strings.Cut(rest, endMarker(f))
		if !ok {
			continue
		}
		body = unfence(strings.Trim(body, "\n"))
		if strings.TrimSpace(body) != "" {
			out[f] = strings.TrimRight(body, "\n") + "\n"
		}
	}
	return out
}
