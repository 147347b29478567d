package redact

import (
	"regexp"
	"strings"
)

// rule is one kind of secret this package knows by its shape. The regexp
// runs only on lines holding one of the keywords (on the whole text, for
// multiline rules), which keeps the common case — text with no secret in
// it — cheap.
type rule struct {
	kind     string
	keywords []string
	// multiline rules run on the whole text, the others line by line.
	multiline bool
	// re is compiled on first use, not at every start of the program.
	re func() *regexp.Regexp
	// group is the submatch that holds the secret (0 = the whole match).
	group int
	// keep, when set, decides per match whether to leave it alone; it gets
	// the submatches and the text after the match, and returns the kind to
	// use ("" = leave unchanged).
	keep func(sub []string, rest string) string
}

// rules run before gitleaks' set and win where they overlap it: their
// kinds are the ones records have always carried.
var rules = []rule{
	{
		kind:      "private-key",
		keywords:  []string{"PRIVATE KEY-----"},
		multiline: true,
		re:        lazyRegexp(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`),
	},
	{
		kind:     "anthropic-key",
		keywords: []string{"sk-ant-"},
		re:       lazyRegexp(`\bsk-ant-[A-Za-z0-9_-]{20,}`),
	},
	{
		kind:     "openai-key",
		keywords: []string{"sk-"},
		re:       lazyRegexp(`\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}`),
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
		re:       lazyRegexp(`\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,})`),
	},
	{
		kind:     "github-token",
		keywords: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		re:       lazyRegexp(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b`),
	},
	{
		kind:     "gitlab-token",
		keywords: []string{"glpat-"},
		re:       lazyRegexp(`\bglpat-[A-Za-z0-9_-]{20,}`),
	},
	{
		kind:     "npm-token",
		keywords: []string{"npm_"},
		re:       lazyRegexp(`\bnpm_[A-Za-z0-9]{36}\b`),
	},
	{
		kind:     "aws-access-key-id",
		keywords: []string{"AKIA", "ASIA"},
		re:       lazyRegexp(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`),
	},
	{
		kind:     "slack-token",
		keywords: []string{"xox", "xapp-", "hooks.slack.com"},
		re:       lazyRegexp(`\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,})`),
	},
	{
		kind:     "google-api-key",
		keywords: []string{"AIza"},
		re:       lazyRegexp(`\bAIza[0-9A-Za-z_-]{35}`),
	},
	{
		kind:     "jwt",
		keywords: []string{"eyJ"},
		re:       lazyRegexp(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`),
	},
	{
		kind:     "bearer-token",
		keywords: spellings("authorization"),
		re:       lazyRegexp(`(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:bearer|token|basic)[ \t]+([A-Za-z0-9._~+/=-]{8,})`),
		group:    1,
		keep: func(sub []string, _ string) string {
			if constName().MatchString(sub[1]) {
				return "" // Bearer YOUR_KEY
			}
			return "bearer-token"
		},
	},
	{
		kind:     "password",
		keywords: []string{"://"},
		re:       lazyRegexp(`\b[A-Za-z][A-Za-z0-9+.-]*://([^\s:/@"'<>]*):([^\s/@"'<>]+)@`),
		group:    2,
		keep: func(sub []string, _ string) string {
			// "xxxxx" is the mask of Go's url.URL.Redacted: a password
			// already hidden.
			if strings.HasPrefix(sub[2], "$") || strings.HasPrefix(sub[2], markerPrefix) || sub[2] == "xxxxx" {
				return ""
			}
			return "password"
		},
	},
	{
		// A URL whose user name is itself the key (Sentry DSNs, some API
		// gateways: https://<key>@host/…) carries no password; the user name
		// is the secret when it looks random.
		kind:     "url-key",
		keywords: []string{"://"},
		re:       lazyRegexp(`\b[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9_-]{16,})@`),
		group:    1,
		keep: func(sub []string, _ string) string {
			if randomValue(sub[1]) {
				return "url-key"
			}
			return ""
		},
	},
}

// find appends what r finds in s to out, as priority prio.
func (r *rule) find(s string, prio int, out []finding) []finding {
	if !containsAny(s, r.keywords) {
		return out
	}
	if r.multiline {
		return r.match(s, 0, prio, out)
	}
	for pos := 0; pos < len(s); {
		end := lineEnd(s, pos)
		if line := s[pos:end]; containsAny(line, r.keywords) {
			out = r.match(line, pos, prio, out)
		}
		pos = end + 1
	}
	return out
}

// match appends r's matches in s, a part of the text starting at base.
func (r *rule) match(s string, base, prio int, out []finding) []finding {
	for _, m := range r.re().FindAllStringSubmatchIndex(s, -1) {
		start, end := m[2*r.group], m[2*r.group+1]
		if start < 0 || start == end {
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
		// A quoted value keeps its quotes: only the secret is replaced.
		if v := s[start:end]; len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			start, end = start+1, end-1
		}
		out = append(out, finding{span{base + start, base + end}, kind, prio})
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
