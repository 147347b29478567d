package mcpserver

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/session"
)

// result is what a tool that runs the engine returns: a pointer to its
// structured output, which also renders the text content and keeps the
// notes (what was not honoured, warnings, restarts) for the caller.
type result interface {
	// text is the content of a successful result.
	text() string
	setNotes([]string)
}

// run is one call that runs the engine. The engine works in a goroutine of
// its own, so that the handler can wait for it, for an approval the engine
// asks for, or for the client's cancellation; with the multi round-trip
// requests of protocol 2026-07-28 the run outlives the request that started
// it while the client answers an approval.
type run[T result] struct {
	tool   string
	start  time.Time
	out    *output
	cancel context.CancelFunc
	done   chan struct{}
	val    T
	err    error
	// pending is the approval handed to the client, waiting for the
	// retried call that carries the answer.
	pending *ask
}

// approvalKey names the one input request an approval makes.
const approvalKey = "approval"

// runTool runs fn, which talks to the model through out, as one call: it
// reports progress to the request's progress token, turns the client's
// cancellation into the engine's (the partial answer is stored as
// incomplete, as on Ctrl-C), asks approvals through elicitation, and returns
// an error as a result with isError whose text is the command line's
// "git-codex: …" and "hint: …" lines. notes are told to the caller in any
// case (arguments not honoured).
func runTool[T result](s *Server, ctx context.Context, req *mcp.CallToolRequest, pol policy, notes []string,
	fn func(ctx context.Context, out *output) (T, error)) (*mcp.CallToolResult, T, error) {
	if state := req.Params.RequestState; state != "" {
		r, ok := s.parked.take(state).(*run[T])
		if !ok || r.pending == nil {
			var zero T
			return failed(failure.Usagef("call the tool again without requestState",
				"no approval of this server is waiting for that answer (it expired, or the server restarted)")), zero, nil
		}
		r.pending.reply <- decision(req.Params.InputResponses[approvalKey])
		r.pending = nil
		return wait(s, ctx, req, r)
	}
	out := newOutput(pol, clientElicits(req), s.opts.ProgressInterval)
	for _, n := range notes {
		out.note(n)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &run[T]{tool: req.Params.Name, start: time.Now(), out: out, cancel: cancel, done: make(chan struct{})}
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		defer cancel()
		r.val, r.err = fn(runCtx, out)
		close(r.done)
	}()
	return wait(s, ctx, req, r)
}

// wait serves req until the run ends, the client cancels, or an approval
// must go to the client as an input request.
func wait[T result](s *Server, ctx context.Context, req *mcp.CallToolRequest, r *run[T]) (*mcp.CallToolResult, T, error) {
	r.out.attach(progress(ctx, req))
	for {
		select {
		case <-r.done:
			s.logCall(r.tool, r.start, r.err)
			return finish(r)
		case q := <-r.out.asks:
			if !multiRoundTrip(req) {
				q.reply <- s.elicit(ctx, req, q.approval)
				continue
			}
			r.out.attach(nil)
			r.pending = q
			state := s.parked.put(r, s.opts.ParkTimeout, r.cancel)
			var zero T
			return &mcp.CallToolResult{
				InputRequests: mcp.InputRequestMap{approvalKey: approvalParams(q.approval)},
				RequestState:  state,
			}, zero, nil
		case <-ctx.Done():
			// The engine stores what the model said so far as incomplete.
			r.cancel()
			<-r.done
			s.logCall(r.tool, r.start, r.err)
			return finish(r)
		}
	}
}

func finish[T result](r *run[T]) (*mcp.CallToolResult, T, error) {
	_, notes, _ := r.out.report()
	r.val.setNotes(notes)
	var res *mcp.CallToolResult
	if r.err != nil {
		// What happened first; then what the model said before it did.
		res = failed(r.err)
		if t := r.val.text(); t != "" {
			res.Content = append(res.Content, &mcp.TextContent{Text: t})
		}
	} else {
		res = &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: r.val.text()}}}
	}
	if len(notes) > 0 {
		res.Content = append(res.Content, &mcp.TextContent{Text: noteText(notes)})
	}
	return res, r.val, nil
}

