// Package notesync exchanges session notes with remotes: sync (fetch,
// union-merge and push the topic notes refs), the sending half of the
// pre-push hook (Send), and the sharing rule both apply — which topics may
// go to which remote (share.go) — with the commands that change it (share,
// unshare, delegate --private).
//
// It works on a gitstore.Repo through the small interfaces it declares
// (repo.go). It must not import go-git, the model client or urfave/cli, must
// never change the user's remote.* settings, force-push, delete notes on a
// remote or send a topic the sharing rule keeps here.
package notesync
