package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/redact"
)

// Sentinel errors of the session engine. The command layer maps them to exit
// codes; callers compare with errors.Is.
var (
	// ErrNoSession is returned when a topic has no session yet (run delegate).
	ErrNoSession = errors.New("no session")
	// ErrAmbiguous is returned when a session id prefix matches several sessions;
	// the error text lists the candidates.
	ErrAmbiguous = errors.New("ambiguous session id")
	// ErrClosed is returned when replying to a closed session.
	ErrClosed = errors.New("session is closed")
	// ErrNoAPIKey is returned before any request when neither OPENAI_API_KEY
	// nor a base URL is configured.
	ErrNoAPIKey = errors.New("OPENAI_API_KEY is not set")
	// ErrFixFailed is returned by Fix when the command still fails after the
	// last round; the failure has been sent to the session.
	ErrFixFailed = errors.New("command failed")
	// ErrContextFile is returned by Delegate when a file named with
	// --context does not exist in the work tree.
	ErrContextFile = errors.New("context file not found in the work tree")
	// ErrEmptyMessage is returned for an empty message or task.
	ErrEmptyMessage = errors.New("empty message")
	// ErrNoWorkTree is returned by Delegate in a repository without a work
	// tree (a bare repository): there are no files for the session to be about.
	ErrNoWorkTree = errors.New("the repository has no work tree")
	// ErrWrongTopic is returned when both a topic and a session id are given
	// and the session belongs to another topic; the text names both.
	ErrWrongTopic = errors.New("session belongs to another topic")
	// ErrInterrupted is returned, with context.Canceled, when a request was
	// interrupted after the user's message, and what the model said so
	// far, were stored (the partial answer as incomplete).
	ErrInterrupted = errors.New("interrupted; what was said so far is stored")
	// ErrOutsideWorkTree is returned by Close when the file to write the
	// summary to is not inside the work tree (or is inside .git, or reached
	// through a symbolic link that leaves the tree).
	ErrOutsideWorkTree = errors.New("path is outside the work tree")
	// ErrFileExists is returned by Close when the file to write the
	// summary to exists and CloseOptions.Force is not set.
	ErrFileExists = errors.New("file exists")
)

// Answer statuses stored in KindAnswer records.
const (
	StatusComplete   = "complete"
	StatusIncomplete = "incomplete"
	StatusError      = "error"
)

// DefaultCompactThreshold is the history size (bytes) above which the chat
// engine compacts a session before replaying it.
const DefaultCompactThreshold = 48 << 10

// Repo is what the engine needs from the repository; *gitstore.Repo
// implements it, tests use a fake.
type Repo interface {
	// Head tells which commit turns attach to.
	Head() (gitstore.Head, error)
	// WorkTree is the absolute top directory of the work tree.
	WorkTree() string
	// RevList lists commits (the git_log tool).
	RevList(ctx context.Context, opt gitstore.RevListOptions) ([]gitstore.Commit, error)
	// IndexBlob is the blob id git's index holds for a tracked file (the
	// file tools' hard-link rule).
	IndexBlob(ctx context.Context, rel string) (string, bool)
	// Commit and IsAncestor answer the read policy (read.go) about the
	// commits copies of a record sit on.
	Commit(id string) (gitstore.Commit, error)
	IsAncestor(ctx context.Context, a, b string) (bool, error)
	// DirtyPaths lists the files HEAD does not hold as they are, and
	// TreeFiles a commit's blob ids for some paths: what a file held before
	// the Codex CLI changed it. IgnoredPaths says which paths git ignores.
	DirtyPaths(ctx context.Context) ([]string, error)
	TreeFiles(ctx context.Context, commit string, paths []string) (map[string]gitstore.TreeFile, error)
	IgnoredPaths(ctx context.Context, paths []string) (map[string]bool, error)
	// WriteBlobs keeps file contents in the object database, reachable
	// from a local ref of the topic (what a patch changed, for undo; what
	// the model read, for short re-reads); ReadBlob reads one back
	// (gitstore.ErrNotFound when this clone does not have it).
	WriteBlobs(ctx context.Context, topic string, contents ...[]byte) ([]string, error)
	ReadBlob(ctx context.Context, id string) ([]byte, error)
}

