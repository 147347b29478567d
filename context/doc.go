// Package repoctx owns the project's context files — checking and scaffolding
// ARCHITECTURE.md and AGENTS.md — and the read-only file tools the model uses
// to read the work tree (read a file range, list a directory, search text,
// read git history). It must not write outside the files it scaffolds, must
// never follow a path out of the work tree (no "..", absolute paths, symlinks
// leaving the tree or anything under .git), and must never import go-git or
// go-openai. Import it everywhere as
// repoctx "github.com/git-codex/git-codex/context"; never name a variable
// context.
package repoctx
