// Package redact replaces secrets in text with "[REDACTED:<kind>]" markers:
// provider API keys and tokens, private-key blocks, credentials in URLs and
// Authorization headers, and .env-style assignments whose name looks secret
// (the name is kept, the value replaced).
//
// It exists because session records are stored in git notes, and notes get
// pushed to shared remotes: every text field passes through String before it
// is written. It is pure string processing with no I/O; it must stay fast
// enough to run on every record and must leave ordinary prose, code, git
// object ids and UUIDs unchanged. Redaction is idempotent.
package redact

import (
	"regexp"
	"strings"
)

// Marker returns the replacement text for a secret of the given kind.
func Marker(kind string) string { return "[REDACTED:" + kind + "]" }

// markerPrefix starts every marker; values that already start with it are
// left alone so that redacting twice changes nothing.
const markerPrefix = "[REDACTED"

// rule is one kind of secret. The regexp runs only when the text contains one
// of the keywords (in the line, for line rules),
// which keeps the common case — text with no secret in it — cheap.
type rule struct {
	kind     string
	keywords []string
	// multiline rules run on the whole text, the others line by line.
	multiline bool
	re        *regexp.Regexp
	// group is the submatch that holds the secret (0 = the whole match).
	group int
	// keep, when set, decides per match whether to leave it alone; it gets
	// the submatches and the text after the match, and returns the kind to
	// use ("" = leave unchanged).
	keep func(sub []string, rest string) string
	// scan, when set, replaces re: it redacts one line.
	scan func(line string) string
}

// rules run in order: specific token formats first, so that the generic
// assignment and URL rules see markers rather than raw tokens and keep the
// more precise kind.
var rules = []rule{
	{
		kind:      "private-key",
		keywords:  []string{"PRIVATE KEY-----"},
		multiline: true,
		re:        regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`),
	},
	{
		kind:     "anthropic-key",
		keywords: []string{"sk-ant-"},
		re:       regexp.MustCompile(`\bsk-ant-[A-Za-z0-9_-]{20,}`),
	},
	{
		kind:     "openai-key",
		keywords: []string{"sk-"},
		re:       regexp.MustCompile(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}`),
		keep: func(sub []string, _ string) string {
			for _, p := range []string{"sk-proj-", "sk-svcacct-", "sk-admin-"} {
				if strings.HasPrefix(sub[0], p) {
					return "openai-key" // these prefixes only ever start keys
				}
			}
			return mixedIf(sub[0][3:], "openai-key")
		},
	},
	{
		kind:     "stripe-key",
		keywords: []string{"_live_", "_test_", "whsec_"},
		re:       regexp.MustCompile(`\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})`),
	},
	{
		kind:     "github-token",
		keywords: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		re:       regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b`),
	},
	{
		kind:     "gitlab-token",
		keywords: []string{"glpat-"},
		re:       regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`),
	},
	{
		kind:     "npm-token",
		keywords: []string{"npm_"},
		re:       regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`),
	},
	{
		kind:     "aws-access-key-id",
		keywords: []string{"AKIA", "ASIA"},
		re:       regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`),
	},
	{
		kind:     "slack-token",
		keywords: []string{"xox", "xapp-", "hooks.slack.com"},
		re:       regexp.MustCompile(`\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,})`),
	},
	{
		kind:     "google-api-key",
		keywords: []string{"AIza"},
		re:       regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`),
	},
	{
		kind:     "jwt",
		keywords: []string{"eyJ"},
		re:       regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`),
	},
	{
		kind:     "bearer-token",
		keywords: spellings("authorization"),
		re:       regexp.MustCompile(`(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|token|basic)[ \t]+([A-Za-z0-9._~+/=-]{8,})`),
		group:    1,
	},
	{
		kind:     "password",
		keywords: []string{"://"},
		re:       regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@"'<>]*:([^\s/@"'<>]+)@`),
		group:    1,
		keep: func(sub []string, _ string) string {
			if strings.HasPrefix(sub[1], "$") || strings.HasPrefix(sub[1], markerPrefix) {
				return ""
			}
			return "password"
		},
	},
	{
		kind:     "secret",
		keywords: spellings("key", "token", "secret", "pass", "pwd", "credential", "auth"),
		// A hand-written scanner: the equivalent regexp has no literal to
		// anchor on and cost 25 times more than all other rules together.
		scan: assignments,
	},
}

// String returns s with every secret it recognises replaced by a marker.
func String(s string) string {
	if s == "" {
		return s
	}
	for i := range rules {
		r := &rules[i]
		if r.multiline {
			if containsAny(s, r.keywords) {
				s = r.apply(s)
			}
			continue
		}
		s = r.applyLines(s)
	}
	return s
}

