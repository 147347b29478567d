// Package pricing turns token usage into money for the cost ledger: prices
// per model (input, cached input and output tokens, in US dollars per
// million tokens) from a small built-in table of OpenAI's published prices,
// overridden by the git config values the caller reads
// (codex.price.<model>.input|cached|output). A model without a price costs
// "unknown", never zero.
//
// It reads neither git nor the environment (the command layer passes the
// config values) and must not import another package of this module.
package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Date is the day the built-in prices were read from OpenAI's model pages.
// Prices change: git config overrides them (codex.price.<model>.input …).
const Date = "2026-12-01"

// Source of the built-in prices: the "Text tokens, per 1M tokens" table of
// each model's page, https://developers.openai.com/api/docs/models/<model>
// (see also https://developers.openai.com/api/docs/pricing), standard tier,
// read on Date. Models whose three prices were not all confirmed there are
// left out rather than guessed: they cost "unknown" until configured.
var builtin = map[string]Price{
	// gpt-5: input $1.25 on OpenAI's quick comparison; cached and output as
	// on the GPT-5-Codex page, "a version of GPT-5", at the same input price.
	"gpt-5":       {Input: 1.25, Cached: 0.125, Output: 10.00},
	"gpt-5-codex": {Input: 1.25, Cached: 0.125, Output: 10.00},
	"gpt-5-mini":  {Input: 0.25, Cached: 0.025, Output: 2.00},
	"gpt-5-nano":  {Input: 0.05, Cached: 0.005, Output: 0.40},
}

// ConfigPrefix starts the git config keys of prices:
// codex.price.<model>.input, .cached and .output.
const ConfigPrefix = "codex.price."

// Price is what a model's tokens cost, in US dollars per million tokens.
type Price struct {
	Input  float64 `json:"input"`
	Cached float64 `json:"cached"`
	Output float64 `json:"output"`
	// Source says where the price comes from: "built-in <Date>" or "git
	// config".
	Source string `json:"source"`
}

// Usage is a token count. Input includes Cached, as the OpenAI API reports
// it (input_tokens and input_tokens_details.cached_tokens).
type Usage struct {
	Input, Cached, Output int
}

// Table holds the prices of known models.
type Table struct {
	prices map[string]Price // by lower-case model name
}

// Builtin returns the built-in table alone.
func Builtin() *Table {
	t := &Table{prices: make(map[string]Price, len(builtin))}
	for m, p := range builtin {
		p.Source = "built-in " + Date
		t.prices[m] = p
	}
	return t
}

// New returns the built-in table overridden by config, a map of git config
// keys to values (keys not under ConfigPrefix are ignored). A configured
// field replaces the built-in one; a model the built-in table lacks needs
// input and output, and its cached price defaults to the input price (no
// discount known). It returns an error naming every bad key: a value that
// is not a non-negative number of dollars per million tokens, an unknown
// field, a model with input or output missing.
func New(config map[string]string) (*Table, error) {
	t := Builtin()
	type fields struct {
		p                   Price
		input, cached, outp bool
	}
	set := map[string]*fields{}
	bad := map[string]bool{} // models with a value already reported
	var problems []string
	for key, val := range config {
		rest, ok := cutPrefixFold(key, ConfigPrefix)
		if !ok {
			continue
		}
		dot := strings.LastIndexByte(rest, '.')
		if dot <= 0 {
			problems = append(problems, fmt.Sprintf("%s: want %s<model>.input, .cached or .output", key, ConfigPrefix))
			continue
		}
		model, field := strings.ToLower(rest[:dot]), strings.ToLower(rest[dot+1:])
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			problems = append(problems, fmt.Sprintf("%s: %q is not a price (US dollars per million tokens, e.g. 1.25)", key, val))
			bad[model] = true
			continue
		}
		f := set[model]
		if f == nil {
			f = &fields{}
			if p, ok := t.prices[model]; ok {
				f.p, f.input, f.cached, f.outp = p, true, true, true
			}
			set[model] = f
		}
		switch field {
		case "input":
			f.p.Input, f.input = v, true
		case "cached":
			f.p.Cached, f.cached = v, true
		case "output":
			f.p.Output, f.outp = v, true
		default:
			problems = append(problems, fmt.Sprintf("%s: unknown price %q; want input, cached or output", key, field))
			continue
		}
		f.p.Source = "git config"
	}
	for model, f := range set {
		if bad[model] {
			continue
		}
		if !f.input || !f.outp {
			problems = append(problems, fmt.Sprintf("%s%s: set both .input and .output (.cached defaults to the input price)", ConfigPrefix, model))
			continue
		}
		if !f.cached {
			f.p.Cached = f.p.Input
		}
		t.prices[model] = f.p
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("read prices: %w", errors.New(strings.Join(problems, "; ")))
	}
	return t, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// snapshot matches a dated model snapshot: gpt-5-2025-08-07.
