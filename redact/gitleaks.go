package redact

import (
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:generate go -C gen run ./rules ../gitleaks_rules.go

// gitleaksRule is one rule of gitleaks' default rule set, as
// gitleaks_rules.go holds it. It is compiled the first time one of its
// keywords occurs in a text, so a process pays only for the rules its texts
// call for.
type gitleaksRule struct {
	id string
	re string
	// group is the submatch holding the secret (0: the first non-empty one,
	// or the whole match when there is none).
	group int
	// entropy is the Shannon entropy the secret must exceed (0: any).
	entropy float64
	// path restricts the rule to files whose name matches in gitleaks; text
	// here has no file name, so the rule runs on every text.
	path     string
	keywords []string
	allow    []*gitleaksAllow
	// bare are the shapes of the secret that stand out without the name
	// or keyword the rule needs (see bareForm).
	bare []*bareForm

	once sync.Once
	rx   *regexp.Regexp
	// needs are literals (lower case) every match holds: a window without
	// them is skipped. Only wide rules compute them.
	needs []string
	// opReach bounds, for a rule run anchored at its keywords, where the
	// operator of NAME = VALUE can be: the longest keyword, 20 more name
	// characters and 3 quotes or spaces.
	opReach int
	// How the rule runs (see gitleaksFindings): anchored at each keyword
	// (named rules), around its keywords over several lines (wide rules),
	// or on the lines around each keyword.
	how int
}

const (
	aroundLines = iota
	anchored
	anchoredToken // anchored, after a word boundary
	wide
)

// Rules gitleaks generates for NAME = VALUE start with up to 50 name
// characters before the keyword that names the secret (namePrefix, or
// namePrefixCased for rules whose keyword is case-sensitive); rules for a
// token with a known prefix start at a word boundary before it
// (tokenStart). Go's regexp engine runs the name prefix at some 500 ns a
// byte, so these rules run anchored at each keyword instead: where the
// match starts does not change which secret it finds.
const (
	namePrefix      = `(?i)[\w.-]{0,50}?`
	namePrefixCased = `[\w.-]{0,50}?(?i:[\w.-]{0,50}?`
	tokenStart      = `\b(`
	tokenStartFold  = `(?i)\b(`
)

func (r *gitleaksRule) compile() *regexp.Regexp {
	r.once.Do(func() {
		for _, k := range r.keywords {
			r.opReach = max(r.opReach, len(k)+24)
		}
		switch re := r.re; {
		case strings.HasPrefix(re, namePrefix):
			r.rx = regexp.MustCompile(`(?i)^` + re[len(namePrefix):])
			r.how = anchored
		case strings.HasPrefix(re, namePrefixCased):
			r.rx = regexp.MustCompile(`^(?i:` + re[len(namePrefixCased):])
			r.how = anchored
		case strings.HasPrefix(re, tokenStart) && r.keywordsLead(re[len(tokenStart):]):
			r.rx = regexp.MustCompile(`^(` + re[len(tokenStart):])
			r.how = anchoredToken
		case strings.HasPrefix(re, tokenStartFold) && r.keywordsLead(re[len(tokenStartFold):]):
			r.rx = regexp.MustCompile(`(?i)^(` + re[len(tokenStartFold):])
			r.how = anchoredToken
		case strings.Contains(re, `\s\S`) || strings.Contains(re, `(?s`) || strings.Contains(re, `\r\n`):
			// Private-key blocks, Kubernetes secrets, curl continuation lines.
			r.rx = regexp.MustCompile(re)
			r.how = wide
			if t, err := syntax.Parse(re, syntax.Perl); err == nil {
				r.needs = required(t.Simplify())
			}
		default:
			r.rx = regexp.MustCompile(re)
		}
	})
	return r.rx
}

// required returns literals (lower case, three bytes or more) that every
// match of t holds.
func required(t *syntax.Regexp) []string {
	switch t.Op {
	case syntax.OpLiteral:
		if len(t.Rune) >= 3 {
			return []string{strings.ToLower(string(t.Rune))}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return required(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min > 0 {
			return required(t.Sub[0])
		}
	case syntax.OpConcat:
		var out []string
		for _, sub := range t.Sub {
			out = append(out, required(sub)...)
		}
		return out
	case syntax.OpAlternate:
		// Only what every branch requires.
		out := required(t.Sub[0])
		for _, sub := range t.Sub[1:] {
			other := required(sub)
			kept := out[:0]
			for _, w := range out {
				if slices.Contains(other, w) {
					kept = append(kept, w)
				}
			}
			out = kept
		}
		return out
	}
	return nil
}

// containsLower reports whether s holds w (lower case), ignoring the case
// of ASCII letters in s.
func containsLower(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if toLower(s[i]) == w[0] && hasPrefixLower(s[i:], w) {
			return true
		}
	}
	return false
}

// keywordsLead reports whether every match of the pattern rest starts with
// one of r's keywords, so that running it at each keyword finds them all:
// rest starts with a literal that each keyword begins.
func (r *gitleaksRule) keywordsLead(rest string) bool {
	rest = strings.TrimPrefix(rest, "(?:")
	lit := rest
	if i := strings.IndexAny(rest, `\.+*?()|[]{}^$`); i >= 0 {
		lit = rest[:i]
	}
	lit = strings.ToLower(lit)
	if len(lit) < 2 || len(r.keywords) == 0 {
		return false
	}
	for _, k := range r.keywords {
		if !strings.HasPrefix(lit, strings.ToLower(k)) {
			return false
		}
	}
	return true
}

// gitleaksAllow is an allowlist: a finding it matches is not a secret.
type gitleaksAllow struct {
	// and requires every criterion to match, not just one.
	and bool
	// target is what regexes are matched against: the secret (""), the
	// whole "match" or the "line".
	target    string
	regexes   []string
	stopwords []string

	once sync.Once
	rx   *regexp.Regexp
	// stops indexes the stopwords by their first two bytes.
	stops map[uint16][]string
}

func (a *gitleaksAllow) compile() {
	a.once.Do(func() {
		if len(a.regexes) > 0 {
			alt := make([]string, len(a.regexes))
			for i, re := range a.regexes {
				alt[i] = "(?:" + re + ")"
			}
			a.rx = regexp.MustCompile(strings.Join(alt, "|"))
		}
		a.stops = map[uint16][]string{}
		for _, w := range a.stopwords {
			if len(w) < 2 {
				panic("redact: gitleaks stopword shorter than two bytes: " + w)
			}
			p := uint16(w[0])<<8 | uint16(w[1])
			a.stops[p] = append(a.stops[p], w)
		}
	})
}

// hasStopword reports whether s holds one of a's stopwords, ignoring case.
func (a *gitleaksAllow) hasStopword(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		for _, w := range a.stops[uint16(toLower(s[i]))<<8|uint16(toLower(s[i+1]))] {
			if hasPrefixLower(s[i:], w) {
				return true
			}
		}
	}
	return false
}

func (a *gitleaksAllow) allows(secret, match, line string) bool {
	a.compile()
	regexOK := false
	if len(a.regexes) > 0 {
		target := secret
		switch a.target {
		case "match":
			target = match
		case "line":
			target = line
		}
		regexOK = target != "" && a.rx.MatchString(target)
	}
	stopOK := len(a.stopwords) > 0 && a.hasStopword(secret)
	if a.and {
		return (len(a.regexes) == 0 || regexOK) && (len(a.stopwords) == 0 || stopOK)
	}
	return regexOK || stopOK
}

// keywordIndex finds the gitleaks rules whose keywords occur in a text in
// one pass over it, without lower-casing a copy: pairs marks the first two
// bytes (lower case) of every keyword, so most positions cost one lookup.
type keywordIndex struct {
	pairs  [1 << 16 / 64]uint64
	byPair map[uint16][]keyword
	// always are the rules without keywords, which run on every text.
	always []int
}

type keyword struct {
	word  string // lower case
	rules []int
	forms []formRef // the bare forms it is a literal of
}

var (
	keywordsOnce sync.Once
	keywords     *keywordIndex
)

func ruleKeywords() *keywordIndex {
	keywordsOnce.Do(func() {
		ix := &keywordIndex{byPair: map[uint16][]keyword{}}
		rulesOf := map[string][]int{}
		formsOf := map[string][]formRef{}
		var words []string
		for i, r := range gitleaksRules {
			if len(r.keywords) == 0 {
				ix.always = append(ix.always, i)
			}
			for _, k := range r.keywords {
				k = strings.ToLower(k)
				if rulesOf[k] == nil && formsOf[k] == nil {
					words = append(words, k)
				}
				rulesOf[k] = append(rulesOf[k], i)
			}
			for j, f := range r.bare {
				for _, k := range f.literals {
					if rulesOf[k] == nil && formsOf[k] == nil {
						words = append(words, k)
					}
					formsOf[k] = append(formsOf[k], formRef{i, j})
				}
			}
		}
		for _, w := range words {
			if len(w) < 2 {
				// A one-letter keyword would select its rules for nearly
				// every text; gitleaks has none.
				panic("redact: gitleaks keyword shorter than two bytes: " + w)
			}
			p := uint16(w[0])<<8 | uint16(w[1])
			ix.pairs[p/64] |= 1 << (p % 64)
			ix.byPair[p] = append(ix.byPair[p], keyword{w, rulesOf[w], formsOf[w]})
		}
		keywords = ix
	})
	return keywords
}

// toLower maps an ASCII upper-case letter to lower case.
func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixLower reports whether s starts with w (lower case), ignoring
// the case of ASCII letters in s.
func hasPrefixLower(s, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if toLower(s[i]) != w[i] {
			return false
		}
	}
	return true
}

