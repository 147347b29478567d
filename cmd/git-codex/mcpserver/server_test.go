package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/session"
)

// connect serves s to a client made with copts over an in-memory connection.
func connect(t *testing.T, s *Server, copts *mcp.ClientOptions, sopts *mcp.ClientSessionOptions) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ct, st := mcp.NewInMemoryTransports()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, st) }()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, copts).Connect(ctx, ct, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		cancel()
		<-done
	})
	return cs
}

// approveArgs steer the approve tool of newApprovalServer.
type approveArgs struct {
	Approval string `json:"approval,omitempty"`
	Times    int    `json:"times,omitempty"`
}

// newApprovalServer is a server with one more tool, approve, whose engine
// asks Times approvals (default 1) the way the engine asks before an edit,
// and answers with each decision.
func newApprovalServer(t *testing.T, opts Options) (*Server, chan error) {
	s := New(opts)
	ended := make(chan error, 1)
	mcp.AddTool(s.MCP(), &mcp.Tool{Name: "approve"}, func(ctx context.Context, req *mcp.CallToolRequest, in approveArgs) (*mcp.CallToolResult, *Answer, error) {
		pol, err := parsePolicy(SandboxWorkspaceWrite, in.Approval)
		if err != nil {
			return failed(err), &Answer{}, nil
		}
		return runTool(s, ctx, req, pol, nil, func(ctx context.Context, out *output) (*Answer, error) {
			var got []string
			var err error
			for i := 0; i < max(in.Times, 1) && err == nil; i++ {
				var d session.Decision
				d, err = out.Approve(ctx, session.Approval{Session: "01JTESTSESSION", Action: "edit", Path: "cache.go", Detail: "-a\n+b\n"})
				got = append(got, decided(d))
			}
			ended <- err
			return &Answer{Text: strings.Join(got, ",")}, err
		})
	})
	return s, ended
}

// Approvals go to the client as elicitation requests when it takes them:
// in the middle of the call on protocols before 2026-07-28, as input
// requests the client answers by retrying the call on 2026-07-28 and later.
// A client without elicitation gets the approval policy's answer.
func TestApprovals(t *testing.T) {
	cases := []struct {
		name     string
		protocol string // "" = the SDK's newest (multi round-trip)
		answer   string // the client's elicitation action; "" = no elicitation support
		policy   string
		times    int
		want     string
		wantNote string
	}{
		{name: "accepted, multi round-trip", answer: "accept", want: "allowed", wantNote: "edit cache.go: allowed by the client"},
		{name: "declined, multi round-trip", answer: "decline", want: "denied", wantNote: "edit cache.go: denied by the client"},
		{name: "two in one call, multi round-trip", answer: "accept", times: 2, want: "allowed,allowed"},
		{name: "accepted, during the call", protocol: "2025-11-25", answer: "accept", want: "allowed"},
		{name: "cancelled, during the call", protocol: "2025-06-18", answer: "cancel", want: "denied"},
		{name: "two in one call, during the call", protocol: "2025-11-25", answer: "accept", times: 2, want: "allowed,allowed"},
		{name: "no elicitation, never asks", policy: ApprovalNever, want: "allowed",
			wantNote: "edit cache.go: allowed without asking (approval-policy never; the client takes no elicitation requests)"},
		{name: "no elicitation, on-request", policy: ApprovalOnRequest, want: "denied",
			wantNote: "edit cache.go: denied without asking (approval-policy on-request"},
		{name: "no elicitation, untrusted, legacy", protocol: "2025-11-25", policy: ApprovalUntrusted, want: "denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newApprovalServer(t, Options{})
			var asked atomic.Int32
			var message atomic.Value
			copts := &mcp.ClientOptions{}
			if c.answer != "" {
				copts.ElicitationHandler = func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					asked.Add(1)
					message.Store(req.Params.Message)
					return &mcp.ElicitResult{Action: c.answer}, nil
				}
			}
			var sopts *mcp.ClientSessionOptions
			if c.protocol != "" {
				sopts = &mcp.ClientSessionOptions{ProtocolVersion: c.protocol}
			}
			cs := connect(t, s, copts, sopts)
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "approve", Arguments: approveArgs{Approval: c.policy, Times: c.times}})
			if err != nil {
				t.Fatal(err)
			}
			var out Answer
			decode(t, res, &out)
			if res.IsError || out.Text != c.want {
				t.Fatalf("result %+v (error %v), want %q", out, res.IsError, c.want)
			}
			wantAsked := 0
			if c.answer != "" {
				wantAsked = max(c.times, 1)
				msg, _ := message.Load().(string)
				if !strings.Contains(msg, "the model wants to edit cache.go (session 01JTESTSESSI)") || !strings.Contains(msg, "+b") {
					t.Errorf("the client was asked %q", msg)
				}
			}
			if int(asked.Load()) != wantAsked {
				t.Errorf("the client was asked %d times, want %d", asked.Load(), wantAsked)
			}
			if c.wantNote != "" && !strings.Contains(strings.Join(out.Notes, "\n"), c.wantNote) {
				t.Errorf("notes %q lack %q", out.Notes, c.wantNote)
			}
		})
	}
}

