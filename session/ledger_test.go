package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/pricing"
)

// Costs are priced per answer with the model that gave it; a model
// without a price is unknown, never zero. stats over a time range counts
// only the answers stored in it.
func TestCostsAndStatsRange(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	prices, err := pricing.New(map[string]string{"codex.price.test-model.input": "2", "codex.price.test-model.output": "8"})
	if err != nil {
		t.Fatal(err)
	}
	h.srv.SetUsage(&openaitest.Usage{Input: 1000, Cached: 0, Output: 500})
	h.delegate("Investigate the cache")
	h.reply("Also: the locks")
	h.reply("Also: the TTL")

	// Unpriced first: the built-in table does not know test-model.
	list, err := h.eng.List(context.Background(), "main")
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v", err)
	}
	if got := list[0].Cost.String(); got != "unknown" {
		t.Errorf("cost without a price = %s, want unknown", got)
	}
	h.eng.Prices = prices
	list, _ = h.eng.List(context.Background(), "main")
	// 3 answers × (1000 × $2 + 500 × $8) per million = 3 × $0.006
	if got := list[0].Cost.String(); got != "$0.0180" {
		t.Errorf("cost = %s, want $0.0180", got)
	}

	answers := h.records("main", KindAnswer)
	second := answers[1].Timestamp()
	stats, err := h.eng.StatsOf(context.Background(), StatsOptions{Since: second, Until: second.Add(time.Nanosecond)})
	if err != nil || len(stats) != 1 {
		t.Fatalf("stats in range: %v %+v", err, stats)
	}
	if f := stats[0].Total; f.Turns != 1 || f.Output != 500 || f.Cost.String() != "$0.0060" {
		t.Errorf("one answer in range: %+v (cost %s)", f, f.Cost)
	}
	stats, err = h.eng.StatsOf(context.Background(), StatsOptions{Since: answers[2].Timestamp().Add(time.Second)})
	if err != nil || len(stats) != 0 {
		t.Errorf("nothing after the last answer: %+v %v", stats, err)
	}
}

// A session that cannot be continued (closed) is continued in a new
// session on its topic whose first message carries its transcript, rebuilt
// from git as a restart rebuilds it.
func TestDelegateFromClosedSession(t *testing.T) {
	h := newHarness(t, model.EngineResponses)
	first := h.delegate("Investigate the cache")
	h.reply("Also: remember PELICAN")
	if _, err := h.eng.Close(context.Background(), CloseOptions{Target: Target{Topic: "main"}}); err != nil {
		t.Fatal(err)
	}
	res, err := h.eng.Delegate(context.Background(), DelegateOptions{Topic: "main", Task: "Now write the fix.", From: first.Session})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Restarted || res.Session == first.Session {
		t.Errorf("result = %+v", res)
	}
	reqs := h.modelRequests()
	in := inputText(reqs[len(reqs)-1])
	for _, want := range []string{"Investigate the cache", "remember PELICAN", "Now write the fix."} {
		if !strings.Contains(in, want) {
			t.Errorf("first request lacks %q:\n%s", want, in)
		}
	}
	if reqs[len(reqs)-1]["previous_response_id"] != nil {
		t.Errorf("the new session chained to the old one")
	}
	s, err := h.eng.Load(context.Background(), "main", "")
	if err != nil || s.ID != res.Session || s.Closed {
		t.Fatalf("topic's current session: %v %+v", err, s)
	}
	if len(s.Events) != 1 || s.Events[0].Event != RecordRestart || !strings.Contains(s.Events[0].Text, first.Session) {
		t.Errorf("events = %+v", s.Events)
	}
	if strings.Join(s.Open.Context, ",") != "ARCHITECTURE.md,AGENTS.md,cache/cache.go" {
		t.Errorf("context = %v, want the old session's", s.Open.Context)
	}
	if !strings.Contains(h.errOut.String(), "is closed: continuing its work in a new session") {
		t.Errorf("no restart notice: %s", h.errOut)
	}
}
