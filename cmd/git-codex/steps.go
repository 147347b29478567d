package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/session"
)

// maxStepLines bounds the lines of a command's output show prints ('show
// --json' has the whole tail the record keeps).
const maxStepLines = 8

// printSteps prints what the Codex CLI did in a turn, in order: its
// messages as the answer's paragraphs, and between them its reasoning
// summaries, commands (with their exit code and the end of their output),
// patches, MCP tool calls, searches and errors.
func printSteps(w io.Writer, steps []session.Step) {
	for _, st := range steps {
		switch st.Type {
		case "agent_message":
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(st.Text))
		case "reasoning":
			fmt.Fprintf(w, "  ∴ %s\n", indentBy(strings.TrimSpace(st.Text), "    "))
		case "command_execution":
			status := ""
			switch {
			case st.Exit != nil:
				status = fmt.Sprintf("  (exit %d)", *st.Exit)
			case st.Status != "":
				status = "  (" + st.Status + ")"
			}
			fmt.Fprintf(w, "  $ %s%s\n", session.CommandLine(st.Command), status)
			if out := lastLines(strings.TrimRight(st.Output, "\n"), maxStepLines); out != "" {
				fmt.Fprintf(w, "    %s\n", indentBy(out, "    "))
			}
		case "file_change":
			fmt.Fprintf(w, "  ✎ %s%s\n", strings.Join(st.Files, ", "), statusNote(st.Status, "completed"))
		case "mcp_tool_call":
			fmt.Fprintf(w, "  ⚙ %s.%s%s\n", st.Server, st.Tool, statusNote(st.Status, "completed"))
			if st.Error != "" {
				fmt.Fprintf(w, "    error: %s\n", st.Error)
			}
		case "web_search":
			fmt.Fprintf(w, "  ⌕ %s\n", st.Text)
		case "todo_list", "plan":
			fmt.Fprintf(w, "  %s\n", indentBy(strings.TrimSpace(st.Text), "  "))
		case "error":
			fmt.Fprintf(w, "  ! %s\n", indentBy(strings.TrimSpace(st.Text), "    "))
		case session.StepOmitted:
			fmt.Fprintf(w, "  … %s\n", st.Text)
		default:
			fmt.Fprintf(w, "  ? codex %s (kept as received)\n", strings.TrimSpace(st.Type+" "+st.Text))
		}
	}
}

// printThreads prints the chain of a codex session's threads: each thread
// with the turn that started it and why.
func printThreads(w io.Writer, s *session.Session) {
	for _, ev := range s.Threads() {
		turn := "?"
		for i, t := range s.Turns {
			if t.Record.ID == ev.Turn {
				turn = fmt.Sprint(i + 1)
			}
		}
		why := strings.TrimPrefix(ev.Text, "new Codex thread: ")
		fmt.Fprintf(w, "codex thread %s from turn %s: %s\n", text.ShortID(ev.Thread), turn, why)
	}
}

func statusNote(status, ok string) string {
	if status == "" || status == ok {
		return ""
	}
	return "  (" + status + ")"
}

func indentBy(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }

// lastLines keeps the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[… %d lines]\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "\n")
}
