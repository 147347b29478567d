package codexcli_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/codexcli"
)

// TestStreamUnknownKept feeds a recorded stream with event and item types
// Codex may add later: they are kept raw, warned about once per type, and
// the turn still completes.
func TestStreamUnknownKept(t *testing.T) {
	rec := loadRecording(t, "first_turn")
	lines := strings.SplitAfter(rec.files["stdout"], "\n")
	extra := []string{
		`{"type":"turn.reticulated","splines":3}` + "\n",
		`{"type":"item.completed","item":{"id":"item_9","type":"hologram","frames":2}}` + "\n",
		`{"type":"turn.reticulated","splines":4}` + "\n",
		`{"type":"item.completed","item":{"id":"item_10","type":"hologram","frames":5}}` + "\n",
	}
	// Before turn.completed, the last line.
	stream := strings.Join(slices.Concat(lines[:len(lines)-2], extra, lines[len(lines)-2:]), "")
	var warnings []string
	turn, err := codexcli.Stream(strings.NewReader(stream), codexcli.StreamOptions{
		Sink: codexcli.SinkFunc(func(e codexcli.Event) {
			if e.Warning != "" {
				warnings = append(warnings, e.Warning)
			}
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if turn.Status != codexcli.TurnCompleted {
		t.Errorf("status %q, want completed", turn.Status)
	}
	want := []string{`unknown codex event "turn.reticulated" (kept as received)`, `unknown codex event "item.completed hologram" (kept as received)`}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings shown = %q, want %q", warnings, want)
	}
	for _, w := range want {
		if !slices.Contains(turn.Warnings, w) {
			t.Errorf("turn warnings %q lack %q", turn.Warnings, w)
		}
	}
	var raw []string
	for _, l := range extra {
		raw = append(raw, strings.TrimSpace(l))
	}
	if !slices.Equal(turn.Unknown, raw) {
		t.Errorf("unknown = %q, want the four lines as received", turn.Unknown)
	}
	holo := turn.ItemsOf("hologram")
	if len(holo) != 2 || string(holo[1].Raw) != `{"id":"item_10","type":"hologram","frames":5}` {
		t.Errorf("unknown items = %+v, want both, raw", holo)
	}
	if got := turn.Messages(); len(got) != 1 {
		t.Errorf("messages = %q", got)
	}
}

// TestStreamEvents decodes one line of each kind Codex 0.169 documents.
func TestStreamEvents(t *testing.T) {
	const dir = "/work/tree"
	tests := []struct {
		name  string
		lines string
		check func(t *testing.T, turn *codexcli.Turn)
	}{
		{"item updated in place, first position kept",
			`{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"make","aggregated_output":"","exit_code":null,"status":"in_progress"}}
{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"while it runs"}}
{"type":"item.updated","item":{"id":"item_1","type":"command_execution","command":"make","aggregated_output":"cc -c a.c\n","exit_code":null,"status":"in_progress"}}
{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"make","aggregated_output":"cc -c a.c\nok\n","exit_code":0,"status":"completed"}}`,
			func(t *testing.T, turn *codexcli.Turn) {
				if len(turn.Items) != 2 || turn.Items[0].Output != "cc -c a.c\nok\n" || *turn.Items[0].ExitCode != 0 || turn.Items[1].Text != "while it runs" {
					t.Errorf("items = %+v", turn.Items)
				}
			}},
		{"file change paths made relative, outside ones left blank; a failed patch changed nothing",
			`{"type":"item.completed","item":{"id":"item_1","type":"file_change","changes":[{"path":"/work/tree/src/a.go","kind":"update"},{"path":"/etc/passwd","kind":"update"},{"path":"/work/treehouse/x","kind":"add"},{"path":"rel/b.go","kind":"delete"}],"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"/work/tree/c.go","kind":"add"}],"status":"failed"}}`,
			func(t *testing.T, turn *codexcli.Turn) {
				var rel []string
				for _, c := range turn.FileChanges() {
					rel = append(rel, c.Rel+":"+c.Kind)
				}
				if want := []string{"src/a.go:update", ":update", ":add", "rel/b.go:delete"}; !slices.Equal(rel, want) {
					t.Errorf("changes = %q, want %q", rel, want)
				}
			}},
		{"mcp tool call",
			`{"type":"item.completed","item":{"id":"item_1","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"q":"x"},"result":{"content":[{"type":"text","text":"hit"}],"structured_content":null},"error":null,"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"mcp_tool_call","server":"docs","tool":"fetch","arguments":{},"result":null,"error":{"message":"timeout"},"status":"failed"}}`,
			func(t *testing.T, turn *codexcli.Turn) {
				a, b := turn.Items[0], turn.Items[1]
				if a.Server != "docs" || a.Tool != "search" || string(a.Arguments) != `{"q":"x"}` || !strings.Contains(string(a.Result), `"hit"`) || a.Error != "" {
					t.Errorf("call = %+v", a)
				}
				if b.Error != "timeout" || b.Result != nil || b.Status != codexcli.StatusFailed {
					t.Errorf("failed call = %+v", b)
				}
			}},
		{"todo list, web search, plan delta",
			`{"type":"item.started","item":{"id":"item_1","type":"todo_list","items":[{"text":"read","completed":true},{"text":"fix","completed":false}]}}
{"type":"item.completed","item":{"id":"item_2","type":"web_search","query":"go 1.26 release","action":{"type":"search"}}}
{"type":"item.plan.delta","item_id":"item_3","delta":"1. read"}`,
			func(t *testing.T, turn *codexcli.Turn) {
				todo := turn.Items[0].Todos
				if len(todo) != 2 || !todo[0].Completed || todo[1].Text != "fix" || turn.Items[1].Query != "go 1.26 release" || turn.Events != 3 {
					t.Errorf("items = %+v", turn.Items)
				}
			}},
		{"errors: items and events are warnings, each once; turn.failed ends the turn",
			`{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for x not found"}}
{"type":"error","message":"Reconnecting... 1/5"}
{"type":"error","message":"Reconnecting... 1/5"}
{"type":"turn.failed","error":{"message":"stream disconnected"}}`,
			func(t *testing.T, turn *codexcli.Turn) {
				if want := []string{"Model metadata for x not found", "Reconnecting... 1/5"}; !slices.Equal(turn.Warnings, want) {
					t.Errorf("warnings = %q, want %q", turn.Warnings, want)
				}
				if turn.Status != codexcli.TurnFailed || turn.Error != "stream disconnected" {
					t.Errorf("status %q error %q", turn.Status, turn.Error)
				}
			}},
		{"a line that is not an event is kept, the stream goes on",
			"Reading additional input from stdin...\n" + `{"type":"thread.started","thread_id":"t"}` + "\n\n" + `{"no_type":1}` + "\n" + `{"type":"turn.completed","usage":{"input_tokens":5,"cached_input_tokens":1,"output_tokens":2,"reasoning_output_tokens":0}}`,
			func(t *testing.T, turn *codexcli.Turn) {
				if turn.ThreadID != "t" || turn.Status != codexcli.TurnCompleted || turn.Usage.Input != 5 || turn.Usage.Cached != 1 || turn.Events != 2 {
					t.Errorf("turn = %+v", turn)
				}
				if len(turn.Unknown) != 2 || len(turn.Warnings) != 1 {
					t.Errorf("unknown %q warnings %q, want both odd lines kept and one warning", turn.Unknown, turn.Warnings)
				}
			}},
		{"a resume that started another thread",
			`{"type":"thread.started","thread_id":"other"}`,
			func(t *testing.T, turn *codexcli.Turn) {
				if turn.Resumed || len(turn.Warnings) != 1 || !strings.Contains(turn.Warnings[0], "instead of resuming") {
					t.Errorf("resumed %v warnings %q", turn.Resumed, turn.Warnings)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := codexcli.StreamOptions{Dir: dir}
			if strings.Contains(tt.name, "resume") {
				opts.ThreadID = "asked"
			}
			turn, err := codexcli.Stream(strings.NewReader(tt.lines), opts)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, turn)
		})
	}
}

// TestStreamChunked checks that lines split across writes, as a pipe
// delivers them, decode the same.
func TestStreamChunked(t *testing.T) {
	rec := loadRecording(t, "command")
	whole, err := codexcli.Stream(strings.NewReader(rec.files["stdout"]), codexcli.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 7, 4096} {
		pr, pw := io.Pipe()
		go func() {
			s := rec.files["stdout"]
			for len(s) > 0 {
				n := min(size, len(s))
				_, _ = pw.Write([]byte(s[:n]))
				s = s[n:]
			}
			pw.Close()
		}()
		got, err := codexcli.Stream(pr, codexcli.StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Events != whole.Events || got.Text() != whole.Text() || len(got.Items) != len(whole.Items) || got.Usage != whole.Usage {
			t.Errorf("chunks of %d: %d events %q, want %d events %q", size, got.Events, got.Text(), whole.Events, whole.Text())
		}
	}
}

func TestUsageSub(t *testing.T) {
	total := codexcli.Usage{Input: 300, Cached: 100, Output: 30, Reasoning: 3}
	if got := total.Sub(codexcli.Usage{Input: 100, Cached: 40, Output: 10, Reasoning: 1}); got != (codexcli.Usage{Input: 200, Cached: 60, Output: 20, Reasoning: 2}) {
		t.Errorf("Sub = %+v", got)
	}
	// A prior total above this one is not this thread's: keep the figure.
	if got := total.Sub(codexcli.Usage{Input: 500}); got != total {
		t.Errorf("Sub of a larger prior = %+v, want the total", got)
	}
}

// TestStreamOnEnd: OnEnd gets the turn once, when turn.completed arrives,
// as the Turn stands then; a failed or cut turn never calls it.
func TestStreamOnEnd(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		calls       int
	}{
		{"command", "", 1},
		{"command", `{"type":"turn.completed","usage":{}}` + "\n", 1},
		{"turn_failed", "", 0},
		{"interrupted", "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := loadRecording(t, tt.name)
			var ends []codexcli.Turn
			lastEvent := ""
			turn, err := codexcli.Stream(strings.NewReader(rec.files["stdout"]+tt.extra), codexcli.StreamOptions{
				Dir: workTree, ThreadID: rec.req.ThreadID, PriorUsage: rec.req.PriorUsage,
				Sink: codexcli.SinkFunc(func(e codexcli.Event) { lastEvent = e.Type }),
				OnEnd: func(t codexcli.Turn) {
					if lastEvent != codexcli.EventTurnCompleted {
						panic("OnEnd before the sink saw turn.completed")
					}
					ends = append(ends, t)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(ends) != tt.calls {
				t.Fatalf("OnEnd called %d times, want %d", len(ends), tt.calls)
			}
			if tt.calls == 1 && (ends[0].Text() != turn.Text() || len(ends[0].Items) != len(turn.Items) || ends[0].Status != codexcli.TurnCompleted ||
				ends[0].Usage.Input == 0) {
				t.Errorf("OnEnd got %+v, the stream's turn is %+v", ends[0], turn)
			}
		})
	}
}
