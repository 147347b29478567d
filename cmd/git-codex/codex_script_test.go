package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/git-codex/git-codex/internal/codextest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// codexKey is the testscript value holding a script's Codex state, filled
// by codex setup.
type codexKey struct{}

type codexState struct {
	env *codextest.Env
}

// codexCondition answers [codex]: the pinned Codex CLI is installed
// ($CODEX_BIN, or where .ci/run puts it). Where it must be
// (GIT_CODEX_REQUIRE_CODEX=1, as in CI), its absence fails the script
// instead of skipping it.
func codexCondition() (bool, error) {
	_, required, err := codextest.Lookup(os.Getenv)
	switch {
	case err == nil:
		return true, nil
	case required:
		return false, fmt.Errorf("%v (%s=1: the codex scripts must run)", err, codextest.EnvRequire)
	}
	return false, nil
}

// cmdCodex drives the real Codex CLI in scripts, offline (scripts guard it
// with [codex]); the script's model server (openai …) answers Codex too:
//
//	codex setup           an offline CODEX_HOME and a proxy that refuses every
//	                      connection; sets CODEX_HOME and the proxy variables, and
//	                      git config codex.codexPath and codex.codexConfig (the
//	                      loopback server as a custom provider) in the repository
//	                      of the current directory
//	codex shell CMD [TEXT]
//	                      queue an answer that runs CMD with Codex's shell tool,
//	                      after TEXT
//	codex patch PATCH [TEXT]
//	                      queue an answer that applies PATCH (Codex's apply_patch
//	                      format, "\n" a newline) through its shell tool
//	codex wipe            empty CODEX_HOME: this machine forgets every thread
//	codex threads         print the Codex thread of each model request, named in
//	                      order of appearance: "T1", "T2", …
//	codex interrupt TEXT CODE PROG [ARGS...]
//	                      Ctrl-C: run PROG in a process group of its own, as a
//	                      terminal runs a command, send SIGINT to the group once
//	                      its stderr shows TEXT, and check that it exits with CODE
//	                      (128+2 when killed by the signal, as a shell says); its
//	                      output becomes the command's
//	codex no-egress       fail if Codex tried to reach anything off the machine
func cmdCodex(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("codex: unsupported: !")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: codex setup|shell|patch|wipe|threads|interrupt|no-egress ...")
	}
	srv, ok := ts.Value(openaiKey{}).(*openaitest.Server)
	if !ok {
		ts.Fatalf("codex: no test server in this script")
	}
	state := ts.Value(codexKey{}).(*codexState)
	env := state.env
	if env == nil && args[0] != "setup" {
		ts.Fatalf("codex %s: run 'codex setup' first", args[0])
	}
	unescape := strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace
	switch args[0] {
	case "setup":
		if env != nil {
			ts.Fatalf("codex setup: already done")
		}
		bin, _, err := codextest.Lookup(os.Getenv)
		ts.Check(err)
		env, err := codextest.Setup(ts.MkAbs(filepath.Join(ts.Getenv("WORK"), ".codex-test")), srv.URL())
		ts.Check(err)
		ts.Defer(env.Close)
		state.env = env
		for k, v := range env.Vars() {
			ts.Setenv(k, v)
		}
		ts.Check(ts.Exec("git", "config", "codex.codexPath", bin))
		for _, kv := range env.Config() {
			ts.Check(ts.Exec("git", "config", "--add", "codex.codexConfig", kv))
		}
	case "shell", "patch":
		if len(args) < 2 || len(args) > 3 {
			ts.Fatalf("usage: codex %s ARG [TEXT]", args[0])
		}
		call := codextest.Shell(unescape(args[1]))
		if args[0] == "patch" {
			call = codextest.ApplyPatch(unescape(args[1]))
		}
		r := openaitest.Reply{ToolCalls: []openaitest.ToolCall{call}}
		if len(args) == 3 {
			r.Text = unescape(args[2])
		}
		srv.Enqueue(r)
	case "wipe":
		ts.Check(env.Wipe())
	case "threads":
		names := map[string]string{}
		for _, r := range modelRequests(srv) {
			id := codextest.ThreadID(r)
			if id == "" {
				fmt.Fprintln(ts.Stdout(), "-")
				continue
			}
			if names[id] == "" {
				names[id] = "T" + strconv.Itoa(len(names)+1)
			}
			fmt.Fprintln(ts.Stdout(), names[id])
		}
	case "interrupt":
		if len(args) < 4 {
			ts.Fatalf("usage: codex interrupt TEXT CODE PROG [ARGS...]")
		}
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		interrupt(ts, args[1], want, args[3:])
	case "no-egress":
		if a := env.Proxy.Attempts(); len(a) > 0 {
			ts.Fatalf("codex tried to leave the machine through the proxy: %q", a)
		}
	default:
		ts.Fatalf("codex: unknown subcommand %q", args[0])
	}
}

// interrupt runs argv with the script's environment in a process group of
// its own and sends the group SIGINT once its stderr shows text: what a
// terminal does on Ctrl-C (git and git-codex get it; Codex, in a group of
// its own, does not).
func interrupt(ts *testscript.TestScript, text string, want int, argv []string) {
	path := lookPathIn(argv[0], ts.Getenv("PATH"))
	if path == "" {
		ts.Fatalf("codex interrupt: %s not found on the script's PATH", argv[0])
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Dir = ts.MkAbs(".")
	keys, _ := ts.Value(ptyVars{}).([]string)
	for k := range ts.Value(codexKey{}).(*codexState).env.Vars() {
		keys = append(keys, k)
	}
	seen := map[string]bool{}
	for _, k := range append(keys, ptyEnvKeys...) {
		if v := ts.Getenv(k); v != "" && !seen[k] {
			seen[k] = true
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(30 * time.Second)
	for sent := false; !sent; {
		if strings.Contains(stderr.String(), text) {
			ts.Check(syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
			sent = true
			continue
		}
		select {
		case err := <-done:
			ts.Fatalf("codex interrupt: %s ended before its stderr showed %q (%v):\n%s%s", argv[0], text, err, stdout.String(), stderr.String())
		case <-deadline:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			ts.Fatalf("codex interrupt: %q did not show in 30 s:\n%s", text, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		ts.Fatalf("codex interrupt: %s did not end within 30 s of the interrupt", argv[0])
	}
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), stderr.String())
	got := cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		got = 128 + int(ws.Signal())
	}
	if got != want {
		ts.Fatalf("codex interrupt: exit code %d, want %d", got, want)
	}
}
