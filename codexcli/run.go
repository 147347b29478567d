package codexcli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Sentinel errors of Run; compare with errors.Is.
var (
	// ErrThreadNotFound: `exec resume` found no rollout for the thread on
	// this machine (another clone, a wiped CODEX_HOME, a CI runner). The
	// caller restarts the conversation in a new thread.
	ErrThreadNotFound = errors.New("codex thread not found on this machine")
	// ErrTurnFailed: Codex reported turn.failed (the model API refused or
	// failed); the error text carries Codex's message.
	ErrTurnFailed = errors.New("codex turn failed")
	// ErrExited: Codex exited before the turn completed, for another reason
	// than the above (bad configuration, a crash); the error text carries
	// its message.
	ErrExited = errors.New("codex exited before the turn completed")
)

// pipeWait is how long Run waits, once Codex has exited, for whatever else
// holds its output pipes; the group's leftovers are killed after it.
const pipeWait = 100 * time.Millisecond

// notFoundMarker is how Codex 0.169 says ErrThreadNotFound on stderr:
// "Error: thread/resume: thread/resume failed: no rollout found for thread
// id <id> (code -32600)".
const notFoundMarker = "no rollout found for thread id"

// Run runs one Codex turn and returns what it did: Start, then the
// Process's Run. Events reach r.Sink as they arrive. On error Run still
// returns the Turn with everything that arrived, except when Codex was not
// started at all (nil Turn: a bad request, a binary that does not start, a
// context already done).
//
// Codex runs in its own process group, in r.Dir, with r.Prompt on standard
// input. When ctx is cancelled, Run sends SIGINT to the group (Codex ends the
// turn and keeps it in its thread), then SIGTERM and SIGKILL after r.Grace
// each, and returns the turn with Status TurnInterrupted and an error
// wrapping ctx.Err(). Whatever is left of the group when Codex exits is
// killed: Run never leaves a child behind.
//
// With r.Gate set, Gate runs while Codex starts up, and the prompt is
// written only once Gate returns nil; a failing Gate stops Codex before it
// read anything, and Run returns Gate's error and no Turn.
//
// Errors: ErrUnsupported (from Args), ErrThreadNotFound, ErrTurnFailed,
// ErrExited, Gate's error, or the context's error.
func Run(ctx context.Context, r Request) (*Turn, error) {
	p, err := Start(ctx, r)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, r)
}

// Process is Codex started for a request and holding: it starts up (~40 ms
// for 0.169) but reads no prompt, and so sends nothing to the model, until
// Run. A caller that can guess a turn's request before it knows it (the
// thread a reply resumes, before the session is read) starts Codex with the
// guess, and once it knows, either runs the turn in it (Matches) or stops
// it (Stop): Codex's start-up then overlaps the caller's own.
type Process struct {
	req    Request
	args   []string
	cmd    *exec.Cmd
	prompt io.WriteCloser
	out    *heldWriter
	stderr *boundedBuffer
	// used: Run or Stop was called.
	used bool
}

// Start starts Codex for r with its standard input held open. r's Sink,
// OnEnd and Gate are not used: Run takes them. The caller must call Run or
// Stop. Errors: ErrUnsupported (from Args), or Codex not starting.
func Start(ctx context.Context, r Request) (*Process, error) {
	if r.Bin == nil {
		return nil, fmt.Errorf("run codex: no binary (call Find first)")
	}
	args, err := Args(r)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupt codex turn before it started: %w", err)
	}
	env := r.Env
	if env == nil {
		env = os.Environ()
	}
	cmd := exec.Command(r.Bin.Path, args...)
	cmd.Dir = r.Dir
	cmd.Env = append(slices.Clip(env), r.Bin.Env...)
	prompt, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start codex: %w", err)
	}
	p := &Process{req: r, args: args, cmd: cmd, prompt: prompt,
		out: &heldWriter{ready: make(chan struct{})}, stderr: &boundedBuffer{head: 16 << 10, tail: 48 << 10}}
	p.req.Sink, p.req.OnEnd, p.req.Gate = nil, nil, nil
	cmd.Stdout, cmd.Stderr = p.out, p.stderr
	// A grandchild that inherited the pipes must not hold Run after Codex
	// exits (what Codex wrote is read at once; the delay only bounds the
	// wait for other holders to close them).
	cmd.WaitDelay = pipeWait
	ownGroup(cmd)
	if err := cmd.Start(); err != nil { // it closes the pipes it made
		return nil, fmt.Errorf("start codex: %w", err)
	}
	return p, nil
}

// Matches reports whether p was started for the turn r asks for: the same
// binary, arguments, directory, environment, prompt and prior usage (Sink,
// OnEnd, Gate and Grace aside). False for a nil or used Process.
func (p *Process) Matches(r Request) bool {
	if p == nil || p.used || r.Bin == nil {
		return false
	}
	q := p.req
	if q.Bin.Path != r.Bin.Path || !slices.Equal(q.Bin.Env, r.Bin.Env) || q.Dir != r.Dir ||
		q.Prompt != r.Prompt || q.PriorUsage != r.PriorUsage || (q.Env == nil) != (r.Env == nil) || !slices.Equal(q.Env, r.Env) {
		return false
	}
	args, err := Args(r)
	return err == nil && slices.Equal(p.args, args)
}

// Stop ends Codex before it read anything: it is killed before its input
// closes, so it never sees an empty prompt. Nothing happens for a nil
// Process or after Run or Stop.
func (p *Process) Stop() {
	if p == nil || p.used {
		return
	}
	p.used = true
	p.stopUnread()
}

