package session

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/worktree"
)

// What a codex-engine answer keeps of Codex's items, cut after redaction.
const (
	maxStepOutput = 2 << 10 // a command's output tail, an MCP result
	maxStepArgs   = 1 << 10 // an MCP call's arguments
	maxStepRaw    = 2 << 10 // an unknown event or item
	maxRawSteps   = 16      // unknown events and items kept per turn
	// maxSteps bounds the steps besides messages an answer keeps (a note
	// line holds them all); the rest are counted in a last "omitted" step.
	maxSteps = 256
)

// StepOmitted is the type of the step that counts the items an answer did
// not keep (Text says how many).
const StepOmitted = "omitted"

// codexSink shows a Codex turn as it happens: each agent message once it is
// complete (as the answer, on the Output's Delta), each command as it
// starts and when it fails, patches, MCP tool calls and web searches as
// steps, Codex's non-fatal errors and unknown event types as warnings (each
// once). Codex's run calls it from one goroutine.
type codexSink struct {
	out     Output
	session string
	shown   int
	warned  map[string]bool
}

func newCodexSink(out Output, session string) *codexSink {
	return &codexSink{out: out, session: session, warned: map[string]bool{}}
}

func (k *codexSink) event(kind EventKind, text string) {
	k.out.Event(Event{Kind: kind, Session: k.session, Text: text})
}

func (k *codexSink) warn(text string) {
	text = strings.TrimSpace(text)
	if text == "" || k.warned[text] {
		return
	}
	k.warned[text] = true
	k.event(EventWarning, "codex: "+text)
}

// Event handles one event of Codex's stream.
func (k *codexSink) Event(ev codexcli.Event) {
	if ev.Warning != "" {
		k.warn(ev.Warning)
	}
	if ev.Type == codexcli.EventError {
		k.warn(ev.Message)
	}
	it := ev.Item
	if it == nil || ev.Unknown {
		return
	}
	switch ev.Type {
	case codexcli.EventItemStarted:
		switch it.Type {
		case codexcli.ItemCommand:
			k.event(EventStep, "$ "+CommandLine(it.Command))
		case codexcli.ItemMCPToolCall:
			k.event(EventStep, "mcp: "+it.Server+"."+it.Tool)
		case codexcli.ItemWebSearch:
			k.event(EventStep, "web search: "+it.Query)
		}
	case codexcli.EventItemCompleted:
		switch it.Type {
		case codexcli.ItemAgentMessage:
			if strings.TrimSpace(it.Text) == "" {
				return
			}
			if k.shown > 0 {
				k.out.Delta("\n\n")
			}
			k.shown++
			k.out.Delta(it.Text)
		case codexcli.ItemCommand:
			switch {
			case it.Status == codexcli.StatusDeclined:
				k.event(EventStep, "declined: "+CommandLine(it.Command))
			case it.ExitCode != nil && *it.ExitCode != 0:
				k.event(EventStep, fmt.Sprintf("exit %d: %s", *it.ExitCode, CommandLine(it.Command)))
			}
		case codexcli.ItemFileChange:
			verb := "codex changed "
			if it.Status != codexcli.StatusCompleted {
				verb = "codex's patch " + it.Status + ": "
			}
			k.event(EventEdit, verb+strings.Join(fileList(it.Changes), ", "))
		case codexcli.ItemMCPToolCall:
			if it.Error != "" {
				k.event(EventStep, "mcp: "+it.Server+"."+it.Tool+" failed: "+it.Error)
			}
		case codexcli.ItemError:
			k.warn(it.Text)
		}
	}
}

// fileList says what a patch did to each file: "update README.md".
func fileList(changes []codexcli.FileChange) []string {
	out := make([]string, 0, len(changes))
	for _, c := range changes {
		p := c.Rel
		if p == "" {
			p = c.Path // outside the work tree
		}
		out = append(out, c.Kind+" "+p)
	}
	return out
}

