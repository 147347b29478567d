// Package history owns the read-only views of sessions along the commit
// history — log (commits with the turns attached to them) and pr-summary (a
// pull-request description from base..head) — and reattach, which finds the
// records of commits that lost their notes to a cherry-pick, squash merge or
// rebase and copies them to the new commit.
//
// It reads every topic at once through an index of the notes (index.go),
// cached per notes commit in a derived file (cache.go), and decodes records
// with the session schema (package session). It works on a gitstore.Repo
// through the small interfaces it declares; it must not import go-git, the
// model client or urfave/cli, and writes nothing but reattach's copies.
package history
