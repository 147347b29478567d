// Package prompt renders everything git codex says to a model: the
// instruction block (identical on every request of a session), the structured
// first message, the short follow-ups ("Fix: …", "Also: …", "Failed: … Fix."),
// the close and compact requests, and the restart message rebuilt from the
// transcript in git. It also parses the summary the model sends back and reads
// the user's message from arguments, a file or stdin.
//
// It is pure text processing: it must not import go-git, go-openai, urfave/cli
// or the context package, and does no I/O beyond the reader and file it is
// handed in ReadMessage. Rendering depends only on its arguments (no clock, no
// environment), so the same input always gives the same bytes.
package prompt

import (
	"errors"
	"fmt"
	repoctx "github.com/git-codex/git-codex/context"
	"sort"
	"strings"

	"github.com/git-codex/git-codex/redact"
)

// DefaultContextFiles are referenced by every session, before any file named
// with --context.
var DefaultContextFiles = repoctx.RequiredFiles

// ErrEmptyTask is returned by First when the task is blank.
var ErrEmptyTask = errors.New("the task is empty")

// ErrEmptyMessage is returned by ReadMessage when the message is blank.
var ErrEmptyMessage = errors.New("the message is empty")

// InstructionOptions is the data, fixed when a session opens, that the
// instruction block is derived from.
type InstructionOptions struct {
	// Topic is the session's topic (usually the branch).
	Topic string
	// ContextFiles are the files the session references; DefaultContextFiles
	// are added when missing.
	ContextFiles []string
	// Tools tells the model it has the read-only file tools; without them
	// the context files' contents were attached to the first message.
	Tools bool
	// Edit tells the model it may change files with the apply_patch tool
	// (sandbox workspace-write). It changes only when the user changes the
	// session's mode.
	Edit bool
}

// Instructions returns the session's instruction block. It depends only on
// opts, so every request of a session sends the same bytes (the Responses
// API does not carry instructions over, and identical prefixes hit the
// provider's prompt cache). Because it travels with every request it is kept
// short: the summary format is not in it, since CloseRequest and
// CompactRequest state it themselves.
func Instructions(opts InstructionOptions) string {
	var b strings.Builder
	b.WriteString("You are a senior engineer pairing with a developer on a git repository")
	if opts.Topic != "" {
		fmt.Fprintf(&b, ", in the session for topic %q", opts.Topic)
	}
	b.WriteString(". Follow-ups build on this conversation: don't ask again for context already given.\n")
	files := strings.Join(ContextFiles(opts.ContextFiles), ", ")
	switch {
	case opts.Tools && opts.Edit:
		b.WriteString("Context files: " + files + ". Read them with your file tools before changing anything " +
			"(paths relative to the repository root; .git and secret files are refused).\n" +
			"Change files with the apply_patch tool, not with diffs in your answer; read a file before you patch it. " +
			"The user may refuse a change; you cannot run commands: the user runs them and tells you what failed.\n")
	case opts.Tools:
		b.WriteString("Context files: " + files + ". Read them with your read-only tools before proposing changes " +
			"(paths relative to the repository root; .git and secret files are refused).\n")
	default:
		b.WriteString("Context files: " + files + "; their contents are in the first message. You cannot read other files: name any you need.\n")
	}
	if opts.Tools && opts.Edit {
		b.WriteString("Be concise: answer first, short lists, say what you changed; say when you are unsure or need something.\n")
	} else {
		b.WriteString("Be concise: answer first, short lists, code as unified diffs or snippets with file paths; say when you are unsure or need something.\n")
	}
	b.WriteString("Follow-ups: \"Fix: X\" corrects X; \"Also: X\" extends the work; \"Failed: `cmd` <output tail> Fix.\" means find the cause and fix it; " +
		"\"Based on that, X\" continues from your last answer.\n")
	return b.String()
}

// summaryShape is the machine-readable summary format ParseSummary reads.
const summaryShape = "### Found\n" +
	"A short paragraph: what we learned about the code and the problem.\n" +
	"### Decided\n" +
	"- one decision per line (write \"- none\" if there were none)\n" +
	"### Next\n" +
	"- one next step per line (write \"- none\" if nothing is left)\n"

// ContextFiles returns DefaultContextFiles followed by extra, cleaned and
// without duplicates, in order: the files a session references.
func ContextFiles(extra []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range append(append([]string{}, DefaultContextFiles...), extra...) {
		f = strings.TrimPrefix(strings.TrimSpace(f), "./")
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		out = append(out, f)
	}
	return out
}