// span is a byte range of a text.
type span struct{ start, end int }

// keywordHits are where the keywords of rules and the literals of bare
// forms start in a text (once per position).
type keywordHits struct {
	rules map[int][]int
	forms map[formRef][]int
}

// hits returns, for each rule with a keyword in s and each bare form with a
// literal in s, where they start.
func (ix *keywordIndex) hits(s string) keywordHits {
	var out keywordHits
	for i := 0; i+1 < len(s); i++ {
		p := uint16(toLower(s[i]))<<8 | uint16(toLower(s[i+1]))
		if ix.pairs[p/64]&(1<<(p%64)) == 0 {
			continue
		}
		for _, k := range ix.byPair[p] {
			if !hasPrefixLower(s[i:], k.word) {
				continue
			}
			for _, r := range k.rules {
				if out.rules == nil {
					out.rules = map[int][]int{}
				}
				if hs := out.rules[r]; len(hs) == 0 || hs[len(hs)-1] != i {
					out.rules[r] = append(hs, i)
				}
			}
			for _, f := range k.forms {
				if out.forms == nil {
					out.forms = map[formRef][]int{}
				}
				if hs := out.forms[f]; len(hs) == 0 || hs[len(hs)-1] != i {
					out.forms[f] = append(hs, i)
				}
			}
		}
	}
	for _, r := range ix.always {
		if out.rules == nil {
			out.rules = map[int][]int{}
		}
		out.rules[r] = []int{0}
	}
	return out
}

