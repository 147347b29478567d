package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/session"
)

// defaultModel is used when neither --model, OPENAI_PRIMARY_MODEL nor
// codex.model names one.
const defaultModel = "gpt-5"

// configSource is what modelConfig reads git config from; *gitstore.Repo
// implements it.
type configSource interface {
	Config(key string) (string, bool)
}

// modelConfig builds the model configuration, most specific first: flags,
// then the environment, then git config (codex.*), then defaults. The API key
// comes from OPENAI_API_KEY only, never from git config.
func modelConfig(cfg configSource, getenv func(string) string, engineFlag, modelFlag string) (model.Config, error) {
	get := func(key string) string {
		v, _ := cfg.Config(key)
		return strings.TrimSpace(v)
	}
	first := func(vs ...string) string {
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
		return ""
	}
	engine := model.Engine(strings.ToLower(first(engineFlag, get("codex.engine"), string(model.EngineResponses))))
	fallback := defaultModel
	if engine == session.EngineCodex {
		fallback = "" // Codex's own configured model
	}
	c := model.Config{
		Engine:        engine,
		Model:         first(modelFlag, getenv("OPENAI_PRIMARY_MODEL"), get("codex.model"), fallback),
		FallbackModel: get("codex.fallbackModel"),
		BaseURL:       first(getenv("OPENAI_BASE_URL"), get("codex.baseURL")),
		APIKey:        strings.TrimSpace(getenv("OPENAI_API_KEY")),
	}
	switch {
	case strings.TrimSpace(getenv("OPENAI_BASE_URL")) != "":
		c.BaseURLSource = "OPENAI_BASE_URL"
	case c.BaseURL != "":
		c.BaseURLSource = "git config codex.baseURL"
	}
	if c.Engine != model.EngineResponses && c.Engine != model.EngineChat && c.Engine != session.EngineCodex {
		return c, failure.Usagef("use --engine responses, chat or codex (or git config codex.engine)",
			"unknown engine %q", c.Engine)
	}
	if v := get("codex.idleTimeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, failure.SayInstead(failure.ErrBadConfig, fmt.Sprintf("codex.idleTimeout %q is not a positive duration", v),
				"use Go duration syntax, e.g. git config codex.idleTimeout 90s (or 2m)")
		}
		c.IdleTimeout = d
	}
	return c, nil
}

// codexConfig is the codex engine's configuration: where the Codex CLI is
// (codex.codexPath, else codex on PATH), the -c overrides passed to every
// run (each value of codex.codexConfig, key=value), Codex's environment
// (this process's, untouched) and where Find caches the version of a Codex
// installed outside npm (<common git dir>/codex/codex-version).
func codexConfig(repo *gitstore.Repo, getenv func(string) string, environ []string) (session.CodexConfig, error) {
	c := session.CodexConfig{Env: environ, PATH: getenv("PATH"),
		VersionCache: filepath.Join(repo.CommonDir(), "codex", "codex-version")}
	if p, ok := repo.Config("codex.codexPath"); ok {
		c.Path = expandHome(strings.TrimSpace(p), getenv)
	}
	for _, kv := range repo.ConfigAll("codex.codexConfig") {
		kv = strings.TrimSpace(kv)
		if k, _, ok := strings.Cut(kv, "="); !ok || strings.TrimSpace(k) == "" {
			return c, failure.SayInstead(failure.ErrBadConfig, fmt.Sprintf("codex.codexConfig %q is not key=value", kv),
				"each value is one of Codex's -c overrides, e.g. git config --add codex.codexConfig 'model_reasoning_effort=\"high\"'")
		}
		c.Config = append(c.Config, kv)
	}
	return c, nil
}

// expandHome expands a leading ~/ as git does for paths in its config.
func expandHome(p string, getenv func(string) string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home := getenv("HOME"); home != "" {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// compactThreshold reads codex.compactThreshold: bytes, with an optional
// k/m suffix as git spells sizes ("48k"). 0 means the default.
func compactThreshold(cfg configSource) int {
	v, ok := cfg.Config("codex.compactThreshold")
	if !ok {
		return 0
	}
	v = strings.ToLower(strings.TrimSpace(v))
	mult := 1
	switch {
	case strings.HasSuffix(v, "k"):
		mult, v = 1<<10, strings.TrimSuffix(v, "k")
	case strings.HasSuffix(v, "m"):
		mult, v = 1<<20, strings.TrimSuffix(v, "m")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n * mult
}

// sessionTarget resolves -t/-s: with -s the session is searched across
// topics, so no branch is needed.
func sessionTarget(e *Env, topic, id string) (session.Target, error) {
	if id != "" {
		return session.Target{Topic: topic, Session: id}, nil
	}
	repo, err := e.Repo()
	if err != nil {
		return session.Target{}, err
	}
	topic, err = topicOf(repo, topic)
	if err != nil {
		return session.Target{}, err
	}
	return session.Target{Topic: topic}, nil
}

// topicOf is the topic a command works on: --topic, or the current branch;
// a detached HEAD without --topic is a usage error.
func topicOf(repo *gitstore.Repo, topic string) (string, error) {
	if topic != "" {
		if err := gitstore.ValidateTopic(topic); err != nil {
			return "", failure.Usagef("choose a topic without control characters, or pass -t TOPIC", "%v", err)
		}
		return topic, nil
	}
	h, err := repo.Head()
	if err != nil {
		return "", err
	}
	if h.Branch == "" {
		return "", failure.Usagef("pass -t TOPIC, or check out a branch", "HEAD is detached, so there is no branch to name the topic")
	}
	return h.Branch, nil
}

// messageError turns an error of prompt.ReadMessage into one usage error
// with a single phrase: "the task is empty", not "read task: read message: …".
func messageError(err error, what, hint string) error {
	if errors.Is(err, prompt.ErrEmptyMessage) {
		return failure.Usagef(hint, "the %s is empty", what)
	}
	return failure.Usagef(hint, "%v", err)
}

// messageStdin is where a message may come from when neither arguments nor
// -F give one: stdin, unless it is a terminal (nothing waits for typing).
func messageStdin(e *Env) io.Reader {
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return e.Stdin
}