// applyLines runs r on each line holding one of its keywords: most text
// holds none, and regexp cost grows with the bytes it scans.
func (r *rule) applyLines(s string) string {
	if !containsAny(s, r.keywords) {
		return s
	}
	var b strings.Builder
	done := 0 // s[:done] is already in b
	for pos := 0; pos < len(s); {
		end := strings.IndexByte(s[pos:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += pos
		}
		line := s[pos:end]
		if containsAny(line, r.keywords) {
			if out := r.apply(line); out != line {
				b.WriteString(s[done:pos])
				b.WriteString(out)
				done = end
			}
		}
		pos = end + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
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

// containsAny reports whether s contains one of words.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// spellings returns each word as written and in upper and title case
// (key, KEY, Key), which covers how names are written (API_KEY, apiKey)
// without lower-casing every line.
func spellings(words ...string) []string {
	var out []string
	for _, w := range words {
		out = append(out, w, strings.ToUpper(w), strings.ToUpper(w[:1])+w[1:])
	}
	return out
}

func (r *rule) apply(s string) string {
	if r.scan != nil {
		return r.scan(s)
	}
	matches := r.re.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		start, end := m[2*r.group], m[2*r.group+1]
		if start < 0 {
			continue
		}
		kind := r.kind
		if r.keep != nil {
			sub := make([]string, len(m)/2)
			for i := range sub {
				if m[2*i] >= 0 {
					sub[i] = s[m[2*i]:m[2*i+1]]
				}
			}
			if kind = r.keep(sub, s[m[1]:]); kind == "" {
				continue
			}
		}
		if start < last {
			continue
		}
		// A quoted value keeps its quotes: only the secret is replaced.
		if v := s[start:end]; len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			start, end = start+1, end-1
		}
		b.WriteString(s[last:start])
		b.WriteString(Marker(kind))
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// mixedIf returns kind when tail holds both letters and digits, as random
// keys do, so that long kebab-case identifiers starting "sk-" survive.
func mixedIf(tail, kind string) string {
	var letter, digit bool
	for _, c := range tail {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		}
	}
	if letter && digit {
		return kind
	}
	return ""
}

// assignments redacts the values of NAME=VALUE, NAME: VALUE and
// NAME := VALUE assignments in line whose name looks secret (see assignment).
// The name may be quoted (JSON) and must start the line or follow
// whitespace, ';', ',', '{' or '('.
func assignments(line string) string {
	var b strings.Builder
	done := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '=' && c != ':' {
			continue
		}
		sepStart, sepEnd := i, i+1
		next := byte(0)
		if i+1 < len(line) {
			next = line[i+1]
		}
		switch {
		case c == ':' && next == '=':
			sepEnd = i + 2
		case c == ':' && (next == ':' || next == '/'):
			i++ // "::" or "://"
			continue
		case c == '=' && (next == '=' || next == '>' || next == '~'):
			i++ // "==", "=>", "=~"
			continue
		case c == '=' && i > 0 && strings.IndexByte("=!<>+-*/%&|^:", line[i-1]) >= 0:
			continue // "!=", "+=", …
		}
		// The name, backwards from the separator.
		ne := sepStart
		for ne > 0 && (line[ne-1] == ' ' || line[ne-1] == '\t') {
			ne--
		}
		if ne > 0 && (line[ne-1] == '"' || line[ne-1] == '\'') {
			ne--
		}
		ns := ne
		for ns > 0 && isNameByte(line[ns-1]) {
			ns--
		}
		for ns < ne && !isNameStart(line[ns]) {
			ns++
		}
		if ns == ne {
			continue
		}
		before := ns
		if before > 0 && (line[before-1] == '"' || line[before-1] == '\'') {
			before--
		}
		if before > 0 && strings.IndexByte(" \t;,{(", line[before-1]) < 0 {
			continue
		}
		name := line[ns:ne]
		if secretName(name) == "" {
			continue
		}
		// The value, forwards from the separator.
		vs := sepEnd
		for vs < len(line) && (line[vs] == ' ' || line[vs] == '\t') {
			vs++
		}
		ve := valueEnd(line, vs)
		if ve == vs {
			continue
		}
		kind := assignment([]string{"", name, line[sepStart:vs], line[vs:ve]}, line[ve:])
		i = ve - 1
		if kind == "" {
			continue
		}
		rs, re := vs, ve
		if q := line[vs]; q == '"' || q == '\'' {
			rs, re = vs+1, ve-1
		}
		b.WriteString(line[done:rs])
		b.WriteString(Marker(kind))
		done = re
	}
	if done == 0 {
		return line
	}
	b.WriteString(line[done:])
	return b.String()
}

// valueEnd returns the end of the value starting at line[vs]: a quoted
// string (closing quote included; "" when unterminated) or a bare word.
func valueEnd(line string, vs int) int {
	if vs >= len(line) {
		return vs
	}
	switch q := line[vs]; q {
	case '"', '\'':
		for k := vs + 1; k < len(line); k++ {
			if q == '"' && line[k] == '\\' {
				k++
				continue
			}
			if line[k] == q {
				return k + 1
			}
		}
		return vs
	}
	if strings.IndexByte("\"'#;,=(){}[]<>$", line[vs]) >= 0 {
		return vs
	}
	k := vs
	for k < len(line) && strings.IndexByte(" \t\r\"'#;,)]}", line[k]) < 0 {
		k++
	}
	return k
}

func isNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// assignment decides whether NAME=VALUE (sub[1] the name, sub[2] the
// separator, sub[3] the value) holds a secret, and of which kind. Values that
// are references or code rather than literals are left alone: $VAR, ${VAR},
// calls, indexing, dotted identifiers, type names, empty strings and existing
// markers. A bare value after a colon counts only when it ends the line (YAML),
// so prose such as "Token: it expires hourly" is left alone.
func assignment(sub []string, rest string) string {
	kind := secretName(sub[1])
	if kind == "" {
		return ""
	}
	v := sub[3]
	quoted := len(v) >= 2 && (v[0] == '"' || v[0] == '\'')
	if quoted {
		v = v[1 : len(v)-1]
	}
	if v == "" || strings.HasPrefix(v, markerPrefix) {
		return ""
	}
	switch v[0] {
	case '$', '{', '<', '%', '*':
		return ""
	}
	if strings.HasPrefix(v, "process.env") || strings.Contains(v, "{{") {
		return ""
	}
	if quoted {
		return kind
	}
	if strings.TrimSpace(sub[2]) == ":" {
		line, _, _ := strings.Cut(rest, "\n")
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, ",") && !strings.HasPrefix(line, "}") {
			return ""
		}
	}
	if strings.ContainsAny(v, "()[]") || dotted.MatchString(v) {
		return ""
	}
	lv := strings.ToLower(v)
	switch lv {
	case "true", "false", "null", "nil", "none", "undefined", "string", "str", "int",
		"number", "bool", "boolean", "bytes", "any", "optional", "required":
		return ""
	}
	name := sub[1]
	if k := strings.LastIndexByte(name, '.'); k >= 0 {
		name = name[k+1:]
	}
	if ident.MatchString(v) && normalise(v) == normalise(name) {
		return "" // Token: token
	}
	return kind
}

