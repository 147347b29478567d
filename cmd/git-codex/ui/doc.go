// Package ui holds what git codex needs to look like git on a terminal: the
// colour decision and palette (NO_COLOR, color.ui, color.codex, --color),
// the pager git would use (GIT_PAGER, core.pager, pager.codex, PAGER, less),
// display widths and width-fitting tables, and the answer footer. Markdown
// rendering is in the markdown subpackage.
//
// It belongs to the command layer: only cmd/git-codex imports it. It reads
// no git repository and no environment of its own; callers pass getenv and
// a config lookup, so every decision is a pure function of its inputs and
// tested as one. Plain output (a pipe, NO_COLOR) passes through unchanged.
package ui
