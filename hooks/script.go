package hooks

// HookMarker is the line that identifies a hook written by git codex. A hook
// without it belongs to the user (or another tool) and is chained, never
// overwritten.
const HookMarker = "# git-codex-hook: pre-push"

// ChainedSuffix is appended to the name of a pre-existing hook that Install
// moved aside; the installed hook runs it first.
const ChainedSuffix = ".codex-chained"

// PrePushScript is the pre-push hook Install writes, and the content of the
// repository's own .githooks/pre-push. It runs a chained hook first (the
// user's previous pre-push, with git's ref lines on its standard input, its
// failure stopping the push), then `git codex hook pre-push`. Without
// git-codex on PATH it warns in one line and lets the push go on.
const PrePushScript = `#!/bin/sh
` + HookMarker + `
# Installed by 'git codex init'; removed by 'git codex init --uninstall'.
# Sends the session notes (refs/notes/codex/*) along with a push and checks
# the context files. A hook that was here before is kept as
# pre-push` + ChainedSuffix + ` and runs first.
chained="$0` + ChainedSuffix + `"
if [ -x "$chained" ]; then
	# Both hooks read git's ref lines: keep them for the second.
	input=$(cat)
	printf '%s' "${input:+$input
}" | "$chained" "$@" || exit $?
	exec <<EOF
$input
EOF
fi
# Fast path, without starting git-codex: the context files are in place and
# committed, and there are no session notes to send (no refs/notes/codex/*,
# loose or packed, and no codex.notesRef or git -c setting that could move
# them). One grep reads it all: the index must name both files at the top of
# the tree (an index entry's path follows its length byte: "^.NAME$" among
# NUL-separated records; an index git wrote otherwise, v4 or split, fails
# this and git-codex decides) and nothing may mention session notes; the
# files must not have changed since HEAD last moved (logs/HEAD).
if [ -f ARCHITECTURE.md ] && [ -f AGENTS.md ] && [ -z "$GIT_CONFIG_PARAMETERS$GIT_INDEX_FILE" ]; then
	gitdir=${GIT_DIR:-.git}
	if [ -f "$gitdir" ]; then
		read -r _ gitdir <"$gitdir"
	fi
	common=$gitdir
	if [ -f "$gitdir/commondir" ]; then
		read -r common <"$gitdir/commondir"
		case $common in /*) ;; *) common=$gitdir/$common ;; esac
	fi
	home=${HOME:-/nonexistent}
	if [ -d "$common/refs" ] && [ ! -e "$common/refs/notes/codex" ]; then
		hits=$(grep -czsaiE -e '^.(AGENTS|ARCHITECTURE)\.md$' -e '[0-9a-f]{40,64} refs/notes/codex/' -e notesref \
			"$gitdir/index" "$common/packed-refs" "$common/config" "$home/.gitconfig" \
			"${XDG_CONFIG_HOME:-$home/.config}/git/config" /etc/gitconfig)
		case $hits in
		"$gitdir/index:2"*)
			case ${hits#"$gitdir/index:2"} in
			*:[1-9]*) ;;
			*) [ ARCHITECTURE.md -nt "$gitdir/logs/HEAD" ] || [ AGENTS.md -nt "$gitdir/logs/HEAD" ] || exit 0 ;;
			esac
			;;
		esac
	fi
fi
if ! command -v git-codex >/dev/null 2>&1; then
	echo "warning: git-codex is not on PATH; session notes were not pushed" >&2
	exit 0
fi
# Straight to the binary: the hook already runs inside git.
exec git-codex hook pre-push "$@"
`
