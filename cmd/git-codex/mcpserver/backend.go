package mcpserver

import (
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/session"
)

// Backend opens what one call works on. The command layer implements it with
// the command line's own rules (model configuration from flags, environment
// and git config; the topic of the current branch; paths relative to the
// current directory; the same error wording), so that a tool and the
// matching command behave alike.
type Backend interface {
	// Open returns the workspace of the repository that contains dir.
	Open(dir string) (Workspace, error)
}

// Workspace is one call's view of one repository. It is used by one call and
// closed when the call ends.
type Workspace interface {
	// Repo is the repository (read-only tools read it directly).
	Repo() *gitstore.Repo
	// Topic returns topic when it is set (validated), else the current
	// branch; a detached HEAD is an error that says what to pass.
	Topic(topic string) (string, error)
	// ContextPaths turns paths relative to the call's directory into paths
	// relative to the work tree; a path outside it is an error.
	ContextPaths(paths []string) ([]string, error)
	// Engine builds the session engine over the repository's notes,
	// reporting to out.
	Engine(opt EngineOptions, out session.Output) (*session.Engine, error)
	// Close releases the repository.
	Close()
}

// EngineOptions say what a call needs of the session engine.
type EngineOptions struct {
	// Model is set for calls that talk to the model: the engine gets the
	// model configuration; Engine and ModelName override it as the
	// --engine and --model flags do.
	Model             bool
	Engine, ModelName string
}
