package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/scaffold"
	"github.com/git-codex/git-codex/session"
)

// The tools that talk to the model: the native delegate, reply, fix and
// close, and the drop-in codex and codex-reply (codex.go), all on the same
// few steps below.

// Answer is the result of a message sent to a session.
type Answer struct {
	Session   string        `json:"session" jsonschema:"the session id: pass it as session to reply, fix and close"`
	Topic     string        `json:"topic" jsonschema:"the topic (line of work) the session belongs to"`
	Turn      string        `json:"turn,omitempty" jsonschema:"the id of the stored turn"`
	Status    string        `json:"status,omitempty" jsonschema:"complete, incomplete (cut short, stored as far as it came) or error"`
	Text      string        `json:"text" jsonschema:"the model's answer"`
	Model     string        `json:"model,omitempty" jsonschema:"the model that answered"`
	Usage     session.Usage `json:"usage" jsonschema:"tokens of this answer: input, cached input, output"`
	BytesSent int           `json:"bytes_sent,omitempty" jsonschema:"bytes of the request sent for this answer"`
	Restarted bool          `json:"restarted,omitempty" jsonschema:"the provider had forgotten the session; its context was rebuilt from the transcript in git"`
	Notes     []string      `json:"notes,omitempty" jsonschema:"what the caller should know: warnings, restarts, arguments not honoured"`
}

func (a *Answer) text() string        { return a.Text }
func (a *Answer) setNotes(n []string) { a.Notes = n }

// fill takes what r knows (a failed request still names its session).
func (a *Answer) fill(r session.Result) {
	if r.Session != "" {
		a.Session, a.Topic = r.Session, r.Topic
	}
	a.Turn, a.Status, a.Text, a.Model = r.Turn, r.Status, r.Text, r.Model
	a.Usage = session.Usage{Input: r.Usage.Input, Cached: r.Usage.Cached, Output: r.Usage.Output}
	a.BytesSent, a.Restarted = r.BytesSent, r.Restarted
}

// Arguments every session tool shares.
type (
	// Where names the repository: cwd, a directory inside it.
	Where struct {
		CWD string `json:"cwd,omitempty" jsonschema:"a directory inside the git repository (default: the directory the server was started in)"`
	}
	// Which names a session: by id, else the topic's current session.
	Which struct {
		Session string `json:"session,omitempty" jsonschema:"a session id (a unique prefix is enough); default: the topic's current session"`
		Topic   string `json:"topic,omitempty" jsonschema:"the topic (line of work); default: the current branch of cwd"`
	}
	// Policy is the sandbox and approval policy of a call.
	Policy struct {
		Sandbox  string `json:"sandbox,omitempty" jsonschema:"read-only (default): the model reads the work tree; workspace-write: it may also edit files in it"`
		Approval string `json:"approval,omitempty" jsonschema:"untrusted, on-request (default) or never: when an edit needs the user's approval (asked through the client when it can be)"`
	}
)

// DelegateArgs are the arguments of delegate: the structured first message.
type DelegateArgs struct {
	Task     string   `json:"task" jsonschema:"what to do, task-specific details only: the model reads ARCHITECTURE.md, AGENTS.md and the context files itself"`
	Context  []string `json:"context,omitempty" jsonschema:"further files to reference (paths relative to cwd); they are named in the first message, not pasted"`
	Focus    string   `json:"focus,omitempty" jsonschema:"the current focus, one line"`
	Scope    string   `json:"scope,omitempty" jsonschema:"files, constraints and focus areas"`
	Expect   string   `json:"expect,omitempty" jsonschema:"the expected output"`
	Criteria string   `json:"criteria,omitempty" jsonschema:"the success criteria"`
	Model    string   `json:"model,omitempty" jsonschema:"the model (default: git config codex.model, OPENAI_PRIMARY_MODEL, gpt-5)"`
	Topic    string   `json:"topic,omitempty" jsonschema:"the topic (line of work) to open the session on; default: the current branch of cwd"`
	Where
	Policy
}

// ReplyArgs are the arguments of reply.
type ReplyArgs struct {
	Message string `json:"message" jsonschema:"the follow-up, short: 'Fix: …', 'Also: …', 'Based on that …'; never repeat the context"`
	Which
	Where
	Policy
}

