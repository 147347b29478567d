package prompt

import (
	"reflect"
	"strings"
	"testing"
)

func TestInitImproveRoundTrip(t *testing.T) {
	files := []string{"ARCHITECTURE.md", "AGENTS.md"}
	task := InitImproveTask(files)
	for _, f := range files {
		if !strings.Contains(task, beginMarker(f)) || !strings.Contains(task, endMarker(f)) {
			t.Fatalf("task lacks the markers of %s:\n%s", f, task)
		}
	}
	tests := []struct {
		name   string
		answer string
		want   map[string]string
	}{
		{
			name: "both files, one fenced, chatter around",
			answer: "Here you go.\n===== BEGIN ARCHITECTURE.md =====\n# Architecture\n\nBetter.\n===== END ARCHITECTURE.md =====\n" +
				"===== BEGIN AGENTS.md =====\n```markdown\n# AGENTS.md\n- Test: `go test ./...`\n```\n===== END AGENTS.md =====\nDone.",
			want: map[string]string{"ARCHITECTURE.md": "# Architecture\n\nBetter.\n", "AGENTS.md": "# AGENTS.md\n- Test: `go test ./...`\n"},
		},
		{
			name:   "one file only",
			answer: "===== BEGIN AGENTS.md =====\r\n# A\r\n===== END AGENTS.md =====",
			want:   map[string]string{"AGENTS.md": "# A\n"},
		},
		{
			name:   "unterminated or empty blocks count as absent",
			answer: "===== BEGIN ARCHITECTURE.md =====\n# cut off\n===== BEGIN AGENTS.md =====\n\n===== END AGENTS.md =====",
			want:   map[string]string{},
		},
		{name: "prose only", answer: "I could not read the files.", want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseFiles(tt.answer, files); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseFiles = %q, want %q", got, tt.want)
			}
		})
	}
}
