package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/worktree"
)

// DelegateOptions describe a new session.
type DelegateOptions struct {
	Topic string
	Task  string
	// Context lists files to reference besides prompt.DefaultContextFiles.
	Context  []string
	Focus    string
	Scope    string
	Expect   string
	Criteria string
	// Inline attaches the context files' contents to the first message and
	// offers no tools (for models without tool calling).
	Inline bool
	// Engine and Model override the configured ones for this session.
	Engine string
	Model  string
	// MaxInlineBytes caps the inlined contents; 0 means 256 KiB.
	MaxInlineBytes int
	// Mode is the sandbox mode and approval policy asked for; the session
	// keeps them (ModeRequest.Open).
	Mode ModeRequest
	// From names a session (an id) that cannot be continued, a closed one:
	// the new session continues its work. Its first message is that
	// session's transcript rebuilt from git, as a restart rebuilds it, then
	// Task as a follow-up; it references the same context files, and takes
	// its engine and model unless Engine and Model say otherwise. A restart
	// event names the old session, and Result.Restarted is set.
	From string
}

// Delegate opens a new session on the topic, which becomes the topic's
// current one (earlier sessions stay readable), and sends the structured
// first message. It never chains to an earlier session: a second delegate on
// a topic is a second opinion from a fresh conversation.
func (e *Engine) Delegate(ctx context.Context, opt DelegateOptions) (Result, error) {
	if strings.TrimSpace(opt.Task) == "" {
		return Result{}, fmt.Errorf("open session: %w: the task is empty", ErrEmptyMessage)
	}
	if e.Repo.WorkTree() == "" {
		return Result{}, fmt.Errorf("open session: %w", ErrNoWorkTree)
	}
	// A missing API key is reported after the session and its first message
	// are stored (in send), so nothing the user typed is lost.
	var from *Session
	if opt.From != "" {
		var err error
		if from, err = e.Load(ctx, "", opt.From); err != nil {
			return Result{}, fmt.Errorf("continue from session %s: %w", text.ShortID(opt.From), err)
		}
		if opt.Engine == "" {
			opt.Engine = from.Engine()
		}
		if opt.Model == "" {
			opt.Model = from.Open.Model
		}
		if len(opt.Context) == 0 {
			opt.Context = from.Open.Context
		}
		opt.Inline = false
	}
	engine, modelName := opt.Engine, opt.Model
	if engine == "" {
		engine = string(e.Config.Engine)
	}
	if engine == "" {
		engine = string(model.EngineResponses)
	}
	if modelName == "" {
		modelName = e.Config.Model
	}
	mode := opt.Mode.Open()
	if engine == EngineCodex {
		// Refused before anything is stored: the command line is all
		// there is to correct.
		if err := checkCodexMode(mode); err != nil {
			return Result{}, fmt.Errorf("open session: %w", err)
		}
	}
	files, err := e.checkContext(ctx, opt.Context)
	if err != nil {
		return Result{}, err
	}

	fm := prompt.FirstMessage{
		Task:         opt.Task,
		ContextFiles: opt.Context,
		Focus:        opt.Focus,
		Scope:        opt.Scope,
		Expect:       opt.Expect,
		Criteria:     opt.Criteria,
	}
	if opt.Inline {
		max := opt.MaxInlineBytes
		if max <= 0 {
			max = 256 << 10
		}
		var present []string
		for _, f := range files {
			if e.exists(f) {
				present = append(present, f)
			}
		}
		inline, err := worktree.ReadInline(ctx, e.Repo.WorkTree(), present, max, e.tracked)
		if err != nil {
			return Result{}, fmt.Errorf("read context files to inline: %w", err)
		}
		fm.InlineFiles = inline
	}
	first, err := prompt.First(fm)
	if err != nil {
		return Result{}, fmt.Errorf("render first message: %w", err)
	}
	if from != nil {
		first = e.rebuild(from, prompt.Reply(opt.Task), "the earlier session was closed, and this new session continues it")
	}
	target, err := e.head()
	if err != nil {
		return Result{}, err
	}

	now := e.now()
	s := &Session{ID: gitstore.NewID(now), Topic: opt.Topic, Inline: opt.Inline}
	open := e.record(KindSession, s)
	open.ID = s.ID
	open.Commit, open.Engine, open.Model = target, engine, modelName
	open.Title, open.Text, open.Context = e.redactor().Line(opt.Task, 72), opt.Task, files
	if opt.Inline && mode.CanEdit() {
		// Inline context is for models without tool calling: they get no
		// edit tool either.
		e.notify(EventMode, s, "--inline-context offers the model no tools: the session is read-only")
		mode.Sandbox = SandboxReadOnly
	}
	open.Sandbox, open.Approval = mode.Sandbox, mode.Approval
	e.noteNever(s, opt.Mode, mode)
	recs := []Record{open}
	if opt.Inline {
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Event = target, RecordInline
		recs = append(recs, ev)
	}
	restarted := ""
	if from != nil {
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Event = target, RecordRestart
		ev.Text = "continues session " + from.ID + " (" + sessionState(from) + "); its context rebuilt from the git transcript"
		recs = append(recs, ev)
		restarted = fmt.Sprintf("session %s is %s: continuing its work in a new session, its context rebuilt from git", text.ShortID(from.ID), sessionState(from))
	}
	if err := e.append(ctx, s.Topic, target, recs...); err != nil {
		return Result{}, fmt.Errorf("store new session: %w", err)
	}
	s.Open = open
	shown := modelName
	if shown == "" {
		shown = "Codex's configured model"
	}
	opened := fmt.Sprintf("session %s opened on topic %q (%s, %s)", text.ShortID(s.ID), s.Topic, engine, shown)
	if mode.CanEdit() {
		opened += "; sandbox " + mode.String()
	}
	e.notify(EventOpened, s, opened)
	if restarted != "" {
		e.notify(EventRestart, s, restarted)
	}
	res, err := e.send(ctx, s, exchange{text: first, fresh: true, mode: mode})
	res.Restarted = res.Restarted || from != nil
	return res, err
}

