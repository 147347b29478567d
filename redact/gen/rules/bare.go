package main

import (
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/zricethezav/gitleaks/v8/config"
)

// Most gitleaks rules find a secret only after a name or keyword that
// stands outside it (a MAILCHIMP_API_KEY variable, a "gocardless" field).
// Pasted alone in prose, a secret has no such context, but many still carry
// a literal of their own: a vendor prefix (dnkey-, pubkey-, NRII-, sqp_),
// an infix (the -us<N> of a Mailchimp key) or a fixed set of them (live_ or
// test_). A bare form is the pattern of such a secret, derived from the
// rule's secret group, for redact to run wherever one of those literals
// occurs.

// minBareLiteral is the shortest literal a bare form keys on: two bytes
// (su, b_, yc) start too many ordinary words.
const minBareLiteral = 3

// maxLiteralSet bounds the alternatives a literal set may hold.
const maxLiteralSet = 64

// bareForm is one bare form of a rule.
type bareForm struct {
	re       string   // the secret's pattern
	literals []string // lower case; every match holds one of them
	minLen   int      // the shortest match, in bytes
	maxLen   int      // the longest match, in bytes (0: no bound)
}

// bareForms returns the bare forms of r: one per secret group whose
// pattern holds a literal of minBareLiteral bytes or more, when the rule
// needs context outside the secret to find it — a name before it, or a
// keyword the secret does not hold. A secret group that starts with an
// optional literal prefix (sonar's (?:squ_|sqp_|sqa_)?) gives the form with
// the prefix, the only one that stands out alone.
func bareForms(r *config.Rule) ([]bareForm, error) {
	re := r.Regex.String()
	t, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return nil, err
	}
	named := strings.HasPrefix(re, `(?i)[\w.-]{0,50}?`) || strings.HasPrefix(re, `[\w.-]{0,50}?(?i:[\w.-]{0,50}?`)
	var out []bareForm
	for _, c := range secretGroups(t, r.SecretGroup) {
		sec := c.Sub[0]
		if sec.Op == syntax.OpConcat && len(sec.Sub) > 1 && sec.Sub[0].Op == syntax.OpQuest {
			required := *sec
			required.Sub = append([]*syntax.Regexp{sec.Sub[0].Sub[0]}, sec.Sub[1:]...)
			sec = &required
		}
		if _, fixed := exact(sec); fixed {
			continue // a fixed string (jwt-base64's fragments) is no secret's shape
		}
		lits := literals(sec)
		if len(lits) == 0 || minLength(lits) < minBareLiteral {
			continue
		}
		if !named && !keywordOutside(r.Keywords, lits) {
			continue // the rule finds the secret alone already
		}
		out = append(out, bareForm{re: sec.String(), literals: lits, minLen: minMatch(sec), maxLen: max(maxMatch(sec), 0)})
	}
	return out, nil
}

// secretGroups returns the capture groups that hold r's secret: the one
// the rule names, or every outermost group (gitleaks reports the first
// that matched).
func secretGroups(t *syntax.Regexp, group int) []*syntax.Regexp {
	var all, outer []*syntax.Regexp
	var walk func(t *syntax.Regexp, inCapture bool)
	walk = func(t *syntax.Regexp, inCapture bool) {
		if t.Op == syntax.OpCapture {
			all = append(all, t)
			if !inCapture {
				outer = append(outer, t)
			}
			inCapture = true
		}
		for _, s := range t.Sub {
			walk(s, inCapture)
		}
	}
	walk(t, false)
	if group > 0 {
		for _, c := range all {
			if c.Cap == group {
				return []*syntax.Regexp{c}
			}
		}
		return nil
	}
	return outer
}

// keywordOutside reports whether a secret holding one of lits may lack
// every keyword, so that the rule alone does not run on it.
func keywordOutside(keywords, lits []string) bool {
	for _, l := range lits {
		if !slices.ContainsFunc(keywords, func(k string) bool { return strings.Contains(l, strings.ToLower(k)) }) {
			return true
		}
	}
	return false
}

