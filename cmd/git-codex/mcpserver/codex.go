package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/session"
)

// The codex and codex-reply tools of the MCP server Codex removed in 2026
// (`codex mcp-server`, deprecated 2026-08-24, removed 2026-09-05), with the
// same names and arguments, so that skills and prompts that call
// mcp__codex__codex and mcp__codex__codex-reply work unchanged. The thread
// id is the git codex session id. Arguments git codex cannot honour are
// accepted and reported in the result, never dropped silently.

// CodexArgs are the removed server's codex arguments.
type CodexArgs struct {
	Prompt                string         `json:"prompt" jsonschema:"the task or question; a new session is opened for it"`
	Model                 string         `json:"model,omitempty" jsonschema:"the model (default: git config codex.model, OPENAI_PRIMARY_MODEL, gpt-5)"`
	Profile               string         `json:"profile,omitempty" jsonschema:"a Codex configuration profile: accepted and reported as not honoured (git codex reads git config)"`
	CWD                   string         `json:"cwd,omitempty" jsonschema:"a directory inside the git repository the session is about (default: the server's); the session's topic is its current branch"`
	ApprovalPolicy        string         `json:"approval-policy,omitempty" jsonschema:"untrusted, on-request (default) or never: when an edit needs the user's approval"`
	Sandbox               string         `json:"sandbox,omitempty" jsonschema:"read-only (default) or workspace-write"`
	Config                map[string]any `json:"config,omitempty" jsonschema:"Codex configuration overrides: model, sandbox_mode and approval_policy are honoured; other keys are reported as not honoured"`
	BaseInstructions      string         `json:"base-instructions,omitempty" jsonschema:"accepted and reported as not honoured: git codex sends its own instruction block, the same on every request"`
	DeveloperInstructions string         `json:"developer-instructions,omitempty" jsonschema:"further instructions: sent as the Scope section of the first message"`
	CompactPrompt         string         `json:"compact-prompt,omitempty" jsonschema:"accepted and reported as not honoured: git codex compacts with its own prompt"`
}

// codexArgNames are the argument names of codex.
var codexArgNames = []string{"prompt", "model", "profile", "cwd", "approval-policy", "sandbox", "config",
	"base-instructions", "developer-instructions", "compact-prompt"}

// CodexReplyArgs are the removed server's codex-reply arguments, and cwd.
type CodexReplyArgs struct {
	Prompt         string `json:"prompt" jsonschema:"the follow-up, short: 'Fix: …', 'Also: …', 'Based on that …'; never repeat the context"`
	ThreadID       string `json:"threadId,omitempty" jsonschema:"the threadId the codex tool returned (a git codex session id; a unique prefix is enough)"`
	ConversationID string `json:"conversationId,omitempty" jsonschema:"deprecated name of threadId"`
	CWD            string `json:"cwd,omitempty" jsonschema:"a directory inside the repository that holds the session (default: where this server saw it, else the server's directory)"`
}

var codexReplyArgNames = []string{"prompt", "threadId", "conversationId", "cwd"}

// CodexResult is the removed server's structured result, and what git codex
// adds to it.
type CodexResult struct {
	ThreadID string   `json:"threadId" jsonschema:"the session id: pass it to codex-reply to continue this session"`
	Content  string   `json:"content" jsonschema:"the model's answer"`
	Topic    string   `json:"topic,omitempty" jsonschema:"the topic (line of work) the session is stored under: the branch"`
	Status   string   `json:"status,omitempty" jsonschema:"complete, incomplete (cut short, stored as far as it came) or error"`
	Notes    []string `json:"notes,omitempty" jsonschema:"what the caller should know: arguments not honoured, warnings, restarts"`
}

func (c *CodexResult) text() string        { return c.Content }
func (c *CodexResult) setNotes(n []string) { c.Notes = n }

func (c *CodexResult) fill(r session.Result) {
	if r.Session != "" {
		c.ThreadID, c.Topic = r.Session, r.Topic
	}
	c.Content, c.Status = r.Text, r.Status
}

