package prompt_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/prompt"
)

func TestReadMessage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "msg.txt")
	if err := os.WriteFile(file, []byte("\nfrom a file\n\nsecond paragraph\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	blank := filepath.Join(dir, "blank.txt")
	if err := os.WriteFile(blank, []byte(" \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		file    string
		stdin   string
		noStdin bool
		want    string
		wantErr error
		errText string
	}{
		{"arguments joined", []string{"fix", "the", "test"}, "", "ignored", false, "fix the test", nil, ""},
		{"file", nil, file, "ignored", false, "from a file\n\nsecond paragraph", nil, ""},
		{"dash reads stdin", nil, "-", "  piped message\n", false, "piped message", nil, ""},
		{"stdin when nothing else", nil, "", "piped\n", false, "piped", nil, ""},
		{"args and file", []string{"x"}, file, "", false, "", nil, "not both"},
		{"empty arguments", []string{" ", ""}, "", "", false, "", prompt.ErrEmptyMessage, ""},
		{"blank file", nil, blank, "", false, "", prompt.ErrEmptyMessage, ""},
		{"no input at all", nil, "", "", true, "", prompt.ErrEmptyMessage, ""},
		{"dash without stdin", nil, "-", "", true, "", prompt.ErrEmptyMessage, ""},
		{"missing file", nil, filepath.Join(dir, "nope"), "", false, "", os.ErrNotExist, ""},
		{"too long", nil, "-", strings.Repeat("a", prompt.MaxMessageBytes+1), false, "", nil, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdin *strings.Reader
			if !tt.noStdin {
				stdin = strings.NewReader(tt.stdin)
			}
			var got string
			var err error
			if stdin == nil {
				got, err = prompt.ReadMessage(tt.args, tt.file, nil)
			} else {
				got, err = prompt.ReadMessage(tt.args, tt.file, stdin)
			}
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.errText != "":
				if err == nil || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errText)
				}
			case err != nil:
				t.Fatalf("ReadMessage: %v", err)
			case got != tt.want:
				t.Errorf("ReadMessage = %q, want %q", got, tt.want)
			}
		})
	}
}
