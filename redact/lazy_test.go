package redact

import (
	"regexp"
	"testing"
)

// TestLazyExpressions: every expression compiled on first use compiles
// (a bad one fails here, not on the first text that needs it), and once.
func TestLazyExpressions(t *testing.T) {
	exprs := []func() *regexp.Regexp{printfVerb, fileName, qualified, ulid, constName, dotted, ident}
	for _, r := range rules {
		exprs = append(exprs, r.re)
	}
	for i, re := range exprs {
		if a, b := re(), re(); a == nil || a != b {
			t.Errorf("expression %d: compiled to %p, then %p", i, a, b)
		}
	}
}
