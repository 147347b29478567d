// Package codextest runs the real Codex CLI in tests, offline: it finds the
// pinned binary that .ci/run installs, makes a CODEX_HOME whose config.toml
// turns off everything that reaches outside the machine, points the proxy
// variables at a local listener that records and refuses every connection
// (to prove nothing leaves), and gives the `-c` flags of a custom model
// provider that talks to an internal/openaitest server. It also scripts
// Codex's tools: a reply's tool call that runs a shell command or applies a
// patch.
//
// Only tests (and testscript setups) may use it.
package codextest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/internal/openaitest"
)

// Version is the Codex CLI the tests are written against; .ci/run installs
// exactly this one.
const Version = "0.169.0"

// Environment variables that steer Bin.
const (
	// EnvBin names the Codex executable (npm's bin/codex wrapper or the
	// native binary). .ci/run sets it.
	EnvBin = "CODEX_BIN"
	// EnvRequire, set to 1 (as .ci/run does), makes a missing Codex fail the
	// tests that need it instead of skipping them.
	EnvRequire = "GIT_CODEX_REQUIRE_CODEX"
)

// ProviderName is the name of the custom model provider in Config.
const ProviderName = "gitcodextest"

// KeyVar is the variable the provider reads its API key from (Codex
// refuses a provider whose env_key is unset); the loopback server needs no
// key, so its value is a placeholder.
const KeyVar = "GIT_CODEX_TEST_CODEX_KEY"

// ConfigTOML is the config.toml New writes into CODEX_HOME. Measured with
// Codex 0.169 behind a recording proxy: plugins make it reach github.com
// (`git ls-remote https://github.com/openai/plugins`), api.github.com and
// chatgpt.com at start-up, analytics ab.chatgpt.com; the update check is off
// for the interactive CLI's sake. With these settings it made no connection
// but to the model server.
const ConfigTOML = `# Written by git codex's tests (internal/codextest): keep Codex offline.
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false
`