// Engine runs sessions. Build it with its dependencies; the zero values of
// the optional fields pick defaults. An Engine is used by one command at a
// time.
type Engine struct {
	Store gitstore.Store
	Repo  Repo
	// Config is the model configuration: key, base URL, fallback model, and
	// the engine and model new sessions use. Replies use the engine and model
	// recorded with their session.
	Config model.Config
	// NewClient builds the model client; nil means model.New.
	NewClient func(model.Config) (model.Client, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Out receives the streamed answers, progress, warnings and questions;
	// nil reports nowhere.
	Out Output
	// CompactThreshold bounds the replayed history of chat sessions in bytes;
	// 0 means DefaultCompactThreshold.
	CompactThreshold int
	// MaxToolRounds bounds tool-call rounds per answer; 0 means the model default.
	MaxToolRounds int
	// Prices turn usage into costs (list, stats); nil means the built-in
	// table alone (pricing.Builtin).
	Prices *pricing.Table
	// Codex configures the codex engine (the Codex CLI), which sessions of
	// that engine use whatever Config.Engine says.
	Codex CodexConfig

	// warned holds the malformed note lines already reported, so each is
	// reported once however often the topic is read.
	warned map[gitstore.Warning]bool
	// allowAll holds the sessions whose user answered "always" to an
	// approval: their later edits in this process are not asked.
	allowAll map[string]bool
	// noContextDeltas answers every read in full (the wire benchmark's
	// baseline).
	noContextDeltas bool
	// idx is the session index (index.go), loaded on first use.
	idx *sessionIndex
	// codexBin is the Codex CLI once found.
	codexBin *codexcli.Binary
}

// With returns a new engine with e's dependencies and configuration that
// reports to out. An Engine is not safe for concurrent use: a front end
// that runs sessions at once (the workflow runner) gives each goroutine its
// own, sharing the store and the repository (which serialise their own
// access).
func (e *Engine) With(out Output) *Engine {
	return &Engine{Store: e.Store, Repo: e.Repo, Config: e.Config, NewClient: e.NewClient, Now: e.Now, Out: out,
		CompactThreshold: e.CompactThreshold, MaxToolRounds: e.MaxToolRounds, Prices: e.Prices, Codex: e.Codex}
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// checkConfig fails when no request could succeed: no key and no base URL
// (OpenAI itself always needs a key). Delegate and Reply call it after the
// user's message is stored (SPEC §5: nothing the user typed is lost).
func (e *Engine) checkConfig() error {
	if e.Config.APIKey == "" && e.Config.BaseURL == "" {
		return fmt.Errorf("check model configuration: %w", ErrNoAPIKey)
	}
	return nil
}

// client builds a model client for a session's engine and model.
func (e *Engine) client(engine, modelName string) (model.Client, error) {
	cfg := e.Config
	if engine != "" {
		cfg.Engine = model.Engine(engine)
	}
	if modelName != "" {
		cfg.Model = modelName
	}
	if cfg.FallbackModel == cfg.Model {
		cfg.FallbackModel = ""
	}
	newClient := e.NewClient
	if newClient == nil {
		newClient = model.New
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("create model client: %w", err)
	}
	return c, nil
}

// record returns a record of kind k with time and id filled in.
func (e *Engine) record(k Kind, s *Session) Record {
	now := e.now()
	r := Record{Time: gitstore.FormatTime(now), ID: gitstore.NewID(now), Kind: k}
	if s != nil {
		r.Session, r.Topic = s.ID, s.Topic
	}
	return r
}

// append stores recs, attached to target, in topic's notes ref.
func (e *Engine) append(ctx context.Context, topic, target string, recs ...Record) error {
	g, err := encodeAll(recs...)
	if err != nil {
		return err
	}
	return e.Store.Append(ctx, topic, target, g...)
}

// head returns the object records attach to now.
func (e *Engine) head() (string, error) {
	h, err := e.Repo.Head()
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	return h.Target(), nil
}

// warnSkipped reports malformed note lines, each (ref, object, line) once
// per Engine.
func (e *Engine) warnSkipped(warns []gitstore.Warning) {
	for _, w := range warns {
		key := gitstore.Warning{Ref: w.Ref, Object: w.Object, Line: w.Line, Record: w.Record}
		if e.warned[key] {
			continue
		}
		if e.warned == nil {
			e.warned = map[gitstore.Warning]bool{}
		}
		e.warned[key] = true
		e.notify(EventWarning, nil, "skipped "+w.String())
	}
}

// redactor redacts with the rules and the configured API key; titles and
// clipped results are cut from its output only (see redact.Redactor).
func (e *Engine) redactor() redact.Redactor { return redact.New(e.Config.APIKey) }

func itoa(n int) string { return strconv.Itoa(n) }

// prices is the price table costs are computed with.
func (e *Engine) prices() *pricing.Table {
	if e.Prices == nil {
		e.Prices = pricing.Builtin()
	}
	return e.Prices
}

// Cost is what one answer (or summary) with this usage cost with model:
// unknown, never zero, when the model has no price; nothing when no usage
// was recorded.
func (e *Engine) Cost(model string, u *Usage) pricing.Amount {
	if u == nil {
		return pricing.Amount{}
	}
	return e.prices().Amount(model, pricing.Usage{Input: u.Input, Cached: u.Cached, Output: u.Output})
}
