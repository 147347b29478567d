package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The MCP Inspector's CLI mode (npm @modelcontextprotocol/inspector, pinned)
// is a real MCP client that nobody on this project wrote. .ci/run installs
// it next to the Codex CLI.
const (
	// inspectorVersion is the Inspector the scripts are written against;
	// .ci/run installs exactly this one.
	inspectorVersion = "2.12.0"
	// envInspectorBin names the Inspector's executable (npm's
	// bin/mcp-inspector).
	envInspectorBin = "MCP_INSPECTOR_BIN"
	// envRequireInspector, set to 1 (as .ci/run does), makes a missing
	// Inspector fail TestInspector instead of skipping it.
	envRequireInspector = "GIT_CODEX_REQUIRE_INSPECTOR"
)

// inspectorBin finds the Inspector: $MCP_INSPECTOR_BIN, else where .ci/run
// installs it (${XDG_CACHE_HOME:-$HOME/.cache}/git-codex-ci/npm). It skips
// the test without one, or fails it when the environment requires one.
func inspectorBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(envInspectorBin)
	if bin == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			cache = filepath.Join(os.Getenv("HOME"), ".cache")
		}
		bin = filepath.Join(cache, "git-codex-ci", "npm", "node_modules", ".bin", "mcp-inspector")
	}
	_, err := os.Stat(bin)
	if err == nil {
		return bin
	}
	msg := fmt.Sprintf("no MCP Inspector at %s (bash .ci/run installs it; or npm install --prefix DIR @modelcontextprotocol/inspector@%s and set %s): %v",
		bin, inspectorVersion, envInspectorBin, err)
	if os.Getenv(envRequireInspector) == "1" {
		t.Fatalf("%s (%s=1: this test must run)", msg, envRequireInspector)
	}
	t.Skip("skipping: " + msg)
	return ""
}

// TestInspector runs the scripts in testdata/mcp: the Inspector starts
// `git codex mcp` through real git dispatch (the test binary is git-codex on
// PATH) against the script's loopback model server, calls tools, and the
// scripts read the notes back with plain git.
func TestInspector(t *testing.T) {
	bin := inspectorBin(t)
	p := scriptParams(t, "testdata/mcp")
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		env.Setenv("INSPECTOR", bin)
		return nil
	}
	p.Cmds["inspector"] = cmdInspector
	p.Cmds["jsonvar"] = cmdJSONVar
	testscript.Run(t, p)
}

// inspectorEnv are the variables the Inspector passes on to the server it
// starts (with -e): like Codex, it starts servers with only HOME, PATH, USER
// and a few more, so the model server's URL and git's hermetic settings are
// named, as a client's configuration names them.
var inspectorEnv = []string{"OPENAI_BASE_URL", "OPENAI_PRIMARY_MODEL", "OPENAI_API_KEY", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM",
	"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"}

// cmdInspector runs the Inspector's CLI against `git codex mcp`:
//
//	inspector tools/list [--strict]
//	inspector tools/call TOOL [KEY=VALUE...]
//
// A value that is JSON (an object, a number) is passed as such. The
// Inspector prints the result as JSON on stdout; it exits non-zero when the
// result has isError.
func cmdInspector(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: inspector tools/list | tools/call TOOL [KEY=VALUE...]")
	}
	argv := []string{"--cli", "git", "codex", "mcp"}
	for _, k := range inspectorEnv {
		if v := ts.Getenv(k); v != "" { // the Inspector refuses KEY=
			argv = append(argv, "-e", k+"="+v)
		}
	}
	argv = append(argv, "--method", args[0])
	switch args[0] {
	case "tools/list":
		argv = append(argv, args[1:]...)
	case "tools/call":
		if len(args) < 2 {
			ts.Fatalf("usage: inspector tools/call TOOL [KEY=VALUE...]")
		}
		argv = append(argv, "--tool-name", args[1])
		if len(args) > 2 {
			argv = append(argv, "--tool-arg")
			argv = append(argv, args[2:]...)
		}
	default:
		ts.Fatalf("inspector: unknown method %q", args[0])
	}
	err := ts.Exec(ts.Getenv("INSPECTOR"), argv...)
	if err != nil {
		ts.Logf("[%v]", err)
		if !neg {
			ts.Fatalf("unexpected inspector failure")
		}
	} else if neg {
		ts.Fatalf("unexpected inspector success")
	}
}

// cmdJSONVar sets a variable from the JSON the last command printed:
// `jsonvar THREAD structuredContent.threadId`. A missing or empty value
// fails the script.
func cmdJSONVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jsonvar NAME DOTTED.PATH")
	}
	out := ts.ReadFile("stdout")
	// The Inspector may add a line after the result (an error summary).
	var v any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&v); err != nil {
		ts.Fatalf("jsonvar: stdout is no JSON: %v\n%s", err, out)
	}
	for _, k := range strings.Split(args[1], ".") {
		m, ok := v.(map[string]any)
		if !ok {
			ts.Fatalf("jsonvar: %s: no object at %q", args[1], k)
		}
		v = m[k]
	}
	s, ok := v.(string)
	if !ok || s == "" {
		ts.Fatalf("jsonvar: %s is %v, not a string", args[1], v)
	}
	ts.Setenv(args[0], s)
}
