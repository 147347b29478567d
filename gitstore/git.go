package gitstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// GitError is the failure of one git process that a typed operation of Repo
// ran. Callers compare with errors.As to read the exit code; errors.Is sees
// the context's error when the process was stopped because ctx ended.
type GitError struct {
	// Verb is the git subcommand ("fetch", "push", "rev-list").
	Verb string
	// ExitCode is git's exit status; -1 when git did not run to an end
	// (not found, killed by a signal or by the context).
	ExitCode int
	// Stderr is what git printed on standard error.
	Stderr string

	err error // the exec error, or the context's error
}

// Error says what git reported: "git <verb>: <the first fatal: or error:
// line>", else its last line, else the exit status.
func (e *GitError) Error() string {
	if msg := gitMessage(e.Stderr); msg != "" {
		return "git " + e.Verb + ": " + msg
	}
	if e.err != nil {
		return "git " + e.Verb + ": " + e.err.Error()
	}
	return "git " + e.Verb + ": exit status " + strconv.Itoa(e.ExitCode)
}

// Unwrap returns the context's error when the context stopped git, else the
// process error.
func (e *GitError) Unwrap() error { return e.err }

// What a failed exchange with a remote was about, as errors.Is tells it
// from git's standard error (GitError.Is).
var (
	// ErrRemoteMissing: the remote names no repository (a typo in the
	// remote's name or URL, a repository that is gone).
	ErrRemoteMissing = errors.New("no such remote repository")
	// ErrRemoteRefMissing: the remote has no ref a fetch named (a topic it
	// never had, or refused).
	ErrRemoteRefMissing = errors.New("the remote has no such ref")
	// ErrRemoteAccess: the remote refused us: authentication or
	// permission.
	ErrRemoteAccess = errors.New("the remote refused access")
	// ErrRemoteUnreachable: no connection could be made (network, host).
	ErrRemoteUnreachable = errors.New("the remote cannot be reached")
	// ErrRefBusy: a ref git had to update was locked by another process
	// (a concurrent fetch or push): worth trying again.
	ErrRefBusy = errors.New("a ref was locked by another process")
)

// gitFailures maps what git says on standard error to the errors above,
// the first match winning (ssh prints "Permission denied" before the
// generic "Could not read from remote repository").
var gitFailures = []struct {
	says []string
	err  error
}{
	{[]string{"permission denied", "authentication failed", "could not read username", "could not read password",
		"terminal prompts disabled", "returned error: 401", "returned error: 403", "access denied", "not authorized"}, ErrRemoteAccess},
	{[]string{"does not appear to be a git repository", "repository not found", "returned error: 404",
		"no such remote", "could not read from remote repository"}, ErrRemoteMissing},
	{[]string{"couldn't find remote ref"}, ErrRemoteRefMissing},
	{[]string{"could not resolve host", "connection refused", "connection timed out", "network is unreachable",
		"no route to host", "failed to connect", "unable to connect", "connection reset", "the remote end hung up"}, ErrRemoteUnreachable},
	{[]string{"cannot lock ref", "unable to create", "unable to lock", "failed to lock"}, ErrRefBusy},
}

// Is lets errors.Is tell what a failed exchange with a remote was about
// (ErrRemoteMissing, ErrRemoteRefMissing, ErrRemoteAccess,
// ErrRemoteUnreachable, ErrRefBusy).
func (e *GitError) Is(target error) bool {
	stderr := strings.ToLower(e.Stderr)
	for _, f := range gitFailures {
		for _, s := range f.says {
			if strings.Contains(stderr, s) {
				return target == f.err
			}
		}
	}
	return false
}

// exitCode returns the exit status of a failed git process, or 0 when err is
// no GitError.
func exitCode(err error) int {
	var ge *GitError
	if errors.As(err, &ge) {
		return ge.ExitCode
	}
	return 0
}

// GuardEnv is set in the environment of every git process git codex starts
// to exchange notes. The pushes also pass --no-verify, so the pre-push hook
// never runs for them; the guard makes a hook that runs anyway (an older
// hook script, a wrapper) return at once instead of recursing.
const GuardEnv = "GIT_CODEX_NOTES_PUSH"

// git runs the git binary in this repository and returns its standard
// output. It is the only way this package starts git: every other package
// calls one of Repo's typed operations instead.
func (r *Repo) git(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	return r.gitEnv(ctx, nil, stdin, args...)
}

// gitEnv is git with extra environment variables ("KEY=value").
func (r *Repo) gitEnv(ctx context.Context, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	// When ctx ends git is killed, but a process it started (a remote's
	// upload-pack, ssh) may hold the output pipes open: stop waiting for
	// them soon after.
	cmd.WaitDelay = time.Second
	cmd.Dir = r.workTree
	if cmd.Dir == "" {
		cmd.Dir = r.gitDir
	}
	// The repository is the one Open found, whatever the inherited
	// environment says (relative GIT_COMMON_DIR, hooks' GIT_DIR).
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "GIT_DIR" && k != "GIT_WORK_TREE" && k != "GIT_COMMON_DIR" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "GIT_DIR="+r.gitDir)
	if r.commonFromEnv {
		cmd.Env = append(cmd.Env, "GIT_COMMON_DIR="+r.commonDir)
	}
	if r.workTree != "" {
		cmd.Env = append(cmd.Env, "GIT_WORK_TREE="+r.workTree)
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		ge := &GitError{Verb: gitVerb(args), ExitCode: -1, Stderr: stderr.String(), err: err}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			ge.ExitCode = ee.ExitCode()
		}
		if ctx.Err() != nil {
			ge.err = ctx.Err()
		}
		return stdout.Bytes(), ge
	}
	return stdout.Bytes(), nil
}

// gitVerb names a git command line by its subcommand, leaving out git's own
// options before it (`-c key=value`, `--literal-pathspecs`).
func gitVerb(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-c":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return "git"
}

// gitMessage picks the line of git's standard error that says what went
// wrong: the first "fatal:" or "error:" line, else the last line.
func gitMessage(stderr string) string {
	s := strings.TrimSpace(stderr)
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal: ") || strings.HasPrefix(l, "error: ") {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
