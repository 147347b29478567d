package scaffold

import (
	"os"
	"path/filepath"
	"strings"
)

// claudeFiles are where Claude Code keeps project instructions.
var claudeFiles = []string{"CLAUDE.md", ".claude/CLAUDE.md"}

// architectureWords select CLAUDE.md sections that describe the architecture.
var architectureWords = []string{"architect", "structure", "layout", "component", "design"}

// conventionWords select CLAUDE.md sections worth carrying into AGENTS.md.
var conventionWords = []string{
	"convention", "style", "test", "command", "build", "lint", "format", "workflow",
	"guideline", "rule", "develop", "contribut", "setup", "running",
}

// readClaude returns the text of the project's CLAUDE.md and its name, or "".
func readClaude(root string) (text, name string) {
	for _, n := range claudeFiles {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(n)))
		if err == nil && len(strings.TrimSpace(string(b))) > 0 {
			if len(b) > 1<<20 {
				b = b[:1<<20]
			}
			return strings.ReplaceAll(string(b), "\r\n", "\n"), n
		}
	}
	return "", ""
}

type mdHeading struct {
	line  int
	level int
	title string
}

// markdownHeadings returns the ATX headings outside fenced code blocks.
func markdownHeadings(lines []string) []mdHeading {
	var hs []mdHeading
	fence := ""
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if fence != "" {
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			continue
		}
		if !strings.HasPrefix(l, "#") {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "#"))
		if n > 6 || (len(l) > n && l[n] != ' ' && l[n] != '\t') {
			continue
		}
		hs = append(hs, mdHeading{line: i, level: n, title: strings.TrimSpace(strings.Trim(strings.TrimSpace(l[n:]), "#"))})
	}
	return hs
}

// markdownSections returns the sections (heading plus body, sub-sections
// included) whose heading mentions one of words, in document order, with
// headings shifted so the shallowest selected one has level base. Sections
// whose heading index is in skip are left out; the indexes of the selected
// headings are returned so a second selection can exclude them.
func markdownSections(text string, words []string, base int, skip map[int]bool) (string, map[int]bool) {
	lines := strings.Split(text, "\n")
	hs := markdownHeadings(lines)
	type span struct{ from, to, level int }
	var spans []span
	picked := map[int]bool{}
	minLevel := 7
	for i := 0; i < len(hs); i++ {
		h := hs[i]
		if skip[i] || !mentions(h.title, words) {
			continue
		}
		if h.level == 1 && i == 0 && len(hs) > 1 {
			continue // the document title ("# Project structure guide") would take everything
		}
		end, j := len(lines), i+1
		for ; j < len(hs); j++ {
			if hs[j].level <= h.level {
				end = hs[j].line
				break
			}
		}
		for k := i; k < j; k++ {
			picked[k] = true
		}
		spans = append(spans, span{h.line, end, h.level})
		minLevel = min(minLevel, h.level)
		i = j - 1
	}
	if len(spans) == 0 {
		return "", picked
	}
	shift := base - minLevel
	var b strings.Builder
	for _, s := range spans {
		body := lines[s.from:s.to]
		fence := ""
		for _, l := range body {
			t := strings.TrimSpace(l)
			switch {
			case fence != "":
				if strings.HasPrefix(t, fence) {
					fence = ""
				}
			case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
				fence = t[:3]
			case strings.HasPrefix(l, "#"):
				n := len(l) - len(strings.TrimLeft(l, "#"))
				if n <= 6 && (len(l) == n || l[n] == ' ' || l[n] == '\t') {
					nl := min(max(n+shift, 1), 6)
					l = strings.Repeat("#", nl) + l[n:]
				}
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		out := strings.TrimRight(b.String(), "\n")
		b.Reset()
		b.WriteString(out)
		b.WriteString("\n\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n", picked
}

func mentions(title string, words []string) bool {
	t := strings.ToLower(title)
	for _, w := range words {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}