// FixArgs are the arguments of fix.
type FixArgs struct {
	Command string `json:"command" jsonschema:"the verification command, run in the work tree by the shell (e.g. 'go test ./...')"`
	Rounds  int    `json:"rounds,omitempty" jsonschema:"at most this many rounds of run, send the failure, let the model patch (default 1 read-only, 3 workspace-write; at most 10)"`
	Which
	Where
	Policy
}

// FixResult is the result of fix.
type FixResult struct {
	Passed  bool     `json:"passed" jsonschema:"the command passed in the last round"`
	Rounds  int      `json:"rounds" jsonschema:"failures sent to the model (0: the command passed at once)"`
	Session string   `json:"session" jsonschema:"the session the failures went to"`
	Topic   string   `json:"topic,omitempty"`
	Answers []Answer `json:"answers,omitempty" jsonschema:"the model's answer to each failure sent"`
	Output  string   `json:"output,omitempty" jsonschema:"the tail of the command's last output"`
	Notes   []string `json:"notes,omitempty"`
}

func (f *FixResult) setNotes(n []string) { f.Notes = n }

func (f *FixResult) text() string {
	var b strings.Builder
	if f.Passed {
		fmt.Fprintf(&b, "The command passed after %d round(s) of fixes (session %s).\n", f.Rounds, text.ShortID(f.Session))
	} else {
		fmt.Fprintf(&b, "The command failed in %d round(s); each failure was sent to session %s.\n", f.Rounds, text.ShortID(f.Session))
	}
	if n := len(f.Answers); n > 0 {
		b.WriteString("\nThe model's last answer:\n\n" + f.Answers[n-1].Text + "\n")
	}
	return b.String()
}

// CloseArgs are the arguments of close.
type CloseArgs struct {
	File string `json:"file,omitempty" jsonschema:"also write the summary as markdown to this file (relative to cwd, inside the work tree)"`
	Which
	Where
}

// CloseResult is the stored summary of a closed session.
type CloseResult struct {
	Session   string   `json:"session"`
	Topic     string   `json:"topic"`
	Title     string   `json:"title,omitempty"`
	Found     string   `json:"found" jsonschema:"what was found"`
	Decisions []string `json:"decisions" jsonschema:"what was decided"`
	Next      []string `json:"next" jsonschema:"what is next"`
	Written   string   `json:"written,omitempty" jsonschema:"the file the summary was written to"`
	Text      string   `json:"text" jsonschema:"the model's whole summary"`
	Notes     []string `json:"notes,omitempty"`
}

func (c *CloseResult) text() string        { return c.Text }
func (c *CloseResult) setNotes(n []string) { c.Notes = n }

func (s *Server) delegateTool(ctx context.Context, req *mcp.CallToolRequest, in DelegateArgs) (*mcp.CallToolResult, *Answer, error) {
	pol, err := parsePolicy(in.Sandbox, in.Approval)
	if err != nil {
		return failed(err), &Answer{}, nil
	}
	if strings.TrimSpace(in.Task) == "" {
		return failed(failure.Usagef("pass the task as task", "the task is empty")), &Answer{}, nil
	}
	return runTool(s, ctx, req, pol, pol.notes(), func(ctx context.Context, out *output) (*Answer, error) {
		a := &Answer{}
		r, err := s.open1(ctx, out, opening{
			cwd: in.CWD, topic: in.Topic, model: in.Model, first: session.DelegateOptions{
				Task: strings.TrimSpace(in.Task), Focus: in.Focus, Scope: in.Scope, Expect: in.Expect, Criteria: in.Criteria,
				Mode: pol.mode(),
			}, context: in.Context,
		})
		a.fill(r)
		return a, err
	})
}

