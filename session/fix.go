package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/prompt"
)

// FixOptions describe a verification run.
type FixOptions struct {
	Target
	// Command is the program and its arguments; a single argument with
	// spaces is run by the shell.
	Command []string
	// Max is the number of rounds (run, and on failure send); 0 means 1 in
	// read-only and 3 in workspace-write. In workspace-write the model's
	// patches change the files, so the command runs again after each of
	// its answers (at most Max+1 runs); in read-only more rounds only help
	// when something else fixes the tree in between.
	Max int
	// TailLines bounds the output tail sent to the model; 0 means 40.
	TailLines int
	// Mode asks for a sandbox mode and approval policy, as a reply does.
	Mode ModeRequest
}

// FixResult reports the rounds of a Fix.
type FixResult struct {
	Passed  bool     `json:"passed"`
	Rounds  int      `json:"rounds"`
	Answers []Result `json:"answers,omitempty"`
}

// DefaultFixRounds is fix's number of rounds in workspace-write.
const DefaultFixRounds = 3

// Fix runs a verification command in the work tree until it passes or the
// rounds are used up: when it passes, that is recorded as a small event;
// when it fails, "Failed: <cmd> <output tail>. Fix." is sent to the session,
// and in workspace-write the model's patches are applied and the command
// runs again. Every round ends with a one-line verdict (EventVerdict).
// Returns ErrFixFailed when the command still fails after the last round.
func (e *Engine) Fix(ctx context.Context, opt FixOptions) (FixResult, error) {
	var res FixResult
	if len(opt.Command) == 0 {
		return res, fmt.Errorf("run fix: %w: no command given", ErrEmptyMessage)
	}
	s, err := e.open(ctx, opt.Target)
	if err != nil {
		return res, err
	}
	mode := e.nextMode(s, opt.Mode)
	if s.Inline && mode.CanEdit() {
		e.notify(EventMode, s, "session "+text.ShortID(s.ID)+" sends its context inline and offers the model no tools: it stays read-only")
		mode.Sandbox = SandboxReadOnly
	}
	rounds := opt.Max
	if rounds <= 0 {
		rounds = 1
		if mode.CanEdit() {
			rounds = DefaultFixRounds
		}
	}
	// In workspace-write the command checks the model's last patches too.
	verifyLast := mode.CanEdit()
	tail := opt.TailLines
	if tail <= 0 {
		tail = 40
	}
	cmdline := shellJoin(opt.Command)
	if len(opt.Command) == 1 {
		cmdline = opt.Command[0] // run by the shell as typed (see run)
	}
	verdict := func(format string, args ...any) {
		e.notify(EventVerdict, s, fmt.Sprintf(format, args...))
	}
	for run := 1; ; run++ {
		out, code, runErr := e.run(ctx, s.ID, opt.Command)
		if runErr != nil {
			return res, runErr
		}
		if code == 0 {
			res.Passed = true
			if run == 1 {
				e.notify(EventCommand, s, "`"+cmdline+"` passed")
			} else {
				verdict("after %s: `%s` passes", countNoun(run-1, "round"), cmdline)
			}
			target, err := e.head()
			if err != nil {
				return res, err
			}
			ev := e.record(KindEvent, s)
			ev.Commit, ev.Event, ev.Text, ev.Turn = target, RecordFixPass, cmdline, s.LastTurnID()
			if err := e.append(ctx, s.Topic, target, ev); err != nil {
				return res, fmt.Errorf("store fix result: %w", err)
			}
			return res, nil
		}
		if run > rounds {
			verdict("after %s: `%s` still fails (exit %d)", countNoun(rounds, "round"), cmdline, code)
			break
		}
		res.Rounds = run
		e.notify(EventCommand, s, fmt.Sprintf("`%s` failed (exit %d); sending the failure to session %s", cmdline, code, text.ShortID(s.ID)))
		msg := prompt.FixFailed(cmdline, out, tail)
		r, err := e.send(ctx, s, exchange{text: msg, mode: mode})
		res.Answers = append(res.Answers, r)
		if err != nil {
			return res, err
		}
		verdict("round %d of %d: `%s` failed (exit %d); %s", run, rounds, cmdline, code, changeVerdict(mode, r.Changes))
		if r.unasked > 0 && len(appliedOf(r.Changes)) == 0 {
			// Every round would end the same way: nobody can approve.
			verdict("stopping: the model's edits need approval and there is no terminal to ask on; --approval never applies them without asking")
			break
		}
		if run == rounds && !verifyLast {
			break
		}
	}
	return res, fmt.Errorf("run `%s`: %w after %d round(s); the failure was sent to session %s", cmdline, ErrFixFailed, res.Rounds, text.ShortID(s.ID))
}

