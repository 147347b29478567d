package pricing

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBuiltinTable(t *testing.T) {
	if _, err := time.Parse(time.DateOnly, Date); err != nil {
		t.Fatalf("Date %q is not a date: %v", Date, err)
	}
	tb := Builtin()
	if len(tb.Models()) == 0 {
		t.Fatal("empty built-in table")
	}
	for _, m := range tb.Models() {
		p, _ := tb.Lookup(m)
		// Sanity of the transcription: cached input is discounted input,
		// output costs more than input.
		if p.Input <= 0 || p.Cached <= 0 || p.Cached > p.Input || p.Output <= p.Input || p.Source != "built-in "+Date {
			t.Errorf("%s: implausible price %+v", m, p)
		}
	}
	// The default model (SPEC §3) is priced.
	if _, ok := tb.Lookup("gpt-5"); !ok {
		t.Error("gpt-5 has no built-in price")
	}
}

func TestLookup(t *testing.T) {
	tb, err := New(map[string]string{
		"codex.price.my-local.input":          "0",
		"codex.price.my-local.output":         "0",
		"codex.price.gpt-5-2025-08-07.input":  "2",
		"codex.price.gpt-5-2025-08-07.output": "20",
	})
	if err != nil {
		t.Fatal(err)
	}
	gpt5, _ := Builtin().Lookup("gpt-5")
	tests := []struct {
		model  string
		ok     bool
		input  float64
		source string
	}{
		{"gpt-5", true, gpt5.Input, "built-in " + Date},
		{"GPT-5", true, gpt5.Input, "built-in " + Date},
		{" gpt-5 ", true, gpt5.Input, "built-in " + Date},
		{"gpt-5-2025-08-07", true, 2, "git config"}, // exact beats the alias
		{"gpt-5-2026-01-15", true, gpt5.Input, "built-in " + Date},
		{"gpt-5-mini-2025-08-07", true, 0.25, "built-in " + Date},
		{"my-local", true, 0, "git config"},
		{"gpt-5-turbo", false, 0, ""},
		{"gpt-5-2025", false, 0, ""},
		{"llama3", false, 0, ""},
		{"", false, 0, ""},
	}
	for _, tt := range tests {
		p, ok := tb.Lookup(tt.model)
		if ok != tt.ok || p.Input != tt.input || p.Source != tt.source {
			t.Errorf("Lookup(%q) = %+v %v, want input %v source %q ok %v", tt.model, p, ok, tt.input, tt.source, tt.ok)
		}
	}
}

