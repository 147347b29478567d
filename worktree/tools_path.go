package worktree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ErrRefused is returned (wrapped, with the reason) when a tool or ReadInline
// refuses a path: an absolute path, a ".." escape, a symlink leading out of
// the work tree, anything under .git, a file on the secret deny list, a
// file that is not a regular file (FIFO, socket, device), a hard-linked file
// git does not track with that content, a path that changed while being
// opened, a binary or non-UTF-8 file, or a file over the size cap.
var ErrRefused = errors.New("refused")

// ErrNotFound is returned (wrapped) when a path does not exist in the work tree.
var ErrNotFound = errors.New("no such file or directory")

// deniedDirs are directory names whose contents are never read: git's own
// storage and the usual homes of credentials.
var deniedDirs = map[string]bool{
	".git": true, ".aws": true, ".ssh": true, ".gnupg": true, ".docker": true,
	".kube": true, ".azure": true,
}

// deniedFiles are base-name patterns (path.Match, lower-case) of files that
// commonly hold secrets.
var deniedFiles = []string{
	".env", ".env.*", "*.env", ".envrc",
	"*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.tfstate", "*.tfstate.*",
	"id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
	".npmrc", ".netrc", "_netrc", ".pypirc", ".pgpass", ".htpasswd", ".git-credentials", ".dockercfg",
	"credentials*", "*credentials.json", "secrets.*", "*.secret", "*.secrets",
}

// deniedPath returns why the slash-separated relative path rel may not be read,
// or "" when it may.
func deniedPath(rel string) string {
	if rel == "." || rel == "" {
		return ""
	}
	parts := strings.Split(rel, "/")
	for _, p := range parts {
		lp := strings.ToLower(p)
		if lp == ".git" {
			// A .git directory, or the .git file of a worktree or submodule.
			return "git's own storage (.git) is off limits"
		}
		if deniedDirs[lp] {
			return fmt.Sprintf("%s/ is on the secret deny list", p)
		}
	}
	base := strings.ToLower(parts[len(parts)-1])
	for _, pat := range deniedFiles {
		if ok, _ := path.Match(pat, base); ok {
			return fmt.Sprintf("%s is on the secret deny list (pattern %s)", parts[len(parts)-1], pat)
		}
	}
	return ""
}

// cleanRel validates a path given by the model or the user and returns it
// relative to the root in slash form ("." for the root itself).
func cleanRel(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" || p == "." || p == "./" {
		return ".", nil
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: path contains a NUL byte", ErrRefused)
	}
	slashed := strings.ReplaceAll(p, `\`, "/")
	if path.IsAbs(slashed) || filepath.IsAbs(p) || filepath.VolumeName(p) != "" || strings.HasPrefix(p, "~") {
		return "", fmt.Errorf("%w: %q is absolute; use a path relative to the repository root", ErrRefused, p)
	}
	c := path.Clean(slashed)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%w: %q leads out of the work tree", ErrRefused, p)
	}
	return c, nil
}

// resolveIn checks p lexically, then resolves symlinks and checks the real
// path is still inside the root and not denied. It returns the slash
// relative path as given (cleaned) and the resolved one (slash, relative to
// root, no symlinks in it). It only checks: openIn opens what it resolved.
func resolveIn(root, p string) (rel, inside string, err error) {
	rel, err = cleanRel(p)
	if err != nil {
		return "", "", err
	}
	if why := deniedPath(rel); why != "" {
		return "", "", fmt.Errorf("%w: %s", ErrRefused, why)
	}
	abs := filepath.Join(root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("%s: %w", rel, ErrNotFound)
		}
		return "", "", fmt.Errorf("resolve %s: %w", rel, err)
	}
	in, err := filepath.Rel(root, real)
	if err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) || filepath.IsAbs(in) {
		return "", "", fmt.Errorf("%w: %q is a symlink leading out of the work tree", ErrRefused, rel)
	}
	inside = filepath.ToSlash(in)
	if why := deniedPath(inside); why != "" {
		return "", "", fmt.Errorf("%w: %q resolves to a denied path: %s", ErrRefused, rel, why)
	}
	return rel, inside, nil
}

// realRoot returns the real absolute path of the work tree root.
func realRoot(root string) (string, error) {
	if !filepath.IsAbs(root) {
		return "", fmt.Errorf("open work tree %q: the root must be an absolute path", root)
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("open work tree %s: %w", root, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("open work tree %s: %w", root, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("open work tree %s: not a directory", root)
	}
	return real, nil
}