// An approval the client never answers (it does not retry the call) is
// denied when it expires, which ends the engine's turn; a retry naming a
// request state the server does not hold is an error result.
func TestApprovalExpires(t *testing.T) {
	s, ended := newApprovalServer(t, Options{ParkTimeout: 20 * time.Millisecond})
	cs := connect(t, s, &mcp.ClientOptions{
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept"}, nil
		},
		MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true},
	}, nil)
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "approve", Arguments: approveArgs{}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NeedsInput() || res.InputRequests[approvalKey] == nil || res.RequestState == "" {
		t.Fatalf("want an input request, got %+v", res)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the engine's approval ended with %v, want cancellation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the parked call was never cancelled")
	}
	res, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "approve", Arguments: approveArgs{}, RequestState: res.RequestState,
		InputResponses: mcp.InputResponseMap{approvalKey: &mcp.ElicitResult{Action: "accept"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(textOf(res), "git-codex: no approval of this server is waiting for that answer") {
		t.Errorf("a stale retry gave %q (error %v)", textOf(res), res.IsError)
	}
}

func TestLocks(t *testing.T) {
	var l locks
	ctx := context.Background()
	unlockA, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// Another name is free.
	unlockB, err := l.lock(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	unlockB()
	// The same name waits until released.
	got := make(chan struct{})
	go func() {
		u, err := l.lock(ctx, "a")
		if err == nil {
			close(got)
			u()
		}
	}()
	select {
	case <-got:
		t.Fatal("a second holder got the lock")
	case <-time.After(20 * time.Millisecond):
	}
	unlockA()
	unlockA() // releasing twice is harmless
	<-got
	// A waiter that gives up leaves nothing behind.
	unlockA, _ = l.lock(ctx, "a")
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := l.lock(cctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a cancelled wait gave %v", err)
	}
	unlockA()
	if n := l.size(); n != 0 {
		t.Errorf("%d lock entries left", n)
	}
}

// Many goroutines on one name never hold the lock together.
func TestLocksExclusive(t *testing.T) {
	var l locks
	var holders, most atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := l.lock(context.Background(), "s")
			if err != nil {
				t.Error(err)
				return
			}
			n := holders.Add(1)
			if n > most.Load() {
				most.Store(n)
			}
			time.Sleep(time.Millisecond)
			holders.Add(-1)
			u()
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d holders at once", most.Load())
	}
}

func TestParsePolicy(t *testing.T) {
	cases := []struct {
		sandbox, approval string
		wantErr           string
		wantNote          string
	}{
		{"", "", "", ""},
		{"read-only", "never", "", ""},
		{"workspace-write", "untrusted", "", ""},
		{"read-only", "on-failure", "", "on-failure is deprecated by Codex; treated as on-request"},
		{"danger-full-access", "", "sandbox danger-full-access is not offered", ""},
		{"rw", "", `unknown sandbox "rw"`, ""},
		{"", "sometimes", `unknown approval policy "sometimes"`, ""},
	}
	for _, c := range cases {
		p, err := parsePolicy(c.sandbox, c.approval)
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("parsePolicy(%q, %q) = %v, want %q", c.sandbox, c.approval, err, c.wantErr)
			}
		case err != nil:
			t.Errorf("parsePolicy(%q, %q): %v", c.sandbox, c.approval, err)
		case c.wantNote == "" && len(p.notes()) != 0, c.wantNote != "" && !strings.Contains(strings.Join(p.notes(), "\n"), c.wantNote):
			t.Errorf("parsePolicy(%q, %q) notes %q, want %q", c.sandbox, c.approval, p.notes(), c.wantNote)
		}
	}
}