func (s *Server) codexTool(ctx context.Context, req *mcp.CallToolRequest, in CodexArgs) (*mcp.CallToolResult, *CodexResult, error) {
	notes := extraArgs(req, codexArgNames)
	cfg := readCodexConfig(in.Config)
	notes = append(notes, cfg.notes...)
	sandbox, approval, modelName := first(in.Sandbox, cfg.sandbox), first(in.ApprovalPolicy, cfg.approval), first(in.Model, cfg.model)
	pol, err := parsePolicy(sandbox, approval)
	if err != nil {
		return failed(err), &CodexResult{}, nil
	}
	notes = append(notes, pol.notes()...)
	if in.Profile != "" {
		notes = append(notes, fmt.Sprintf("profile %q ignored: git codex has no profiles; it reads git config codex.* (model, engine, baseURL, …)", in.Profile))
	}
	if in.BaseInstructions != "" {
		notes = append(notes, "base-instructions ignored: git codex sends its own instruction block, the same on every request of a session; put instructions in developer-instructions")
	}
	if in.CompactPrompt != "" {
		notes = append(notes, "compact-prompt ignored: git codex compacts long sessions with its own prompt")
	}
	if strings.TrimSpace(in.Prompt) == "" {
		return failed(failure.Usagef("pass the task as prompt", "the task is empty")), &CodexResult{}, nil
	}
	return runTool(s, ctx, req, pol, notes, func(ctx context.Context, out *output) (*CodexResult, error) {
		c := &CodexResult{}
		r, err := s.open1(ctx, out, opening{
			cwd: in.CWD, model: modelName,
			first: session.DelegateOptions{Task: strings.TrimSpace(in.Prompt), Scope: in.DeveloperInstructions, Mode: pol.mode()},
		})
		c.fill(r)
		return c, err
	})
}

func (s *Server) codexReplyTool(ctx context.Context, req *mcp.CallToolRequest, in CodexReplyArgs) (*mcp.CallToolResult, *CodexResult, error) {
	notes := extraArgs(req, codexReplyArgNames)
	id := in.ThreadID
	switch {
	case id == "" && in.ConversationID != "":
		id = in.ConversationID
		notes = append(notes, "conversationId is deprecated: pass threadId")
	case id != "" && in.ConversationID != "" && !strings.EqualFold(id, in.ConversationID):
		return failed(failure.Usagef("pass threadId only", "threadId %s and conversationId %s name different sessions", id, in.ConversationID)), &CodexResult{}, nil
	}
	if id == "" {
		return failed(failure.Usagef("pass the threadId the codex tool returned ('git codex list' shows every session's id)",
			"threadId is missing")), &CodexResult{}, nil
	}
	if strings.TrimSpace(in.Prompt) == "" {
		return failed(failure.Usagef("pass the follow-up as prompt", "the message is empty")), &CodexResult{ThreadID: id}, nil
	}
	dir := s.threadDir(id)
	if in.CWD != "" {
		dir = s.dir(in.CWD)
	}
	return runTool(s, ctx, req, policy{}, notes, func(ctx context.Context, out *output) (*CodexResult, error) {
		c := &CodexResult{ThreadID: id}
		r, err := s.continue1(ctx, out, dir, Which{Session: id}, func(ctx context.Context, eng *session.Engine, t session.Target) (session.Result, error) {
			return eng.Reply(ctx, session.ReplyOptions{Target: t, Message: in.Prompt})
		})
		c.fill(r)
		if errors.Is(err, session.ErrNoSession) && in.CWD == "" {
			err = failure.WithHint(err, "pass cwd, a directory of the repository that holds the session (a teammate's session: run 'git codex sync' there first), or open a new session with the codex tool")
		}
		return c, err
	})
}

// extraArgs reports the arguments of req that are not among names: they are
// accepted, not honoured, and said so.
func extraArgs(req *mcp.CallToolRequest, names []string) []string {
	var args map[string]any
	if len(req.Params.Arguments) == 0 || json.Unmarshal(req.Params.Arguments, &args) != nil {
		return nil
	}
	var out []string
	for _, k := range unknownKeys(args, names...) {
		out = append(out, fmt.Sprintf("argument %q ignored: %s does not know it", k, req.Params.Name))
	}
	return out
}

func first(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
