// Package scaffold drafts the context files (ARCHITECTURE.md and AGENTS.md)
// that `git codex init` writes when they are missing: from a CLAUDE.md's
// architecture sections where one exists, otherwise from exploring the code.
// It writes nothing but those files and never imports go-git or go-openai.
package scaffold
