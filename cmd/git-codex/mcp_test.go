package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/cmd/git-codex/mcpserver"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/gittest"
	"github.com/git-codex/git-codex/internal/openaitest"
)

// The MCP server through the command layer's real wiring (mcpBackend: the
// command line's configuration, topic rule and wording), driven by the
// SDK's own client over an in-memory connection: every tool and fault.

// mcpTest is a server on a fresh repository and a loopback model server.
type mcpTest struct {
	t   *testing.T
	dir string
	srv *openaitest.Server
	env map[string]string // overrides of the process environment
	// baseURL is the model server's.
	baseURL string
	cs      *mcp.ClientSession

	mu       sync.Mutex
	progress []string
}

// mcpOptions tune newMCPTest.
type mcpOptions struct {
	// client is the client's options (progress and elicitation handlers
	// are added).
	client *mcp.ClientOptions
	// session is the client session's options (a protocol version).
	session *mcp.ClientSessionOptions
	// env overrides the environment the server sees.
	env map[string]string
	// wrap wraps the model server's handler (to watch its requests).
	wrap func(http.Handler) http.Handler
	// repo makes the repository the server starts in (default: a new one
	// with the context files committed); called after gittest.Hermetic.
	repo func(t *testing.T) string
}

func newMCPTest(t *testing.T, o mcpOptions) *mcpTest {
	t.Helper()
	gittest.Hermetic(t)
	m := &mcpTest{t: t, srv: openaitest.NewUnstarted()}
	if o.repo != nil {
		m.dir = o.repo(t)
	} else {
		m.dir = gittest.NewRepo(t)
		gittest.CommitContextFiles(t, m.dir)
	}
	handler := m.srv.Handler()
	if o.wrap != nil {
		handler = o.wrap(handler)
	}
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)
	m.baseURL = hs.URL + "/v1"
	m.env = map[string]string{"OPENAI_BASE_URL": m.baseURL, "OPENAI_PRIMARY_MODEL": "test-model", "OPENAI_API_KEY": ""}
	for k, v := range o.env {
		m.env[k] = v
	}
	getenv := func(k string) string {
		if v, ok := m.env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	var stdout, stderr bytes.Buffer
	e := newEnv(strings.NewReader(""), &stdout, &stderr, getenv)
	e.Dir = m.dir
	server := mcpserver.New(mcpserver.Options{Backend: mcpBackend{e}, Dir: m.dir, Version: "test",
		ProgressInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	ct, st := mcp.NewInMemoryTransports()
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, st) }()
	copts := &mcp.ClientOptions{}
	if o.client != nil {
		*copts = *o.client
	}
	copts.ProgressNotificationHandler = func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.progress = append(m.progress, req.Params.Message)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, copts).Connect(ctx, ct, o.session)
	if err != nil {
		t.Fatal(err)
	}
	m.cs = cs
	t.Cleanup(func() {
		cs.Close()
		cancel()
		<-done
		if stdout.Len() > 0 || stderr.Len() > 0 {
			t.Errorf("the server wrote to the process's streams: stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	})
	return m
}

// call calls a tool and returns its result (failing the test on a protocol
// error: tool errors are results).
func (m *mcpTest) call(name string, args map[string]any) *mcp.CallToolResult {
	m.t.Helper()
	res, err := m.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args, Meta: mcp.Meta{"progressToken": name}})
	if err != nil {
		m.t.Fatalf("call %s: %v", name, err)
	}
	return res
}

// structured decodes a result's structured content into v.
func structured[T any](t *testing.T, res *mcp.CallToolResult) T {
	t.Helper()
	var v T
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	return v
}

// texts is the text of a result's content blocks.
func texts(res *mcp.CallToolResult) []string {
	var out []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			out = append(out, tc.Text)
		}
	}
	return out
}

// notes is `git notes --ref=<topic's ref> show <object>` run by plain git.
func (m *mcpTest) notes(topic, object string) string {
	m.t.Helper()
	return gittest.Git(m.t, m.dir, "notes", "--ref=refs/notes/codex/"+gitstore.EncodeTopic(topic), "show", object)
}

type codexOut struct {
	ThreadID string   `json:"threadId"`
	Content  string   `json:"content"`
	Topic    string   `json:"topic"`
	Status   string   `json:"status"`
	Notes    []string `json:"notes"`
}

