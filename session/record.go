package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/git-codex/git-codex/gitstore"
)

// The session schema: what one line of a note means. Storage (gitstore)
// keeps lines as opaque records and reads only their envelope (id, time,
// kind, commit, patch-id); this file owns every other field. Readers accept
// any version and ignore kinds and fields they do not know.

// RecordVersion is the schema version written into every record.
const RecordVersion = 1

// Kind names what a record describes. Readers ignore kinds they do not know.
type Kind string

// Record kinds written by git codex.
const (
	// KindSession opens a session: engine, model, task, context files.
	KindSession Kind = "session"
	// KindTurn is the user's message of one turn. It is written before the
	// request is sent, so nothing the user typed is ever lost.
	KindTurn Kind = "turn"
	// KindAnswer is the model's answer to the turn named in Turn.
	KindAnswer Kind = "answer"
	// KindSummary is a summary of the session (from close) or of its older
	// turns (from compact, with Through set).
	KindSummary Kind = "summary"
	// KindClose marks a session closed.
	KindClose Kind = "close"
	// KindEvent records something that happened to a session: a restart after
	// the provider forgot it, a fallback model, a reattachment.
	KindEvent Kind = "event"
	// KindChange is one file operation of the edit tool in a turn (Turn),
	// applied, failed or refused (Status), or one file an undo restored
	// (Undo names the turn undone): the operation, the path, the unified
	// diff and the blob ids before and after. The contents themselves are
	// never in a note: they are in the object database, kept by a local ref
	// (gitstore.BlobRef) that nothing pushes.
	KindChange Kind = "change"
)

// Statuses of a KindChange record.
const (
	ChangeApplied = "applied" // written to the work tree
	ChangeFailed  = "failed"  // the patch did not apply (Error says why); nothing changed
	ChangeRefused = "refused" // the user or the approval policy said no; nothing changed
	// ChangeUnknown: the Codex CLI changed the file, but what it held
	// before or after is not known (an ignored or secret file, one over the
	// size cap, outside the work tree): no diff and no blobs, and undo
	// leaves it alone (Error says why).
	ChangeUnknown = "unknown"
)

// How an applied change was allowed (Record.Approval of a KindChange).
const (
	ApprovedByUser    = "user"    // the user answered yes
	ApprovedBySession = "session" // the user answered "always for this session" earlier
	ApprovedByPolicy  = "policy"  // the approval policy applies it without asking
	// ApprovedByCodex: the Codex CLI changed the file itself, inside its
	// sandbox; git codex recorded what it did.
	ApprovedByCodex = "codex"
)

// Event names stored in KindEvent records (Record.Event).
const (
	RecordRestart  = "restart"        // the provider forgot the session; context rebuilt from git
	RecordFallback = "fallback"       // the configured model was not found; the fallback answered
	RecordInline   = "inline-context" // the session sends file contents inline, without tools
	RecordFixPass  = "fix-passed"     // a verification command passed
	// RecordEngine records a switch of the session's engine (reply
	// --engine); its Engine field names the new one and the request it came
	// with restarted from the git transcript.
	RecordEngine = "engine"
	// RecordSandbox records a change of the session's sandbox mode or
	// approval policy by a reply (its Sandbox and Approval fields).
	RecordSandbox = "sandbox"
	// RecordUndo records an undo of the turn named in Turn; the files it
	// restored are KindChange records with Undo set.
	RecordUndo = "undo"
	// RecordThread records a new Codex CLI thread of a session of the
	// codex engine (Thread), started by the turn named in Turn, and why
	// (Text): the session's first turn, or a restart from the transcript
	// in git. A session's thread events, oldest first, are the chain of
	// its threads.
	RecordThread = "thread"
)

// Usage is the token usage the provider reported for one answer.
type Usage struct {
	Input  int `json:"input,omitempty"`
	Cached int `json:"cached,omitempty"`
	Output int `json:"output,omitempty"`
}

// ToolCall is one read-only tool call the model made while answering.
type ToolCall struct {
	Name   string `json:"name"`
	Args   string `json:"args,omitempty"`
	Result string `json:"result,omitempty"` // possibly truncated
	Error  string `json:"error,omitempty"`
}

