package codexcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Sentinel errors of Find; compare with errors.Is. Both come wrapped in an
// *InstallError whose text names InstallCommand.
var (
	// ErrNotInstalled: no Codex CLI where it was looked for, or the file
	// found does not run as one.
	ErrNotInstalled = errors.New("codex CLI not found")
	// ErrTooOld: the Codex CLI found is older than MinVersion.
	ErrTooOld = errors.New("codex CLI too old")
)

// InstallError is the error of Find when Codex is missing, broken or too old.
// Its text is one line that names the install command.
type InstallError struct {
	// Path is the executable looked for or found ("codex" when it is not on
	// PATH).
	Path string
	// Version is the version found, when one was read.
	Version string
	// Err is ErrNotInstalled or ErrTooOld.
	Err error
	// Detail says what went wrong, when more than Err does.
	Detail string
}

func (e *InstallError) Error() string {
	var what string
	switch {
	case errors.Is(e.Err, ErrTooOld):
		what = fmt.Sprintf("codex CLI at %s is %s, older than %s", e.Path, e.Version, MinVersion)
	case e.Detail != "":
		what = fmt.Sprintf("codex CLI at %s does not work: %s", e.Path, e.Detail)
	case filepath.IsAbs(e.Path):
		what = fmt.Sprintf("codex CLI not found at %s", e.Path)
	default:
		what = fmt.Sprintf("codex CLI %q not found on PATH", e.Path)
	}
	return what + " (install it: " + InstallCommand + ")"
}

func (e *InstallError) Unwrap() error { return e.Err }

// Binary is a Codex CLI that Find checked.
type Binary struct {
	// Path is the executable each turn runs. When Codex was found as npm's
	// node wrapper (@openai/codex/bin/codex.js), it is the native binary the
	// wrapper would exec: the wrapper adds 65–100 ms and ~43 MB to every turn
	// for nothing else.
	Path string
	// Found is where Codex was found (on PATH or as configured), before the
	// npm wrapper was resolved.
	Found string
	// Version is the version of Path.
	Version Version
	// Env holds the variables the npm wrapper sets for the native binary
	// (CODEX_MANAGED_BY_NPM, CODEX_MANAGED_PACKAGE_ROOT); Run adds them.
	Env []string
}

// FindOptions says where to look for Codex.
type FindOptions struct {
	// Path is a configured executable (git config codex.codexPath): an
	// absolute or relative path, or a bare name looked up on PATH. Empty
	// means "codex" on PATH.
	Path string
	// PATH is the search path; empty means the process's own PATH.
	PATH string
	// Env is the environment of `codex --version`, when the version has to
	// be asked (nil: the process's own).
	Env []string
	// VersionCache, when set, is a file that remembers the version of a
	// binary by path, size and modification time, so that a Codex installed
	// outside npm (whose version cannot be read from its package files) is
	// asked `codex --version` once, not on every turn.
	VersionCache string
}

// Find locates the Codex CLI and checks its version. It returns an
// *InstallError wrapping ErrNotInstalled when Codex is missing or does not
// run, or ErrTooOld when it is older than MinVersion.
func Find(ctx context.Context, opts FindOptions) (*Binary, error) {
	name := opts.Path
	if name == "" {
		name = "codex"
	}
	found, err := lookPath(name, opts.PATH)
	if err != nil {
		return nil, &InstallError{Path: name, Err: ErrNotInstalled}
	}
	b := &Binary{Path: found, Found: found}
	if native, env, ok := resolveNPMWrapper(found); ok {
		b.Path, b.Env = native, env
	}
	v, err := binaryVersion(ctx, b.Path, opts)
	if err != nil {
		return nil, &InstallError{Path: found, Err: ErrNotInstalled, Detail: err.Error()}
	}
	b.Version = v
	if v.Less(minVersion) {
		return nil, &InstallError{Path: found, Version: v.String(), Err: ErrTooOld}
	}
	return b, nil
}

// lookPath finds name the way a shell would: a name with a slash is used as
// is, a bare name is searched in path (the process's PATH when empty). The
// result is an absolute path to an executable regular file.
func lookPath(name, path string) (string, error) {
	if strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, '/') {
		abs, err := filepath.Abs(name)
		if err != nil {
			return "", err
		}
		return abs, executable(abs)
	}
	if path == "" {
		path = os.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p, err := filepath.Abs(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fs.ErrNotExist
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fs.ErrPermission
	}
	return nil
}