// FirstMessage is what the structured first message of a session says.
type FirstMessage struct {
	// Task is what to do (required).
	Task string
	// ContextFiles are referenced besides DefaultContextFiles (--context).
	ContextFiles []string
	// Focus is the current focus line shown under Context.
	Focus string
	// Scope lists files, constraints and focus areas, one per line.
	Scope string
	// Expect describes the expected output.
	Expect string
	// Criteria are the success criteria, one per line.
	Criteria string
	// InlineFiles, keyed by path, are attached after the references
	// (--inline-context, for models without tool calling).
	InlineFiles map[string]string
}

// Defaults for sections the user left empty.
const (
	defaultScope    = "- No explicit limits: stay within what the task needs, and ask before wide refactors or new dependencies."
	defaultExpect   = "A concise answer: what you found and what you change or propose, with code as unified diffs or complete snippets with file paths."
	defaultCriteria = "- The task is done as described, within the scope.\n- Existing tests still pass, and new behaviour is covered by tests."
)

// First renders the structured first message: Context (references to the
// context files, not their contents, plus the current focus), Task, Scope,
// Expected Output and Success Criteria. Empty sections get a default line.
// With InlineFiles the contents follow the references in fenced blocks.
// It returns ErrEmptyTask when the task is blank.
func First(m FirstMessage) (string, error) {
	task := strings.TrimSpace(m.Task)
	if task == "" {
		return "", fmt.Errorf("render first message: %w", ErrEmptyTask)
	}
	files := ContextFiles(m.ContextFiles)
	var b strings.Builder
	b.WriteString("## Context\n")
	for _, f := range files {
		b.WriteString("- " + f)
		switch f {
		case "ARCHITECTURE.md":
			b.WriteString(" — architecture, packages and layer rules")
		case "AGENTS.md":
			b.WriteString(" — conventions and test commands")
		}
		b.WriteByte('\n')
	}
	if len(m.InlineFiles) > 0 {
		b.WriteString("\nTheir contents are attached below.\n")
	} else {
		b.WriteString("\nRead these files from the repository; they are not pasted here.\n")
	}
	if f := oneLine(m.Focus); f != "" {
		b.WriteString("\nCurrent focus: " + f + "\n")
	}
	if len(m.InlineFiles) > 0 {
		writeInline(&b, files, m.InlineFiles)
	}
	b.WriteString("\n## Task\n" + task + "\n")
	b.WriteString("\n## Scope\n" + orDefault(bullets(m.Scope), defaultScope) + "\n")
	b.WriteString("\n## Expected Output\n" + orDefault(strings.TrimSpace(m.Expect), defaultExpect) + "\n")
	b.WriteString("\n## Success Criteria\n" + orDefault(bullets(m.Criteria), defaultCriteria) + "\n")
	return b.String(), nil
}