// DefaultBin is where .ci/run installs Codex: the npm wrapper under
// ${XDG_CACHE_HOME:-$HOME/.cache}/git-codex-ci/npm. Empty when there is no
// cache directory.
func DefaultBin(getenv func(string) string) string {
	dir := getenv("XDG_CACHE_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "git-codex-ci", "npm", "node_modules", ".bin", "codex")
}

// Lookup returns the Codex executable for tests: $CODEX_BIN, else
// DefaultBin. It reports an error when neither exists; required says whether
// the environment demands Codex (EnvRequire=1).
func Lookup(getenv func(string) string) (path string, required bool, err error) {
	required = getenv(EnvRequire) == "1"
	path = getenv(EnvBin)
	if path == "" {
		path = DefaultBin(getenv)
	}
	if path == "" {
		return "", required, errors.New("no Codex CLI: set " + EnvBin)
	}
	if _, err := os.Stat(path); err != nil {
		return "", required, fmt.Errorf("no Codex CLI at %s (install it: bash .ci/run does, or npm install --prefix DIR @openai/codex@%s and set %s): %w", path, Version, EnvBin, err)
	}
	return path, required, nil
}

// Bin returns the Codex executable, skipping the test when there is none —
// or failing it when EnvRequire is set (in CI). Call it before anything
// moves HOME (gittest.Hermetic), since DefaultBin reads HOME.
func Bin(t testing.TB) string {
	t.Helper()
	path, required, err := Lookup(os.Getenv)
	if err != nil {
		if required {
			t.Fatalf("%v (%s=1: these tests must run)", err, EnvRequire)
		}
		t.Skipf("skipping: %v", err)
	}
	return path
}

// Env is a hermetic environment for Codex.
type Env struct {
	// Home is CODEX_HOME.
	Home string
	// Proxy records and refuses every connection Codex tries through the
	// proxy variables.
	Proxy *Proxy
	// ServerURL is the model server's base URL (ending in /v1).
	ServerURL string
}

// Setup makes an Env under dir (CODEX_HOME is dir/codex-home) for a model
// server at serverURL, and starts its proxy; Close stops it.
func Setup(dir, serverURL string) (*Env, error) {
	e := &Env{Home: filepath.Join(dir, "codex-home"), ServerURL: serverURL}
	if err := e.Wipe(); err != nil {
		return nil, err
	}
	p, err := StartProxy()
	if err != nil {
		return nil, err
	}
	e.Proxy = p
	return e, nil
}

// New is Setup in a test's temporary directory, closed when the test ends.
func New(t testing.TB, srv *openaitest.Server) *Env {
	t.Helper()
	e, err := Setup(t.TempDir(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// Close stops the proxy.
func (e *Env) Close() {
	if e.Proxy != nil {
		e.Proxy.Close()
	}
}

// Wipe empties CODEX_HOME — threads, state, logs — and writes ConfigTOML
// again: this machine now knows no thread, like another clone or a CI
// runner.
func (e *Env) Wipe() error {
	if err := os.RemoveAll(e.Home); err != nil {
		return fmt.Errorf("wipe CODEX_HOME: %w", err)
	}
	if err := os.MkdirAll(e.Home, 0o755); err != nil {
		return fmt.Errorf("make CODEX_HOME: %w", err)
	}
	if err := os.WriteFile(filepath.Join(e.Home, "config.toml"), []byte(ConfigTOML), 0o644); err != nil {
		return fmt.Errorf("write CODEX_HOME/config.toml: %w", err)
	}
	return nil
}

// Vars returns the variables to set for Codex: CODEX_HOME, the provider's
// key, every proxy variable (both cases) pointing at the recording proxy,
// and NO_PROXY for the loopback addresses, where the model server is.
func (e *Env) Vars() map[string]string {
	v := map[string]string{
		"CODEX_HOME": e.Home,
		KeyVar:       "loopback-needs-no-key",
	}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"} {
		v[k], v[strings.ToLower(k)] = e.Proxy.URL(), e.Proxy.URL()
	}
	v["NO_PROXY"], v["no_proxy"] = "127.0.0.1,localhost,::1", "127.0.0.1,localhost,::1"
	return v
}

// Environ returns base with Vars set (replacing any earlier value).
func (e *Env) Environ(base []string) []string {
	vars := e.Vars()
	out := make([]string, 0, len(base)+len(vars))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := vars[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// Config returns the `-c` overrides that make Codex use the model server:
// a custom Responses-API provider, without retries (a scripted fault fails
// the turn at once instead of after Codex's backoff) and with a stream idle
// timeout of 30 s instead of 5 minutes (a stalled stream fails a test
// rather than hang it).
func (e *Env) Config() []string {
	p := "model_providers." + ProviderName + "."
	return []string{
		"model_provider=" + strconv.Quote(ProviderName),
		p + "name=" + strconv.Quote(ProviderName),
		p + "base_url=" + strconv.Quote(e.ServerURL),
		p + "wire_api=" + strconv.Quote("responses"),
		p + "env_key=" + strconv.Quote(KeyVar),
		p + "request_max_retries=0",
		p + "stream_max_retries=0",
		p + "stream_idle_timeout_ms=30000",
	}
}

// CheckNoEgress fails t if Codex tried to reach anything through the proxy.
func (e *Env) CheckNoEgress(t testing.TB) {
	t.Helper()
	if a := e.Proxy.Attempts(); len(a) > 0 {
		t.Errorf("codex tried to leave the machine through the proxy: %q", a)
	}
}

// Shell is a tool call that makes Codex 0.169 run cmd with its exec_command
// tool (a plain, non-login bash: no profile noise in the output). Codex
// reports it as a command_execution item.
func Shell(cmd string) openaitest.ToolCall {
	args, _ := json.Marshal(map[string]any{"cmd": cmd, "login": false})
	return openaitest.ToolCall{Name: "exec_command", Arguments: string(args)}
}

// ApplyPatch is a tool call that makes Codex 0.169 apply patch, written in
// its apply_patch format ("*** Begin Patch" … "*** End Patch"). With a model
// Codex has no metadata for, it offers no apply_patch tool, but it
// intercepts `apply_patch` run through exec_command and reports a
// file_change item, as for its own tool.
func ApplyPatch(patch string) openaitest.ToolCall {
	return Shell("apply_patch <<'PATCH'\n" + strings.TrimRight(patch, "\n") + "\nPATCH\n")
}

// MCPCall is a tool call of the tool an MCP server configured in Codex
// (`-c mcp_servers.SERVER.command=…`) offers: Codex 0.169 offers each
// server's tools in a namespace tool named mcp__SERVER. With approval
// policy "never" Codex refuses the call unless the tool is approved in its
// configuration (mcp_servers.SERVER.tools.TOOL.approval_mode="approve").
func MCPCall(server, tool, args string) openaitest.ToolCall {
	return openaitest.ToolCall{Name: tool, Namespace: "mcp__" + server, Arguments: args}
}

// ThreadID returns the Codex thread a model request belongs to (Codex sends
// it as prompt_cache_key and client_metadata.thread_id), or "".
func ThreadID(r openaitest.Request) string {
	if md, ok := r.JSON["client_metadata"].(map[string]any); ok {
		if id, ok := md["thread_id"].(string); ok {
			return id
		}
	}
	id, _ := r.JSON["prompt_cache_key"].(string)
	return id
}

// UserMessages returns the texts of the user messages a model request
// carries, oldest first, without the ones Codex adds itself (the work
// tree's AGENTS.md, the environment context, the note on an aborted turn).
// Codex resends the whole conversation on every request, so a resumed
// thread's request holds the earlier turns' messages too.
func UserMessages(r openaitest.Request) []string {
	items, _ := r.JSON["input"].([]any)
	var out []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		if m["type"] != "message" || m["role"] != "user" {
			continue
		}
		parts, _ := m["content"].([]any)
		var text strings.Builder
		for _, p := range parts {
			if pm, ok := p.(map[string]any); ok {
				s, _ := pm["text"].(string)
				text.WriteString(s)
			}
		}
		s := text.String()
		if strings.HasPrefix(s, "<environment_context>") || strings.HasPrefix(s, "<turn_aborted>") || strings.HasPrefix(s, "# AGENTS.md instructions for ") {
			continue
		}
		out = append(out, s)
	}
	return out
}
