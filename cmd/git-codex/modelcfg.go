package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/worktree"
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
	c := model.Config{
		Engine:        model.Engine(strings.ToLower(first(engineFlag, get("codex.engine"), string(model.EngineResponses)))),
		Model:         first(modelFlag, getenv("OPENAI_PRIMARY_MODEL"), get("codex.model"), defaultModel),
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
	if c.Engine != model.EngineResponses && c.Engine != model.EngineChat {
		return c, usageErrorf("use --engine responses or --engine chat (or git config codex.engine)",
			"unknown engine %q", c.Engine)
	}
	if v := get("codex.idleTimeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, &userError{code: exitConfig, msg: fmt.Sprintf("codex.idleTimeout %q is not a positive duration", v),
				hint: "use Go duration syntax, e.g. git config codex.idleTimeout 90s (or 2m)"}
		}
		c.IdleTimeout = d
	}
	return c, nil
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

// newSessionEngine opens the repository and builds the session engine with
// the model configuration for this command.
func newSessionEngine(e *Env, engineFlag, modelFlag string) (*session.Engine, *gitstore.Repo, error) {
	eng, err := readEngine(e)
	if err != nil {
		return nil, nil, err
	}
	repo, _ := e.Repo()
	cfg, err := modelConfig(repo, e.Getenv, engineFlag, modelFlag)
	if err != nil {
		return nil, nil, err
	}
	// The key is never written, whatever its shape: a user may paste it
	// into a task, or a tool result may echo it.
	repo.AddSecrets(cfg.APIKey)
	eng.Config = cfg
	eng.Spinner = e.IsTTY && isTerminal(e.Stderr)
	eng.CompactThreshold = compactThreshold(repo)
	return eng, repo, nil
}

// sessionTarget resolves -t/-s: with -s the session is searched across
// topics, so no branch is needed.
func sessionTarget(repo *gitstore.Repo, topic, id string) (session.Target, error) {
	if id != "" {
		return session.Target{Topic: topic, Session: id}, nil
	}
	topic, err := topicOf(repo, topic)
	if err != nil {
		return session.Target{}, err
	}
	return session.Target{Topic: topic}, nil
}

// topicOf is resolveTopic for options already taken from the flags: --topic,
// or the current branch; a detached HEAD without --topic is a usage error.
func topicOf(repo *gitstore.Repo, topic string) (string, error) {
	if topic != "" {
		if err := gitstore.ValidateTopic(topic); err != nil {
			return "", usageErrorf("choose a topic without control characters, or pass -t TOPIC", "%v", err)
		}
		return topic, nil
	}
	h, err := repo.Head()
	if err != nil {
		return "", err
	}
	if h.Branch == "" {
		return "", usageErrorf("pass -t TOPIC, or check out a branch", "HEAD is detached, so there is no branch to name the topic")
	}
	return h.Branch, nil
}

// sessionError maps the errors of the session engine and the model client to
// exit codes and next steps (see errors.go for the codes).
func sessionError(err error) error {
	if err == nil {
		return nil
	}
	var ue *userError
	if errors.As(err, &ue) {
		return err
	}
	code, hint := modelExitCode(err)
	if code == exitOK {
		return err
	}
	if code == exitInterrupted {
		return &userError{code: code, msg: "interrupted; what was said so far is stored", err: err}
	}
	return withHint(code, err, hint)
}

// modelExitCode returns the exit code and next step for an error of the
// session engine or the model client, or exitOK when it has no special code.
// A hint says the message is stored only when it was (a *session.SendError).
func modelExitCode(err error) (int, string) {
	var sent *session.SendError
	stored := func(hint, also string) string {
		if errors.As(err, &sent) {
			return hint + also
		}
		return hint
	}
	switch {
	case errors.Is(err, context.Canceled):
		return exitInterrupted, ""
	case errors.Is(err, session.ErrNoAPIKey):
		return exitConfig, stored("set OPENAI_API_KEY (or OPENAI_BASE_URL / git config codex.baseURL for a local server)",
			"; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, model.ErrNoResponsesAPI):
		return exitConfig, stored("this server does not speak the Responses API: git config codex.engine chat",
			"; then 'git codex reply --engine chat' moves this session over (your message is stored and sent along)")
	case errors.Is(err, model.ErrBaseURL):
		return exitConfig, stored("point it at the server with http:// or https:// and a host that resolves, e.g. OPENAI_BASE_URL=http://localhost:11434/v1",
			"; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, model.ErrAuth):
		return exitConfig, stored("check OPENAI_API_KEY: the model API refused it", " (your message is stored)")
	case errors.Is(err, model.ErrModelNotFound):
		return exitConfig, "set git config codex.fallbackModel, or open a session with another model: git codex delegate --model M"
	case errors.Is(err, model.ErrQuota):
		return exitModel, "the account is out of quota; check billing with the provider"
	case errors.Is(err, model.ErrRateLimited):
		return exitModel, stored("still rate limited after retrying; try again later", " (your message is stored)")
	case errors.Is(err, model.ErrUnavailable):
		return exitModel, stored("the model API is unavailable; try again later", " (your message is stored)")
	case errors.Is(err, model.ErrBadRequest), errors.Is(err, model.ErrPreviousNotFound), errors.Is(err, model.ErrToolLimit):
		return exitModel, ""
	case errors.Is(err, session.ErrNoSession):
		return exitError, "open one with 'git codex delegate TASK', or name another with -t/-s"
	case errors.Is(err, session.ErrAmbiguous):
		return exitUsage, "give more characters of the session id"
	case errors.Is(err, session.ErrClosed):
		return exitError, "open a new session with 'git codex delegate TASK'"
	case errors.Is(err, session.ErrWrongTopic):
		return exitUsage, "drop -t to find the session in any topic, or name a session of that topic"
	case errors.Is(err, session.ErrOutsideWorkTree):
		return exitUsage, "write the summary inside the work tree (not into .git, not through a symbolic link out of it); the session is still open"
	case errors.Is(err, session.ErrNoWorkTree):
		return exitError, "run delegate in a checkout with a work tree (git clone without --bare, or git worktree add)"
	case errors.Is(err, worktree.ErrRefused):
		return exitUsage, "the model's file tools refuse it too: name files inside the work tree, outside .git, not on the secret deny list"
	case errors.Is(err, session.ErrContextFile):
		return exitUsage, "name files that exist; --context paths are relative to the current directory"
	case errors.Is(err, session.ErrEmptyMessage):
		return exitUsage, "pass the text as an argument, or with -F FILE (-F - reads stdin)"
	}
	return exitOK, ""
}

// messageError turns an error of prompt.ReadMessage into one usage error
// with a single phrase: "the task is empty", not "read task: read message: …".
func messageError(err error, what, hint string) error {
	if errors.Is(err, prompt.ErrEmptyMessage) {
		return usageErrorf(hint, "the %s is empty", what)
	}
	return usageErrorf(hint, "%v", err)
}

// messageStdin is where a message may come from when neither arguments nor
// -F give one: stdin, unless it is a terminal (nothing waits for typing).
func messageStdin(e *Env) io.Reader {
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return e.Stdin
}
