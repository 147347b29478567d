// Package utils stands in for gitleaks' cmd/generate/config/utils/validate.go
// when gen.sh builds gitleaks' rule generator (go build -overlay): instead of
// stopping at the first sample a rule fails, it records every true- and
// false-positive sample each rule is validated against, with the secrets the
// rule finds in it, as JSON lines appended to $CORPUS_OUT. Only this file is
// replaced; the rules and the sample generation are gitleaks' own.
package utils

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/zricethezav/gitleaks/v8/cmd/generate/config/base"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
)

// sample is one line of the corpus.
type sample struct {
	Rule string `json:"rule"`
	// TP is true for a true-positive sample, false for a false positive.
	TP   bool   `json:"tp"`
	Path string `json:"path,omitempty"`
	Text string `json:"text"`
	// Secrets are the values the rule itself reports in Text.
	Secrets []string `json:"secrets,omitempty"`
	// Flagged, for a false positive, names the rules of gitleaks' whole
	// default set that report it all the same (it is another rule's true
	// positive, or gitleaks' own false alarm).
	Flagged []string `json:"flagged,omitempty"`
}

var (
	fullOnce sync.Once
	full     *detect.Detector
)

// fullDetector returns a detector with gitleaks' whole default rule set.
func fullDetector() *detect.Detector {
	fullOnce.Do(func() {
		d, err := detect.NewDetectorDefaultConfig()
		if err != nil {
			panic(err)
		}
		full = d
	})
	return full
}

func Validate(rule config.Rule, truePositives []string, falsePositives []string) *config.Rule {
	r := &rule
	d := detector(r)
	for _, tp := range truePositives {
		record(d, sample{Rule: r.RuleID, TP: true, Text: tp})
	}
	for _, fp := range falsePositives {
		record(d, sample{Rule: r.RuleID, Text: fp})
	}
	return r
}

func ValidateWithPaths(rule config.Rule, truePositives map[string]string, falsePositives map[string]string) *config.Rule {
	r := &rule
	d := detector(r)
	for path, tp := range truePositives {
		record(d, sample{Rule: r.RuleID, TP: true, Path: path, Text: tp})
	}
	for path, fp := range falsePositives {
		record(d, sample{Rule: r.RuleID, Path: path, Text: fp})
	}
	return r
}

func record(d *detect.Detector, s sample) {
	for _, f := range d.Detect(detect.Fragment{Raw: s.Text, FilePath: s.Path}) {
		if f.Secret != "" {
			s.Secrets = append(s.Secrets, f.Secret)
		}
	}
	if !s.TP {
		seen := map[string]bool{}
		for _, f := range fullDetector().Detect(detect.Fragment{Raw: s.Text, FilePath: s.Path}) {
			if !seen[f.RuleID] {
				seen[f.RuleID] = true
				s.Flagged = append(s.Flagged, f.RuleID)
			}
		}
		sort.Strings(s.Flagged)
	}
	line, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	out, err := os.OpenFile(os.Getenv("CORPUS_OUT"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		panic(err)
	}
	defer out.Close()
	if _, err := out.Write(append(line, '\n')); err != nil {
		panic(err)
	}
}

// detector returns a detector that runs only r, set up as gitleaks' own
// validation does (lower-cased keywords, the global allowlists).
func detector(r *config.Rule) *detect.Detector {
	seen := map[string]struct{}{}
	var keywords []string
	for _, k := range r.Keywords {
		k = strings.ToLower(k)
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			keywords = append(keywords, k)
		}
	}
	r.Keywords = keywords
	cfg := base.CreateGlobalConfig()
	cfg.Rules = map[string]config.Rule{r.RuleID: *r}
	cfg.Keywords = seen
	return detect.NewDetector(cfg)
}
