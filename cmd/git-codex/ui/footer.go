package ui

import (
	"fmt"
	"strconv"
)

// Usage is what a turn used, for the footer under an answer.
type Usage struct {
	Input, Cached, Output int
	// Cost is the turn's cost in US dollars; CostKnown says whether it is
	// known (a price for the model is configured).
	Cost      float64
	CostKnown bool
}

// Footer is the line under an answer: "tokens 12,345 in (10,240 cached) /
// 321 out · $0.0123". The cached part is left out when nothing was cached,
// the cost when it is not known; the line is painted dim.
func Footer(u Usage, p Palette) string {
	s := "tokens " + Thousands(u.Input) + " in"
	if u.Cached > 0 {
		s += " (" + Thousands(u.Cached) + " cached)"
	}
	s += " / " + Thousands(u.Output) + " out"
	if u.CostKnown {
		s += " · " + dollars(u.Cost)
	}
	return p.Paint(SlotDim, s)
}

// Thousands writes n with commas: 12345 → "12,345".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// dollars shows a cost with the precision small amounts need: $1.23,
// $0.0123, $0.000042.
func dollars(c float64) string {
	switch {
	case c >= 1:
		return fmt.Sprintf("$%.2f", c)
	case c >= 0.01:
		return fmt.Sprintf("$%.4f", c)
	case c == 0:
		return "$0"
	}
	return fmt.Sprintf("$%.6f", c)
}
