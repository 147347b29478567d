package model_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/openaitest"
	"github.com/git-codex/git-codex/model"
)

// A realistic session: a ~2 KB instruction block sent on every request,
// ~150-byte follow-ups and ~800-byte answers.
var (
	wireInstructions = strings.Repeat("You are a careful coding agent. Read ARCHITECTURE.md and AGENTS.md before changing code. ", 22)
	wireAnswer       = strings.Repeat("The change is in gitstore/notes.go; the test covers the fork case. ", 12)
)

func wireInput(i int) string {
	return fmt.Sprintf("Fix: follow-up %d — the test TestAppendConcurrent still fails on the second writer; keep the lock protocol as it is.", i)
}

// followUp prepares a session with n earlier turns and returns the client
// and the request of follow-up n.
func followUp(tb testing.TB, engine model.Engine, n int) (model.Client, model.Request) {
	tb.Helper()
	srv := openaitest.New(tb)
	srv.SetUsage(&openaitest.Usage{Input: 1, Output: 1})
	h := &harness{}
	c := newClient(tb, srv, engine, h, nil)
	req := model.Request{Instructions: wireInstructions}
	for i := range n {
		switch engine {
		case model.EngineResponses:
			srv.Enqueue(openaitest.Reply{Text: wireAnswer})
			resp, err := c.Send(context.Background(), model.Request{Instructions: wireInstructions, Input: wireInput(i), PreviousResponseID: req.PreviousResponseID})
			if err != nil {
				tb.Fatalf("turn %d: %v", i, err)
			}
			req.PreviousResponseID = resp.ID
		case model.EngineChat:
			req.History = append(req.History,
				model.Message{Role: model.RoleUser, Content: wireInput(i)},
				model.Message{Role: model.RoleAssistant, Content: wireAnswer})
		}
	}
	req.Input = wireInput(n)
	return c, req
}

func wireBytes(tb testing.TB, engine model.Engine, n int) int {
	tb.Helper()
	c, req := followUp(tb, engine, n)
	resp, err := c.Send(context.Background(), req)
	if err != nil {
		tb.Fatalf("follow-up %d: %v", n, err)
	}
	return resp.BytesSent
}

// TestResponsesFollowUpStaysFlat checks the point of the responses engine:
// a follow-up's request does not grow with the history.
func TestResponsesFollowUpStaysFlat(t *testing.T) {
	r2, r50 := wireBytes(t, model.EngineResponses, 2), wireBytes(t, model.EngineResponses, 50)
	if float64(r50) > 1.25*float64(r2) {
		t.Errorf("responses follow-up 50 sent %d bytes, follow-up 2 sent %d: more than 1.25x", r50, r2)
	}
	c2, c50 := wireBytes(t, model.EngineChat, 2), wireBytes(t, model.EngineChat, 50)
	if c50 < 10*c2 {
		t.Errorf("chat follow-up 50 sent %d bytes, follow-up 2 sent %d: expected the replayed history to grow it", c50, c2)
	}
	t.Logf("request bytes: responses 2=%d 50=%d; chat 2=%d 50=%d", r2, r50, c2, c50)
}

// BenchmarkWire reports the request-body bytes of follow-ups 2, 10 and 50
// for both engines (go test -bench Wire ./model/).
func BenchmarkWire(b *testing.B) {
	for _, engine := range engines {
		for _, n := range []int{2, 10, 50} {
			b.Run(fmt.Sprintf("%s/followup-%d", engine, n), func(b *testing.B) {
				c, req := followUp(b, engine, n)
				var sent int
				b.ResetTimer()
				for b.Loop() {
					resp, err := c.Send(context.Background(), req)
					if err != nil {
						b.Fatal(err)
					}
					sent = resp.BytesSent
				}
				b.ReportMetric(float64(sent), "req-bytes")
			})
		}
	}
}