var (
	dotted = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$`)
	ident  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// normalise turns apiKey, api-key, api.key and API_KEY into API_KEY.
func normalise(name string) string {
	var b strings.Builder
	var prevLower bool
	for _, c := range name {
		switch {
		case c == '-' || c == '.' || c == '_':
			b.WriteByte('_')
			prevLower = false
			continue
		case c >= 'A' && c <= 'Z':
			if prevLower {
				b.WriteByte('_')
			}
			prevLower = false
		case c >= 'a' && c <= 'z':
			prevLower = true
			c -= 'a' - 'A'
		default:
			prevLower = c >= '0' && c <= '9'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// nameIs reports whether the normalised name n is word or ends in _word.
func nameIs(n, word string) bool {
	return n == word || len(n) > len(word) && strings.HasSuffix(n, word) && n[len(n)-len(word)-1] == '_'
}

// notSecretKeys end in _KEY but name database or cache keys, or public halves.
var notSecretKeys = []string{"PUBLIC_KEY", "PRIMARY_KEY", "FOREIGN_KEY", "SORT_KEY", "PARTITION_KEY",
	"CACHE_KEY", "HASH_KEY", "RANGE_KEY", "SHORTCUT_KEY", "HOT_KEY", "MAP_KEY", "DICT_KEY", "LOOKUP_KEY",
	"IDEMPOTENCY_KEY", "ROUTING_KEY", "KEY_KEY", "SSH_KEY_PATH"}

// secretName returns the marker kind for a variable name that looks like it
// holds a secret, or "".
func secretName(name string) string {
	n := strings.Trim(normalise(name), "_")
	for _, ns := range notSecretKeys {
		if nameIs(n, ns) {
			return ""
		}
	}
	is := func(words ...string) bool {
		for _, w := range words {
			if nameIs(n, w) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.Contains(n, "AWS_SECRET"):
		return "aws-secret-key"
	case is("PASSWORD", "PASSWD", "PASSPHRASE", "DB_PWD") || strings.HasPrefix(n, "PASSWORD_"):
		return "password"
	case is("TOKEN", "ACCESS_TOKEN", "REFRESH_TOKEN"):
		return "token"
	case is("SECRET", "CLIENT_SECRET", "SECRET_KEY") || strings.HasPrefix(n, "SECRET_"):
		return "secret"
	case is("KEY", "APIKEY", "CREDENTIALS", "CREDENTIAL", "AUTH") && n != "KEY" && n != "AUTH":
		return "secret"
	}
	return ""
}