func (s *Server) replyTool(ctx context.Context, req *mcp.CallToolRequest, in ReplyArgs) (*mcp.CallToolResult, *Answer, error) {
	pol, err := parsePolicy(in.Sandbox, in.Approval)
	if err != nil {
		return failed(err), &Answer{}, nil
	}
	if strings.TrimSpace(in.Message) == "" {
		return failed(failure.Usagef("pass the follow-up as message", "the message is empty")), &Answer{}, nil
	}
	return runTool(s, ctx, req, pol, pol.notes(), func(ctx context.Context, out *output) (*Answer, error) {
		a := &Answer{}
		r, err := s.continue1(ctx, out, s.dir(in.CWD), in.Which, func(ctx context.Context, eng *session.Engine, t session.Target) (session.Result, error) {
			return eng.Reply(ctx, session.ReplyOptions{Target: t, Message: in.Message, Mode: pol.mode()})
		})
		a.fill(r)
		return a, err
	})
}

// maxRounds bounds fix's rounds.
const maxRounds = 10

func (s *Server) fixTool(ctx context.Context, req *mcp.CallToolRequest, in FixArgs) (*mcp.CallToolResult, *FixResult, error) {
	pol, err := parsePolicy(in.Sandbox, in.Approval)
	if err != nil {
		return failed(err), &FixResult{}, nil
	}
	if strings.TrimSpace(in.Command) == "" {
		return failed(failure.Usagef("pass the verification command as command, e.g. 'go test ./...'", "fix needs a command")), &FixResult{}, nil
	}
	if in.Rounds < 0 || in.Rounds > maxRounds {
		return failed(failure.Usagef(fmt.Sprintf("pass rounds from 1 to %d", maxRounds), "rounds %d is out of range", in.Rounds)), &FixResult{}, nil
	}
	return runTool(s, ctx, req, pol, pol.notes(), func(ctx context.Context, out *output) (*FixResult, error) {
		f := &FixResult{}
		var fr session.FixResult
		r, err := s.continue1(ctx, out, s.dir(in.CWD), in.Which, func(ctx context.Context, eng *session.Engine, t session.Target) (session.Result, error) {
			var err error
			fr, err = eng.Fix(ctx, session.FixOptions{Target: t, Command: []string{in.Command}, Max: in.Rounds, Mode: pol.mode()})
			return session.Result{Session: t.Session, Topic: t.Topic}, err
		})
		f.Passed, f.Rounds, f.Session, f.Topic = fr.Passed, fr.Rounds, r.Session, r.Topic
		for _, r := range fr.Answers {
			var a Answer
			a.fill(r)
			f.Answers = append(f.Answers, a)
			f.Topic = a.Topic
		}
		_, _, f.Output = out.report()
		return f, err
	})
}

func (s *Server) closeTool(ctx context.Context, req *mcp.CallToolRequest, in CloseArgs) (*mcp.CallToolResult, *CloseResult, error) {
	return runTool(s, ctx, req, policy{}, nil, func(ctx context.Context, out *output) (*CloseResult, error) {
		c := &CloseResult{}
		dir := s.dir(in.CWD)
		write := in.File
		if write != "" && !filepath.IsAbs(write) {
			write = filepath.Join(dir, write)
		}
		_, err := s.continue1(ctx, out, dir, in.Which, func(ctx context.Context, eng *session.Engine, t session.Target) (session.Result, error) {
			r, err := eng.Close(ctx, session.CloseOptions{Target: t, WriteFile: write})
			c.Session, c.Topic, c.Title = r.Session, r.Topic, r.Title
			c.Found, c.Decisions, c.Next, c.Written, c.Text = r.Found, r.Decisions, r.Next, r.Written, r.Answer.Text
			return r.Answer, err
		})
		return c, err
	})
}

// opening is a new session to open.
type opening struct {
	cwd, topic, model string
	// first is the structured first message (Topic and Context are filled in).
	first   session.DelegateOptions
	context []string
}

