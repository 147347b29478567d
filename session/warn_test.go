package session

import (
	"context"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
)

// warningStore adds a malformed line to every topic it reads.
type warningStore struct{ *gitstore.MemoryStore }

func (w warningStore) Read(ctx context.Context, topic string) ([]gitstore.Record, []gitstore.Warning, error) {
	recs, _, err := w.MemoryStore.Read(ctx, topic)
	return recs, []gitstore.Warning{{Ref: "refs/notes/codex/" + topic, Object: "1111111111111111111111111111111111111111", Line: 2, Reason: "not JSON"}}, err
}

func TestMalformedLineWarnings(t *testing.T) {
	newEngine := func(t *testing.T) *harness {
		h := newHarness(t, model.EngineResponses)
		h.eng.Store = warningStore{h.store}
		h.delegate("Investigate the cache")
		for _, topic := range []string{"other-a", "other-b"} {
			r := h.eng.record(KindSession, &Session{ID: "01OTHER" + topic, Topic: topic})
			r.ID = r.Session
			if err := h.eng.append(context.Background(), topic, "1111111111111111111111111111111111111111", r); err != nil {
				t.Fatal(err)
			}
		}
		h.eng.warned = nil
		h.errOut.Reset()
		return h
	}
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(h *harness) error
		want []string // topics whose warning must be shown, once each
		not  []string // topics whose warning must not be shown
		sum  bool     // one summary line instead
	}{
		{"read twice", func(h *harness) error {
			for range 3 {
				if _, err := h.eng.Load(ctx, "main", ""); err != nil {
					return err
				}
			}
			return nil
		}, []string{"main"}, []string{"other-a", "other-b"}, false},
		{"prefix found", func(h *harness) error {
			s, err := h.eng.Load(ctx, "main", "")
			if err != nil {
				return err
			}
			_, err = h.eng.Load(ctx, "", s.ID[:10])
			return err
		}, []string{"main"}, []string{"other-a", "other-b"}, false},
		{"prefix in another topic", func(h *harness) error {
			_, err := h.eng.Load(ctx, "", "01OTHERother-a")
			return err
		}, []string{"other-a"}, []string{"main", "other-b"}, false},
		{"prefix not found", func(h *harness) error {
			_, err := h.eng.Load(ctx, "", "0ZZZZ")
			if err == nil {
				t.Error("found a session that does not exist")
			}
			return nil
		}, nil, []string{"main", "other-a", "other-b"}, true},
		{"show ARG: prefix first, then topic", func(h *harness) error {
			if _, err := h.eng.Load(ctx, "", "other-a"); err == nil {
				t.Error("a topic name matched as a session id")
			}
			_, err := h.eng.Load(ctx, "other-a", "")
			return err
		}, nil, []string{"main", "other-a", "other-b"}, true},
		{"reply", func(h *harness) error {
			_, err := h.eng.Reply(ctx, ReplyOptions{Target: Target{Topic: "main"}, Message: "Also: TTL"})
			return err
		}, []string{"main"}, []string{"other-a", "other-b"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newEngine(t)
			if err := c.run(h); err != nil {
				t.Fatal(err)
			}
			out := h.errOut.String()
			for _, topic := range c.want {
				if n := strings.Count(out, "refs/notes/codex/"+topic+":"); n != 1 {
					t.Errorf("warning for %s shown %d times:\n%s", topic, n, out)
				}
			}
			for _, topic := range c.not {
				if strings.Contains(out, "refs/notes/codex/"+topic+":") {
					t.Errorf("warning for unrelated topic %s shown:\n%s", topic, out)
				}
			}
			if got := strings.Count(out, "malformed note line"); got != map[bool]int{true: 1}[c.sum] {
				t.Errorf("summary lines = %d, want summary %v:\n%s", got, c.sum, out)
			}
		})
	}
}
