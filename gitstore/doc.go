// Package gitstore owns all access to the git repository: finding it (also from
// subdirectories, linked worktrees and hooks), reading commits and trees, and
// storing records as git notes under refs/notes/codex/<topic>. A record is an
// opaque line of JSON: storage reads only its envelope (id, time, kind,
// commit, patch-id) and returns every copy of it; what the other fields mean,
// and which copy of a rewritten record to show, belong to package session. Notes
// fetched from remotes live under refs/notes/remotes/<remote>/codex/<topic>;
// NotesStore.WithRemotes reads both, and nothing here writes the fetched ones.
//
// It is the repository port of the layers above: they call named, typed
// operations (RevList, PatchIDs, IsAncestor, MergeBase, FetchRefs, PushRefs,
// ConfigGet, …), never a git argument list, so that every git invocation and
// its flags live here once. A git process that fails comes back as a
// *GitError (verb, exit code, standard error).
//
// It is the only package that imports go-git. Refs are never updated through
// go-git's reference storage: every update of a shared ref is a compare-and-swap
// through git's own lock-file protocol (see lock.go), so that many processes and
// the git CLI itself can write at once without losing a record, and a killed
// process leaves either the old or the new state.
//
// It must not know about models, prompts, the session schema or the command
// line.
package gitstore
