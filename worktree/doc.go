// Package worktree owns the model's access to the work tree: the read-only
// file tools (read a file range, list a directory, search text, read git
// history), inline context, and the path rules every access obeys. It must
// never follow a path out of the work tree (no "..", absolute paths, symlinks
// leaving the tree or anything under .git), never read a file on the secret
// deny list, and never import go-git or go-openai.
package worktree
