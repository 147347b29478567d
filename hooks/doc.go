// Package hooks owns the places where git codex meets the user's git
// configuration: installing the pre-push hook and the notes-rewrite
// configuration (init) and undoing exactly that (init --uninstall), saying
// whether they are in place (check), and the pre-push hook itself — the
// context-file checks, the recursion guard and dry-run detection — which
// hands the sending of notes to package notesync.
//
// Install, Uninstall and Status work through the small interfaces it
// declares (repo.go); PrePush works on a *gitstore.Repo, which notesync.Send
// needs whole. It
// must not import go-git, the model client or urfave/cli, must never change
// the user's remote.* settings, and must leave every change it makes to
// hooks and configuration recorded so that it can be undone.
package hooks
