package session

import (
	"context"
	"sync/atomic"

	"github.com/git-codex/git-codex/model"
)

// stream sends req, reporting the answer as it arrives (Delta, when show)
// and the client's progress (retries, fallback, tool calls) to the Output.
// A client that does not stream has its whole answer reported at the end.
// name is the session's model, reported when the client names none.
func (e *Engine) stream(ctx context.Context, client model.Client, req model.Request, show bool, name string) (model.Response, error) {
	out := e.output() // one lock for the client's goroutines
	out.Event(Event{Kind: EventWaiting})
	var streamed atomic.Bool
	req.OnDelta = func(text string) {
		streamed.Store(true)
		if show {
			out.Delta(text)
		}
	}
	req.OnEvent = func(ev model.Event) { out.Event(modelEvent(ev, "")) }
	resp, err := client.Send(ctx, req)
	if show && resp.Text != "" && !streamed.Load() {
		out.Delta(resp.Text)
	}
	end := Event{Kind: EventAnswerEnd, Model: resp.Model}
	if end.Model == "" {
		end.Model = name
	}
	if u := resp.Usage; u != (model.Usage{}) {
		end.Usage = &Usage{Input: u.Input, Cached: u.Cached, Output: u.Output}
	}
	out.Event(end)
	return resp, err
}
