// Package codexcli drives the installed Codex CLI (npm @openai/codex) as a
// subprocess: it finds the binary and checks its version, builds the argument
// lists of `codex exec --json` and `codex exec resume <thread> --json`, runs
// one turn in its own process group with the work tree as working directory,
// and turns the JSONL event stream into typed events, handed to a Sink as they
// arrive, and a per-turn summary (Turn).
//
// It owns the knowledge of Codex's flags, its event schema and its failure
// messages, and nothing else: it stores nothing, never touches git, never
// writes the user's Codex configuration (CODEX_HOME/config.toml) and passes
// configuration overrides only as the `-c key=value` flags its caller asks
// for. Codex's schema moves quickly, so an unknown event or item type is kept
// raw and reported once, never fatal.
package codexcli
