// Package repoctx owns the project's context files: which files every first
// message refers to (ARCHITECTURE.md, AGENTS.md) and whether they are in
// place. Drafting them is package scaffold's work; reading the work tree on
// the model's behalf is package worktree's. It must never import go-git or
// go-openai. Import it everywhere as
// repoctx "github.com/git-codex/git-codex/context"; never name a variable
// context.
package repoctx
