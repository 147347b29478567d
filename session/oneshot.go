package session

import (
	"context"
	"fmt"

	"github.com/git-codex/git-codex/model"
)

// OneShot sends one self-contained request outside any session (nothing is
// stored: the input is derived from data already in git) and returns the
// answer. `pr-summary --llm` uses it to polish a deterministic draft.
func (e *Engine) OneShot(ctx context.Context, instructions, input string) (string, error) {
	if err := e.checkConfig(); err != nil {
		return "", err
	}
	c, err := e.client(string(e.Config.Engine), e.Config.Model)
	if err != nil {
		return "", err
	}
	resp, err := c.Send(ctx, model.Request{Instructions: instructions, Input: input})
	if err != nil {
		return "", fmt.Errorf("ask the model: %w", err)
	}
	if resp.Incomplete || resp.Text == "" {
		return "", fmt.Errorf("ask the model: the answer was incomplete")
	}
	return resp.Text, nil
}