// windows turns keyword positions into the parts of s to run a rule on:
// from the line before each keyword's line to the line after, widened by
// above and below bytes, in whole lines, merged where they overlap.
func windows(s string, hits []int, above, below int) []span {
	var ws []span
	for _, pos := range hits {
		if n := len(ws); n > 0 && pos < ws[n-1].end {
			continue
		}
		w := span{lineStart(s, max(0, pos-above)), lineEnd(s, min(len(s), pos+below))}
		w.start = lineStart(s, w.start-1)
		w.end = lineEnd(s, w.end+1)
		if n := len(ws); n > 0 && w.start <= ws[n-1].end {
			ws[n-1].end = w.end
		} else {
			ws = append(ws, w)
		}
	}
	return ws
}

// lineStart returns the start of the line holding s[pos] (0 for pos < 0).
func lineStart(s string, pos int) int {
	if pos <= 0 {
		return 0
	}
	return strings.LastIndexByte(s[:pos], '\n') + 1
}

// lineEnd returns the end of the line holding s[pos], its newline excluded.
func lineEnd(s string, pos int) int {
	if pos >= len(s) {
		return len(s)
	}
	if i := strings.IndexByte(s[pos:], '\n'); i >= 0 {
		return pos + i
	}
	return len(s)
}

// gitleaksFindings returns the secrets gitleaks' rules find in s that known
// (what other finders found) does not already cover, and those their bare
// forms find. Only the rules with a keyword in s run, each on the parts of
// s around its keywords; only the bare forms with a literal in s run, each
// on the tokens holding it.
func gitleaksFindings(s string, known []finding) []finding {
	hits := ruleKeywords().hits(s)
	if len(hits.rules) == 0 && len(hits.forms) == 0 {
		return nil
	}
	ids := make([]int, 0, len(hits.rules))
	for i := range hits.rules {
		ids = append(ids, i)
	}
	sort.Ints(ids) // a deterministic order, for the kind overlaps get
	var out []finding
	for _, i := range ids {
		out = append(out, gitleaksFindingsFor(s, i, hits.rules[i], known)...)
	}
	forms := make([]formRef, 0, len(hits.forms))
	for f := range hits.forms {
		forms = append(forms, f)
	}
	sort.Slice(forms, func(i, j int) bool {
		return forms[i].rule < forms[j].rule || forms[i].rule == forms[j].rule && forms[i].form < forms[j].form
	})
	for _, f := range forms {
		r := gitleaksRules[f.rule]
		out = append(out, bareFindings(s, r, r.bare[f.form], hits.forms[f])...)
	}
	return out
}

