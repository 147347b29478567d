package workflow

import (
	"bytes"
	_ "embed"
)

//go:embed schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of workflow files, for
// editors (yaml-language-server: "# yaml-language-server: $schema=…"). It
// checks the shape of a file; Parse also checks what spans steps.
func Schema() []byte { return bytes.Clone(schema) }