// writeInline attaches the files' contents, referenced files first in
// reference order, then any others sorted.
func writeInline(b *strings.Builder, order []string, contents map[string]string) {
	var names []string
	seen := map[string]bool{}
	for _, f := range order {
		if _, ok := contents[f]; ok && !seen[f] {
			names, seen[f] = append(names, f), true
		}
	}
	var rest []string
	for f := range contents {
		if !seen[f] {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	for _, f := range append(names, rest...) {
		body := contents[f]
		if body != "" && !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		fence := fenceFor(body)
		fmt.Fprintf(b, "\n### %s\n%s%s\n%s%s\n", f, fence, language(f), body, fence)
	}
}

// fenceFor returns a backtick fence longer than any backtick run in body.
func fenceFor(body string) string {
	longest, run := 0, 0
	for i := 0; i < len(body); i++ {
		if body[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// language returns the fence info string for a file name.
func language(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || strings.ContainsRune(name[i:], '/') {
		return ""
	}
	switch ext := strings.ToLower(name[i+1:]); ext {
	case "md":
		return "markdown"
	case "go", "py", "rs", "ts", "js", "java", "c", "h", "cpp", "rb", "sh", "sql", "json", "yaml", "toml", "kt", "swift", "php", "cs":
		return ext
	case "yml":
		return "yaml"
	case "tsx", "jsx":
		return ext
	}
	return ""
}

// bullets turns lines of text into a bullet list, keeping lines that are
// already list items.
func bullets(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, " \t\r")
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			continue
		case isListItem(t):
			out = append(out, t)
		default:
			out = append(out, "- "+t)
		}
	}
	return strings.Join(out, "\n")
}

func isListItem(t string) bool {
	if strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "+ ") {
		return true
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' '
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Reply returns a follow-up message as it is sent: the user's text, trimmed.
func Reply(text string) string { return strings.TrimSpace(text) }

// Fix returns "Fix: <text>", the follow-up asking to correct something.
func Fix(text string) string { return prefixed("Fix:", text) }

// Also returns "Also: <text>", the follow-up extending the current work.
func Also(text string) string { return prefixed("Also:", text) }

// BasedOn returns "Based on that, <text>", continuing from the last answer.
func BasedOn(text string) string { return prefixed("Based on that,", text) }

func prefixed(prefix, text string) string {
	text = strings.TrimSpace(text)
	if len(text) >= len(prefix) && strings.EqualFold(text[:len(prefix)], prefix) {
		return text
	}
	return prefix + " " + text
}

// Bounds of the output tail FixFailed sends.
const (
	DefaultTailLines = 40
	MaxTailBytes     = 4 << 10
)

// FixFailed returns the follow-up sent when a verification command failed:
// "Failed: `cmd`", the last maxTail lines of its output (DefaultTailLines
// when maxTail <= 0; never more than MaxTailBytes), then "Fix." Colour
// codes and carriage-return progress are stripped and secrets redacted —
// in the whole output, before its tail is cut: a key whose first half or
// BEGIN line falls before the tail would match nothing after.
func FixFailed(cmd, output string, maxTail int) string {
	if maxTail <= 0 {
		maxTail = DefaultTailLines
	}
	tail, omitted := tailLines(redact.String(cleanOutput(output)), maxTail, MaxTailBytes)
	cmd = redact.String(oneLine(cmd))
	var b strings.Builder
	fmt.Fprintf(&b, "Failed: `%s`", cmd)
	if tail == "" {
		b.WriteString(" (no output)\n")
	} else {
		if omitted > 0 {
			fmt.Fprintf(&b, " — last %d lines of output (%d earlier lines omitted):\n", strings.Count(tail, "\n")+1, omitted)
		} else {
			b.WriteString(" — output:\n")
		}
		fence := fenceFor(tail)
		b.WriteString(fence + "\n" + tail + "\n" + fence + "\n")
	}
	b.WriteString("Fix.")
	return b.String()
}

// FixCommand returns the command of a message FixFailed wrote, and whether
// msg is one.
func FixCommand(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "Failed: `")
	if !ok {
		return "", false
	}
	cmd, _, ok := strings.Cut(rest, "`")
	if !ok || !strings.HasSuffix(msg, "Fix.") {
		return "", false
	}
	return cmd, true
}

// cleanOutput removes ANSI escape sequences and, on each line, everything
// before the last carriage return (progress bars redraw a line that way).
func cleanOutput(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 0x1b {
			b.WriteByte(c)
			continue
		}
		// ESC [ params final-byte (CSI), or ESC ] … BEL/ST (OSC), or ESC x.
		if i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		if i+1 < len(s) && s[i+1] == ']' {
			j := i + 2
			for j < len(s) && s[j] != 0x07 && !(s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\') {
				j++
			}
			if j < len(s) && s[j] == 0x1b {
				j++
			}
			i = j
			continue
		}
		i++ // a two-byte escape
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if k := strings.LastIndexByte(l, '\r'); k >= 0 {
			l = l[k+1:]
		}
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// tailLines returns the last n non-trailing-blank lines of s within
// maxBytes, and how many lines were left out.
func tailLines(s string, n, maxBytes int) (string, int) {
	s = strings.TrimRight(s, "\n")
	s = strings.TrimLeft(s, "\n")
	if s == "" {
		return "", 0
	}
	lines := strings.Split(s, "\n")
	start := max(0, len(lines)-n)
	size := 0
	for i := len(lines) - 1; i >= start; i-- {
		size += len(lines[i]) + 1
		if size > maxBytes {
			start = i + 1
			break
		}
	}
	if start == len(lines) {
		// A single huge last line: keep its end.
		last := lines[len(lines)-1]
		cut := len(last) - maxBytes + 1
		for cut < len(last) && last[cut]&0xc0 == 0x80 {
			cut++
		}
		return "…" + last[cut:], len(lines) - 1
	}
	return strings.Join(lines[start:], "\n"), start
}

// CloseRequest asks for the final summary in the shape ParseSummary reads.
func CloseRequest() string {
	return "We are closing this session. Summarise it for the record, with exactly these three sections and nothing else:\n\n" +
		summaryShape +
		"\nKeep it short: the summary is stored with the session in git and may go into a pull request description."
}

// CompactRequest asks for a summary of the conversation so far that can
// replace the older turns: the state of the work and every decision kept.
func CompactRequest() string {
	return "Summarise our conversation so far so that it can replace the older messages. Keep every decision and its reason, " +
		"the files and functions involved, and what is still open. Use exactly these three sections and nothing else:\n\n" +
		summaryShape
}