func TestReadCodexConfig(t *testing.T) {
	c := readCodexConfig(map[string]any{"model": "gpt-5-mini", "sandbox_mode": "read-only", "approval_policy": 3,
		"model_reasoning_effort": "high"})
	if c.model != "gpt-5-mini" || c.sandbox != "read-only" || c.approval != "" {
		t.Errorf("config read as %+v", c)
	}
	want := []string{"config.approval_policy ignored: want a string",
		"config.model_reasoning_effort ignored: git codex has no such setting (it honours model, sandbox_mode and approval_policy)"}
	if strings.Join(c.notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes %q, want %q", c.notes, want)
	}
}

// Every client's set-up is what its documentation says: a command, or a
// block its configuration parser takes.
func TestClientConfig(t *testing.T) {
	claude, err := ClientConfig("claude")
	if err != nil || claude != "claude mcp add git-codex -- git codex mcp\n" {
		t.Errorf("claude: %q, %v", claude, err)
	}
	codex, err := ClientConfig("Codex")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Servers map[string]struct {
			Command        string   `toml:"command"`
			Args           []string `toml:"args"`
			EnvVars        []string `toml:"env_vars"`
			ToolTimeoutSec int      `toml:"tool_timeout_sec"`
		} `toml:"mcp_servers"`
	}
	if _, err := toml.Decode(codex, &cfg); err != nil {
		t.Fatalf("codex: %v\n%s", err, codex)
	}
	srv := cfg.Servers["git-codex"]
	if srv.Command != "git" || strings.Join(srv.Args, " ") != "codex mcp" || !strings.Contains(strings.Join(srv.EnvVars, " "), "OPENAI_API_KEY") || srv.ToolTimeoutSec < 600 {
		t.Errorf("codex: %+v", srv)
	}
	cursor, err := ClientConfig("cursor")
	if err != nil {
		t.Fatal(err)
	}
	var cj struct {
		MCPServers map[string]struct {
			Command string   `json:"command"`
			Args    []string `json:"args"`
		} `json:"mcpServers"`
	}
	if err := json.Unmarshal([]byte(cursor), &cj); err != nil || cj.MCPServers["git-codex"].Command != "git" || strings.Join(cj.MCPServers["git-codex"].Args, " ") != "codex mcp" {
		t.Errorf("cursor: %+v, %v", cj, err)
	}
	if _, err := ClientConfig("vim"); err == nil || !strings.Contains(err.Error(), "known: claude, codex, cursor") {
		t.Errorf("an unknown client: %v", err)
	}
}

// Answer deltas make at most one progress message per interval; the other
// events go out at once, and the ones the caller should know are kept.
func TestOutputProgress(t *testing.T) {
	o := newOutput(policy{}, false, time.Second)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o.now = func() time.Time { return now }
	var sent []string
	o.attach(func(msg string) { sent = append(sent, msg) })
	o.Event(session.Event{Kind: session.EventWaiting})
	for i := 0; i < 100; i++ {
		o.Delta("0123456789")
	}
	now = now.Add(time.Second)
	o.Delta("x")
	o.Event(session.Event{Kind: session.EventTool, Text: "read_file cache.go (1.2 KiB)"})
	o.Event(session.Event{Kind: session.EventWarning, Text: "skipped a malformed line"})
	o.Event(session.Event{Kind: session.EventAnswerEnd})
	want := []string{"waiting for the model", "answering: 10 B so far", "answering: 1001 B so far",
		"tool: read_file cache.go (1.2 KiB)", "warning: skipped a malformed line"}
	if strings.Join(sent, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress\n%q\nwant\n%q", sent, want)
	}
	if _, notes, _ := o.report(); strings.Join(notes, "\n") != "warning: skipped a malformed line" {
		t.Errorf("notes %q", notes)
	}
	// Without a progress token nothing is sent, and nothing breaks.
	o.attach(nil)
	o.Delta("more")
}

// A verification command's output is kept as a redacted tail.
func TestOutputTail(t *testing.T) {
	o := newOutput(policy{}, false, 0)
	o.Event(session.Event{Kind: session.EventOutput, Text: strings.Repeat("x", maxTail)})
	o.Event(session.Event{Kind: session.EventOutput, Text: "\nOPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD\nFAIL cache\n"})
	_, _, tail := o.report()
	if len(tail) > maxTail || !strings.HasSuffix(tail, "FAIL cache\n") || strings.Contains(tail, "sk-proj-abcdef") {
		t.Errorf("tail (%d bytes) ends %q", len(tail), tail[max(len(tail)-120, 0):])
	}
}

func decode(t *testing.T, res *mcp.CallToolResult, v any) {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

func textOf(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