func TestMCPCodexThenReply(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	m.srv.Enqueue(openaitest.Reply{Text: "The cache evicts too early."}, openaitest.Reply{Text: "Use an LRU."})
	res := m.call("codex", map[string]any{"prompt": "Find why the cache test is flaky"})
	if res.IsError {
		t.Fatalf("codex: %v", texts(res))
	}
	out := structured[codexOut](t, res)
	if out.ThreadID == "" || out.Content != "The cache evicts too early." || out.Topic != "main" || texts(res)[0] != out.Content {
		t.Fatalf("codex result %+v, content %q", out, texts(res))
	}
	res = m.call("codex-reply", map[string]any{"threadId": out.ThreadID, "prompt": "Also: which policy?"})
	if res.IsError {
		t.Fatalf("codex-reply: %v", texts(res))
	}
	reply := structured[codexOut](t, res)
	if reply.ThreadID != out.ThreadID || reply.Content != "Use an LRU." {
		t.Fatalf("codex-reply result %+v", reply)
	}
	note := m.notes("main", "HEAD")
	for _, want := range []string{out.ThreadID, "Find why the cache test is flaky", "Also: which policy?", "Use an LRU."} {
		if !strings.Contains(note, want) {
			t.Errorf("the note lacks %q:\n%s", want, note)
		}
	}
}

// progressSeen is the progress messages received so far.
func (m *mcpTest) progressSeen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.progress...)
}

// The tools an orchestrating agent sees: the removed server's two with their
// argument names, and the native ones, each described and with schemas.
func TestMCPToolsList(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	res, err := m.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]*mcp.Tool{}
	for _, tl := range res.Tools {
		tools[tl.Name] = tl
	}
	props := func(name string, schema any) map[string]any {
		b, _ := json.Marshal(schema)
		var s struct {
			Properties           map[string]any `json:"properties"`
			Required             []string       `json:"required"`
			AdditionalProperties *bool          `json:"additionalProperties"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return s.Properties
	}
	for _, name := range []string{"codex", "codex-reply", "delegate", "reply", "fix", "close", "list", "show", "log", "pr_summary", "stats"} {
		tl := tools[name]
		if tl == nil {
			t.Errorf("no tool %s", name)
			continue
		}
		if len(tl.Description) < 80 || tl.InputSchema == nil || tl.OutputSchema == nil {
			t.Errorf("%s: description %q, schemas %v %v", name, tl.Description, tl.InputSchema != nil, tl.OutputSchema != nil)
		}
	}
	if len(tools) != 11 {
		t.Errorf("%d tools", len(tools))
	}
	in := props("codex", tools["codex"].InputSchema)
	for _, a := range []string{"prompt", "model", "profile", "cwd", "approval-policy", "sandbox", "config", "base-instructions", "developer-instructions", "compact-prompt"} {
		if in[a] == nil {
			t.Errorf("codex lacks argument %s", a)
		}
	}
	in = props("codex-reply", tools["codex-reply"].InputSchema)
	for _, a := range []string{"prompt", "threadId", "conversationId"} {
		if in[a] == nil {
			t.Errorf("codex-reply lacks argument %s", a)
		}
	}
	for _, name := range []string{"codex", "codex-reply"} {
		out := props(name, tools[name].OutputSchema)
		if out["threadId"] == nil || out["content"] == nil {
			t.Errorf("%s's structured content lacks threadId or content: %v", name, out)
		}
	}
	for _, c := range []struct{ tool, desc string }{
		{"codex", "Do NOT open a new one to go on with the same work"},
		{"codex-reply", "Do NOT continue when the work is unrelated"},
		{"delegate", "second opinion"},
		{"reply", "open a new session instead"},
	} {
		if !strings.Contains(tools[c.tool].Description, c.desc) {
			t.Errorf("%s's description does not say %q", c.tool, c.desc)
		}
	}
}

// codex-reply sends only the new message, chained to the previous answer.
func TestMCPReplySendsOnlyTheNewMessage(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	out := structured[codexOut](t, m.call("codex", map[string]any{"prompt": "Review the storage layer"}))
	res := m.call("codex-reply", map[string]any{"threadId": out.ThreadID[:10], "prompt": "Also: the lock file"})
	if res.IsError {
		t.Fatal(texts(res))
	}
	reqs := m.srv.Requests()
	last := reqs[len(reqs)-1].JSON
	if last["previous_response_id"] == "" || last["previous_response_id"] == nil {
		t.Errorf("the reply was not chained: %v", last["previous_response_id"])
	}
	if b, _ := json.Marshal(last["input"]); strings.Contains(string(b), "Review the storage layer") || !strings.Contains(string(b), "Also: the lock file") {
		t.Errorf("the reply sent %s", b)
	}
}

// Every argument of the removed server is accepted; what git codex cannot
// honour is reported, never dropped silently.
func TestMCPCodexArguments(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	res := m.call("codex", map[string]any{
		"prompt":                 "Explain the retry policy",
		"profile":                "fast",
		"base-instructions":      "You are terse.",
		"developer-instructions": "Cite file paths.",
		"compact-prompt":         "Summarise.",
		"approval-policy":        "on-failure",
		"sandbox":                "workspace-write",
		"config":                 map[string]any{"model": "gpt-5-mini", "model_reasoning_effort": "high"},
		"include-plan-tool":      true,
	})
	if res.IsError {
		t.Fatal(texts(res))
	}
	out := structured[codexOut](t, res)
	all := strings.Join(out.Notes, "\n")
	for _, want := range []string{
		`argument "include-plan-tool" ignored: codex does not know it`,
		"config.model_reasoning_effort ignored",
		`profile "fast" ignored`,
		"base-instructions ignored",
		"compact-prompt ignored",
		"approval-policy on-failure is deprecated by Codex; treated as on-request",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("notes lack %q:\n%s", want, all)
		}
	}
	if got := texts(res); len(got) != 2 || got[0] != out.Content || !strings.Contains(got[1], "git-codex: "+out.Notes[0]) {
		t.Errorf("content %q: want the answer, then the notes", got)
	}
	req := m.srv.Requests()[0].JSON
	if req["model"] != "gpt-5-mini" {
		t.Errorf("config.model not honoured: %v", req["model"])
	}
	if b, _ := json.Marshal(req["input"]); !strings.Contains(string(b), `## Scope\n- Cite file paths.`) {
		t.Errorf("developer-instructions not in the first message's Scope: %s", b)
	}
}

