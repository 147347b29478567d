// Package worktree owns the model's access to the work tree: the read-only
// file tools (read a file range, list a directory, search text, read git
// history), inline context, the edits of the apply_patch tool (the V4A diff
// format, ApplyV4A; the Editor that prepares, commits and undoes patches;
// WriteFile for close --write), what the model already saw of each file
// (Seen, for short re-reads and stale-file checks), and the path rules every
// access obeys. It must never follow a path out of the work tree (no "..",
// absolute paths, symlinks leaving the tree or anything under .git), never
// read or write a file on the secret deny list, and never import go-git or
// go-openai: blobs are hashed here, but stored by the session.
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
//
// Every write (Editor, WriteFile) follows the same rules, and these:
//
//   - Check, then write where the check looked. The path as named and as
//     resolved must pass the rules; directories missing on the way are made
//     one at a time from the root (mkdirat), every directory is opened from
//     the root without following a link, and the final name is never
//     followed: a symlink, a directory or a special file there is refused.
//   - Replace, never write in place. New content goes to a temporary file
//     beside the target (O_CREAT|O_EXCL|O_NOFOLLOW), synced, then renamed
//     over it, or linked to the name for a new file so that nothing created
//     meanwhile is overwritten. A hard link to the old file (perhaps outside
//     the tree) is thereby never written through, and a killed process
//     leaves each file with its old content or its new one.
//   - All or nothing. A patch is worked out in memory first (every hunk of
//     every operation); at commit each file must still be what it was worked
//     out from (its blob), and a failure at any file restores those already
//     written.
//   - Read what is patched under the read rules: a file with several hard
//     links only as git tracks it, text only, at most EditOptions.MaxFileBytes.
//   - Stale files. With a Seen, a file whose blob is not the one the model
//     last read or wrote is not patched (ErrStale): the model reads it again.
package worktree
