package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	openai "github.com/sashabaranov/go-openai"
)

// responsesClient speaks the Responses API: store: true, the same
// instructions every request, only the new input, previous_response_id to
// chain server-side state, and function_call_output items answering tool
// calls of the response that asked for them.
type responsesClient struct{ *client }

type responsesRound struct {
	id                  string
	calls               []responsesCall
	in, cached, out     int
	incomplete, usageOK bool
}

type responsesCall struct{ callID, name, args string }

// Send implements Client.
func (r *responsesClient) Send(ctx context.Context, req Request) (Response, error) {
	t := newTurn(r.client, req)
	if err := t.checkKey(); err != nil {
		return t.resp, fmt.Errorf("send responses request: %w", err)
	}
	if err := t.checkBaseURL(ctx); err != nil {
		return t.resp, fmt.Errorf("send responses request: %w", err)
	}
	var tools []openai.ResponseTool
	for _, tl := range req.Tools {
		// go-openai's Tool nests functions under "function" (the Chat
		// Completions shape); the Responses API wants them flat.
		tools = append(tools, openai.NewResponseFunctionTool(openai.FunctionDefinition{
			Name: tl.Name, Description: tl.Description, Parameters: schema(tl.Parameters),
		}))
	}
	store := true
	var input any = req.Input
	prev := req.PreviousResponseID
	noTools := false
	for rounds := 0; ; rounds++ {
		var round responsesRound
		err := t.do(ctx, func(actx context.Context, model string) error {
			round = responsesRound{}
			creq := openai.CreateResponseRequest{
				Model: model, Instructions: req.Instructions, Input: input,
				PreviousResponseID: prev, Store: &store, Tools: tools,
			}
			if noTools {
				creq.ToolChoice = "none"
			}
			return r.stream(actx, t, creq, &round)
		})
		if round.usageOK {
			t.addUsage(round.in, round.cached, round.out)
		}
		if err != nil {
			return t.resp, fmt.Errorf("send responses request to %s: %w", t.model, err)
		}
		prev = round.id
		if round.incomplete {
			t.resp.Incomplete = true
		}
		if len(round.calls) == 0 {
			// Only a response without unanswered function calls can be
			// chained from: the API refuses a follow-up to one that still
			// waits for tool output ("No tool output found"). A turn cut
			// between tool rounds thus returns no ID.
			t.resp.ID = round.id
			return t.resp, nil
		}
		if noTools {
			return t.resp, fmt.Errorf("send responses request to %s: %w", t.model, ErrToolLimit)
		}
		exhausted := rounds >= t.req.MaxToolRounds
		items := make([]any, 0, len(round.calls))
		for _, c := range round.calls {
			out := t.tool(ctx, c.name, c.args, exhausted)
			items = append(items, openai.ResponseFunctionCallOutput{Type: "function_call_output", CallID: c.callID, Output: out})
		}
		input, noTools = items, exhausted
	}
}

// stream makes one streamed request and folds its events into round.
func (r *responsesClient) stream(ctx context.Context, t *turn, creq openai.CreateResponseRequest, round *responsesRound) error {
	s, err := r.api.CreateResponseStream(ctx, creq)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		ev, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return errStreamCut
		}
		if err != nil {
			return err
		}
		switch ev.Type {
		case openai.ResponseStreamEventOutputTextDelta:
			t.delta(ev.Delta)
		case openai.ResponseStreamEventOutputItemDone:
			if ev.Item != nil && ev.Item.Type == "function_call" {
				round.calls = append(round.calls, responsesCall{ev.Item.CallID, ev.Item.Name, ev.Item.Arguments})
			}
		case openai.ResponseStreamEventCompleted, openai.ResponseStreamEventIncomplete:
			if ev.Response == nil {
				return errStreamCut
			}
			round.id = ev.Response.ID
			round.incomplete = ev.Type == openai.ResponseStreamEventIncomplete
			if u := ev.Response.Usage; u != nil {
				round.usageOK = true
				round.in, round.out = u.InputTokens, u.OutputTokens
				if u.InputTokensDetails != nil {
					round.cached = u.InputTokensDetails.CachedTokens
				}
			}
			if len(round.calls) == 0 {
				round.calls = callsFromOutput(ev.Response.Output)
			}
			return nil
		case openai.ResponseStreamEventFailed:
			e := &openai.APIError{Type: "server_error", Code: "server_error", Message: "response failed"}
			if ev.Response != nil && ev.Response.Error != nil {
				e.Code, e.Message = ev.Response.Error.Code, ev.Response.Error.Message
			}
			return e
		case openai.ResponseStreamEventError:
			e := &openai.APIError{Code: ev.Code, Message: ev.Message}
			if ev.Error != nil {
				e.Code, e.Message = ev.Error.Code, ev.Error.Message
			}
			return e
		}
	}
}

// callsFromOutput reads function calls from a completed response's output,
// for servers that skip the output_item.done events.
func callsFromOutput(output []any) []responsesCall {
	var calls []responsesCall
	for _, o := range output {
		b, err := json.Marshal(o)
		if err != nil {
			continue
		}
		var item openai.ResponseOutputItem
		if json.Unmarshal(b, &item) == nil && item.Type == "function_call" {
			calls = append(calls, responsesCall{item.CallID, item.Name, item.Arguments})
		}
	}
	return calls
}

// schema returns the tool's JSON schema, or an empty object schema.
func schema(p json.RawMessage) json.RawMessage {
	if len(p) == 0 {
		return json.RawMessage(`{"type":"object","properties":{}}`)
	}
	return p
}
