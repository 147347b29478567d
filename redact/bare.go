package redact

import (
	"regexp"
	"strings"
	"sync"
)

// bareForm is a shape of a gitleaks rule's secret that stands out without
// the name or keyword the rule finds it by: its pattern holds a literal of
// three bytes or more (a vendor prefix such as dnkey- or sqp_, the -us<N>
// that ends a Mailchimp key). redact/gen/rules derives the forms from each
// rule's secret group; they run, like the rules, only where one of their
// literals occurs, on the token around it.
type bareForm struct {
	re string
	// literals (lower case): every match holds one of them.
	literals []string
	// minLen is the length of the shortest match: a shorter token is
	// skipped without running the pattern.
	minLen int
	// maxLen is the length of the longest match (0: no bound), which
	// bounds the part of a token the pattern runs on.
	maxLen int

	once sync.Once
	rx   *regexp.Regexp
}

func (f *bareForm) compile() *regexp.Regexp {
	f.once.Do(func() { f.rx = regexp.MustCompile(f.re) })
	return f.rx
}

// formRef names form form of rule rule (indexes into gitleaksRules and
// its bare forms).
type formRef struct{ rule, form int }

// bareFindings returns the secrets of rule r's bare form f in s around
// hits, the positions of its literals: in the token holding each hit,
// every match that no letter or digit continues, which passes r's entropy
// threshold and allowlists.
//
// The pattern runs on the part of the token a match holding the hit can
// span (maxBareReach bytes at most either side), and the hits that part
// covers are not looked at again, so that a long token full of literals
// (AAAA…, patpatpat…) costs time in proportion to its length.
func bareFindings(s string, r *gitleaksRule, f *bareForm, hits []int) []finding {
	reach := f.maxLen
	if reach == 0 || reach > maxBareReach {
		reach = maxBareReach
	}
	var out []finding
	next := -1 // hits before next are covered
	for _, pos := range hits {
		if pos < next {
			continue
		}
		next = pos + reach
		w := bareTokenAround(s, pos, reach)
		if w.end-w.start < f.minLen {
			continue
		}
		for _, m := range f.compile().FindAllStringIndex(s[w.start:w.end], -1) {
			sp := span{w.start + m[0], w.start + m[1]}
			if sp.start > 0 && isAlnum(s[sp.start-1]) || sp.end < len(s) && isAlnum(s[sp.end]) {
				continue // part of a longer word
			}
			if r.allowsBare(s, sp) {
				continue
			}
			out = append(out, finding{sp, r.id, prioBare})
		}
	}
	return out
}

// allowsBare reports whether r's entropy threshold or an allowlist lets
// the secret s[sp] stand.
func (r *gitleaksRule) allowsBare(s string, sp span) bool {
	sec := s[sp.start:sp.end]
	if r.entropy != 0 && entropy(sec) <= r.entropy {
		return true
	}
	line := s[lineStart(s, sp.start):lineEnd(s, sp.end)]
	for _, a := range gitleaksGlobal {
		if a.allows(sec, sec, line) {
			return true
		}
	}
	for _, a := range r.allow {
		if a.allows(sec, sec, line) {
			return true
		}
	}
	return false
}

// maxBareReach bounds how far from a literal a bare form's match may
// extend.
const maxBareReach = 1024

// bareTokenAround returns the part of the token holding s[pos] that lies
// less than reach bytes before pos and 2*reach after: the token is the
// bytes around pos up to white space, a quote, a bracket, ',', ';', a
// backslash or non-ASCII.
func bareTokenAround(s string, pos, reach int) span {
	start, end := pos, pos
	for low := max(0, pos-reach); start > low && !isBareSep(s[start-1]); {
		start--
	}
	for high := min(len(s), pos+2*reach); end < high && !isBareSep(s[end]); {
		end++
	}
	return span{start, end}
}

func isBareSep(c byte) bool {
	return c >= 0x80 || strings.IndexByte(" \t\n\r\"'`()[]{}<>,;\\", c) >= 0
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
