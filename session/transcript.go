package session

import "github.com/git-codex/git-codex/pricing"

// Transcript is a session as data (`show --json`, the MCP server's show
// tool): its opening, every turn with the commit it is attached to, its
// summaries and events.
type Transcript struct {
	ID        string           `json:"id"`
	Topic     string           `json:"topic"`
	Engine    string           `json:"engine,omitempty"`
	Model     string           `json:"model,omitempty"`
	Mode      Mode             `json:"mode"`
	Title     string           `json:"title,omitempty"`
	Context   []string         `json:"context,omitempty"`
	Status    string           `json:"status"`
	Started   string           `json:"started"`
	Turns     []TranscriptTurn `json:"turns"`
	Summaries []Record         `json:"summaries,omitempty"`
	Events    []Record         `json:"events,omitempty"`
}

// TranscriptTurn is one turn of a Transcript.
type TranscriptTurn struct {
	ID      string  `json:"id"`
	Parent  string  `json:"parent,omitempty"`
	Commit  string  `json:"commit"`
	Time    string  `json:"time"`
	Message string  `json:"message"`
	Answer  *Record `json:"answer,omitempty"`
	// Cost is what the answer cost (unknown without a price for its
	// model); set by Engine.Transcript.
	Cost *pricing.Amount `json:"cost,omitempty"`
	// Changes are the turn's file operations; Undone the undo's, when the
	// turn was undone.
	Changes []Record `json:"changes,omitempty"`
	Undone  []Record `json:"undone,omitempty"`
}

// Transcript returns the session as data.
func (s *Session) Transcript() Transcript {
	t := Transcript{
		ID: s.ID, Topic: s.Topic, Engine: s.Engine(), Model: s.Open.Model, Mode: s.Mode(), Title: s.Open.Title,
		Context: s.Open.Context, Status: "open", Started: s.Open.Time,
		Turns: []TranscriptTurn{}, Summaries: s.Summaries, Events: s.Events,
	}
	if s.Closed {
		t.Status = "closed"
	}
	for _, turn := range s.Turns {
		t.Turns = append(t.Turns, TranscriptTurn{
			ID: turn.Record.ID, Parent: turn.Record.Parent, Commit: turn.Record.AttachedTo(),
			Time: turn.Record.Time, Message: turn.Record.Text, Answer: turn.Answer,
			Changes: turn.Changes, Undone: turn.Undone,
		})
	}
	return t
}

// AttachedTo is the commit the record is attached to: the object of the note
// it was read from (a copy moved by rebase or reattach), else the commit it
// recorded.
func (r Record) AttachedTo() string {
	if r.NoteObject != "" {
		return r.NoteObject
	}
	return r.Commit
}

// Transcript returns s as data with the cost of every answer that reported
// its usage, priced with e.Prices (unknown without a price for its model).
func (e *Engine) Transcript(s *Session) Transcript {
	t := s.Transcript()
	for i, turn := range t.Turns {
		if a := turn.Answer; a != nil && a.Usage != nil {
			c := e.Cost(a.Model, a.Usage)
			t.Turns[i].Cost = &c
		}
	}
	return t
}
