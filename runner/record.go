package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/workflow"
)

// The run schema: what one line of a note of kind "run" means. A run is a
// stream of such records, one per stored workflow event, in one topic (see
// Topic); the session schema (package session) ignores them, as it ignores
// every kind it does not know.

// Kind is the record kind of a stored run event.
const Kind = "run"

// recordVersion is the schema version written into every record.
const recordVersion = 1

// record is a stored workflow.Event. Field order is the canonical key order
// (v, ts, id first, as storage requires); do not reorder. The step's session
// and turn are written step_session and step_turn, not session and turn:
// readers that group records by session (log, pr-summary) must not take a
// run's records for the session's own.
type record struct {
	V      int    `json:"v"`
	Time   string `json:"ts"`
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Commit string `json:"commit,omitempty"`

	Run         string             `json:"run"`
	Event       workflow.EventKind `json:"event"`
	Step        string             `json:"step,omitempty"`
	Attempt     int                `json:"attempt,omitempty"`
	Status      workflow.Status    `json:"status,omitempty"`
	Topic       string             `json:"topic,omitempty"`
	StepSession string             `json:"step_session,omitempty"`
	StepTurn    string             `json:"step_turn,omitempty"`
	Model       string             `json:"model,omitempty"`
	Usage       *workflow.Usage    `json:"usage,omitempty"`
	Answer      string             `json:"answer,omitempty"`
	Summary     string             `json:"summary,omitempty"`
	Detail      string             `json:"detail,omitempty"`
	Restarted   bool               `json:"restarted,omitempty"`
	Steps       []string           `json:"steps,omitempty"`
	Workflow    string             `json:"workflow,omitempty"`
	File        string             `json:"file,omitempty"`
	Blob        string             `json:"blob,omitempty"`
	Branch      string             `json:"branch,omitempty"`
	Jobs        int                `json:"jobs,omitempty"`
}

// encode returns the storage record of ev, attached to commit.
func encode(ev workflow.Event, commit string) (gitstore.Record, error) {
	r := record{
		V: recordVersion, Time: gitstore.FormatTime(ev.Time), ID: gitstore.NewID(ev.Time), Kind: Kind, Commit: commit,
		Run: ev.Run, Event: ev.Kind, Step: ev.Step, Attempt: ev.Attempt, Status: ev.Status, Topic: ev.Topic,
		StepSession: ev.Session, StepTurn: ev.Turn, Model: ev.Model, Usage: ev.Usage, Answer: ev.Answer,
		Summary: ev.Summary, Detail: ev.Detail, Restarted: ev.Restarted, Steps: ev.Steps, Workflow: ev.Workflow,
		File: ev.File, Blob: ev.Blob, Branch: ev.Branch, Jobs: ev.Jobs,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return gitstore.Record{}, fmt.Errorf("encode %s event of run %s: %w", ev.Kind, ev.Run, err)
	}
	return gitstore.Record{ID: r.ID, Time: r.Time, Kind: Kind, Commit: commit, Line: bytes.TrimRight(buf.Bytes(), "\n")}, nil
}

// decode reads the event a record of kind Kind holds.
func decode(g gitstore.Record) (workflow.Event, error) {
	var r record
	if err := json.Unmarshal(g.Line, &r); err != nil {
		return workflow.Event{}, fmt.Errorf("decode run record %s: %w", g.ID, err)
	}
	t, err := time.Parse(time.RFC3339Nano, r.Time)
	if err != nil {
		return workflow.Event{}, fmt.Errorf("decode run record %s: bad time %q", g.ID, r.Time)
	}
	if r.Run == "" || r.Event == "" {
		return workflow.Event{}, fmt.Errorf("decode run record %s: no run or event", g.ID)
	}
	return workflow.Event{
		Time: t, Run: r.Run, Kind: r.Event, Step: r.Step, Attempt: r.Attempt, Status: r.Status, Topic: r.Topic,
		Session: r.StepSession, Turn: r.StepTurn, Model: r.Model, Usage: r.Usage, Answer: r.Answer, Summary: r.Summary,
		Detail: r.Detail, Restarted: r.Restarted, Steps: r.Steps, Workflow: r.Workflow, File: r.File, Blob: r.Blob,
		Branch: r.Branch, Jobs: r.Jobs,
	}, nil
}

// Topic is the topic that holds the records of runs of wf on branch:
// <branch>/<workflow>, where <workflow> is the file's base name, so that
// the run's topic sits next to its steps' default topics
// (<branch>/<workflow>/<id>) and, like them, is shared with the branch (see
// notesync's sharing rule). Every run of that workflow on that branch
// writes there; each record names its run.
func Topic(branch string, wf *workflow.Workflow) string { return branch + "/" + wf.Base }
