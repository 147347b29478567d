package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as git-codex when testscript runs it.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"git-codex": func() {
			collectLater() // as main does
			// Tests talk to loopback only: a host name that is not in
			// /etc/hosts fails to resolve instead of asking a DNS server.
			net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, errors.New("no DNS server in tests")
			}}
			os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
		},
	})
}

// TestScripts runs the end-to-end scripts in testdata/script through real
// git dispatch: `exec git codex …` finds git-codex on PATH.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/script"))
}

func scriptParams(t *testing.T, dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") == "1",
		Setup: func(env *testscript.Env) error {
			if err := setupScriptEnv(t, env); err != nil {
				return err
			}
			var keys []string
			for _, kv := range env.Vars {
				k, _, _ := strings.Cut(kv, "=")
				keys = append(keys, k)
			}
			env.Values[ptyVars{}] = keys
			env.Values[codexKey{}] = &codexState{}
			return setupOpenAI(env)
		},
		Condition: scriptCondition,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":  cmdExitcode,
			"openai":    cmdOpenAI,
			"gitdaemon": cmdGitDaemon,
			"pty":       cmdPty,
			"capture":   cmdCapture,
			"codex":     cmdCodex,
		},
	}
}

// setupScriptEnv makes git hermetic: HOME in the work dir, no system config,
// fixed identities and dates, no network-bound settings.
func setupScriptEnv(t *testing.T, env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, ".home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gittest.GlobalConfig), 0o644); err != nil {
		return err
	}
	for k, v := range gittest.Env(home) {
		env.Setenv(k, v)
	}
	env.Setenv("GIT_COMPLETION", gitCompletionScript())
	// Scripts that run `go test` share the build cache of the tests (a
	// cold one costs a minute of compiling the standard library) and never
	// download a toolchain or a module.
	if cache := goBuildCache(); cache != "" {
		env.Setenv("GOCACHE", cache)
	}
	env.Setenv("GOTOOLCHAIN", "local")
	env.Setenv("GOPROXY", "off")
	env.Setenv("NO_COLOR", "1")
	env.Setenv("OPENAI_API_KEY", "")
	return nil
}

// goBuildCache is the go command's build cache, "" without a go command.
var goBuildCache = sync.OnceValue(func() string {
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// cmdGitDaemon serves the bare repositories under a directory through a
// real `git daemon` on loopback for the rest of the script, and sets
// $GITDAEMON to its base URL: `gitdaemon srv`, then
// `exec git clone $GITDAEMON/r.git`. The daemon runs with the script's
// hermetic git environment.
func cmdGitDaemon(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gitdaemon DIR")
	}
	env := []string{"PATH=" + ts.Getenv("PATH")}
	for k := range gittest.Env(ts.Getenv("HOME")) {
		env = append(env, k+"="+ts.Getenv(k))
	}
	base := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(base, 0o755))
	url, stop, err := startGitDaemon(base, env)
	ts.Check(err)
	ts.Defer(stop)
	ts.Setenv("GITDAEMON", url)
}

// cmdCapture sets a variable from the previous command's output, for ids a
// script cannot know in advance: `capture RUN 'run ([0-9A-Z]{12}) started'`
// sets $RUN to the first submatch of the regular expression in its stdout
// (then its stderr).
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: capture NAME REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	for _, stream := range []string{"stdout", "stderr"} {
		if m := re.FindStringSubmatch(ts.ReadFile(stream)); len(m) > 1 {
			ts.Setenv(args[0], m[1])
			return
		}
	}
	ts.Fatalf("capture: no match for %q in the last command's output", args[1])
}

// cmdExitcode runs a command and checks its exit code: `exitcode 3 exec git codex check`.
func cmdExitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad code %q", args[0])
	}
	name, rest := args[1], args[2:]
	if name == "exec" {
		name, rest = rest[0], rest[1:]
	}
	err = ts.Exec(name, rest...)
	got := 0
	if err != nil {
		var ok bool
		got, ok = exitCode(err)
		if !ok {
			ts.Fatalf("exitcode: %v", err)
		}
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

func exitCode(err error) (int, bool) {
	type coder interface{ ExitCode() int }
	if c, ok := err.(coder); ok {
		return c.ExitCode(), true
	}
	var code int
	if _, scanErr := fmt.Sscanf(err.Error(), "exit status %d", &code); scanErr == nil {
		return code, true
	}
	return 0, false
}

// scriptCondition answers the scripts' own conditions:
//
//	[gitcompletion]  git's bash completion script is installed ($GIT_COMPLETION)
//	[codex]          the pinned Codex CLI is installed (codexCondition)
func scriptCondition(cond string) (bool, error) {
	switch cond {
	case "gitcompletion":
		return gitCompletionScript() != "", nil
	case "codex":
		return codexCondition()
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// gitCompletionScript finds git's bash completion script where
// distributions install it, or returns "".
func gitCompletionScript() string {
	for _, p := range []string{
		"/usr/share/bash-completion/completions/git",                 // Debian, Ubuntu
		"/usr/share/git/completion/git-completion.bash",              // Arch
		"/usr/share/git-core/contrib/completion/git-completion.bash", // Fedora
		"/etc/bash_completion.d/git",
	} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
