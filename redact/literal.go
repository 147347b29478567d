package redact

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// literalKind is the marker kind of a value named by Literal.
const literalKind = "configured-secret"

// Literal returns s with every occurrence of value (a secret this program
// knows literally, such as the configured API key, whatever its
// characters) replaced by "[REDACTED:configured-secret]": as written, and in the
// escaped forms JSON gives it, since tool arguments are JSON text. A value
// shorter than 8 bytes is replaced only where it stands alone, not inside a
// longer word, so that a short key does not take every word holding it with
// it. Leading and trailing white space of value is ignored; an empty value
// changes nothing.
func Literal(s, value string) string {
	value = strings.TrimSpace(value)
	if value == "" || s == "" {
		return s
	}
	for _, form := range literalForms(value) {
		if strings.Contains(s, form) {
			s = replaceLiteral(s, form, len(value) < 8)
		}
	}
	return s
}

// literalForms returns value as written and JSON-escaped, with and without
// HTML escaping (\u003c for <), longest first.
func literalForms(value string) []string {
	forms := []string{value}
	for _, html := range []bool{false, true} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(value); err != nil {
			continue
		}
		q := strings.TrimSuffix(b.String(), "\n")
		if f := q[1 : len(q)-1]; !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	// Longer forms first: a form may contain another.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return forms
}

// replaceLiteral replaces form in s; alone, only where the bytes around it
// do not continue a word it starts or ends with.
func replaceLiteral(s, form string, alone bool) string {
	marker := Marker(literalKind)
	if !alone {
		return strings.ReplaceAll(s, form, marker)
	}
	var b strings.Builder
	last := 0
	for off := 0; ; {
		i := strings.Index(s[off:], form)
		if i < 0 {
			break
		}
		start, end := off+i, off+i+len(form)
		off = start + 1
		if start > 0 && isWordByte(s[start-1]) && isWordByte(form[0]) ||
			end < len(s) && isWordByte(s[end]) && isWordByte(form[len(form)-1]) {
			continue
		}
		if start < last {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(marker)
		last = end
		off = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
