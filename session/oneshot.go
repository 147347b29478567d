package session

import (
	"context"
)

// OneShot sends one self-contained request outside any session (nothing is
// stored: the input is derived from data already in git) and returns the
// answer. `pr-summary --llm` uses it to polish a deterministic draft.
func (e *Engine) OneShot(ctx context.Context, instructions, input string) (string, error) {
	b, err := e.backend(string(e.Config.Engine), e.Config.Model)
	if err != nil {
		return "", err
	}
	return b.ask(ctx, instructions, input)
}
