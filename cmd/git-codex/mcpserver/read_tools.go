package mcpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/history"
	"github.com/git-codex/git-codex/notesync"
	"github.com/git-codex/git-codex/session"
)

// The tools that only read: list, show, log, pr_summary, stats. They need no
// model configuration and take no lock (a notes ref is read at one commit).

// ListArgs are the arguments of list.
type ListArgs struct {
	Topic string `json:"topic,omitempty" jsonschema:"only this topic (default: every topic)"`
	Where
}

// ListEntry is one session of list, with its topic's sharing.
type ListEntry struct {
	session.Overview
	Sharing notesync.TopicSharing `json:"sharing" jsonschema:"who sees the topic: private (never leaves this machine), local (not on a remote yet) or shared (with the remotes named)"`
}

// ListResult is the result of list.
type ListResult struct {
	Sessions []ListEntry `json:"sessions" jsonschema:"sessions by topic, oldest first; current marks the session reply continues"`
	Notes    []string    `json:"notes,omitempty"`
}

// ShowArgs are the arguments of show.
type ShowArgs struct {
	Which
	Where
}

// LogArgs are the arguments of log.
type LogArgs struct {
	Max  int      `json:"max,omitempty" jsonschema:"at most this many commits (default 20; 0 or less: the default)"`
	Revs []string `json:"revs,omitempty" jsonschema:"revisions as git log takes them: 'main..HEAD', 'HEAD~5..', a branch (default HEAD)"`
	Where
}

// LogResult is the result of log.
type LogResult struct {
	Commits []history.LogEntry `json:"commits" jsonschema:"commits newest first, each with the conversation turns attached to it"`
	Notes   []string           `json:"notes,omitempty"`
}

// PRSummaryArgs are the arguments of pr_summary.
type PRSummaryArgs struct {
	Base string `json:"base,omitempty" jsonschema:"compare with this revision (default: the upstream's merge-base, else origin/HEAD, origin/main, origin/master, main, master)"`
	Where
}

// StatsArgs are the arguments of stats.
type StatsArgs struct {
	Topic string `json:"topic,omitempty" jsonschema:"only this topic (default: every topic)"`
	Where
}

// StatsResult is the result of stats.
type StatsResult struct {
	Topics []session.TopicStats `json:"topics" jsonschema:"per topic: each session's tokens, bytes sent and the saving against one-off delegations"`
	Notes  []string             `json:"notes,omitempty"`
}

// defaultLogMax bounds log when the caller says nothing: a result goes into
// the caller's context window.
const defaultLogMax = 20

func (s *Server) listTool(ctx context.Context, req *mcp.CallToolRequest, in ListArgs) (*mcp.CallToolResult, *ListResult, error) {
	res := &ListResult{Sessions: []ListEntry{}}
	return read(s, req, in.CWD, func(w Workspace, eng *session.Engine, out *output) (string, error) {
		var topics []string
		if in.Topic != "" {
			topics = []string{in.Topic}
		}
		all, err := eng.List(ctx, topics...)
		if err != nil {
			return "", err
		}
		names := make([]string, 0, len(all))
		for _, o := range all {
			names = append(names, o.Topic)
		}
		sharing, err := notesync.Sharing(w.Repo(), names)
		if err != nil {
			return "", err
		}
		for _, o := range all {
			res.Sessions = append(res.Sessions, ListEntry{Overview: o, Sharing: sharing[o.Topic]})
		}
		_, res.Notes, _ = out.report()
		if len(all) == 0 {
			return "no sessions yet; open one with the codex or delegate tool", nil
		}
		return "", nil
	}, res)
}

func (s *Server) showTool(ctx context.Context, req *mcp.CallToolRequest, in ShowArgs) (*mcp.CallToolResult, *session.Transcript, error) {
	res := &session.Transcript{}
	return read(s, req, in.CWD, func(w Workspace, eng *session.Engine, _ *output) (string, error) {
		topic := in.Topic
		if in.Session == "" {
			var err error
			if topic, err = w.Topic(in.Topic); err != nil {
				return "", err
			}
		}
		sess, err := eng.Load(ctx, topic, in.Session)
		if errors.Is(err, session.ErrNoSession) {
			return "", failure.WithHint(err, "see the list tool, or open a session with the codex or delegate tool")
		}
		if err != nil {
			return "", err
		}
		*res = eng.Transcript(sess)
		return "", nil
	}, res)
}

func (s *Server) logTool(ctx context.Context, req *mcp.CallToolRequest, in LogArgs) (*mcp.CallToolResult, *LogResult, error) {
	res := &LogResult{Commits: []history.LogEntry{}}
	return read(s, req, in.CWD, func(w Workspace, _ *session.Engine, _ *output) (string, error) {
		limit := in.Max
		if limit <= 0 {
			limit = defaultLogMax
		}
		entries, warns, err := history.Log(ctx, w.Repo(), history.LogOptions{Revs: in.Revs, Max: limit})
		if err != nil {
			return "", err
		}
		if entries != nil {
			res.Commits = entries
		}
		for _, warn := range warns {
			res.Notes = append(res.Notes, "warning: "+warn.String())
		}
		return "", nil
	}, res)
}

func (s *Server) prSummaryTool(ctx context.Context, req *mcp.CallToolRequest, in PRSummaryArgs) (*mcp.CallToolResult, *history.PRSummary, error) {
	res := &history.PRSummary{}
	return read(s, req, in.CWD, func(w Workspace, _ *session.Engine, _ *output) (string, error) {
		sum, err := history.Summarize(ctx, w.Repo(), history.SummaryOptions{Base: in.Base})
		if errors.Is(err, history.ErrNoBase) {
			return "", failure.WithHint(err, "pass base, e.g. origin/main")
		}
		if err != nil {
			return "", err
		}
		*res = *sum
		var md bytes.Buffer
		if err := history.WriteMarkdown(&md, sum); err != nil {
			return "", fmt.Errorf("write summary: %w", err)
		}
		return md.String(), nil
	}, res)
}

func (s *Server) statsTool(ctx context.Context, req *mcp.CallToolRequest, in StatsArgs) (*mcp.CallToolResult, *StatsResult, error) {
	res := &StatsResult{Topics: []session.TopicStats{}}
	return read(s, req, in.CWD, func(_ Workspace, eng *session.Engine, out *output) (string, error) {
		stats, err := eng.Stats(ctx, in.Topic)
		if err != nil {
			return "", err
		}
		if stats != nil {
			res.Topics = stats
		}
		_, res.Notes, _ = out.report()
		return "", nil
	}, res)
}

// read runs fn, a reading tool, on the repository of cwd and returns its
// result: fn's text as the content when it gives one (else the SDK puts
// the structured result's JSON there), or the command line's two lines
// with isError.
func read[T any](s *Server, req *mcp.CallToolRequest, cwd string, fn func(w Workspace, eng *session.Engine, out *output) (string, error), res *T) (*mcp.CallToolResult, *T, error) {
	start := time.Now()
	out := newOutput(policy{}, false, 0)
	w, eng, err := s.workspace(s.dir(cwd), EngineOptions{}, out)
	if err != nil {
		s.logCall(req.Params.Name, start, err)
		return failed(err), res, nil
	}
	defer w.Close()
	text, err := fn(w, eng, out)
	s.logCall(req.Params.Name, start, err)
	if err != nil {
		return failed(err), res, nil
	}
	if text == "" {
		return nil, res, nil
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, res, nil
}
