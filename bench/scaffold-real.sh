#!/usr/bin/env bash
# scaffold-real.sh [MIRRORS] — `git codex init` on real public repositories,
# pinned by commit: for each, the test command the AGENTS.md draft chose
# beside the commands the repository's CI definitions run (read here with
# grep, not with the scaffolder), whether the draft surfaced an agents
# policy, and the median wall time of RUNS runs (default 5) of
# `git codex init --force`.
#
# Not part of `go test` or CI: it needs the repositories on this machine.
# MIRRORS (default /work/.mirror) holds bare git directories named
# OWNER+NAME/repo, as the search tool's fetch leaves them; bring one with
# fetch github:OWNER/NAME. Nothing of those repositories is committed here:
# each pinned commit is unpacked into a temporary directory and removed.
set -euo pipefail

mirrors=${1:-/work/.mirror}
runs=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
	GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

# kind, OWNER+NAME, pinned commit
repos=(
	"Go        uber-go+zap          5b81b37b81b8e2ed447a6f57991e372ee4fa5c8f"
	"Python    pallets+flask        2ac89889f4cc330eabd50f295dcef02828522c69"
	"JavaScript expressjs+express   a3714473feb3d2908add734d340e7755fd85e0a3"
	"Rust      BurntSushi+ripgrep   3fce3b5bb0236da2df6d99672afb8a719642eca7"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$here/.." && go build -o "$tmp/bin/git-codex" ./cmd/git-codex)
export PATH="$tmp/bin:$PATH" HOME="$tmp/home"
mkdir -p "$HOME"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for entry in "${repos[@]}"; do
	read -r kind name commit <<<"$entry"
	gitdir=$mirrors/$name/repo
	echo "== $kind: ${name/+//} @ ${commit:0:12}"
	if ! git --git-dir="$gitdir" cat-file -e "$commit^{commit}" 2>/dev/null; then
		echo "   skipped: no mirror with that commit at $gitdir (fetch github:${name/+//} first)"
		continue
	fi
	work=$tmp/$name
	mkdir -p "$work"
	git --git-dir="$gitdir" archive "$commit" | tar -x -C "$work"
	rm -f "$work/AGENTS.md" "$work/ARCHITECTURE.md"
	(cd "$work" && git init -q && git add -A && git commit -q -m "$commit")

	times=()
	for _ in $(seq "$runs"); do
		start=$(date +%s%N)
		(cd "$work" && git codex init --force --no-hooks >/dev/null 2>"$tmp/init.err")
		times+=($(( ($(date +%s%N) - start) / 1000000 )))
	done
	echo "   init --force: median $(printf '%s\n' "${times[@]}" | median) ms of ${runs} runs (${times[*]})"
	echo "   draft's test command:"
	grep -m1 '^- Test:' "$work/AGENTS.md" | sed 's/^/     /' || echo "     (none)"
	echo "   what CI runs (test steps, as written):"
	for f in "$work"/.github/workflows/*.y*ml "$work/.gitlab-ci.yml"; do
		[ -f "$f" ] || continue
		grep -hE '^\s*(- )?(run|script):.*(test|tox|pytest|cover)|^\s+(make|cargo|go|npm|pnpm|tox|pytest|uv)\b.*(test|cover|tox)' "$f" |
			grep -vE 'echo|install' | sed "s|^ *|     ${f#"$work"/}: |" || true
	done
	if grep -q 'forbids autonomous agents' "$work/AGENTS.md"; then
		echo "   policy: $(grep -m1 'forbids autonomous agents' "$tmp/init.err" || echo 'in AGENTS.md')"
	fi
done