// gitleaksFindingsFor returns what rule i finds in s around its keywords
// at hits, and known does not cover.
func gitleaksFindingsFor(s string, i int, hits []int, known []finding) []finding {
	r := gitleaksRules[i]
	rx := r.compile()
	var out []finding
	switch r.how {
	case anchored, anchoredToken:
		for _, pos := range hits {
			if r.how == anchoredToken && pos > 0 && isWordByte(s[pos-1]) {
				continue // \b
			}
			if r.how == anchored && !strings.ContainsAny(s[pos:min(len(s), pos+r.opReach)], "=:>,|") {
				continue // no operator after the name: not an assignment
			}
			reach := tokenReach
			if r.how == anchored {
				reach = nameReach
			}
			part := s[pos:min(len(s), pos+reach)]
			if m := rx.FindStringSubmatchIndex(part); m != nil {
				if f, ok := r.check(s, pos, m, known); ok {
					out = append(out, f)
				}
			}
		}
	default:
		reach := 0
		if r.how == wide {
			reach = wideReach
		}
	windows:
		for _, w := range windows(s, hits, reach, reach) {
			for _, need := range r.needs {
				if !containsLower(s[w.start:w.end], need) {
					continue windows
				}
			}
			for _, m := range rx.FindAllStringSubmatchIndex(s[w.start:w.end], -1) {
				if f, ok := r.check(s, w.start, m, known); ok {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// Reach of the rules around their keywords. A NAME = VALUE match ends
// within nameReach bytes of its keyword (up to 34 bytes of keyword, 20 more
// of name, quotes and an operator, a value of up to 150); a token within
// tokenReach; a wide rule's (a Kubernetes secret's kind and data, a curl
// command and its header) within wideReach bytes either side. The shorter
// the part, the less Go's backtracking matcher clears per attempt.
const (
	nameReach  = 256
	tokenReach = 1024
	wideReach  = 512
)

// check applies r's secret group, entropy threshold and allowlists to one
// match m (offsets relative to base) and returns the secret it found,
// unless known covers it already (which spares the allowlists).
func (r *gitleaksRule) check(s string, base int, m []int, known []finding) (finding, bool) {
	match := span{base + m[0], base + m[1]}
	if r.how == anchored {
		// The match as gitleaks sees it starts up to 50 name characters
		// earlier; its allowlists look at that.
		for k := 0; k < 50 && match.start > 0 && isIdentByte(s[match.start-1]); k++ {
			match.start--
		}
	}
	// gitleaks trims newlines from a match.
	for match.start < match.end && s[match.start] == '\n' {
		match.start++
	}
	for match.end > match.start && s[match.end-1] == '\n' {
		match.end--
	}
	secret := match
	if r.group > 0 && 2*r.group+1 < len(m) {
		secret = span{base + m[2*r.group], base + m[2*r.group+1]}
	} else if r.group == 0 {
		for g := 1; 2*g+1 < len(m); g++ {
			if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
				secret = span{base + m[2*g], base + m[2*g+1]}
				break
			}
		}
	}
	if secret.start < 0 || secret.end <= secret.start {
		return finding{}, false
	}
	sec := s[secret.start:secret.end]
	wide := widen(s, secret)
	for _, k := range known {
		if k.start <= wide.start && wide.end <= k.end && !placeholder(s[k.start:k.end]) {
			return finding{}, false
		}
	}
	if r.entropy != 0 && entropy(sec) <= r.entropy {
		return finding{}, false
	}
	line := s[lineStart(s, match.start):lineEnd(s, match.end)]
	for _, a := range gitleaksGlobal {
		if a.allows(sec, s[match.start:match.end], line) {
			return finding{}, false
		}
	}
	for _, a := range r.allow {
		if a.allows(sec, s[match.start:match.end], line) {
			return finding{}, false
		}
	}
	prio := prioGitleaks
	if r.id == "generic-api-key" {
		prio = prioGeneric
	}
	return finding{wide, r.id, prio}, true
}

// widen extends sp over the base64 token it is part of: some rules report
// a few bytes of a longer token (jwt-base64 reports part of the encoded
// header), and the rest of the token is as secret.
func widen(s string, sp span) span {
	for sp.start > 0 && isBase64Byte(s[sp.start-1]) {
		sp.start--
	}
	for sp.end < len(s) && isBase64Byte(s[sp.end]) {
		sp.end++
	}
	for sp.end < len(s) && s[sp.end] == '=' && sp.end-sp.start > 0 {
		sp.end++
	}
	return sp
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

func isBase64Byte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// entropy returns the Shannon entropy of s in bits per character, as
// gitleaks computes it (frequencies of runes over the length in bytes).
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var ascii [128]int
	var other map[rune]int
	for _, c := range s {
		if c < 128 {
			ascii[c]++
			continue
		}
		if other == nil {
			other = map[rune]int{}
		}
		other[c]++
	}
	inv := 1 / float64(len(s))
	var e float64
	add := func(n int) {
		if n > 0 {
			f := float64(n) * inv
			e -= f * math.Log2(f)
		}
	}
	for _, n := range ascii {
		add(n)
	}
	for _, n := range other {
		add(n)
	}
	return e
}