// Step is one thing the Codex CLI did in a turn, as the answer record of a
// codex-engine turn keeps it (Steps, in the order Codex reported them): an
// agent message, a reasoning summary, a command with its exit code and the
// tail of its output, a patch (the files and how), an MCP tool call, a web
// search, a plan, an error Codex reported without failing the turn, or an
// event or item of a type this version does not know, kept as received.
// Texts cut here (Output, Args, Raw) are cut after redaction.
type Step struct {
	// Type is Codex's item type (agent_message, reasoning,
	// command_execution, file_change, mcp_tool_call, web_search, todo_list,
	// error, …), or "event" for an unknown event that is no item.
	Type string `json:"type"`
	// Status is Codex's for commands, patches and tool calls (completed,
	// failed, declined; in_progress when the turn ended first).
	Status string `json:"status,omitempty"`
	// Text: a message, a reasoning summary, an error, a search query, a
	// plan or a todo list (one "[x] item" line each); an unknown event's
	// type.
	Text    string `json:"text,omitempty"`
	Command string `json:"command,omitempty"`
	Exit    *int   `json:"exit,omitempty"`
	// Output is the tail of a command's output, or an MCP tool's result.
	Output string `json:"output,omitempty"`
	// Files are a patch's files: "update README.md" (paths from the work
	// tree; absolute outside it).
	Files  []string `json:"files,omitempty"`
	Server string   `json:"server,omitempty"`
	Tool   string   `json:"tool,omitempty"`
	Args   string   `json:"args,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Raw is an unknown event or item as Codex printed it (cut).
	Raw string `json:"raw,omitempty"`
}

// SeenFile is one file the model read in a turn, as its answer record keeps
// it: the path (from the work tree root), the line range ("" for the whole
// file, "start-end" as asked), the blob id of the whole file and the turn
// number. A later turn whose model still has that read in its context
// answers a re-read of an unchanged file in a line.
type SeenFile struct {
	Path  string `json:"path"`
	Lines string `json:"lines,omitempty"`
	Blob  string `json:"blob"`
	Turn  int    `json:"turn"`
}

// Record is one immutable line of a note. The first three JSON keys are the
// version, the timestamp and the unique id (storage's canonical order: see
// gitstore.Record).
//
// Field order below is the canonical key order; do not reorder.
type Record struct {
	V       int    `json:"v"`
	Time    string `json:"ts"`
	ID      string `json:"id"`
	Kind    Kind   `json:"kind"`
	Session string `json:"session,omitempty"`
	Topic   string `json:"topic,omitempty"`
	// Commit is the commit (or empty tree) the record is attached to.
	Commit string `json:"commit,omitempty"`
	// PatchID is the stable patch-id of Commit, so records can be found again
	// after cherry-picks and squash merges.
	PatchID string `json:"patch_id,omitempty"`

	// Parent is the previous turn of the session (KindTurn); two turns with
	// the same parent are a visible fork.
	Parent string `json:"parent,omitempty"`
	// Turn is the turn an answer or event refers to.
	Turn string `json:"turn,omitempty"`

	Engine  string   `json:"engine,omitempty"`
	Model   string   `json:"model,omitempty"`
	Title   string   `json:"title,omitempty"`
	Context []string `json:"context,omitempty"`

	Text      string     `json:"text,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	Usage     *Usage     `json:"usage,omitempty"`
	// ResponseID is the provider's id for the answer (previous_response_id).
	ResponseID string `json:"response_id,omitempty"`
	// Thread is the Codex CLI thread a codex-engine answer ran in (and the
	// new thread of a RecordThread event); ThreadUsage is the thread's
	// running total Codex reported with the answer, from which the next
	// turn's own usage is worked out.
	Thread      string `json:"thread,omitempty"`
	ThreadUsage *Usage `json:"thread_usage,omitempty"`
	// BytesSent counts the request bytes sent for this answer.
	BytesSent int `json:"bytes_sent,omitempty"`
	// Status is "complete" (default when empty), "incomplete" or "error".
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`

	// Decisions and Next are parts of a summary.
	Decisions []string `json:"decisions,omitempty"`
	Next      []string `json:"next,omitempty"`
	// Through is the last turn a compaction summary covers.
	Through string `json:"through,omitempty"`
	// Event names what a KindEvent record describes ("restart", "fallback", …).
	Event string `json:"event,omitempty"`

	// Sandbox and Approval are the session's sandbox mode and approval
	// policy (KindSession, and a RecordSandbox event when a reply changes
	// them); on a KindChange, Approval says how it was allowed (ApprovedBy…).
	Sandbox  string `json:"sandbox,omitempty"`
	Approval string `json:"approval,omitempty"`
	// Op, Path, Before, After, ModeBefore, ModeAfter and Diff describe a
	// KindChange: the operation (create_file, update_file, delete_file), the
	// file, its blob ids and git modes ("100644") before and after ("" where
	// it did not exist), and the unified diff (cut when very long). CallID
	// is the model's call; Undo the turn an undo's change restores. Patch is
	// the model's V4A diff of an operation that failed to apply (cut).
	Op         string `json:"op,omitempty"`
	Path       string `json:"path,omitempty"`
	Before     string `json:"before,omitempty"`
	After      string `json:"after,omitempty"`
	ModeBefore string `json:"mode_before,omitempty"`
	ModeAfter  string `json:"mode_after,omitempty"`
	Diff       string `json:"diff,omitempty"`
	Patch      string `json:"patch,omitempty"`
	CallID     string `json:"call_id,omitempty"`
	Undo       string `json:"undo,omitempty"`
	// Seen lists the files the model read in the turn (KindAnswer).
	Seen []SeenFile `json:"seen,omitempty"`
	// Steps are what the Codex CLI did in the turn (KindAnswer of the
	// codex engine), in order.
	Steps []Step `json:"steps,omitempty"`

	// NoteObject is the object the note holding this record annotates. It is
	// filled in by readers and never written.
	NoteObject string `json:"-"`
	// Remote names the remote whose fetched notes alone hold this record
	// ("" when the local topic ref holds it). It is filled in by readers and
	// never written.
	Remote string `json:"-"`
}

// Timestamp parses Time; a record with a bad time sorts as the zero time.
func (r Record) Timestamp() time.Time {
	t, err := time.Parse(time.RFC3339Nano, r.Time)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Encode returns the storage record of r: its canonical one-line JSON (no
// trailing newline; HTML escaping off, so text reads naturally with plain
// git) and the envelope storage reads.
func (r Record) Encode() (gitstore.Record, error) {
	if r.ID == "" || r.Kind == "" || r.Time == "" {
		return gitstore.Record{}, fmt.Errorf("encode record: id, kind and ts are required")
	}
	if r.V == 0 {
		r.V = RecordVersion
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return gitstore.Record{}, fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	return gitstore.Record{
		ID: r.ID, Time: r.Time, Kind: string(r.Kind), Commit: r.Commit, PatchID: r.PatchID,
		Line: bytes.TrimRight(buf.Bytes(), "\n"),
	}, nil
}

// Decode reads the session record a storage record holds, with the
// reader's NoteObject and Remote.
func Decode(g gitstore.Record) (Record, error) {
	var r Record
	if err := json.Unmarshal(g.Line, &r); err != nil {
		return Record{}, fmt.Errorf("decode record %s: %w", g.ID, err)
	}
	r.NoteObject, r.Remote = g.NoteObject, g.Remote
	return r, nil
}

// encodeAll encodes recs for gitstore.Store.Append.
func encodeAll(recs ...Record) ([]gitstore.Record, error) {
	out := make([]gitstore.Record, 0, len(recs))
	for _, r := range recs {
		g, err := r.Encode()
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// SortRecords orders records by time, then id.
func SortRecords(recs []Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Time != recs[j].Time {
			return recs[i].Time < recs[j].Time
		}
		return recs[i].ID < recs[j].ID
	})
}
