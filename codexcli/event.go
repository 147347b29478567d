package codexcli

import (
	"encoding/json"
	"fmt"
)

// Event types of `codex exec --json` (the "type" of each line).
const (
	EventThreadStarted = "thread.started"
	EventTurnStarted   = "turn.started"
	EventTurnCompleted = "turn.completed"
	EventTurnFailed    = "turn.failed"
	EventItemStarted   = "item.started"
	EventItemUpdated   = "item.updated"
	EventItemCompleted = "item.completed"
	EventPlanDelta     = "item.plan.delta"
	EventUserInput     = "request_user_input"
	EventError         = "error"
)

// Item types (Item.Type).
const (
	ItemAgentMessage = "agent_message"
	ItemReasoning    = "reasoning"
	ItemPlan         = "plan"
	ItemCommand      = "command_execution"
	ItemFileChange   = "file_change"
	ItemMCPToolCall  = "mcp_tool_call"
	ItemCollabCall   = "collab_tool_call"
	ItemWebSearch    = "web_search"
	ItemTodoList     = "todo_list"
	ItemError        = "error"
)

// Item statuses (Item.Status) of commands, file changes and tool calls.
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
	StatusDeclined   = "declined"
)

// Event is one line of Codex's JSONL stream, decoded.
type Event struct {
	// Type is the line's "type" (an Event constant, or one this package does
	// not know).
	Type string
	// ThreadID is set on thread.started.
	ThreadID string
	// Item is set on item.started, item.updated and item.completed.
	Item *Item
	// Usage is set on turn.completed: as Codex reports it, which for a
	// resumed thread is the thread's running total (Turn.Usage has the
	// turn's own figure).
	Usage *Usage
	// Message is the text of turn.failed and error events (a provider's
	// JSON error body shortened to its message and code).
	Message string
	// ItemID and Delta are set on item.plan.delta.
	ItemID, Delta string
	// Unknown is set when Type, or the type of Item, is one this package
	// does not know: the line is kept in Raw and nothing else is decoded.
	Unknown bool
	// Warning, when set, is a one-line warning to show the user now: set
	// on the first unknown event of each type in a run.
	Warning string
	// Raw is the line as Codex printed it, without the newline.
	Raw json.RawMessage
}

// Usage is a token count.
type Usage struct {
	Input     int64 `json:"input_tokens"`
	Cached    int64 `json:"cached_input_tokens"`
	Output    int64 `json:"output_tokens"`
	Reasoning int64 `json:"reasoning_output_tokens"`
}

// Sub returns u minus p, field by field, never below zero (a total that went
// down means p was not this thread's last total: u is then the best figure).
func (u Usage) Sub(p Usage) Usage {
	if u.Input < p.Input || u.Cached < p.Cached || u.Output < p.Output || u.Reasoning < p.Reasoning {
		return u
	}
	return Usage{Input: u.Input - p.Input, Cached: u.Cached - p.Cached, Output: u.Output - p.Output, Reasoning: u.Reasoning - p.Reasoning}
}

// IsZero reports whether every figure is zero.
func (u Usage) IsZero() bool { return u == Usage{} }

// Item is one thing Codex did in a turn. Which fields are set depends on
// Type; Raw always holds the item as Codex sent it.
type Item struct {
	// ID is Codex's id ("item_3"), unique within one run of Codex only.
	ID   string
	Type string
	// Text: agent_message, reasoning (the summary), plan; error: Message.
	Text string
	// Status: command_execution, file_change, mcp_tool_call,
	// collab_tool_call (StatusInProgress while it runs).
	Status string

	// Command, Output and ExitCode: command_execution. Output is the
	// command's aggregated stdout and stderr as Codex reports it; ExitCode
	// is nil while it runs (and for a command that never ran).
	Command  string
	Output   string
	ExitCode *int

	// Changes: file_change.
	Changes []FileChange

	// Server, Tool, Arguments, Result and Error: mcp_tool_call (Tool also
	// names a collab_tool_call's tool). Result is the tool's result
	// ({content, structured_content}) as JSON; Error its error message.
	Server    string
	Tool      string
	Arguments json.RawMessage
	Result    json.RawMessage
	Error     string

	// Query: web_search.
	Query string
	// Todos: todo_list.
	Todos []Todo

	// Raw is the item's JSON as Codex sent it.
	Raw json.RawMessage
}

// FileChange is one file of a file_change item.
type FileChange struct {
	// Path is the path as Codex reports it (absolute in 0.169).
	Path string `json:"path"`
	// Kind is "add", "delete" or "update".
	Kind string `json:"kind"`
	// Rel is Path relative to the work tree (slash-separated), or "" when
	// the path is outside it. Set by Run and Stream from Request.Dir.
	Rel string `json:"-"`
}