// steps is what Codex did in a run, for the answer record: every item in
// the order it first appeared, in its last state, then the unknown events
// (raw, bounded).
func (e *Engine) steps(run *codexcli.Turn) []Step {
	r := e.redactor()
	var out []Step
	raw, kept, omitted := 0, 0, 0
	keepRaw := func(s string) string {
		raw++
		return r.Clip(s, maxStepRaw, "[… cut]")
	}
	for _, it := range run.Items {
		if it.Type != codexcli.ItemAgentMessage {
			if kept >= maxSteps {
				omitted++
				continue
			}
			kept++
		}
		st := Step{Type: it.Type, Status: it.Status}
		switch it.Type {
		case codexcli.ItemAgentMessage, codexcli.ItemReasoning, codexcli.ItemPlan, codexcli.ItemError:
			st.Text = it.Text
		case codexcli.ItemCommand:
			st.Command, st.Exit = it.Command, it.ExitCode
			st.Output = r.Tail(it.Output, maxStepOutput, "[…]\n")
		case codexcli.ItemFileChange:
			st.Files = fileList(it.Changes)
		case codexcli.ItemMCPToolCall:
			st.Server, st.Tool, st.Error = it.Server, it.Tool, it.Error
			st.Args = r.Clip(string(it.Arguments), maxStepArgs, "[… cut]")
			st.Output = r.Clip(string(it.Result), maxStepOutput, "[… cut]")
		case codexcli.ItemCollabCall:
			st.Tool = it.Tool
		case codexcli.ItemWebSearch:
			st.Text = it.Query
		case codexcli.ItemTodoList:
			var b strings.Builder
			for _, td := range it.Todos {
				mark := "[ ] "
				if td.Completed {
					mark = "[x] "
				}
				b.WriteString(mark + td.Text + "\n")
			}
			st.Text = b.String()
		default: // a type this version does not know
			if raw >= maxRawSteps {
				continue
			}
			st.Raw = keepRaw(string(it.Raw))
		}
		out = append(out, st)
	}
	for _, line := range run.Unknown {
		var ev struct {
			Type string          `json:"type"`
			Item json.RawMessage `json:"item"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && len(ev.Item) > 0 {
			continue // an unknown item: among the items above
		}
		if raw >= maxRawSteps {
			break
		}
		out = append(out, Step{Type: "event", Text: ev.Type, Raw: keepRaw(line)})
	}
	if omitted > 0 {
		out = append(out, Step{Type: StepOmitted, Text: fmt.Sprintf("%d more items not kept (a turn keeps %d besides its messages)", omitted, maxSteps)})
	}
	return out
}

// Bounds of what a snapshot keeps of the uncommitted files.
const (
	maxSnapshotFiles = 4096
	maxSnapshotBytes = 64 << 20
)

// snapshot is what the work tree's uncommitted files held before a Codex
// turn, so that its changes can be recorded with their content before:
// Codex reports which files it patched, not what they held. A file not in
// dirty held what HEAD holds, or is ignored, or did not exist.
type snapshot struct {
	dirty map[string]worktree.State
	// unread are uncommitted files whose content was not kept, and why.
	unread map[string]string
	// err is set when the snapshot could not be taken at all.
	err error
}

// snapshot reads the uncommitted files of the work tree (git status), under
// the edit rules and within bounds.
func (e *Engine) snapshot(ctx context.Context) *snapshot {
	snap := &snapshot{dirty: map[string]worktree.State{}, unread: map[string]string{}}
	editor, err := worktree.NewEditor(e.Repo.WorkTree(), worktree.EditOptions{Tracked: e.tracked})
	if err != nil {
		snap.err = err
		return snap
	}
	paths, err := e.Repo.DirtyPaths(ctx)
	if err != nil {
		snap.err = err
		return snap
	}
	total := 0
	for i, p := range paths {
		if i >= maxSnapshotFiles || total >= maxSnapshotBytes {
			snap.unread[p] = "too many uncommitted files to keep them all before the turn"
			continue
		}
		st, err := editor.State(ctx, p)
		if err != nil {
			snap.unread[p] = err.Error()
			continue
		}
		total += len(st.Data)
		snap.dirty[p] = st
	}
	return snap
}

// codexChanges records what Codex's patches did to the work tree, one
// change record per file with its net change over the turn (what it held
// before the turn, what it holds now), as the edit tool's changes are
// recorded: the diff and the blob ids, the contents kept in the object
// database for undo. Before the turn a file held what the snapshot read,
// else what HEAD holds (it was clean), else nothing (it was created) —
// unless git ignores it, or the turn took no snapshot: then what it held is
// unknown and the record says so (ChangeUnknown; undo leaves it alone).
func (e *Engine) codexChanges(ctx context.Context, t *turnCtx, run *codexcli.Turn, snap *snapshot) []Record {
	type file struct {
		kind, call string
	}
	files := map[string]*file{}
	var order []string
	for _, it := range run.ItemsOf(codexcli.ItemFileChange) {
		for _, c := range it.Changes {
			if c.Rel == "" {
				continue // outside the work tree: the step names it
			}
			f, ok := files[c.Rel]
			if !ok {
				f = &file{kind: c.Kind}
				files[c.Rel] = f
				order = append(order, c.Rel)
			}
			f.call = it.ID
		}
	}
	if len(order) == 0 {
		return nil
	}
	s, out := t.s, t.out
	unknown := func(path, why string) Record {
		rec := e.record(KindChange, s)
		rec.Commit, rec.Turn, rec.CallID, rec.Path = t.target, t.turn.ID, files[path].call, path
		rec.Op = codexOp(files[path].kind)
		rec.Status, rec.Approval, rec.Error = ChangeUnknown, ApprovedByCodex, why
		return rec
	}
	editor, err := worktree.NewEditor(e.Repo.WorkTree(), worktree.EditOptions{Tracked: e.tracked})
	var recs []Record
	if err != nil {
		for _, p := range order {
			recs = append(recs, unknown(p, err.Error()))
		}
		return recs
	}
	// What each file held before the turn.
	before := map[string]worktree.State{}
	whyNot := map[string]string{}
	var clean []string
	for _, p := range order {
		switch {
		case snap == nil:
			whyNot[p] = "the turn was read-only, so nothing was read before it"
		case snap.err != nil:
			whyNot[p] = "the work tree could not be read before the turn: " + snap.err.Error()
		case snap.unread[p] != "":
			whyNot[p] = "not kept before the turn: " + snap.unread[p]
		default:
			if st, ok := snap.dirty[p]; ok {
				before[p] = st
			} else {
				clean = append(clean, p)
			}
		}
	}
	if len(clean) > 0 {
		head, err := e.Repo.TreeFiles(ctx, t.target, clean)
		var absent []string
		for _, p := range clean {
			switch f, ok := head[p]; {
			case err != nil:
				whyNot[p] = err.Error()
			case ok:
				data, err := e.Repo.ReadBlob(ctx, f.Blob)
				if err != nil {
					whyNot[p] = err.Error()
					continue
				}
				mode := fileMode("100644")
				if f.Executable {
					mode = fileMode("100755")
				}
				before[p] = editor.NewState(data, mode)
			default:
				absent = append(absent, p)
			}
		}
		// Not uncommitted and not in HEAD: it did not exist, unless git
		// ignores it (git status does not list ignored files).
		ignored, err := e.Repo.IgnoredPaths(ctx, absent)
		for _, p := range absent {
			switch {
			case err != nil:
				whyNot[p] = err.Error()
			case ignored[p]:
				whyNot[p] = "git ignores it, so what it held before the turn was not kept"
			default:
				before[p] = worktree.State{}
			}
		}
	}
	// What each holds now, and the change.
	var contents [][]byte
	for _, p := range order {
		if why, ok := whyNot[p]; ok {
			recs = append(recs, unknown(p, why))
			continue
		}
		now, err := editor.State(ctx, p)
		if err != nil {
			recs = append(recs, unknown(p, err.Error()))
			continue
		}
		was := before[p]
		if was.Exists == now.Exists && was.Blob == now.Blob {
			continue // changed back within the turn
		}
		c, err := editor.Describe(p, was, now)
		if err != nil {
			recs = append(recs, unknown(p, err.Error()))
			continue
		}
		rec := e.record(KindChange, s)
		rec.Commit, rec.Turn, rec.CallID = t.target, t.turn.ID, files[p].call
		describe(&rec, c)
		rec.Status, rec.Approval, rec.Text = ChangeApplied, ApprovedByCodex, c.Summary()
		recs = append(recs, rec)
		for _, b := range [][]byte{c.Before, c.After} {
			if b != nil {
				contents = append(contents, b)
			}
		}
	}
	if len(contents) > 0 {
		if _, err := e.Repo.WriteBlobs(ctx, s.Topic, contents...); err != nil {
			// Without the blobs undo cannot restore them: say so in each.
			for i := range recs {
				if recs[i].Status == ChangeApplied {
					recs[i].Status, recs[i].Error = ChangeUnknown, "the contents could not be kept for undo: "+err.Error()
					recs[i].Before, recs[i].After = "", ""
				}
			}
		}
	}
	for _, r := range recs {
		if r.Status == ChangeUnknown {
			out.Event(Event{Kind: EventWarning, Session: s.ID, Text: fmt.Sprintf("codex changed %s; not recorded for undo: %s", r.Path, r.Error)})
		}
	}
	return recs
}

// codexOp is the edit tool's name for a Codex file change kind.
func codexOp(kind string) string {
	switch kind {
	case "add":
		return string(worktree.OpCreate)
	case "delete":
		return string(worktree.OpDelete)
	}
	return string(worktree.OpUpdate)
}
