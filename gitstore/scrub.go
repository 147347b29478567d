package gitstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/redact"
)

// Redaction is storage's last line of defence: notes get pushed to shared
// remotes. The layers above redact the full texts before they derive
// anything from them (titles, summaries); Append redacts every string value
// of every line once more (redaction is idempotent), and replaces the
// configured literal secrets (AddSecrets) anywhere in the line.

// envelopeKeys are the top-level keys whose values storage itself reads:
// ids, times and object ids, never text. They are not redacted, so that a
// record keeps its identity and its attachment whatever it looks like.
var envelopeKeys = map[string]bool{"v": true, "ts": true, "id": true, "kind": true, "commit": true, "patch_id": true}

// scrubRecords validates and redacts the lines of recs for writing.
func scrubRecords(recs []Record, literals []string) ([][]byte, error) {
	lines := make([][]byte, 0, len(recs))
	for _, rec := range recs {
		if _, err := ParseRecord(rec.Line); err != nil {
			return nil, fmt.Errorf("write record %s: %w", rec.ID, err)
		}
		line, err := scrubLine(rec.Line, literals)
		if err != nil {
			return nil, fmt.Errorf("write record %s: %w", rec.ID, err)
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// scrubLine returns line (a valid JSON object) with every string value
// redacted and the literals replaced (redact.Literal, on the decoded value,
// so escaped forms are found too), keys and key order kept; the bytes of
// values redaction leaves alone are kept as they are, so a line written twice
// is the same line.
func scrubLine(line []byte, literals []string) ([]byte, error) {
	var out []byte // nil until something changes
	done := 0      // line[:done] is in out
	depth := 0
	key := ""                        // the last top-level key read
	for i := 0; i < len(line); i++ { // the input is valid JSON (ParseRecord)
		switch line[i] {
		case '{', '[':
			depth++
			continue
		case '}', ']':
			depth--
			continue
		case '"':
		default:
			continue
		}
		end := stringEnd(line, i)
		lit := line[i:end]
		j := end
		for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
			j++
		}
		isKey := j < len(line) && line[j] == ':'
		next := end - 1 // the loop's i++ moves past the literal
		if isKey {
			if depth == 1 {
				key = unquote(lit)
			}
			i = next
			continue
		}
		if depth == 1 && envelopeKeys[key] {
			i = next
			continue
		}
		s := unquote(lit)
		red := s
		for _, v := range literals {
			red = redact.Literal(red, v)
		}
		if red = redact.String(red); red != s {
			enc, err := marshalString(red)
			if err != nil {
				return nil, err
			}
			out = append(append(out, line[done:i]...), enc...)
			done = end
		}
		i = next
	}
	if out == nil {
		return line, nil
	}
	return append(out, line[done:]...), nil
}

// stringEnd returns the index just after the JSON string literal that
// starts at line[i] (a '"').
func stringEnd(line []byte, i int) int {
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(line)
}

// unquote decodes a JSON string literal.
func unquote(lit []byte) string {
	if len(lit) >= 2 && bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	_ = json.Unmarshal(lit, &s)
	return s
}

// marshalString encodes s as a JSON string the way records are written:
// without HTML escaping, so text reads naturally with plain git.
func marshalString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// AddSecrets names literal values (the configured API key) that records
// written through this repository's NotesStore must never contain, whatever
// their characters or length: they are replaced in every string value, as
// written and JSON-escaped (see redact.Literal). Empty values are ignored.
func (r *Repo) AddSecrets(values ...string) {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			r.secrets = append(r.secrets, v)
		}
	}
}