// changeVerdict says in a few words what the model's answer did to the
// files: "the model changed calc.go (+1 -1)", "the model changed nothing
// (1 edit refused)".
func changeVerdict(mode Mode, changes []Record) string {
	if !mode.CanEdit() {
		return "the failure was sent (read-only: the model changes no file)"
	}
	var applied []string
	failed, refused := 0, 0
	for _, c := range changes {
		switch c.Status {
		case ChangeApplied:
			applied = append(applied, strings.TrimSpace(firstLine(c.Text)))
		case ChangeFailed:
			failed++
		case ChangeRefused:
			refused++
		}
	}
	var b strings.Builder
	if len(applied) == 0 {
		b.WriteString("the model changed nothing")
	} else {
		b.WriteString("the model " + strings.Join(applied, ", "))
	}
	var also []string
	if failed > 0 {
		if failed == 1 {
			also = append(also, "1 patch did not apply")
		} else {
			also = append(also, itoa(failed)+" patches did not apply")
		}
	}
	if refused > 0 {
		also = append(also, countNoun(refused, "edit")+" refused")
	}
	if len(also) > 0 {
		b.WriteString(" (" + strings.Join(also, ", ") + ")")
	}
	return b.String()
}

func appliedOf(changes []Record) []Record {
	var out []Record
	for _, c := range changes {
		if c.Status == ChangeApplied {
			out = append(out, c)
		}
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// run runs argv in the work tree, reporting its output (EventOutput), and returns
// the combined output and the exit code. err is only for a command that could
// not be started or was interrupted.
func (e *Engine) run(ctx context.Context, session string, argv []string) (string, int, error) {
	var cmd *exec.Cmd
	if len(argv) == 1 && strings.ContainsAny(argv[0], " \t|&;<>$'\"") {
		cmd = exec.CommandContext(ctx, "sh", "-c", argv[0])
	} else {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	}
	cmd.Dir = e.Repo.WorkTree()
	buf := &tailBuffer{max: maxFixOutput}
	w := io.MultiWriter(buf, outputWriter{out: e.output(), session: session})
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Run()
	if ctx.Err() != nil {
		return buf.String(), -1, fmt.Errorf("run %s: %w", argv[0], ctx.Err())
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return buf.String(), 0, nil
	case errors.As(err, &exitErr):
		return buf.String(), exitErr.ExitCode(), nil
	default:
		return "", -1, fmt.Errorf("run %s: %w", argv[0], err)
	}
}

// maxFixOutput bounds the output of a verification command kept in memory:
// only its tail is sent (prompt.FixFailed keeps less still), and a command
// may print without end.
const maxFixOutput = 256 << 10

// tailBuffer keeps the last max bytes written to it (at least the last
// max/2), starting at a line boundary once it has dropped anything.
type tailBuffer struct {
	max     int
	buf     []byte
	dropped bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > b.max {
		p, b.dropped = p[len(p)-b.max:], true
		b.buf = b.buf[:0]
	}
	if len(b.buf)+len(p) > b.max {
		// Drop half at a time so that writes stay amortised O(1).
		drop := len(b.buf) + len(p) - b.max/2
		drop = min(drop, len(b.buf))
		b.buf = append(b.buf[:0], b.buf[drop:]...)
		b.dropped = true
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

func (b *tailBuffer) String() string {
	s := b.buf
	if b.dropped {
		if i := bytes.IndexByte(s, '\n'); i >= 0 && i+1 < len(s) {
			s = s[i+1:]
		}
	}
	return string(s)
}

// shellJoin renders argv as a shell would need it typed: arguments with
// spaces or shell metacharacters in single quotes (`sh -c 'echo boom; exit 1'`).
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
