package worktree

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ToolApplyPatch is the edit tool's name: the Responses API's native tool
// type ({"type":"apply_patch"}) and the chat engine's function name.
const ToolApplyPatch = "apply_patch"

// ApplyPatchSpec is the function tool the chat engine offers in
// workspace-write: the operation of an apply_patch_call as its arguments,
// and the V4A grammar in a few lines (the native tool's models know it;
// others learn it here). Decode the arguments with DecodeOperation.
func ApplyPatchSpec() ToolSpec {
	return ToolSpec{
		Name: ToolApplyPatch,
		Description: `Create, update or delete one file. create_file: diff is the new file, every line "+" and the line. ` +
			`update_file: diff is V4A hunks: a header "@@" or "@@ <a line of the file above the change, e.g. a function signature>" ` +
			`(several @@ lines narrow it: class, then method), then the lines: " " unchanged context (3 lines before and after), ` +
			`"-" removed, "+" added; no line numbers; hunks in file order; "*** End of File" after a hunk that ends the file. ` +
			`delete_file: no diff. Read a file before changing it.`,
		Parameters: json.RawMessage(`{"type":"object","properties":{` +
			`"type":{"type":"string","enum":["create_file","update_file","delete_file"]},` +
			`"path":{"type":"string"},"diff":{"type":"string"}},` +
			`"required":["type","path"]}`),
	}
}

// DecodeOperation reads an operation from JSON: the arguments of the chat
// engine's apply_patch function, or the "operation" object of a Responses
// API apply_patch_call. Fields it does not know are ignored. It returns an
// error wrapping ErrBadArguments for anything but such an object, with the
// operation's own checks (a known type, a path) left to Prepare.
func DecodeOperation(data []byte) (Operation, error) {
	var op Operation
	if strings.TrimSpace(string(data)) == "" {
		return op, fmt.Errorf("%w: the operation is empty: want {\"type\", \"path\", \"diff\"}", ErrBadArguments)
	}
	if err := json.Unmarshal(data, &op); err != nil {
		return op, fmt.Errorf("%w: %v", ErrBadArguments, err)
	}
	return op, nil
}

// The statuses of an apply_patch_call_output.
const (
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// Outcome is the answer to one apply_patch call: the status and output of
// an apply_patch_call_output on the responses engine (JSON as the API
// spells them); on the chat engine, the tool message is Output, which says
// "failed" itself.
type Outcome struct {
	Status string `json:"status"`
	Output string `json:"output,omitempty"`
}

// Applied is the outcome of a committed patch: what it changed.
func Applied(p *Patch) Outcome {
	return Outcome{Status: StatusCompleted, Output: p.Output()}
}

// Failed is the outcome of a patch that was not applied because of err
// (from Prepare or Commit, whose messages are written for the model):
// nothing was changed, and the model may correct the patch and retry.
func Failed(err error) Outcome {
	return Outcome{Status: StatusFailed, Output: "failed, nothing was changed: " + err.Error()}
}

// Refused is the outcome of a patch the user (or the approval policy)
// refused, why saying so: nothing was changed.
func Refused(why string) Outcome {
	return Outcome{Status: StatusFailed, Output: "refused, nothing was changed: " + why}
}