var snapshot = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+)-\d{4}-\d{2}-\d{2}$`) })

// Lookup returns the price of model: the exact name (case aside), else, for
// a dated snapshot such as gpt-5-2025-08-07, the price of its alias gpt-5.
func (t *Table) Lookup(model string) (Price, bool) {
	m := strings.ToLower(strings.TrimSpace(model))
	if m == "" {
		return Price{}, false
	}
	if p, ok := t.prices[m]; ok {
		return p, true
	}
	if sub := snapshot().FindStringSubmatch(m); sub != nil {
		if p, ok := t.prices[sub[1]]; ok {
			return p, true
		}
	}
	return Price{}, false
}

// Models lists the priced models, sorted.
func (t *Table) Models() []string {
	out := make([]string, 0, len(t.prices))
	for m := range t.prices {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Cost returns what usage cost in US dollars with model, and false when the
// model has no price (the cost is unknown, not zero): uncached input at the
// input price, cached input at the cached price, output at the output price.
func (t *Table) Cost(model string, u Usage) (float64, bool) {
	p, ok := t.Lookup(model)
	if !ok {
		return 0, false
	}
	return p.Cost(u), true
}

// Cost returns what usage cost in US dollars at this price.
func (p Price) Cost(u Usage) float64 {
	uncached := max(u.Input-u.Cached, 0)
	return (float64(uncached)*p.Input + float64(u.Cached)*p.Cached + float64(u.Output)*p.Output) / 1e6
}

// Amount is a sum of costs that keeps count of what had no price: a turn,
// session, topic, run or branch total.
type Amount struct {
	USD float64
	// Priced and Unpriced count the items added with and without a price.
	Priced, Unpriced int
}

// Amount returns the cost of one item (a turn) as an Amount.
func (t *Table) Amount(model string, u Usage) Amount {
	if usd, ok := t.Cost(model, u); ok {
		return Amount{USD: usd, Priced: 1}
	}
	return Amount{Unpriced: 1}
}

// Add returns the sum of a and b.
func (a Amount) Add(b Amount) Amount {
	return Amount{USD: a.USD + b.USD, Priced: a.Priced + b.Priced, Unpriced: a.Unpriced + b.Unpriced}
}

// Known reports whether every item added had a price.
func (a Amount) Known() bool { return a.Unpriced == 0 }

// String formats the amount: "$0.0123"; "unknown" when nothing added had a
// price; "$0.0123 + unknown" when only some had.
func (a Amount) String() string { return string(a.Append(nil)) }

// Append appends a.String() to b.
func (a Amount) Append(b []byte) []byte {
	switch {
	case a.Unpriced > 0 && a.Priced == 0:
		return append(b, "unknown"...)
	case a.Unpriced > 0:
		return append(AppendUSD(b, a.USD), " + unknown"...)
	}
	return AppendUSD(b, a.USD)
}

// MarshalJSON writes {"usd": 0.0123} and, when some items had no price,
// "unpriced": n; usd is null when none had one.
func (a Amount) MarshalJSON() ([]byte, error) {
	v := struct {
		USD      *float64 `json:"usd"`
		Unpriced int      `json:"unpriced,omitempty"`
	}{Unpriced: a.Unpriced}
	if a.Priced > 0 || a.Unpriced == 0 {
		usd := a.USD
		v.USD = &usd
	}
	return json.Marshal(v)
}

// FormatUSD formats dollars for people: two decimals from $1, four below,
// and two significant digits below a cent ("$12.34", "$0.0123",
// "$0.00045"); "$0.00" for nothing.
func FormatUSD(v float64) string { return string(AppendUSD(nil, v)) }

// AppendUSD appends FormatUSD(v) to b.
func AppendUSD(b []byte, v float64) []byte {
	switch {
	case v == 0:
		return append(b, "$0.00"...)
	case v < 0:
		return AppendUSD(append(b, '-'), -v)
	case v >= 1:
		return strconv.AppendFloat(append(b, '$'), v, 'f', 2, 64)
	case v >= 0.01:
		return strconv.AppendFloat(append(b, '$'), v, 'f', 4, 64)
	}
	digits := int(-math.Floor(math.Log10(v))) + 1
	return strconv.AppendFloat(append(b, '$'), v, 'f', digits, 64)
}
