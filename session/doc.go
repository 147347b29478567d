// Package session is the session engine: it opens sessions (delegate),
// continues them (reply, fix), reduces them (compact), concludes them (close)
// and adds up what they cost (stats).
//
// A reply flows one way through the layers (SPEC §7): resolve the topic's
// current session from the gitstore records → store the user's message as a
// turn record first → render the request with prompt (the same instruction
// block on every request, only the new text as input) → send it with the model
// client, streaming the answer, tool calls answered by repoctx's read-only
// file tools → store the answer, usage and response id attached to HEAD.
// That flow is one function (send) over a backend per engine: the model
// client for responses and chat, the installed Codex CLI (through codexcli)
// for the codex engine, whose threads it keeps portable by restarting them
// from the transcript in git.
//
// It owns the session schema (record.go: the kinds and fields of a record,
// encoded to and decoded from storage's opaque lines) and the read policy
// (read.go: which copy of a record git copied to rewritten commits is
// shown). It reads and writes git only through the gitstore.Store and the
// small Repo interface in engine.go; it must not import go-git, go-openai or
// urfave/cli. It never writes to a terminal or a file descriptor of its own:
// it reports the answer as it streams, tool calls, retries, warnings,
// progress and the approvals it needs to the Output it is given (output.go),
// which each front end implements (the command line, the MCP server, the
// workflow runner). Errors are returned as wrapped sentinels (this
// package's, model's, gitstore's) for the front end to map to exit codes.
package session