// sessionState says in a word why a session is not continued as it is.
func sessionState(s *Session) string {
	if s.Closed {
		return "closed"
	}
	return "open"
}

// checkContext returns the files a new session references. They pass the
// same confinement and deny rules as the model's file tools
// (worktree.CheckPath): a named file the tools would refuse is an error
// wrapping worktree.ErrRefused, one that does not exist ErrContextFile. A
// missing or refused default file is only a warning (and left out), since
// the model can work without it.
func (e *Engine) checkContext(ctx context.Context, named []string) ([]string, error) {
	root := e.Repo.WorkTree()
	defaults := map[string]bool{}
	for _, f := range prompt.DefaultContextFiles {
		defaults[f] = true
	}
	var out []string
	for _, f := range prompt.ContextFiles(named) {
		err := worktree.CheckPath(ctx, root, f, e.tracked)
		switch {
		case err == nil:
			out = append(out, f)
		case defaults[f] && errors.Is(err, worktree.ErrNotFound):
			e.notify(EventWarning, nil, "the first message tells the model to read "+f+", which does not exist; 'git codex init' scaffolds it")
			out = append(out, f) // the first message still names it
		case defaults[f]:
			e.notify(EventWarning, nil, fmt.Sprintf("%s left out: %v", f, err))
		case errors.Is(err, worktree.ErrNotFound):
			return nil, fmt.Errorf("open session: %s: %w", f, ErrContextFile)
		default:
			return nil, fmt.Errorf("open session: --context %s: %w", f, err)
		}
	}
	return out, nil
}

// exists reports whether a work-tree-relative file exists.
func (e *Engine) exists(rel string) bool {
	root := e.Repo.WorkTree()
	if root == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
	return err == nil
}

// Target names a session: Session (an id prefix) if set, else the newest
// session of Topic.
type Target struct {
	Topic   string
	Session string
}

// ReplyOptions describe a follow-up message.
type ReplyOptions struct {
	Target
	Message string
	// Engine, when set and not the session's engine, switches the session
	// to it: an engine event is stored with the message, and the request
	// restarts from the transcript in git (the new engine knows nothing of
	// the old one's server-side state).
	Engine string
	// Mode asks for a sandbox mode and approval policy: a flag changes the
	// session's, a configured default only lowers it (ModeRequest.Follow).
	Mode ModeRequest
}

// Reply continues a session with a new message; only that message is sent.
func (e *Engine) Reply(ctx context.Context, opt ReplyOptions) (Result, error) {
	if strings.TrimSpace(opt.Message) == "" {
		return Result{}, fmt.Errorf("reply: %w", ErrEmptyMessage)
	}
	// Codex starts up while the session is read (codexnext.go).
	early := e.startEarly(ctx, opt)
	defer early.Stop()
	// A missing API key is reported after the message is stored (in send),
	// so nothing the user typed is lost.
	s, err := e.load(ctx, opt.Target)
	if err != nil {
		return Result{}, err
	}
	if opt.Engine != "" && opt.Engine != string(model.EngineResponses) && opt.Engine != string(model.EngineChat) && opt.Engine != EngineCodex {
		return Result{}, fmt.Errorf("reply: unknown engine %q (want %q, %q or %q)", opt.Engine, model.EngineResponses, model.EngineChat, EngineCodex)
	}
	x := e.replyExchange(s, opt)
	x.early = early
	return e.send(ctx, s, x)
}

// replyExchange is what reply opt sends to session s.
func (e *Engine) replyExchange(s *Session, opt ReplyOptions) exchange {
	mode := e.nextMode(s, opt.Mode)
	if s.Inline && mode.CanEdit() {
		e.notify(EventMode, s, "session "+text.ShortID(s.ID)+" sends its context inline and offers the model no tools: it stays read-only")
		mode.Sandbox = SandboxReadOnly
	}
	return exchange{text: prompt.Reply(opt.Message), engine: opt.Engine, mode: mode}
}

// open resolves an open session, then checks the configuration. It is for
// requests the tool writes itself (fix, close, compact): those fail before
// anything is stored or run. A missing session is reported first: it is
// the first thing to fix, and delegate works (storing the task) without a key.
func (e *Engine) open(ctx context.Context, t Target) (*Session, error) {
	s, err := e.load(ctx, t)
	if err != nil {
		return nil, err
	}
	if s.Engine() == EngineCodex {
		return s, nil // Codex signs in by itself
	}
	if err := e.checkConfig(); err != nil {
		return nil, err
	}
	return s, nil
}

// load resolves an open session.
func (e *Engine) load(ctx context.Context, t Target) (*Session, error) {
	s, err := e.Load(ctx, t.Topic, t.Session)
	if err != nil {
		return nil, err
	}
	if s.Closed {
		return nil, fmt.Errorf("continue session %s: %w", text.ShortID(s.ID), ErrClosed)
	}
	return s, nil
}
