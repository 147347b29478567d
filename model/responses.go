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

// responsesCall is a call the model made in a response: a function call
// (name, args) or, when patch is set, an apply_patch_call with its
// operation.
type responsesCall struct {
	callID, name, args string
	patch              json.RawMessage
}

// applyPatchTool is the Responses API's native edit tool.
const applyPatchTool = "apply_patch"

// The item types of the native edit tool.
const (
	itemApplyPatchCall   = "apply_patch_call"
	itemApplyPatchOutput = "apply_patch_call_output"
)

// applyPatchOutput is the input item answering an apply_patch_call.
type applyPatchOutput struct {
	Type   string `json:"type"`
	CallID string `json:"call_id"`
	Status string `json:"status"`
	Output string `json:"output,omitempty"`
}

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
	if req.Patch != nil {
		tools = append(tools, openai.ResponseTool{Type: applyPatchTool})
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
			if c.patch != nil {
				res := t.patch(ctx, PatchCall{CallID: c.callID, Operation: c.patch}, exhausted)
				items = append(items, applyPatchOutput{Type: itemApplyPatchOutput, CallID: c.callID, Status: res.Status, Output: res.Output})
				continue
			}
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
			switch {
			case ev.Item == nil:
			case ev.Item.Type == "function_call":
				round.calls = append(round.calls, responsesCall{callID: ev.Item.CallID, name: ev.Item.Name, args: ev.Item.Arguments})
			case ev.Item.Type == itemApplyPatchCall:
				// go-openai's item has no operation: read it from the event.
				var raw struct {
					Item json.RawMessage `json:"item"`
				}
				if err := json.Unmarshal(ev.Raw, &raw); err != nil {
					return fmt.Errorf("decode %s item: %w", itemApplyPatchCall, err)
				}
				if c, ok := patchCall(raw.Item); ok {
					round.calls = append(round.calls, c)
				}
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

// callsFromOutput reads function and apply_patch calls from a completed
// response's output, for servers that skip the output_item.done events.
func callsFromOutput(output []any) []responsesCall {
	var calls []responsesCall
	for _, o := range output {
		b, err := json.Marshal(o)
		if err != nil {
			continue
		}
		var item openai.ResponseOutputItem
		if json.Unmarshal(b, &item) != nil {
			continue
		}
		switch item.Type {
		case "function_call":
			calls = append(calls, responsesCall{callID: item.CallID, name: item.Name, args: item.Arguments})
		case itemApplyPatchCall:
			if c, ok := patchCall(b); ok {
				calls = append(calls, c)
			}
		}
	}
	return calls
}

// patchCall reads an apply_patch_call item: its call id and its operation
// (kept as JSON for the PatchFunc to decode; an item without one is still
// answered, with the operation "null").
func patchCall(item json.RawMessage) (responsesCall, bool) {
	var it struct {
		CallID    string          `json:"call_id"`
		Operation json.RawMessage `json:"operation"`
	}
	if json.Unmarshal(item, &it) != nil || it.CallID == "" {
		return responsesCall{}, false
	}
	if len(it.Operation) == 0 {
		it.Operation = json.RawMessage("null")
	}
	return responsesCall{callID: it.CallID, name: applyPatchTool, patch: it.Operation}, true
}

// schema returns the tool's JSON schema, or an empty object schema.
func schema(p json.RawMessage) json.RawMessage {
	if len(p) == 0 {
		return json.RawMessage(`{"type":"object","properties":{}}`)
	}
	return p
}