// literals returns a set of literals (lower case) one of which every match
// of t holds, the longest such set found, or nil.
func literals(t *syntax.Regexp) []string {
	if set, ok := exact(t); ok {
		return set
	}
	switch t.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return literals(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min > 0 {
			return literals(t.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range t.Sub {
			set := literals(sub)
			if set == nil {
				return nil
			}
			out = append(out, set...)
		}
		return dedupe(out)
	case syntax.OpConcat:
		// Runs of consecutive fixed parts are literals; so may be what a
		// part that is not fixed holds.
		var best []string
		consider := func(set []string) {
			if set != nil && minLength(set) > minLength(best) {
				best = set
			}
		}
		run := []string{""}
		for _, sub := range t.Sub {
			if set, ok := exact(sub); ok && len(run)*len(set) <= maxLiteralSet {
				run = cross(run, set)
				continue
			}
			consider(nonEmpty(run))
			consider(literals(sub))
			run = []string{""}
		}
		consider(nonEmpty(run))
		return best
	}
	return nil
}

// exact returns the strings t matches (lower case) when they are few.
func exact(t *syntax.Regexp) ([]string, bool) {
	switch t.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(t.Rune))}, true
	case syntax.OpCharClass:
		// A class of up to four characters, in either case: [%|], [Uu].
		var set []string
		for i := 0; i+1 < len(t.Rune); i += 2 {
			if t.Rune[i+1]-t.Rune[i] > 16 {
				return nil, false
			}
			for c := t.Rune[i]; c <= t.Rune[i+1]; c++ {
				if c >= 0x80 && t.Flags&syntax.FoldCase != 0 {
					continue // ſ and K (Kelvin), folded from s and k
				}
				if set = dedupe(append(set, strings.ToLower(string(c)))); len(set) > 4 {
					return nil, false
				}
			}
		}
		return set, true
	case syntax.OpCapture:
		return exact(t.Sub[0])
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range t.Sub {
			set, ok := exact(sub)
			if !ok || len(out)*len(set) > maxLiteralSet {
				return nil, false
			}
			out = cross(out, set)
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range t.Sub {
			set, ok := exact(sub)
			if !ok {
				return nil, false
			}
			out = append(out, set...)
		}
		return dedupe(out), len(out) <= maxLiteralSet
	case syntax.OpRepeat:
		set, ok := exact(t.Sub[0])
		if !ok || t.Min != t.Max || len(set) != 1 {
			return nil, false
		}
		return []string{strings.Repeat(set[0], t.Min)}, true
	}
	return nil, false
}

func cross(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return dedupe(out)
}

func dedupe(set []string) []string {
	slices.Sort(set)
	return slices.Compact(set)
}

// nonEmpty returns set unless it holds the empty string.
func nonEmpty(set []string) []string {
	if slices.Contains(set, "") {
		return nil
	}
	return set
}

// minLength returns the length of the shortest string of set (0 for none).
func minLength(set []string) int {
	if len(set) == 0 {
		return 0
	}
	n := len(set[0])
	for _, s := range set[1:] {
		n = min(n, len(s))
	}
	return n
}

// minMatch returns the length in bytes of the shortest string t matches.
func minMatch(t *syntax.Regexp) int {
	switch t.Op {
	case syntax.OpLiteral:
		n := 0
		for _, c := range t.Rune {
			n += len(string(c))
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minMatch(t.Sub[0])
	case syntax.OpRepeat:
		return t.Min * minMatch(t.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, sub := range t.Sub {
			n += minMatch(sub)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, sub := range t.Sub {
			if m := minMatch(sub); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0
}

// maxMatch returns the length in bytes of the longest ASCII string t
// matches, or -1 when there is no bound.
func maxMatch(t *syntax.Regexp) int {
	switch t.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		return len(t.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture:
		return maxMatch(t.Sub[0])
	case syntax.OpQuest:
		return maxMatch(t.Sub[0])
	case syntax.OpRepeat:
		m := maxMatch(t.Sub[0])
		if t.Max < 0 || m < 0 {
			return -1
		}
		return t.Max * m
	case syntax.OpConcat:
		n := 0
		for _, sub := range t.Sub {
			m := maxMatch(sub)
			if m < 0 {
				return -1
			}
			n += m
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, sub := range t.Sub {
			m := maxMatch(sub)
			if m < 0 {
				return -1
			}
			n = max(n, m)
		}
		return n
	}
	return -1 // star, plus
}
