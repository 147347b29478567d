package workflow

import (
	"strings"
)

// Outputs a later step can use.
const (
	FieldSummary = "summary"
	FieldAnswer  = "answer"
)

// Ref is one {{ steps.ID.FIELD }} reference in a step's text.
type Ref struct {
	Step  string
	Field string // FieldSummary or FieldAnswer
	Pos   Pos    // of the opening {{
}

// Template is a step's text with its references to earlier steps' outputs.
// The zero Template is the empty text.
type Template struct {
	src   string
	parts []part
}

type part struct {
	text string
	ref  *Ref
}

// Source returns the text as written in the file.
func (t Template) Source() string { return t.src }

// IsZero reports whether the text is empty.
func (t Template) IsZero() bool { return t.src == "" }

// Refs lists the references in order of appearance.
func (t Template) Refs() []Ref {
	var out []Ref
	for _, p := range t.parts {
		if p.ref != nil {
			out = append(out, *p.ref)
		}
	}
	return out
}

// Render returns the text with every reference replaced by output(step,
// field) and every {{ "…" }} by its quoted text.
func (t Template) Render(output func(step, field string) string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref != nil {
			b.WriteString(output(p.ref.Step, p.ref.Field))
			continue
		}
		b.WriteString(p.text)
	}
	return b.String()
}

const literalHint = `write {{ "{{" }} for a literal "{{"`

// parseTemplate splits s into literal text and references. at returns the
// file position of the k-th "{{" of s (0-based, counted without overlap from
// the start of s).
func parseTemplate(s string, at func(k int) Pos, e *errs) Template {
	t := Template{src: s}
	lit := func(text string) {
		if text == "" {
			return
		}
		if n := len(t.parts); n > 0 && t.parts[n-1].ref == nil {
			t.parts[n-1].text += text
			return
		}
		t.parts = append(t.parts, part{text: text})
	}
	occ := occurrences(s)
	k := func(start int) int {
		for i, o := range occ {
			if o == start {
				return i
			}
		}
		return -1
	}
	i := 0
	for {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			lit(s[i:])
			break
		}
		lit(s[i : i+j])
		start := i + j
		pos := at(k(start))
		body, end, ok := action(s, start+2)
		if !ok {
			e.add(pos, `unclosed "{{" (%s)`, literalHint)
			lit(s[start:])
			break
		}
		i = end
		expr := strings.TrimSpace(body)
		if len(expr) >= 2 && expr[0] == '"' && expr[len(expr)-1] == '"' {
			lit(expr[1 : len(expr)-1])
			continue
		}
		ref, msg := parseRef(expr)
		if msg != "" {
			e.add(pos, "%s", msg)
			continue
		}
		ref.Pos = pos
		t.parts = append(t.parts, part{ref: &ref})
	}
	return t
}

// action finds the end of the action whose body starts at from: the body,
// the index just after its closing "}}", and whether it is closed. A body
// that starts with a quote runs to the next quote, so {{ "}}" }} works.
func action(s string, from int) (string, int, bool) {
	i := from
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && s[i] == '"' {
		q := strings.IndexByte(s[i+1:], '"')
		if q < 0 {
			return "", 0, false
		}
		i += q + 2
	}
	c := strings.Index(s[i:], "}}")
	if c < 0 {
		return "", 0, false
	}
	return s[from : i+c], i + c + 2, true
}

// parseRef reads "steps.ID.FIELD"; it returns a message when expr is not one.
func parseRef(expr string) (Ref, string) {
	want := `want {{ steps.ID.summary }} or {{ steps.ID.answer }} (` + literalHint + `)`
	f := strings.Split(expr, ".")
	if len(f) != 3 || f[0] != "steps" || !validID(f[1]) {
		return Ref{}, "unknown template expression {{ " + expr + " }}: " + want
	}
	if f[2] != FieldSummary && f[2] != FieldAnswer {
		return Ref{}, "{{ " + expr + ` }}: a step has no output "` + f[2] + `"; want summary or answer`
	}
	return Ref{Step: f[1], Field: f[2]}, ""
}

// occurrences lists the byte offsets of "{{" in s, counted without overlap.
func occurrences(s string) []int {
	var out []int
	for i := 0; ; {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			return out
		}
		out = append(out, i+j)
		i += j + 2
	}
}

// validID reports whether s may be a step id: a letter or underscore, then
// letters, digits, underscores and dashes.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '-'):
		default:
			return false
		}
	}
	return true
}
