package prompt

import (
	"encoding/json"
	"strings"
)

// Summary is a session summary as ParseSummary reads it from a model's answer.
type Summary struct {
	// Found is what was learned: a short paragraph.
	Found string
	// Decisions are the decisions taken, one per item.
	Decisions []string
	// Next are the next steps, one per item.
	Next []string
}

// section names ParseSummary recognises, lower case, without punctuation.
var sectionNames = map[string]string{
	"found": "found", "findings": "found", "what we found": "found", "summary": "found",
	"learned": "found", "what we learned": "found", "context": "found", "state": "found",
	"current state": "found", "status": "found", "result": "found", "results": "found",
	"decided": "decided", "decisions": "decided", "what we decided": "decided",
	"key decisions": "decided", "decisions made": "decided",
	"next": "next", "next steps": "next", "whats next": "next", "what is next": "next",
	"todo": "next", "to do": "next", "open questions": "next", "follow ups": "next",
	"followups": "next", "remaining work": "next", "open items": "next",
}

// ParseSummary reads a summary in the shape CloseRequest asks for (### Found,
// ### Decided, ### Next). It is forgiving: any heading level, bold or
// "Name:" headings, common synonyms (Findings, Decisions, Next steps, TODO),
// any bullet style, numbered lists, wrapped bullet lines, a fence around the
// whole answer, or a JSON object with found/decisions/next keys. "None" items
// are dropped. Text without any recognised section becomes Found.
func ParseSummary(text string) Summary {
	text = unfence(strings.TrimSpace(text))
	if s, ok := parseJSONSummary(text); ok {
		return s
	}
	var s Summary
	var pre, found []string // pre: text before the first heading
	hasFound := false
	section := ""
	seenSection := false
	var list *[]string
	contItem := false // the previous line was a bullet item that may wrap
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(raw, " \t\r")
		if name, rest, ok := heading(line); ok {
			section, seenSection, contItem = name, true, false
			hasFound = hasFound || name == "found"
			switch name {
			case "decided":
				list = &s.Decisions
			case "next":
				list = &s.Next
			default:
				list = nil
			}
			if rest != "" {
				line = rest // "Found: we learned that …"
			} else {
				continue
			}
		}
		trimmed := strings.TrimSpace(line)
		if section == "" {
			pre = append(pre, line)
			continue
		}
		if section == "found" {
			found = append(found, line)
			continue
		}
		if trimmed == "" {
			contItem = false
			continue
		}
		if item, ok := listItem(trimmed); ok {
			*list = append(*list, item)
			contItem = true
			continue
		}
		if contItem && len(*list) > 0 && (raw != trimmed || strings.HasPrefix(raw, " ")) {
			(*list)[len(*list)-1] += " " + trimmed // a wrapped bullet
			continue
		}
		*list = append(*list, trimmed) // a plain line counts as an item
		contItem = true
	}
	if !seenSection {
		return Summary{Found: text}
	}
	if !hasFound {
		found = pre // "Here is what we found: …" then ### Decided
	}
	s.Found = strings.TrimSpace(strings.Join(found, "\n"))
	s.Decisions = dropNone(s.Decisions)
	s.Next = dropNone(s.Next)
	return s
}

// heading recognises a section heading: "### Found", "**Decided**",
// "Next steps:", "## 2. Next". It returns the canonical section name and any
// text after a colon on the same line.
func heading(line string) (name, rest string, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" {
		return "", "", false
	}
	marked := false
	if strings.HasPrefix(t, "#") {
		t = strings.TrimLeft(t, "#")
		marked = true
	}
	t = strings.TrimSpace(t)
	if strings.HasPrefix(t, "**") || strings.HasPrefix(t, "__") {
		marked = true
	}
	label, after, hasColon := strings.Cut(t, ":")
	if hasColon {
		// "**Found:** text" puts the closing bold after the colon.
		after = strings.TrimLeft(after, "*_")
	}
	label = strings.Trim(label, "*_ ")
	label = strings.TrimLeft(label, "0123456789.) ")
	key := normaliseLabel(label)
	canon, known := sectionNames[key]
	if !known {
		return "", "", false
	}
	if !marked && !hasColon {
		// A bare word on its own line counts only if it is the whole line.
		if strings.TrimSpace(line) != label {
			return "", "", false
		}
	}
	return canon, strings.TrimSpace(after), true
}

func normaliseLabel(s string) string {
	var b strings.Builder
	space := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(c)
		case c == '\'' || c == '’':
			// "what's" → "whats"
		default:
			space = true
		}
	}
	return b.String()
}

// listItem strips a bullet or number from a list line.
func listItem(t string) (string, bool) {
	for _, p := range []string{"- [ ] ", "- [x] ", "- ", "* ", "+ ", "• ", "– ", "— "} {
		if strings.HasPrefix(t, p) {
			return strings.TrimSpace(t[len(p):]), true
		}
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
		return strings.TrimSpace(t[i+2:]), true
	}
	return "", false
}

func dropNone(items []string) []string {
	var out []string
	for _, it := range items {
		switch strings.ToLower(strings.Trim(it, " .*_")) {
		case "", "none", "n/a", "na", "nothing", "none yet", "no decisions", "nothing left", "-":
			continue
		}
		out = append(out, it)
	}
	return out
}

// unfence removes a code fence around the whole text.
func unfence(t string) string {
	if !strings.HasPrefix(t, "```") || !strings.HasSuffix(t, "```") || len(t) < 6 {
		return t
	}
	first := strings.IndexByte(t, '\n')
	last := strings.LastIndexByte(t, '\n')
	if first < 0 || last <= first {
		return t
	}
	return strings.TrimSpace(t[first+1 : last])
}

func parseJSONSummary(t string) (Summary, bool) {
	if !strings.HasPrefix(t, "{") {
		return Summary{}, false
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal([]byte(t), &raw) != nil {
		return Summary{}, false
	}
	var s Summary
	ok := false
	for k, v := range raw {
		canon := sectionNames[normaliseLabel(k)]
		switch canon {
		case "found":
			var str string
			if json.Unmarshal(v, &str) == nil {
				s.Found, ok = strings.TrimSpace(str), true
			} else if items := jsonList(v); items != nil {
				s.Found, ok = strings.Join(items, "\n"), true
			}
		case "decided":
			s.Decisions, ok = dropNone(jsonList(v)), true
		case "next":
			s.Next, ok = dropNone(jsonList(v)), true
		}
	}
	return s, ok
}

func jsonList(v json.RawMessage) []string {
	var items []string
	if json.Unmarshal(v, &items) == nil {
		return items
	}
	var one string
	if json.Unmarshal(v, &one) == nil && strings.TrimSpace(one) != "" {
		return []string{strings.TrimSpace(one)}
	}
	return nil
}