func (p *Process) stopUnread() {
	signalGroup(p.cmd.Process, stopStages-1)
	p.out.attach(io.Discard)
	_ = p.prompt.Close()
	_ = p.cmd.Wait()
	killGroupLeftovers(p.cmd.Process)
}

// Run carries one turn in p, which must have been started for r
// (Matches): r gives the Sink, OnEnd, Gate and Grace. It returns what Run
// (the function) returns; a used Process, or one started for another
// request, is an error and Codex gets nothing.
func (p *Process) Run(ctx context.Context, r Request) (*Turn, error) {
	if p.used {
		return nil, fmt.Errorf("run codex: the process was used already")
	}
	if !p.Matches(r) {
		return nil, fmt.Errorf("run codex: the process was started for another request")
	}
	p.used = true
	grace := r.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	col := newCollector(StreamOptions{Dir: r.Dir, ThreadID: r.ThreadID, PriorUsage: r.PriorUsage, Sink: r.Sink, OnEnd: r.OnEnd})
	p.out.attach(col)
	if r.Gate != nil {
		if err := r.Gate(ctx); err != nil {
			p.stopUnread()
			return nil, err
		}
	}
	// Written aside: a prompt larger than the pipe's buffer is read while
	// Codex runs. Closing the pipe ends its input.
	go func() {
		_, _ = io.WriteString(p.prompt, p.req.Prompt)
		_ = p.prompt.Close()
	}()
	cmd := p.cmd
	stop := watch(ctx, cmd.Process, grace)
	werr := cmd.Wait()
	stop()
	col.Close()

	t := col.turn
	t.Stderr = p.stderr.String()
	t.ExitCode = cmd.ProcessState.ExitCode()
	return t, outcome(ctx, t, werr)
}

// heldWriter passes Codex's standard output on once attach names where to:
// until then the copy waits (and Codex's pipe holds what it writes).
type heldWriter struct {
	ready chan struct{}
	w     io.Writer
}

// attach passes the output on to w; only the first call counts.
func (h *heldWriter) attach(w io.Writer) {
	if h.w != nil {
		return
	}
	h.w = w
	close(h.ready)
}

func (h *heldWriter) Write(b []byte) (int, error) {
	<-h.ready
	return h.w.Write(b)
}

// outcome classifies how the run ended and sets the Turn's status.
func outcome(ctx context.Context, t *Turn, werr error) error {
	if t.Status == TurnCompleted {
		return nil
	}
	if err := ctx.Err(); err != nil {
		t.Status = TurnInterrupted
		return fmt.Errorf("interrupt codex turn: %w", err)
	}
	if t.Status == TurnFailed {
		t.Error = failureMessage(t.Error)
		return fmt.Errorf("%w: %s", ErrTurnFailed, t.Error)
	}
	msg := stderrError(t.Stderr)
	if strings.Contains(msg, notFoundMarker) {
		t.Error = msg
		return fmt.Errorf("resume codex thread: %w: %s", ErrThreadNotFound, msg)
	}
	switch {
	case msg != "":
	case werr != nil:
		msg = werr.Error()
	default:
		msg = "the event stream ended without turn.completed"
	}
	t.Error = msg
	return fmt.Errorf("%w (exit %d): %s", ErrExited, t.ExitCode, msg)
}

// failureMessage shortens a turn.failed message that is a provider's JSON
// error body ({"error":{"message":…,"code":…}}) to its message and code.
func failureMessage(s string) string {
	var body struct {
		Error struct {
			Message string `json:"message"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(s), &body) != nil || body.Error.Message == "" {
		return strings.TrimSpace(s)
	}
	if code, ok := body.Error.Code.(string); ok && code != "" {
		return body.Error.Message + " (" + code + ")"
	}
	return body.Error.Message
}

// stderrError picks Codex's error message from its stderr: the first line
// starting with "Error" ("Error: …", "Error finding codex home: …"), else
// the last line that is neither a warning nor part of a backtrace.
func stderrError(s string) string {
	lines := strings.Split(s, "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "Error") {
			return strings.TrimSpace(strings.TrimPrefix(l, "Error: "))
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "WARNING:") || strings.HasPrefix(l, "Stack backtrace:") || isFrame(l) {
			continue
		}
		return l
	}
	return ""
}

// isFrame reports a backtrace line ("12: <unknown>", "at src/main.rs:3").
func isFrame(l string) bool {
	if strings.HasPrefix(l, "at ") {
		return true
	}
	n, _, ok := strings.Cut(l, ":")
	if !ok || n == "" {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// watch stops Codex when ctx is done: SIGINT to its group, then SIGTERM,
// then SIGKILL, grace apart. The returned stop, called once Codex has been
// waited for, ends the watch and kills what is left of the group.
func watch(ctx context.Context, p *os.Process, grace time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		for stage := range stopStages {
			select {
			case <-done:
				return
			default:
			}
			signalGroup(p, stage)
			select {
			case <-done:
				return
			case <-time.After(grace):
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		killGroupLeftovers(p)
	}
}

// boundedBuffer keeps the first head and the last tail bytes written.
type boundedBuffer struct {
	head, tail int
	first      []byte
	last       []byte
	dropped    bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.head - len(b.first); room > 0 {
		k := min(room, len(p))
		b.first = append(b.first, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	b.last = append(b.last, p...)
	if over := len(b.last) - b.tail; over > 0 {
		b.last = append(b.last[:0], b.last[over:]...)
		b.dropped = true
	}
	return n, nil
}

func (b *boundedBuffer) String() string {
	if b.dropped {
		return string(b.first) + "\n…\n" + string(b.last)
	}
	return string(b.first) + string(b.last)
}