// Todo is one entry of a todo_list item.
type Todo struct {
	Text      string `json:"text"`
	Completed bool   `json:"completed"`
}

// knownEvents and knownItems list the types this package decodes.
var (
	knownEvents = map[string]bool{
		EventThreadStarted: true, EventTurnStarted: true, EventTurnCompleted: true, EventTurnFailed: true,
		EventItemStarted: true, EventItemUpdated: true, EventItemCompleted: true, EventPlanDelta: true,
		EventUserInput: true, EventError: true,
	}
	knownItems = map[string]bool{
		ItemAgentMessage: true, ItemReasoning: true, ItemPlan: true, ItemCommand: true, ItemFileChange: true,
		ItemMCPToolCall: true, ItemCollabCall: true, ItemWebSearch: true, ItemTodoList: true, ItemError: true,
	}
)

// wireEvent is the union of the fields of every event type.
type wireEvent struct {
	Type     string          `json:"type"`
	ThreadID string          `json:"thread_id"`
	Item     json.RawMessage `json:"item"`
	Usage    *Usage          `json:"usage"`
	Error    *struct {
		Message string `json:"message"`
	} `json:"error"`
	Message string `json:"message"`
	ItemID  string `json:"item_id"`
	Delta   string `json:"delta"`
}

// wireItem is the union of the fields of every item type.
type wireItem struct {
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	Text             string          `json:"text"`
	Message          string          `json:"message"`
	Status           string          `json:"status"`
	Command          string          `json:"command"`
	AggregatedOutput string          `json:"aggregated_output"`
	ExitCode         *int            `json:"exit_code"`
	Changes          []FileChange    `json:"changes"`
	Server           string          `json:"server"`
	Tool             json.RawMessage `json:"tool"`
	Arguments        json.RawMessage `json:"arguments"`
	Result           json.RawMessage `json:"result"`
	Error            *struct {
		Message string `json:"message"`
	} `json:"error"`
	Query string `json:"query"`
	Items []Todo `json:"items"`
}

// ParseEvent decodes one line of the stream. A line that is not a JSON
// object with a string "type" is an error; an unknown type is not (the
// event comes back with Unknown set).
func ParseEvent(line []byte) (Event, error) {
	var w wireEvent
	if err := json.Unmarshal(line, &w); err != nil {
		return Event{}, fmt.Errorf("decode codex event: %w", err)
	}
	if w.Type == "" {
		return Event{}, fmt.Errorf("decode codex event: no type in %.80s", line)
	}
	e := Event{Type: w.Type, Raw: append(json.RawMessage(nil), line...)}
	if !knownEvents[w.Type] {
		e.Unknown = true
		return e, nil
	}
	switch w.Type {
	case EventThreadStarted:
		e.ThreadID = w.ThreadID
	case EventTurnCompleted:
		u := Usage{}
		if w.Usage != nil {
			u = *w.Usage
		}
		e.Usage = &u
	case EventTurnFailed:
		if w.Error != nil {
			e.Message = failureMessage(w.Error.Message)
		}
	case EventError:
		e.Message = failureMessage(w.Message)
	case EventPlanDelta:
		e.ItemID, e.Delta = w.ItemID, w.Delta
	case EventItemStarted, EventItemUpdated, EventItemCompleted:
		it, err := parseItem(w.Item)
		if err != nil {
			return Event{}, err
		}
		e.Item = it
		e.Unknown = !knownItems[it.Type]
	}
	return e, nil
}

func parseItem(raw json.RawMessage) (*Item, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("decode codex item: missing")
	}
	var w wireItem
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("decode codex item: %w", err)
	}
	it := &Item{ID: w.ID, Type: w.Type, Raw: append(json.RawMessage(nil), raw...)}
	if !knownItems[w.Type] {
		return it, nil
	}
	it.Status = w.Status
	switch w.Type {
	case ItemAgentMessage, ItemReasoning, ItemPlan:
		it.Text = w.Text
	case ItemError:
		it.Text = w.Message
	case ItemCommand:
		it.Command, it.Output, it.ExitCode = w.Command, w.AggregatedOutput, w.ExitCode
	case ItemFileChange:
		it.Changes = w.Changes
	case ItemMCPToolCall:
		it.Server, it.Arguments = w.Server, nonNull(w.Arguments)
		_ = json.Unmarshal(w.Tool, &it.Tool)
		it.Result = nonNull(w.Result)
		if w.Error != nil {
			it.Error = w.Error.Message
		}
	case ItemCollabCall:
		_ = json.Unmarshal(w.Tool, &it.Tool)
	case ItemWebSearch:
		it.Query = w.Query
	case ItemTodoList:
		it.Todos = w.Items
	}
	return it, nil
}

func nonNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || string(r) == "null" {
		return nil
	}
	return append(json.RawMessage(nil), r...)
}
