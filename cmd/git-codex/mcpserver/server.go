// Package mcpserver is git codex's second front end: an MCP server on stdio
// (the official Go SDK) that serves the session engine as tools for an
// orchestrating agent. It offers the `codex` and `codex-reply` tools of the
// MCP server Codex removed in 2026, with their names and arguments (the
// thread id is the git codex session id), and native tools for the rest of
// the working pattern: delegate, reply, fix, close, list, show, log,
// pr_summary, stats.
//
// Like the command line it only wires: the Backend (implemented by the
// command layer) opens the repository of a call and builds the session
// engine with the command line's configuration rules; this package
// implements session.Output for a call (progress notifications, approvals
// through elicitation), serialises calls per session and per topic, and
// reports errors with the command line's wording (package failure). It is
// the only package that imports the MCP SDK; it never writes to the
// process's stdout or stderr (the transport and the logger it is given are
// its only outputs).
package mcpserver

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Options configure a Server.
type Options struct {
	// Backend opens the repository and the engine of each call.
	Backend Backend
	// Dir is the server's working directory: the default cwd of a call, and
	// where codex-reply looks for a thread it has not seen yet.
	Dir string
	// Version is the version the server reports to clients.
	Version string
	// Logger receives the server's log (never stdout); nil discards it.
	Logger *slog.Logger
	// ProgressInterval is the least time between two progress messages
	// about a streaming answer; 0 means 200 ms.
	ProgressInterval time.Duration
	// ParkTimeout is how long a call waits for the client's answer to an
	// approval it returned as an input request; 0 means 10 minutes.
	ParkTimeout time.Duration
	// Grace is how long Run waits, once the client is gone, for the calls
	// still running to store what they have; 0 means 15 seconds.
	Grace time.Duration
}

// Server is the MCP server. One Server serves one client connection (a
// process started by the client); calls run concurrently.
type Server struct {
	opts Options
	log  *slog.Logger
	mcp  *mcp.Server

	locks  locks
	parked parked
	runs   sync.WaitGroup

	mu sync.Mutex
	// threads maps the sessions this server has worked on to the directory
	// of their repository, so codex-reply (which has no cwd) finds them.
	threads map[string]string
}

// New builds the server with all its tools.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log, threads: map[string]string{}}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "git-codex", Title: "git codex", Version: opts.Version}, &mcp.ServerOptions{
		Instructions: instructions,
		// The SDK tells every connection step at Info; its warnings
		// and errors are worth the log.
		Logger: slog.New(minLevel{log.Handler(), slog.LevelWarn}),
	})
	s.addTools()
	return s
}

// MCP is the SDK server, for connecting it to a transport in tests.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// Serve serves one client over in and out, the process's stdin and stdout
// (newline-delimited JSON-RPC), until it disconnects or ctx is done. Nothing
// but protocol messages is written to out.
func (s *Server) Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	r, ok := in.(io.ReadCloser)
	if !ok {
		r = io.NopCloser(in)
	}
	return s.Run(ctx, &mcp.IOTransport{Reader: r, Writer: nopCloser{out}})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Run serves the client on t until it disconnects or ctx is done, then
// cancels the calls still waiting for an approval and waits (at most
// Options.Grace) for the running ones to store what they have: the engine
// stores a partial answer as incomplete.
func (s *Server) Run(ctx context.Context, t mcp.Transport) error {
	err := s.mcp.Run(ctx, t)
	s.parked.cancelAll()
	done := make(chan struct{})
	go func() {
		s.runs.Wait()
		close(done)
	}()
	grace := s.opts.Grace
	if grace <= 0 {
		grace = 15 * time.Second
	}
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("calls still running at exit", "grace", grace)
	}
	return err
}

// dir is the directory a call works in: cwd (relative to the server's
// directory), else the server's.
func (s *Server) dir(cwd string) string {
	switch {
	case cwd == "":
		return s.opts.Dir
	case filepath.IsAbs(cwd):
		return filepath.Clean(cwd)
	}
	return filepath.Join(s.opts.Dir, cwd)
}

// remember notes which directory session id's repository is in.
func (s *Server) remember(id, dir string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.threads[id] = dir
}

// threadDir is the directory of the repository that holds the session id
// names (a full id or a unique prefix of one this server has seen), else
// the server's own directory.
func (s *Server) threadDir(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.threads[id]; ok {
		return d
	}
	found := ""
	for full, d := range s.threads {
		if len(id) > 0 && len(full) >= len(id) && strings.EqualFold(full[:len(id)], id) {
			if found != "" && found != d {
				return s.opts.Dir
			}
			found = d
		}
	}
	if found != "" {
		return found
	}
	return s.opts.Dir
}

// minLevel passes on the records of at least a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}
func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
