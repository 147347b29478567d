// Package gitflow owns git codex's git workflows — the places where sessions
// meet the user's own git commands: installing the pre-push hook and the
// notes-rewrite configuration (init) and undoing exactly that (init
// --uninstall), checking hook, configuration and notes storage health
// (check), the pre-push hook itself (sending topic notes along with a push),
// sync (fetch, union-merge and push session notes), the sharing rule both
// apply (which topics may go to which remote; share.go), re-attaching turns
// to rewritten commits, and the deterministic PR summary and log views.
//
// It works on a gitstore.Repo and the git binary. It must not import go-git
// (gitstore does that), the model client or urfave/cli, must never change the
// user's remote.* settings, force-push, delete notes on a remote or send a
// topic the sharing rule keeps here, and must leave every change it
// makes to hooks and configuration recorded so that it can be undone.
package gitflow