func TestCost(t *testing.T) {
	tb, err := New(map[string]string{
		"codex.price.m.input":        "2",
		"codex.price.m.cached":       "0.5",
		"codex.price.m.output":       "8",
		"codex.price.nocache.input":  "1",
		"codex.price.nocache.output": "3",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		model string
		u     Usage
		want  float64
		ok    bool
	}{
		// 400 uncached × $2 + 800 cached × $0.5 + 90 output × $8, per million.
		{"cached input is part of input", "m", Usage{Input: 1200, Cached: 800, Output: 90}, 0.00192, true},
		{"a million input tokens cost the input price", "m", Usage{Input: 1_000_000}, 2, true},
		{"without a cached price cached tokens cost input", "nocache", Usage{Input: 1000, Cached: 1000}, 0.001, true},
		{"nothing used costs nothing", "m", Usage{}, 0, true},
		{"more cached than input is not negative", "m", Usage{Input: 10, Cached: 20}, 0.00001, true},
		{"unknown model is unknown, not zero", "mystery", Usage{Input: 1000, Output: 1000}, 0, false},
		{"unknown even when nothing was used", "mystery", Usage{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tb.Cost(tt.model, tt.u)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Cost = %v %v, want %v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNewOverridesAndErrors(t *testing.T) {
	t.Run("one field overrides a built-in price", func(t *testing.T) {
		tb, err := New(map[string]string{"codex.price.gpt-5.output": "12", "core.editor": "vi"})
		if err != nil {
			t.Fatal(err)
		}
		base, _ := Builtin().Lookup("gpt-5")
		p, _ := tb.Lookup("gpt-5")
		if p.Output != 12 || p.Input != base.Input || p.Cached != base.Cached || p.Source != "git config" {
			t.Errorf("gpt-5 = %+v", p)
		}
	})
	t.Run("key case as git reports it", func(t *testing.T) {
		// git lower-cases the section and the variable, keeps the subsection.
		tb, err := New(map[string]string{"codex.price.My-Model.INPUT": "1", "Codex.Price.My-Model.output": "2"})
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := tb.Lookup("my-model"); !ok || p.Input != 1 || p.Output != 2 || p.Cached != 1 {
			t.Errorf("my-model = %+v %v", p, ok)
		}
	})
	tests := []struct {
		name   string
		config map[string]string
		want   []string
	}{
		{"not a number", map[string]string{"codex.price.gpt-5.input": "$1.25"}, []string{`codex.price.gpt-5.input: "$1.25" is not a price`}},
		{"negative", map[string]string{"codex.price.gpt-5.input": "-1"}, []string{`"-1" is not a price`}},
		{"unknown field", map[string]string{"codex.price.gpt-5.cache": "1"}, []string{`unknown price "cache"`}},
		{"no model", map[string]string{"codex.price.input": "1"}, []string{"codex.price.input: want codex.price.<model>"}},
		{"new model without output", map[string]string{"codex.price.x.input": "1"}, []string{"codex.price.x: set both .input and .output"}},
		{"every problem at once", map[string]string{"codex.price.x.input": "1", "codex.price.y.output": "z"}, []string{"codex.price.x:", "codex.price.y.output:"}},
		// A bad value is the problem; that the model then lacks it is not another.
		{"a bad output", map[string]string{"codex.price.x.input": "1", "codex.price.x.output": "lots"}, []string{`codex.price.x.output: "lots" is not a price`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := New(tt.config)
			if err == nil || tb != nil {
				t.Fatalf("New = %v, %v; want an error", tb, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.name == "a bad output" && strings.Contains(err.Error(), "set both") {
				t.Errorf("error %q also asks for the value it found bad", err)
			}
		})
	}
}

func TestAmount(t *testing.T) {
	tb := Builtin()
	turn := Usage{Input: 10_000, Cached: 8_000, Output: 500}
	priced := tb.Amount("gpt-5", turn)
	unpriced := tb.Amount("mystery", turn)
	want, _ := tb.Cost("gpt-5", turn)
	tests := []struct {
		name  string
		a     Amount
		str   string
		json  string
		known bool
	}{
		{"nothing", Amount{}, "$0.00", `{"usd":0}`, true},
		{"one priced turn", priced, FormatUSD(want), "", true},
		{"one unpriced turn", unpriced, "unknown", `{"usd":null,"unpriced":1}`, false},
		{"a session with both", priced.Add(priced).Add(unpriced), FormatUSD(2*want) + " + unknown", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.String(); got != tt.str {
				t.Errorf("String = %q, want %q", got, tt.str)
			}
			if tt.a.Known() != tt.known {
				t.Errorf("Known = %v", tt.a.Known())
			}
			b, err := json.Marshal(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			if tt.json != "" && string(b) != tt.json {
				t.Errorf("JSON = %s, want %s", b, tt.json)
			}
		})
	}
	if s := priced.Add(priced).Add(unpriced); s.Priced != 2 || s.Unpriced != 1 || math.Abs(s.USD-2*want) > 1e-15 {
		t.Errorf("sum = %+v", s)
	}
}

func TestFormatUSD(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "$0.00"},
		{12.345, "$12.35"},
		{1, "$1.00"},
		{0.0123, "$0.0123"},
		{0.01, "$0.0100"},
		{0.0045, "$0.0045"},
		{0.00045, "$0.00045"},
		{0.000012345, "$0.000012"},
		{-0.5, "-$0.5000"},
	}
	for _, tt := range tests {
		if got := FormatUSD(tt.v); got != tt.want {
			t.Errorf("FormatUSD(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
