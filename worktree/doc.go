// Package worktree owns the model's access to the work tree: the read-only
// file tools (read a file range, list a directory, search text, read git
// history), inline context, and the path rules every access obeys. It must
// never follow a path out of the work tree (no "..", absolute paths, symlinks
// leaving the tree or anything under .git), never read a file on the secret
// deny list, and never import go-git or go-openai.
//
// The work tree may be hostile: its files may be links, special files or
// paths another process renames while a tool reads them. Every read (the
// tools, ReadInline, CheckPath) follows the same rules:
//
//   - Check, then open what was checked. A path is checked lexically, its
//     symlinks are resolved inside the tree, and both the given and the
//     resolved path must pass the deny list. The resolved path is then opened
//     from the root one component at a time (openat with O_NOFOLLOW), so a
//     component swapped for a symlink after the check fails the open instead
//     of being followed. The final name is looked at first, only a regular
//     file is opened, without blocking (O_NONBLOCK: a FIFO put there
//     meanwhile cannot hang the call), and the opened file must be the one
//     looked at (same device and inode). search_text walks directories the
//     same way and never follows a symlink.
//   - Regular files only. FIFOs, sockets and devices are refused, and never
//     opened; list_dir names them without opening them.
//   - The hard-link rule. A regular file with more than one link may share
//     its content with any file on the same file system — outside the tree,
//     .git/config, a deny-listed .env — so its name says nothing about where
//     its content comes from. Such a file is read only when git's index
//     tracks its resolved path at stage 0 as a regular file (TrackedFunc)
//     and the bytes read, hashed the way git hashes a blob ("blob <size>\x00"
//     and the content, SHA-1 or SHA-256 as the id's length says), give that
//     blob id: the content is then something git already holds. The hash
//     covers exactly the bytes the tool used, read in one pass, so a file
//     changed meanwhile is refused too, and nothing read from the file (not
//     even an error that describes it) is returned before the check passes.
//     A file git stores through a filter (core.autocrlf, clean/smudge, LFS)
//     differs from its blob, so a hard-linked copy of one is refused. Link
//     counts are read on Unix only.
//   - Bounded memory. read_file keeps at most the result cap of any line and
//     stops at a line it had to cut, search_text reads at most 1 MiB of a
//     file, ReadInline at most its byte cap: a 200 MB single-line file costs
//     a few hundred KiB, not its size.
//   - Cancellation. Every read and every directory entry checks the context,
//     and Tools.Call returns as soon as the context is done, even if the tool
//     is stuck in a system call: Ctrl-C always ends a turn.
package worktree