// logCall logs a call that ended: its tool, how long it took, and what the
// caller was told when it failed.
func (s *Server) logCall(tool string, start time.Time, err error) {
	d := time.Since(start).Round(time.Millisecond)
	if err != nil {
		s.log.Info("call failed", "tool", tool, "took", d, "error", failure.Describe(err).Message)
		return
	}
	s.log.Info("call", "tool", tool, "took", d)
}

// failed is the error result of err: the command line's two lines.
func failed(err error) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: failure.Describe(err).String()}}}
}

// noteText renders notes as the command line would print them.
func noteText(notes []string) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString("git-codex: " + n + "\n")
	}
	return b.String()
}

// progress returns the function that reports progress for req, or nil when
// the client sent no progress token.
func progress(ctx context.Context, req *mcp.CallToolRequest) func(string) {
	token := req.Params.GetProgressToken()
	if token == nil {
		return nil
	}
	n := 0
	return func(msg string) {
		n++
		// A client that went away makes this fail; the call ends anyway.
		_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: float64(n), Message: msg})
	}
}

// clientElicits reports whether the client takes elicitation requests.
func clientElicits(req *mcp.CallToolRequest) bool {
	p := req.Session.InitializeParams()
	return p != nil && p.Capabilities != nil && p.Capabilities.Elicitation != nil
}

// multiRoundTrip reports whether the client speaks protocol 2026-07-28 or
// later, where a server may not send a request while it serves one: an
// approval goes back as an input request, and the client retries the call
// with the answer (SEP-2322).
func multiRoundTrip(req *mcp.CallToolRequest) bool {
	p := req.Session.InitializeParams()
	return p != nil && p.ProtocolVersion >= "2026-07-28"
}

// elicit asks the client about an approval while serving req (protocols
// before 2026-07-28). Anything but an acceptance is a denial.
func (s *Server) elicit(ctx context.Context, req *mcp.CallToolRequest, a session.Approval) session.Decision {
	res, err := req.Session.Elicit(ctx, approvalParams(a))
	if err != nil {
		s.log.Warn("elicitation failed; denied", "err", err)
		return session.Deny
	}
	return decision(res)
}

// approvalParams is the elicitation of an approval: a message and nothing
// to fill in; accepting allows.
func approvalParams(a session.Approval) *mcp.ElicitParams {
	return &mcp.ElicitParams{
		Mode:            "form",
		Message:         approvalMessage(a),
		RequestedSchema: &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{}},
	}
}

func decision(r mcp.InputResponse) session.Decision {
	if e, ok := r.(*mcp.ElicitResult); ok && e != nil && e.Action == "accept" {
		return session.Allow
	}
	return session.Deny
}

// parked holds runs waiting for the client's answer to an approval, by the
// opaque requestState the client echoes. A run nobody comes back for is
// cancelled after its timeout (the engine treats the approval as denied and
// stores the turn as incomplete).
type parked struct {
	mu sync.Mutex
	m  map[string]*parkedRun
}

type parkedRun struct {
	run    any
	timer  *time.Timer
	cancel context.CancelFunc
}

func (p *parked) put(r any, timeout time.Duration, cancel context.CancelFunc) string {
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	state := rand.Text()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]*parkedRun{}
	}
	p.m[state] = &parkedRun{run: r, cancel: cancel, timer: time.AfterFunc(timeout, func() {
		if p.take(state) != nil {
			cancel()
		}
	})}
	return state
}

// take removes and returns the run parked under state, or nil.
func (p *parked) take(state string) any {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[state]
	if e == nil {
		return nil
	}
	delete(p.m, state)
	e.timer.Stop()
	return e.run
}

// cancelAll cancels every parked run (the server is shutting down).
func (p *parked) cancelAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for state, e := range p.m {
		e.timer.Stop()
		e.cancel()
		delete(p.m, state)
	}
}