func TestMCPCodexReplyThreadIDs(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	out := structured[codexOut](t, m.call("codex", map[string]any{"prompt": "Find the slow test"}))
	res := m.call("codex-reply", map[string]any{"conversationId": out.ThreadID, "prompt": "Fix: it"})
	if got := structured[codexOut](t, res); res.IsError || got.ThreadID != out.ThreadID || !strings.Contains(strings.Join(got.Notes, "\n"), "conversationId is deprecated: pass threadId") {
		t.Errorf("conversationId: %+v %q", got, texts(res))
	}
	res = m.call("codex-reply", map[string]any{"threadId": "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "prompt": "Also: x"})
	want := "git-codex: find session \"01ZZZZZZZZZZZZZZZZZZZZZZZZ\": no session\n" +
		"hint: pass cwd, a directory of the repository that holds the session (a teammate's session: run 'git codex sync' there first), or open a new session with the codex tool\n"
	if !res.IsError || texts(res)[0] != want {
		t.Errorf("an unknown thread: %q", texts(res))
	}
	res = m.call("codex-reply", map[string]any{"prompt": "Also: x"})
	if !res.IsError || !strings.HasPrefix(texts(res)[0], "git-codex: threadId is missing\nhint: pass the threadId the codex tool returned") {
		t.Errorf("no thread: %q", texts(res))
	}
}

// The native tools, one after the other, as an agent would use them; the
// records are read back with plain git.
func TestMCPNativeTools(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	gittest.WriteFile(t, m.dir, "cache/cache.go", "package cache\n")
	gittest.Git(t, m.dir, "add", ".")
	gittest.Git(t, m.dir, "commit", "-q", "-m", "cache")

	res := m.call("delegate", map[string]any{"task": "Investigate the flaky cache test", "context": []string{"cache/cache.go"},
		"focus": "eviction", "expect": "root cause", "topic": "cache-bug"})
	open := structured[mcpserver.Answer](t, res)
	if res.IsError || open.Topic != "cache-bug" || open.Session == "" || open.Status != "complete" {
		t.Fatalf("delegate: %+v %q", open, texts(res))
	}
	first, _ := json.Marshal(m.srv.Requests()[0].JSON["input"])
	for _, want := range []string{"## Context", "cache/cache.go", "Current focus: eviction", "## Task", "Investigate the flaky cache test", "## Expected Output\\nroot cause"} {
		if !strings.Contains(string(first), want) {
			t.Errorf("the first message lacks %q: %s", want, first)
		}
	}

	res = m.call("reply", map[string]any{"message": "Also: the TTL", "topic": "cache-bug"})
	if got := structured[mcpserver.Answer](t, res); res.IsError || got.Session != open.Session {
		t.Errorf("reply: %+v %q", got, texts(res))
	}

	res = m.call("fix", map[string]any{"command": "true", "topic": "cache-bug"})
	if got := structured[mcpserver.FixResult](t, res); res.IsError || !got.Passed || got.Rounds != 0 || got.Session != open.Session {
		t.Errorf("fix (passing): %+v %q", got, texts(res))
	}
	m.srv.Enqueue(openaitest.Reply{Text: "Raise the TTL in cache.go."})
	res = m.call("fix", map[string]any{"command": "echo boom; exit 3", "session": open.Session[:8]})
	failed := structured[mcpserver.FixResult](t, res)
	if !res.IsError || failed.Passed || len(failed.Answers) != 1 || failed.Answers[0].Text != "Raise the TTL in cache.go." || !strings.Contains(failed.Output, "boom") {
		t.Errorf("fix (failing): %+v %q", failed, texts(res))
	}
	if want := "git-codex: run `echo boom; exit 3`: command failed after 1 round(s); the failure was sent to session " + open.Session[:12] + "\n"; texts(res)[0] != want {
		t.Errorf("fix (failing) says %q, want %q", texts(res)[0], want)
	}

	m.srv.Enqueue(openaitest.Reply{Text: "## Found\nThe TTL was too short.\n\n## Decided\n- Raise it\n\n## Next\n- Add a test\n"})
	res = m.call("close", map[string]any{"topic": "cache-bug", "file": "docs/cache.md"})
	closed := structured[mcpserver.CloseResult](t, res)
	if res.IsError || closed.Session != open.Session || len(closed.Decisions) == 0 || closed.Written == "" {
		t.Errorf("close: %+v %q", closed, texts(res))
	}
	if b, err := os.ReadFile(m.dir + "/docs/cache.md"); err != nil || !strings.Contains(string(b), "TTL") {
		t.Errorf("the summary file: %q, %v", b, err)
	}

	res = m.call("list", map[string]any{})
	list := structured[mcpserver.ListResult](t, res)
	if res.IsError || len(list.Sessions) != 1 || list.Sessions[0].ID != open.Session || list.Sessions[0].Status != "closed" || list.Sessions[0].Sharing.State != "local" {
		t.Errorf("list: %+v", list)
	}

	res = m.call("show", map[string]any{"session": open.Session})
	var tr struct {
		ID    string `json:"id"`
		Turns []struct {
			Message string `json:"message"`
			Commit  string `json:"commit"`
		} `json:"turns"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(b, &tr)
	head := gittest.Git(t, m.dir, "rev-parse", "HEAD")
	if res.IsError || tr.ID != open.Session || len(tr.Turns) != 4 || tr.Turns[1].Message != "Also: the TTL" || tr.Turns[0].Commit != head {
		t.Errorf("show: %+v", tr)
	}
	// show's data is exactly `git codex show --json`.
	var cli bytes.Buffer
	e := newEnv(strings.NewReader(""), &cli, &bytes.Buffer{}, os.Getenv)
	e.Dir = m.dir
	if code := run(context.Background(), e, []string{"git-codex", "show", "--json", open.Session}); code != 0 {
		t.Fatalf("git codex show: %d", code)
	}
	if !jsonEqual(t, cli.Bytes(), b) {
		t.Errorf("show's structured content differs from show --json:\n%s\n%s", b, cli.Bytes())
	}

	res = m.call("log", map[string]any{"max": 1})
	logged := structured[mcpserver.LogResult](t, res)
	if res.IsError || len(logged.Commits) != 1 || len(logged.Commits[0].Turns) != 4 {
		t.Errorf("log: %+v", logged)
	}

	gittest.Git(t, m.dir, "checkout", "-q", "-b", "feature")
	gittest.CommitFile(t, m.dir, 30, "cache/ttl.go", "package cache\n", "raise the TTL")
	res = m.call("pr_summary", map[string]any{"base": "main"})
	if res.IsError || !strings.Contains(texts(res)[0], "raise the TTL") {
		t.Errorf("pr_summary: %q", texts(res))
	}

	res = m.call("stats", map[string]any{"topic": "cache-bug"})
	stats := structured[mcpserver.StatsResult](t, res)
	if res.IsError || len(stats.Topics) != 1 || stats.Topics[0].Total.Turns != 4 {
		t.Errorf("stats: %+v", stats)
	}

	// The records are git's own notes.
	note := m.notes("cache-bug", head)
	for _, want := range []string{`"kind":"session"`, `"kind":"close"`, "Also: the TTL", "Raise the TTL in cache.go."} {
		if !strings.Contains(note, want) {
			t.Errorf("git notes show lacks %q", want)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// idPattern matches the ids a message names (turns, sessions).
var idPattern = regexp.MustCompile(`\b[0-9A-Z]{12,26}\b`)

// Errors are results with isError and the command line's two lines, word
// for word: the same failure through `git codex delegate` prints them on
// stderr.
func TestMCPFaultsSayWhatTheCLISays(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		setup func(m *mcpTest)
		args  map[string]any
		cli   []string
		want  string // the start of the text
	}{
		{name: "no key", env: map[string]string{"OPENAI_BASE_URL": ""},
			args: map[string]any{"prompt": "Find it"}, cli: []string{"delegate", "Find it"},
			want: "git-codex: send turn X: check model configuration: OPENAI_API_KEY is not set\n" +
				"hint: set OPENAI_API_KEY (or OPENAI_BASE_URL / git config codex.baseURL for a local server); your message is stored, 'git codex reply' sends it along\n"},
		{name: "rate limited", setup: func(m *mcpTest) {
			m.srv.Inject(openaitest.Fault{Kind: openaitest.FaultRateLimit, Count: 20, RetryAfterMS: 1})
		}, args: map[string]any{"prompt": "Find it"}, cli: []string{"delegate", "Find it"},
			want: "git-codex: send turn X: "},
		{name: "detached HEAD", setup: func(m *mcpTest) { gittest.Git(m.t, m.dir, "checkout", "-q", "--detach") },
			args: map[string]any{"prompt": "Find it"}, cli: []string{"delegate", "Find it"},
			want: "git-codex: HEAD is detached, so there is no branch to name the topic\nhint: pass -t TOPIC, or check out a branch\n"},
		{name: "outside a repository", args: map[string]any{"prompt": "Find it", "cwd": "/"},
			want: "git-codex: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMCPTest(t, mcpOptions{env: c.env})
			if c.setup != nil {
				c.setup(m)
			}
			res := m.call("codex", c.args)
			got := idPattern.ReplaceAllString(strings.Join(texts(res), ""), "X")
			if !res.IsError || !strings.HasPrefix(got, c.want) || !strings.Contains(got, "\nhint: ") {
				t.Fatalf("codex: error %v, %q; want %q…", res.IsError, got, c.want)
			}
			if c.cli == nil {
				return
			}
			var stderr bytes.Buffer
			e := newEnv(strings.NewReader(""), &bytes.Buffer{}, &stderr, func(k string) string {
				if v, ok := m.env[k]; ok {
					return v
				}
				return os.Getenv(k)
			})
			e.Dir = m.dir
			if c.setup != nil {
				c.setup(m)
			}
			if code := run(context.Background(), e, append([]string{"git-codex"}, c.cli...)); code == 0 {
				t.Fatal("the command line succeeded")
			}
			lines := strings.SplitAfter(strings.TrimSuffix(idPattern.ReplaceAllString(stderr.String(), "X"), "\n"), "\n")
			if n := len(lines); n < 2 || lines[n-2]+lines[n-1]+"\n" != got {
				t.Errorf("the tool says\n%q\nthe command line\n%q", got, stderr.String())
			}
		})
	}
}

// A session whose first answer failed (no key) is stored: the result names
// it, and codex-reply sends the stored message along once the key is there.
func TestMCPNoKeyKeepsTheSession(t *testing.T) {
	m := newMCPTest(t, mcpOptions{env: map[string]string{"OPENAI_BASE_URL": ""}})
	res := m.call("codex", map[string]any{"prompt": "Find the leak"})
	out := structured[codexOut](t, res)
	if !res.IsError || out.ThreadID == "" || out.Topic != "main" {
		t.Fatalf("codex without a key: %+v %q", out, texts(res))
	}
	// The key (here: a local server) is there now; the stored task goes along.
	delete(m.env, "OPENAI_BASE_URL")
	m.env["OPENAI_BASE_URL"] = m.baseURL
	res = m.call("codex-reply", map[string]any{"threadId": out.ThreadID, "prompt": "Go on"})
	if res.IsError {
		t.Fatalf("codex-reply: %q", texts(res))
	}
	if b, _ := json.Marshal(m.srv.Requests()[0].JSON["input"]); !strings.Contains(string(b), "Find the leak") || !strings.Contains(string(b), "Go on") {
		t.Errorf("the reply after the failure sent %s", b)
	}
}

// Faults the engine recovers from succeed, and say what happened.
func TestMCPRecoveredFaults(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	m.srv.Inject(openaitest.Fault{Kind: openaitest.FaultRateLimit, Count: 1, RetryAfterMS: 1})
	res := m.call("codex", map[string]any{"prompt": "Find the leak"})
	out := structured[codexOut](t, res)
	if res.IsError || out.Status != "complete" {
		t.Fatalf("a 429 once: %+v %q", out, texts(res))
	}
	if p := strings.Join(m.progressSeen(), "\n"); !strings.Contains(p, "retrying") || !strings.Contains(p, "waiting for the model") ||
		!strings.Contains(p, "opened on topic \"main\"") || !strings.Contains(p, "answering: ") {
		t.Errorf("progress:\n%s", p)
	}
	// The provider forgot the response: restarted from the transcript in git.
	m.srv.Forget()
	res = m.call("codex-reply", map[string]any{"threadId": out.ThreadID, "prompt": "Also: the goroutines"})
	reply := structured[codexOut](t, res)
	if res.IsError || reply.Status != "complete" || !strings.Contains(strings.Join(reply.Notes, "\n"), "restarting it with the context rebuilt from git") {
		t.Errorf("an expired response: %+v %q", reply, texts(res))
	}
}

// Cancelling a call while the answer streams stores what came so far as
// incomplete, as Ctrl-C does.
func TestMCPCancelMidStream(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	m.srv.Enqueue(openaitest.Reply{Text: "The first part of a long answer, then more and more and more."})
	m.srv.Inject(openaitest.Fault{Kind: openaitest.FaultStall, AfterDeltas: 3})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for !strings.Contains(strings.Join(m.progressSeen(), "\n"), "answering: ") {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := m.cs.CallTool(ctx, &mcp.CallToolParams{Name: "codex", Arguments: map[string]any{"prompt": "Explain everything"},
		Meta: mcp.Meta{"progressToken": "p"}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("call: %v", err)
	}
	// The server stores the partial answer after the client has gone.
	deadline := time.Now().Add(10 * time.Second)
	for {
		note, _ := gittest.GitErr(m.dir, "", "notes", "--ref=refs/notes/codex/main", "show", "HEAD")
		if strings.Contains(note, `"kind":"answer"`) {
			if !strings.Contains(note, `"status":"incomplete"`) || !strings.Contains(note, "The first part") {
				t.Errorf("the stored answer:\n%s", note)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer stored:\n%s", note)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Bad arguments are error results that say what to pass, never a crash.
func TestMCPBadArguments(t *testing.T) {
	m := newMCPTest(t, mcpOptions{})
	cases := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"codex", map[string]any{}, `validating "arguments"`},
		{"codex", map[string]any{"prompt": "  "}, "git-codex: the task is empty\nhint: pass the task as prompt\n"},
		{"codex", map[string]any{"prompt": "x", "sandbox": "danger-full-access"}, "git-codex: sandbox danger-full-access is not offered"},
		{"codex", map[string]any{"prompt": 42}, `validating "arguments"`},
		{"reply", map[string]any{"message": "x", "mesage": "y"}, `validating "arguments"`},
		{"reply", map[string]any{"message": "x", "sandbox": "rw"}, `validating "arguments"`},
		{"reply", map[string]any{"message": "x"}, "git-codex: find session of topic \"main\": no session\nhint: open one with 'git codex delegate TASK', or name another with -t/-s\n"},
		{"fix", map[string]any{"command": "true", "rounds": 11}, "git-codex: rounds 11 is out of range\nhint: pass rounds from 1 to 10\n"},
		{"delegate", map[string]any{"task": "x", "context": []string{"../outside.go"}}, "git-codex: --context ../outside.go is outside the work tree"},
		{"delegate", map[string]any{"task": "x", "context": []string{"missing.go"}}, "git-codex: open session: missing.go: context file not found in the work tree"},
		{"show", map[string]any{"session": "01ZZ"}, "git-codex: find session \"01ZZ\": no session\nhint: see the list tool"},
		{"log", map[string]any{"revs": []string{"nosuch..HEAD"}}, "git-codex: "},
		{"pr_summary", map[string]any{"base": "nosuch"}, "git-codex: "},
	}
	for _, c := range cases {
		res := m.call(c.tool, c.args)
		if got := strings.Join(texts(res), ""); !res.IsError || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s %v: error %v, %q; want %q…", c.tool, c.args, res.IsError, got, c.want)
		}
	}
	// The server still serves.
	if res := m.call("list", map[string]any{}); res.IsError {
		t.Errorf("list after errors: %q", texts(res))
	}
}

// inFlight counts the model requests being answered at once; each waits (up
// to window) for a second one to arrive, so two calls that run in parallel
// are seen together, and two that do not are seen apart.
type inFlight struct {
	window    time.Duration
	mu        sync.Mutex
	now, most int
}

func (f *inFlight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.now++
		f.most = max(f.most, f.now)
		f.mu.Unlock()
		deadline := time.After(f.window)
		for waiting := true; waiting; {
			f.mu.Lock()
			waiting = f.now < 2
			f.mu.Unlock()
			select {
			case <-deadline:
				waiting = false
			case <-time.After(2 * time.Millisecond):
			}
		}
		h.ServeHTTP(w, r)
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	})
}

func (f *inFlight) max() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.most
}

// Two calls on two topics run in parallel.
func TestMCPTwoTopicsInParallel(t *testing.T) {
	// Generous: the first request waits this long only if the calls were
	// served one after the other.
	f := inFlight{window: 3 * time.Second}
	m := newMCPTest(t, mcpOptions{wrap: f.wrap})
	other := t.TempDir() + "/wt"
	gittest.Git(t, m.dir, "worktree", "add", "-q", "-b", "feature", other)
	var wg sync.WaitGroup
	results := make([]*mcp.CallToolResult, 2)
	for i, cwd := range []string{m.dir, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := m.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "codex", Arguments: map[string]any{"prompt": "Task " + cwd, "cwd": cwd}})
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	topics := map[string]bool{}
	for _, res := range results {
		if res == nil || res.IsError {
			t.Fatalf("a call failed: %v", res)
		}
		topics[structured[codexOut](t, res).Topic] = true
	}
	if !topics["main"] || !topics["feature"] {
		t.Errorf("topics %v", topics)
	}
	if f.max() != 2 {
		t.Errorf("at most %d model requests at once, want 2: the topics were served one after the other", f.max())
	}
}

// Two replies to one session are served one after the other: the second
// continues the first, never forks the session.
func TestMCPOneSessionSerialised(t *testing.T) {
	f := inFlight{window: 300 * time.Millisecond}
	m := newMCPTest(t, mcpOptions{wrap: f.wrap})
	out := structured[codexOut](t, m.call("codex", map[string]any{"prompt": "Find the race"}))
	f.mu.Lock()
	f.most = 0
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, msg := range []string{"Also: A", "Also: B"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := m.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "codex-reply", Arguments: map[string]any{"prompt": msg, "threadId": out.ThreadID}})
			if err != nil || res.IsError {
				t.Errorf("reply %q: %v %v", msg, err, res)
			}
		}()
	}
	wg.Wait()
	if f.max() != 1 {
		t.Errorf("%d model requests of one session at once", f.max())
	}
	res := m.call("list", map[string]any{})
	list := structured[mcpserver.ListResult](t, res)
	if len(list.Sessions) != 1 || list.Sessions[0].Turns != 3 || list.Sessions[0].Forks != 0 {
		t.Errorf("the session after two concurrent replies: %+v", list.Sessions)
	}
}

// cli runs a git codex command in dir with the test's environment and fails
// the test when it does not exit 0.
func (m *mcpTest) cli(dir string, args ...string) string {
	m.t.Helper()
	var stdout, stderr bytes.Buffer
	e := newEnv(strings.NewReader(""), &stdout, &stderr, func(k string) string {
		if v, ok := m.env[k]; ok {
			return v
		}
		return os.Getenv(k)
	})
	e.Dir = dir
	if code := run(context.Background(), e, append([]string{"git-codex"}, args...)); code != 0 {
		m.t.Fatalf("git codex %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// A session a teammate stored and shared, fetched with sync, is continued
// with codex-reply like one of this clone's; the new turn goes to this
// clone's own topic ref and sync sends it back.
func TestMCPContinuesATeammatesSession(t *testing.T) {
	var clones []string
	m := newMCPTest(t, mcpOptions{repo: func(t *testing.T) string {
		_, clones = gittest.BareWithClones(t, 2)
		return clones[1]
	}})
	m.cli(clones[0], "delegate", "Map the storage layer")
	m.cli(clones[0], "sync")
	var list struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	m.cli(clones[1], "sync")
	b, _ := json.Marshal(m.call("list", map[string]any{}).StructuredContent)
	if err := json.Unmarshal(b, &list); err != nil || len(list.Sessions) != 1 {
		t.Fatalf("list in the teammate's clone: %s", b)
	}
	thread := list.Sessions[0].ID
	res := m.call("codex-reply", map[string]any{"threadId": thread, "prompt": "Also: the lock protocol"})
	if out := structured[codexOut](t, res); res.IsError || out.ThreadID != thread || out.Topic != "main" {
		t.Fatalf("codex-reply to the teammate's session: %+v %q", out, texts(res))
	}
	note := gittest.Git(t, clones[1], "notes", "--ref=refs/notes/codex/main", "show", "HEAD")
	if !strings.Contains(note, "Also: the lock protocol") || !strings.Contains(note, thread) {
		t.Errorf("the new turn is not in this clone's topic ref:\n%s", note)
	}
	m.cli(clones[1], "sync")
	m.cli(clones[0], "sync")
	if note := gittest.Git(t, clones[0], "notes", "--ref=refs/notes/codex/main", "show", "HEAD"); !strings.Contains(note, "Also: the lock protocol") {
		t.Errorf("the teammate did not get the reply back:\n%s", note)
	}
}

// rawServer starts `git codex mcp` in dir through git's dispatch (the test
// binary is git-codex on PATH) with env added, for a test that speaks
// JSON-RPC lines to it itself.
func rawServer(t *testing.T, dir string, env ...string) (*exec.Cmd, io.WriteCloser, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	if _, err := exec.LookPath("git-codex"); err != nil {
		t.Skipf("git-codex is not on PATH (TestMain puts the test binary there): %v", err)
	}
	cmd := exec.Command("git", "codex", "mcp")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(env, "OPENAI_API_KEY=", "OPENAI_PRIMARY_MODEL=test-model")...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const hello = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"
	if _, err := io.WriteString(stdin, hello); err != nil {
		t.Fatal(err)
	}
	return cmd, stdin, &stdout, &stderr
}

// waitFor polls until cond holds (or 20 s pass).
func waitFor(cond func() bool) {
	for deadline := time.Now().Add(20 * time.Second); !cond() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// Only protocol reaches stdout: `git codex mcp` started through git's
// dispatch is sent raw JSON-RPC lines, calls that succeed, fail (no key:
// the command line would print to stderr) and read, then stdin closes; every
// line it printed is a JSON-RPC message, and it exits 0.
func TestMCPStdoutIsProtocolOnly(t *testing.T) {
	gittest.Hermetic(t)
	dir := gittest.NewRepo(t)
	srv := openaitest.New(t)
	requests := []string{
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"codex","arguments":{"prompt":"Find it"},"_meta":{"progressToken":7}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"codex","arguments":{"prompt":"Find it","cwd":"/"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"list","arguments":{}}}`,
	}
	for _, baseURL := range []string{srv.URL(), ""} {
		cmd, stdin, stdout, stderr := rawServer(t, dir, "OPENAI_BASE_URL="+baseURL)
		for _, r := range requests {
			if _, err := io.WriteString(stdin, r+"\n"); err != nil {
				t.Fatal(err)
			}
		}
		// Every call answered, then the client goes away.
		waitFor(func() bool { return len(responseIDs(t, stdout.String(), false)) == 4 })
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("base URL %q: exit %v\n%s", baseURL, err, stderr.String())
		}
		if ids := responseIDs(t, stdout.String(), true); len(ids) != 4 {
			t.Errorf("base URL %q: answers to %v, want 4 calls answered\nstdout:\n%s\nstderr:\n%s", baseURL, ids, stdout.String(), stderr.String())
		}
	}
}

// A client that goes away while an answer streams (closes the server's
// stdin, as clients end their servers) leaves the partial answer stored as
// incomplete: the server waits for its calls before it exits.
func TestMCPClientGoneStoresThePartialAnswer(t *testing.T) {
	gittest.Hermetic(t)
	dir := gittest.NewRepo(t)
	srv := openaitest.New(t)
	srv.Enqueue(openaitest.Reply{Text: "A partial answer that the client never sees the end of."})
	srv.Inject(openaitest.Fault{Kind: openaitest.FaultStall, AfterDeltas: 3})
	cmd, stdin, stdout, stderr := rawServer(t, dir, "OPENAI_BASE_URL="+srv.URL())
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"codex","arguments":{"prompt":"Explain"},"_meta":{"progressToken":"p"}}}`
	if _, err := io.WriteString(stdin, call+"\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(func() bool { return strings.Contains(stdout.String(), "answering: ") })
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit %v\n%s", err, stderr.String())
	}
	note := gittest.Git(t, dir, "notes", "--ref=refs/notes/codex/main", "show", "HEAD")
	if !strings.Contains(note, `"status":"incomplete"`) || !strings.Contains(note, "A partial answer") {
		t.Errorf("stored:\n%s\nstdout:\n%s\nstderr:\n%s", note, stdout.String(), stderr.String())
	}
}

// responseIDs returns the ids of the JSON-RPC responses in out, one message
// a line; with strict, a line that is no JSON-RPC message fails the test.
func responseIDs(t *testing.T, out string, strict bool) map[float64]bool {
	ids := map[float64]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var msg struct {
			JSONRPC string   `json:"jsonrpc"`
			ID      *float64 `json:"id"`
			Method  string   `json:"method"`
		}
		if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.JSONRPC != "2.0" || (msg.ID == nil && msg.Method == "") {
			if strict {
				t.Errorf("stdout has a line that is no JSON-RPC message: %q", line)
			}
			continue
		}
		if msg.ID != nil && msg.Method == "" {
			ids[*msg.ID] = true
		}
	}
	return ids
}
