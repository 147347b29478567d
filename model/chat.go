package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	openai "github.com/sashabaranov/go-openai"
)

// chatClient speaks Chat Completions: system instructions, the replayed
// history and the new input every request; tool calls through tool_calls
// and role "tool" messages; usage from the final stream chunk.
type chatClient struct{ *client }

type chatRound struct {
	id              string
	text            string
	calls           []openai.ToolCall
	finish          string
	in, cached, out int
	usageOK         bool
}

// Send implements Client.
func (c *chatClient) Send(ctx context.Context, req Request) (Response, error) {
	t := newTurn(c.client, req)
	if err := t.checkKey(); err != nil {
		return t.resp, fmt.Errorf("send chat request: %w", err)
	}
	if err := t.checkBaseURL(ctx); err != nil {
		return t.resp, fmt.Errorf("send chat request: %w", err)
	}
	var tools []openai.Tool
	for _, tl := range req.Tools {
		tools = append(tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: tl.Name, Description: tl.Description, Parameters: schema(tl.Parameters),
		}})
	}
	patchName := ""
	if req.Patch != nil {
		patchName = req.PatchTool.Name
		tools = append(tools, openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: patchName, Description: req.PatchTool.Description, Parameters: schema(req.PatchTool.Parameters),
		}})
	}
	msgs := make([]openai.ChatCompletionMessage, 0, len(req.History)+2)
	if req.Instructions != "" {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: req.Instructions})
	}
	for _, m := range req.History {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: string(m.Role), Content: m.Content})
	}
	msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: req.Input})
	noTools := false
	for rounds := 0; ; rounds++ {
		var round chatRound
		err := t.do(ctx, func(actx context.Context, model string) error {
			round = chatRound{}
			creq := openai.ChatCompletionRequest{
				Model: model, Messages: msgs, Tools: tools, Stream: true,
				StreamOptions: &openai.StreamOptions{IncludeUsage: true},
			}
			if noTools {
				creq.ToolChoice = "none"
			}
			return c.stream(actx, t, creq, &round)
		})
		if round.usageOK {
			t.addUsage(round.in, round.cached, round.out)
		}
		if err != nil {
			return t.resp, fmt.Errorf("send chat request to %s: %w", t.model, err)
		}
		t.resp.ID = round.id
		if round.finish == string(openai.FinishReasonLength) {
			t.resp.Incomplete = true
		}
		if len(round.calls) == 0 {
			return t.resp, nil
		}
		if noTools {
			return t.resp, fmt.Errorf("send chat request to %s: %w", t.model, ErrToolLimit)
		}
		exhausted := rounds >= t.req.MaxToolRounds
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: round.text, ToolCalls: round.calls})
		for _, call := range round.calls {
			if patchName != "" && call.Function.Name == patchName {
				res := t.patch(ctx, PatchCall{CallID: call.ID, Operation: json.RawMessage(orNull(call.Function.Arguments))}, exhausted)
				msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, Content: res.Output, ToolCallID: call.ID})
				continue
			}
			out := t.tool(ctx, call.Function.Name, call.Function.Arguments, exhausted)
			msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, Content: out, ToolCallID: call.ID})
		}
		noTools = exhausted
	}
}

// stream makes one streamed request and folds its chunks into round,
// assembling streamed tool-call fragments by their index.
func (c *chatClient) stream(ctx context.Context, t *turn, creq openai.ChatCompletionRequest, round *chatRound) error {
	s, err := c.api.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		return err
	}
	defer s.Close()
	calls := map[int]*openai.ToolCall{}
	last := -1
	for {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) {
			// go-openai reports "data: [DONE]" and a plain end of body
			// alike, so completion is judged by a finish_reason.
			if round.finish == "" {
				return errStreamCut
			}
			break
		}
		if err != nil {
			return err
		}
		if chunk.ID != "" {
			round.id = chunk.ID
		}
		if u := chunk.Usage; u != nil {
			round.usageOK = true
			round.in, round.out = u.PromptTokens, u.CompletionTokens
			if u.PromptTokensDetails != nil {
				round.cached = u.PromptTokensDetails.CachedTokens
			}
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			if d := ch.Delta.Content; d != "" {
				round.text += d
				t.delta(d)
			}
			for _, tc := range ch.Delta.ToolCalls {
				i := last
				switch {
				case tc.Index != nil:
					i = *tc.Index
				case tc.ID != "" || last < 0:
					i = last + 1
				}
				last = max(last, i)
				call := calls[i]
				if call == nil {
					call = &openai.ToolCall{Type: openai.ToolTypeFunction}
					calls[i] = call
				}
				if tc.ID != "" {
					call.ID = tc.ID
				}
				if tc.Function.Name != "" {
					call.Function.Name = tc.Function.Name
				}
				call.Function.Arguments += tc.Function.Arguments
			}
			if ch.FinishReason != "" {
				round.finish = string(ch.FinishReason)
			}
		}
	}
	idx := make([]int, 0, len(calls))
	for i := range calls {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for n, i := range idx {
		call := *calls[i]
		if call.ID == "" {
			call.ID = fmt.Sprintf("call_%d", n)
		}
		round.calls = append(round.calls, call)
	}
	return nil
}

// orNull is JSON text, "null" when empty (a call without arguments).
func orNull(s string) string {
	if json.Valid([]byte(s)) {
		return s
	}
	if s == "" {
		return "null"
	}
	b, _ := json.Marshal(s) // not JSON: handed on as a string, refused by the decoder
	return string(b)
}