// npmTargets maps GOOS/GOARCH to the npm platform package and target triple
// of the native binary, as @openai/codex's bin/codex.js does.
var npmTargets = map[string][2]string{
	"linux/amd64":  {"codex-linux-x64", "x86_64-unknown-linux-musl"},
	"linux/arm64":  {"codex-linux-arm64", "aarch64-unknown-linux-musl"},
	"darwin/amd64": {"codex-darwin-x64", "x86_64-apple-darwin"},
	"darwin/arm64": {"codex-darwin-arm64", "aarch64-apple-darwin"},
}

// resolveNPMWrapper returns the native binary behind npm's node wrapper
// (<root>/@openai/codex/bin/codex.js, usually reached through a bin/codex
// symlink) and the variables the wrapper sets for it. It looks where node's
// resolution of the platform package would: the package's own node_modules,
// then each node_modules above it, then the package's vendor folder.
func resolveNPMWrapper(found string) (native string, env []string, ok bool) {
	real, err := filepath.EvalSymlinks(found)
	if err != nil || filepath.Base(real) != "codex.js" {
		return "", nil, false
	}
	bin := filepath.Dir(real)
	root := filepath.Dir(bin)
	if filepath.Base(bin) != "bin" || filepath.Base(root) != "codex" || filepath.Base(filepath.Dir(root)) != "@openai" {
		return "", nil, false
	}
	target, known := npmTargets[runtime.GOOS+"/"+runtime.GOARCH]
	if !known {
		return "", nil, false
	}
	pkg, triple := target[0], target[1]
	tail := filepath.Join("vendor", triple, "bin", "codex")
	candidates := []string{filepath.Join(root, "node_modules", "@openai", pkg, tail)}
	for d := filepath.Dir(root); ; d = filepath.Dir(d) {
		if filepath.Base(d) == "node_modules" {
			candidates = append(candidates, filepath.Join(d, "@openai", pkg, tail))
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	candidates = append(candidates, filepath.Join(root, tail))
	for _, c := range candidates {
		if executable(c) == nil {
			return c, []string{"CODEX_MANAGED_BY_NPM=1", "CODEX_MANAGED_PACKAGE_ROOT=" + root}, true
		}
	}
	return "", nil, false
}

// binaryVersion reads the version of the native binary at path: from the
// codex-package.json that npm's platform packages ship beside bin/ (no
// process started), else from the cache, else from `codex --version`.
func binaryVersion(ctx context.Context, path string, opts FindOptions) (Version, error) {
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(path)), "codex-package.json")); err == nil {
		var pkg struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(b, &pkg) == nil && pkg.Version != "" {
			if v, err := ParseVersion(pkg.Version); err == nil {
				return v, nil
			}
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Version{}, err
	}
	key := versionKey{Path: path, Size: fi.Size(), ModNS: fi.ModTime().UnixNano()}
	if opts.VersionCache != "" {
		if v, ok := readVersionCache(opts.VersionCache, key); ok {
			return v, nil
		}
	}
	v, err := askVersion(ctx, path, opts.Env)
	if err != nil {
		return Version{}, err
	}
	if opts.VersionCache != "" {
		writeVersionCache(opts.VersionCache, key, v)
	}
	return v, nil
}

// askVersion runs `codex --version`.
func askVersion(ctx context.Context, path string, env []string) (Version, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := lastLine(stderr.String())
		if msg == "" {
			return Version{}, fmt.Errorf("run %s --version: %w", filepath.Base(path), err)
		}
		return Version{}, fmt.Errorf("run %s --version: %w: %s", filepath.Base(path), err, msg)
	}
	// The version is the last line: Codex may print warnings first.
	return ParseVersion(lastLine(stdout.String()))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// versionKey identifies one build of a binary.
type versionKey struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	ModNS int64  `json:"mod_ns"`
}

type versionEntry struct {
	versionKey
	Version string `json:"version"`
}

// readVersionCache returns the cached version of key; any problem with the
// file is a miss.
func readVersionCache(file string, key versionKey) (Version, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Version{}, false
	}
	var e versionEntry
	if json.Unmarshal(b, &e) != nil || e.versionKey != key {
		return Version{}, false
	}
	v, err := ParseVersion(e.Version)
	return v, err == nil
}

// writeVersionCache stores one entry (the last binary asked), replacing the
// file atomically. It is a cache: failures are ignored.
func writeVersionCache(file string, key versionKey, v Version) {
	b, err := json.Marshal(versionEntry{versionKey: key, Version: v.String()})
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".codex-version-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), file) != nil {
		_ = os.Remove(tmp.Name())
	}
}