// open1 opens a session on the topic (default: cwd's current branch) and
// sends the first message, holding the topic's lock throughout and the new
// session's from the moment it exists.
func (s *Server) open1(ctx context.Context, out *output, o opening) (session.Result, error) {
	dir := s.dir(o.cwd)
	w, eng, err := s.workspace(dir, EngineOptions{Model: true, ModelName: o.model}, out)
	if err != nil {
		return session.Result{}, err
	}
	defer w.Close()
	topic, err := w.Topic(o.topic)
	if err != nil {
		return session.Result{Topic: o.topic}, err
	}
	files, err := w.ContextPaths(o.context)
	if err != nil {
		return session.Result{Topic: topic}, err
	}
	if root := w.Repo().WorkTree(); root != "" {
		if pol, ok := scaffold.AgentBan(root); ok {
			out.note(fmt.Sprintf("warning: %s forbids autonomous agents: “%s”", pol.File, pol.Quote))
		}
	}
	key := repoKey(w)
	unlockTopic, err := s.locks.lock(ctx, key+"topic\x00"+topic)
	if err != nil {
		return session.Result{Topic: topic}, err
	}
	defer unlockTopic()
	var unlockSession func()
	out.onOpened(func(id string) {
		s.remember(id, dir)
		// A brand-new id: only a reply that found it meanwhile waits.
		unlockSession, _ = s.locks.lock(ctx, key+"session\x00"+id)
	})
	defer func() {
		if unlockSession != nil {
			unlockSession()
		}
	}()
	opt := o.first
	opt.Topic, opt.Context, opt.Model = topic, files, o.model
	res, err := eng.Delegate(ctx, opt)
	if res.Session == "" {
		res.Session, _, _ = out.report()
		res.Topic = topic
	}
	return res, err
}

// continue1 resolves the session a call continues (by id or unique prefix,
// else the topic's current session), takes its lock, and runs send on it.
// The topic's lock is held while the current session is resolved, so a
// delegate running on the topic finishes first and its session is the one
// continued.
func (s *Server) continue1(ctx context.Context, out *output, dir string, which Which,
	send func(ctx context.Context, eng *session.Engine, t session.Target) (session.Result, error)) (session.Result, error) {
	w, eng, err := s.workspace(dir, EngineOptions{Model: true}, out)
	if err != nil {
		return session.Result{}, err
	}
	defer w.Close()
	key := repoKey(w)
	if id := strings.ToUpper(which.Session); len(id) == idLen && which.Topic == "" {
		// A whole id (what codex returned): lock it without reading the
		// notes twice; the engine finds the session.
		unlock, err := s.locks.lock(ctx, key+"session\x00"+id)
		if err != nil {
			return session.Result{Session: id}, err
		}
		defer unlock()
		res, err := send(ctx, eng, session.Target{Session: id})
		if !errors.Is(err, session.ErrNoSession) {
			s.remember(id, dir)
		}
		if res.Session == "" {
			res.Session = id
		}
		return res, err
	}
	var sess *session.Session
	if which.Session != "" {
		sess, err = eng.Load(ctx, which.Topic, which.Session)
	} else {
		var topic string
		topic, err = w.Topic(which.Topic)
		if err != nil {
			return session.Result{}, err
		}
		var unlockTopic func()
		unlockTopic, err = s.locks.lock(ctx, key+"topic\x00"+topic)
		if err != nil {
			return session.Result{}, err
		}
		defer unlockTopic()
		sess, err = eng.Load(ctx, topic, "")
	}
	if err != nil {
		return session.Result{}, err
	}
	unlock, err := s.locks.lock(ctx, key+"session\x00"+sess.ID)
	if err != nil {
		return session.Result{Session: sess.ID, Topic: sess.Topic}, err
	}
	defer unlock()
	s.remember(sess.ID, dir)
	res, err := send(ctx, eng, session.Target{Topic: sess.Topic, Session: sess.ID})
	if res.Session == "" {
		res.Session, res.Topic = sess.ID, sess.Topic
	}
	return res, err
}

// idLen is the length of a session id (gitstore.NewID).
const idLen = 26

// workspace opens the repository of dir and builds the engine over it.
func (s *Server) workspace(dir string, opt EngineOptions, out session.Output) (Workspace, *session.Engine, error) {
	w, err := s.opts.Backend.Open(dir)
	if errors.Is(err, gitstore.ErrNotRepository) {
		return nil, nil, failure.WithHint(err, "pass cwd, a directory inside a git repository")
	}
	if err != nil {
		return nil, nil, err
	}
	eng, err := w.Engine(opt, out)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	return w, eng, nil
}

// repoKey names the repository in lock names: its common git directory,
// the same for every worktree of it.
func repoKey(w Workspace) string { return w.Repo().CommonDir() + "\x00" }
