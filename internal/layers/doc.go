// Package layers holds the test that enforces the layer rule of
// ARCHITECTURE.md: imports point down the diagram only, gitstore is the only
// importer of go-git, model the only importer of go-openai, and only the
// command layer imports urfave/cli. It has no code of its own.
package layers
