package redact

import "sync"

// Forget drops everything compiled lazily (the keyword index, gitleaks'
// rules and allowlists, the letter-pair table), so that a benchmark can
// measure what the first call in a process costs.
func Forget() {
	keywordsOnce, keywords = sync.Once{}, nil
	pairsOnce = sync.Once{}
	for _, r := range gitleaksRules {
		r.once, r.rx, r.needs = sync.Once{}, nil, nil
		for _, f := range r.bare {
			f.once, f.rx = sync.Once{}, nil
		}
		for _, a := range r.allow {
			a.once, a.rx, a.stops = sync.Once{}, nil, nil
		}
	}
	for _, a := range gitleaksGlobal {
		a.once, a.rx, a.stops = sync.Once{}, nil, nil
	}
}
