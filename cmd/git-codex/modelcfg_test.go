package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/session"
)

type mapConfig map[string]string

func (m mapConfig) Config(key string) (string, bool) { v, ok := m[key]; return v, ok }

func TestModelConfig(t *testing.T) {
	cases := []struct {
		name        string
		cfg         mapConfig
		env         map[string]string
		engine, mdl string
		want        model.Config
		wantCode    int // the exit code of the expected error; 0 = no error
	}{
		{name: "defaults", want: model.Config{Engine: model.EngineResponses, Model: "gpt-5"}},
		{
			name: "git config",
			cfg:  mapConfig{"codex.engine": "chat", "codex.model": "llama3", "codex.fallbackModel": "llama2", "codex.baseURL": "http://127.0.0.1:11434/v1"},
			want: model.Config{Engine: model.EngineChat, Model: "llama3", FallbackModel: "llama2", BaseURL: "http://127.0.0.1:11434/v1", BaseURLSource: "git config codex.baseURL"},
		},
		{
			name: "environment beats git config",
			cfg:  mapConfig{"codex.model": "llama3", "codex.baseURL": "http://a/v1"},
			env:  map[string]string{"OPENAI_PRIMARY_MODEL": "gpt-5-mini", "OPENAI_BASE_URL": "http://b/v1", "OPENAI_API_KEY": "sk-test"},
			want: model.Config{Engine: model.EngineResponses, Model: "gpt-5-mini", BaseURL: "http://b/v1", BaseURLSource: "OPENAI_BASE_URL", APIKey: "sk-test"},
		},
		{
			name:   "flags beat everything",
			cfg:    mapConfig{"codex.engine": "chat", "codex.model": "llama3"},
			env:    map[string]string{"OPENAI_PRIMARY_MODEL": "gpt-5-mini"},
			engine: "Responses", mdl: "o3",
			want: model.Config{Engine: model.EngineResponses, Model: "o3"},
		},
		{
			name: "the key never comes from git config",
			cfg:  mapConfig{"codex.apiKey": "sk-from-config", "openai.apiKey": "sk-from-config"},
			want: model.Config{Engine: model.EngineResponses, Model: "gpt-5"},
		},
		{name: "unknown engine", engine: "completions", wantCode: failure.ExitUsage},
		{
			name: "idle timeout",
			cfg:  mapConfig{"codex.idleTimeout": "45s"},
			want: model.Config{Engine: model.EngineResponses, Model: "gpt-5", IdleTimeout: 45 * time.Second},
		},
		{name: "idle timeout not a duration", cfg: mapConfig{"codex.idleTimeout": "90"}, wantCode: failure.ExitConfig},
		{name: "idle timeout negative", cfg: mapConfig{"codex.idleTimeout": "-1s"}, wantCode: failure.ExitConfig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string { return c.env[k] }
			got, err := modelConfig(c.cfg, getenv, c.engine, c.mdl)
			if c.wantCode != 0 {
				if code, _, _ := failure.Classify(err); err == nil || code != c.wantCode {
					t.Fatalf("err = %v, want exit code %d", err, c.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Engine != c.want.Engine || got.Model != c.want.Model || got.FallbackModel != c.want.FallbackModel ||
				got.BaseURL != c.want.BaseURL || got.BaseURLSource != c.want.BaseURLSource || got.APIKey != c.want.APIKey || got.IdleTimeout != c.want.IdleTimeout {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestCompactThreshold(t *testing.T) {
	cases := []struct {
		name, value string
		want        int
	}{
		{"unset", "", 0},
		{"bytes", "5000", 5000},
		{"kilobytes", "48k", 48 << 10},
		{"megabytes", "1M", 1 << 20},
		{"garbage", "lots", 0},
		{"negative", "-5", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := mapConfig{}
			if c.value != "" {
				cfg["codex.compactThreshold"] = c.value
			}
			if got := compactThreshold(cfg); got != c.want {
				t.Errorf("compactThreshold(%q) = %d, want %d", c.value, got, c.want)
			}
		})
	}
}

// TestHintsClaimStorageOnlyWhenStored: "your message is stored" is said only
// of errors that came after the message was stored (a *session.SendError).
func TestHintsClaimStorageOnlyWhenStored(t *testing.T) {
	for _, cause := range []error{session.ErrNoAPIKey, model.ErrNoResponsesAPI, model.ErrBaseURL, model.ErrAuth, model.ErrRateLimited, model.ErrUnavailable} {
		t.Run(cause.Error(), func(t *testing.T) {
			_, _, before := failure.Classify(fmt.Errorf("check model configuration: %w", cause))
			_, _, after := failure.Classify(&session.SendError{Turn: "01TURN", Err: cause})
			if strings.Contains(before, "stored") {
				t.Errorf("hint before storing claims storage: %q", before)
			}
			if !strings.Contains(after, "stored") || !strings.HasPrefix(after, before) {
				t.Errorf("hint after storing = %q, want %q plus the storage note", after, before)
			}
		})
	}
	if _, _, hint := failure.Classify(model.ErrNoResponsesAPI); !strings.Contains(hint, "git config codex.engine chat") {
		t.Errorf("no-responses hint = %q", hint)
	}
}
