// Package redact replaces secrets in text with "[REDACTED:<kind>]" markers
// before anything is stored, and derives the short texts (titles, columns,
// clipped tool results) that are cut from redacted text only.
//
// It exists because session records are stored in git notes, and notes get
// pushed to shared remotes: every text field passes through String before it
// is written, and everything cut from a text goes through Cut or Line, which
// redact the whole text first — a key cut in half no longer matches any
// rule. It is pure string processing with no I/O; it must stay fast enough
// to run on every record and must leave ordinary prose, code, git object ids
// and UUIDs unchanged. Redaction is idempotent.
//
// What it finds, in order of precedence where findings overlap:
//
//   - its own rules (rules.go): the formats records have always named
//     (openai-key, github-token, private-key, …), passwords in URLs;
//   - assignments whose name looks secret, in the forms code and
//     configuration write them (assign.go): the name is kept, the value
//     replaced;
//   - gitleaks' default rule set (gitleaks_rules.go, generated from the
//     gitleaks module by `go generate`): over 200 providers' formats, each
//     rule compiled the first time one of its keywords occurs;
//   - the bare forms of those rules (bare.go): a vendor's secret whose
//     shape holds a literal of its own (dnkey-, NRII-, the -us<N> of a
//     Mailchimp key), found wherever it stands, without the name or keyword
//     its rule needs;
//   - private-key bodies without their BEGIN line, private keys in base64,
//     and tokens that look machine-generated wherever they stand
//     (token.go).
//
// gitleaks is used as a rule set, not as a library: importing its detector
// would add about 160 packages (viper, archive readers, a WebAssembly
// runtime), and building it costs about 30 ms per process, a reply's whole
// budget; compiling all its rules eagerly costs about 10 ms.
package redact

import (
	"sort"
	"strings"
)

// Marker returns the replacement text for a secret of the given kind.
func Marker(kind string) string { return "[REDACTED:" + kind + "]" }

// markerPrefix starts every marker; text inside a marker is never matched
// again, so that redacting twice changes nothing.
const markerPrefix = "[REDACTED"

// Priorities of the finders: where findings overlap, they merge and the
// lowest priority names the kind.
const (
	prioAssign   = 100
	prioGitleaks = 200
	prioGeneric  = 300 // gitleaks' generic-api-key
	prioPEM      = 400
	prioBare     = 450 // a bare form of a gitleaks rule
	prioToken    = 500
)

// String returns s with every secret it recognises replaced by a marker.
func String(s string) string {
	if s == "" {
		return s
	}
	var fs []finding
	for i := range rules {
		fs = rules[i].find(s, i, fs)
	}
	fs = assignments(s, prioAssign, fs)
	fs = append(fs, gitleaksFindings(s, fs)...)
	fs = pemBodies(s, prioPEM, fs)
	fs = bareTokens(s, prioToken, fs)
	return replace(s, fs)
}

// Strings redacts every element of ss into a new slice (nil stays nil).
func Strings(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = String(s)
	}
	return out
}

// finding is a secret a finder found: where it is, which kind it is, and
// the finder's priority.
type finding struct {
	span
	kind string
	prio int
}

// replace returns s with each finding replaced by its marker. Findings
// that overlap a marker already in s are dropped; overlapping findings
// merge, and the one with the lowest priority names the kind.
func replace(s string, fs []finding) string {
	if len(fs) == 0 {
		return s
	}
	if strings.Contains(s, markerPrefix) {
		marks := markerSpans(s)
		kept := fs[:0]
		for _, f := range fs {
			if !overlapsAny(f.span, marks) {
				kept = append(kept, f)
			}
		}
		fs = kept
		if len(fs) == 0 {
			return s
		}
	}
	kept := fs[:0]
	for _, f := range fs {
		// gitleaks' rules judge placeholders themselves (entropy, allowlists),
		// and a private key's body is base64 of any content.
		if f.prio >= prioGitleaks && f.prio <= prioPEM || !placeholder(s[f.start:f.end]) {
			kept = append(kept, f)
		}
	}
	if fs = kept; len(fs) == 0 {
		return s
	}
	sortFindings(fs)
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(fs); {
		f := fs[i]
		end, kind, prio := f.end, f.kind, f.prio
		j := i + 1
		for ; j < len(fs) && fs[j].start < end; j++ {
			end = max(end, fs[j].end)
			if fs[j].prio < prio {
				kind, prio = fs[j].kind, fs[j].prio
			}
		}
		b.WriteString(s[last:f.start])
		b.WriteString(Marker(kind))
		last = end
		i = j
	}
	b.WriteString(s[last:])
	return b.String()
}

// placeholder reports whether v is a placeholder written where a secret
// goes (ghp_xxxxxxxxxxxxxxxxxxxx, AKIAXXXXXXXXXXXXXXXX, ********): eight
// bytes or more, most of them one repeated character.
func placeholder(v string) bool {
	if len(v) < 8 {
		return false
	}
	var count [256]int
	top := 0
	for i := 0; i < len(v); i++ {
		count[v[i]]++
		top = max(top, count[v[i]])
	}
	return 5*top >= 3*len(v)
}

func overlapsAny(sp span, spans []span) bool {
	for _, o := range spans {
		if sp.start < o.end && o.start < sp.end {
			return true
		}
	}
	return false
}

// markerSpans returns where the markers already in s are.
func markerSpans(s string) []span {
	var out []span
	for off := 0; ; {
		i := strings.Index(s[off:], markerPrefix)
		if i < 0 {
			return out
		}
		start := off + i
		end := strings.IndexByte(s[start:], ']')
		if end < 0 {
			return out
		}
		out = append(out, span{start, start + end + 1})
		off = start + end + 1
	}
}

// sortFindings orders fs by start, longer first, then by priority.
func sortFindings(fs []finding) {
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.end != b.end {
			return a.end > b.end
		}
		return a.prio < b.prio
	})
}
