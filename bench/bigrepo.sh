#!/usr/bin/env bash
# bigrepo.sh [DIR] — git codex against git on a large repository, side by side.
# Builds (or reuses) the repository with mkbigrepo.sh, then prints the median
# wall time of RUNS runs (default 5) and the peak RSS of each command.
# Commands git codex does not have yet are printed as TODO and skipped.
# CODEX_SRC=DIR builds git-codex from another checkout (to compare a change:
# `git archive REV | tar -x -C DIR` makes one without touching the work tree);
# BIN=FILE uses a git-codex binary already built instead of building one.
# BEFORE=FILE compares: every git codex command is also measured with that
# binary (an older build), in the same run, each binary's runs in a block
# after one untimed warm-up run (the history cache belongs to one binary),
# and the two medians are printed side by side.
# A small repository runs the same table: COMMITS=400 FILES=3 bigrepo.sh DIR.
# Ends with the issue's targets and whether each median meets it; the log
# ratio comes from runs of both commands interleaved (load hits both alike).
#
# Targets (docs: the large-repository issue): list, show, hook pre-push ≤ 50 ms;
# log -n 200 within 3× of git log -n 200 --notes; pr-summary over 200 commits
# ≤ 200 ms; peak RSS of list < 64 MB.
set -euo pipefail

dir=${1:-/tmp/codex-bigrepo}
runs=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
export GIT_CONFIG_NOSYSTEM=1

"$here/mkbigrepo.sh" "$dir"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go build -o "$bin/objread" ./gitstore/internal/objread)
have_codex=0
if [ -n "${BIN:-}" ]; then
	cp "$BIN" "$bin/git-codex"
	have_codex=1
	export PATH="$bin:$PATH"
elif (cd "${CODEX_SRC:-$root}" && go build -o "$bin/git-codex" ./cmd/git-codex) 2>"$bin/build.log"; then
	have_codex=1
	export PATH="$bin:$PATH"
else
	echo "git-codex does not build yet; only git and the object-store figures follow:" >&2
	tail -3 "$bin/build.log" >&2
fi
cd "$dir"

# measure LABEL CMD… — median wall ms over $runs runs, max RSS in MiB.
measure() {
	local label=$1
	shift
	local times=() rss=0 t0 t1 m
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f %M -o "$bin/rss" "$@" >/dev/null 2>"$bin/err" </dev/stdin || {
			echo "$label: FAILED: $(tail -1 "$bin/err")"
			last_ms=999999 last_mib=999999
			return 0
		}
		t1=$(date +%s%N)
		times+=($(((t1 - t0) / 1000)))
		m=$(tail -1 "$bin/rss")
		((m > rss)) && rss=$m
	done
	local med
	med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
	last_ms=$(echo "$med / 1000" | bc -l)
	last_mib=$(echo "$rss / 1024" | bc -l)
	printf '%-58s %8.1f ms  %6.1f MiB\n' "$label" "$last_ms" "$last_mib"
}
last_ms=0
last_mib=0

# interleaved A B — run `git log -n 200 --notes` (A) and `git codex log -n
# 200` (B) alternately $runs times, so that the machine's load hits both
# alike, and set ratio to median(B) / median(A).
interleaved() {
	local a=() b=() t0 t1 i
	for i in $(seq "$runs"); do
		t0=$(date +%s%N)
		git log -n 200 '--notes=refs/notes/codex/*' >/dev/null
		t1=$(date +%s%N)
		a+=($(((t1 - t0) / 1000)))
		t0=$(date +%s%N)
		git codex log -n 200 >/dev/null
		t1=$(date +%s%N)
		b+=($(((t1 - t0) / 1000)))
	done
	local ma mb
	ma=$(printf '%s\n' "${a[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
	mb=$(printf '%s\n' "${b[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
	ratio=$(echo "$mb / $ma" | bc -l)
	printf '%-58s %8.1f ms\n' "interleaved: git log -n 200 --notes=refs/notes/codex/*" "$(echo "$ma / 1000" | bc -l)"
	printf '%-58s %8.1f ms  (%.1f×)\n' "interleaved: git codex log -n 200" "$(echo "$mb / 1000" | bc -l)" "$ratio"
}

# verdict LABEL VALUE LIMIT UNIT — one line of the targets table.
verdict() {
	local ok=no
	(($(echo "$2 <= $3" | bc -l))) && ok=yes
	printf '%-40s %8.1f %-4s (goal ≤ %s %s) %s\n' "$1" "$2" "$4" "$3" "$4" "$ok"
}

if [ -n "${BEFORE:-}" ]; then
	mkdir -p "$bin/before"
	cp "$BEFORE" "$bin/before/git-codex"
fi

# codex LABEL ARGS… — measure `git codex ARGS…` when the command exists;
# with BEFORE, measure the older binary too and print both.
codex() {
	local label=$1
	shift
	if [ "$have_codex" != 1 ] || ! git-codex "$1" --help >/dev/null 2>&1; then
		printf '%-58s TODO: git codex %s does not exist yet\n' "$label" "$1"
		last_ms=999999 last_mib=999999
		return 0
	fi
	if [ -z "${BEFORE:-}" ]; then
		measure "$label" git codex "$@"
		return 0
	fi
	local before_ms before_mib
	PATH="$bin/before:$PATH" git codex "$@" >/dev/null 2>&1 </dev/stdin || true
	PATH="$bin/before:$PATH" measure "$label (before)" git codex "$@" >"$bin/line"
	before_ms=$last_ms before_mib=$last_mib
	git codex "$@" >/dev/null 2>&1 </dev/stdin || true
	measure "$label (after)" git codex "$@" >"$bin/line2"
	grep -h FAILED "$bin/line" "$bin/line2" || true
	printf '%-58s %8.1f ms → %8.1f ms   %6.1f → %6.1f MiB\n' "$label" "$before_ms" "$last_ms" "$before_mib" "$last_mib"
}

echo
echo "== object store: go-git filesystem storage vs packidx.Store (fresh process each run, wall time incl. start-up)"
for op in first tree; do
	for impl in gogit packidx; do
		measure "objread -op $op ($impl)" "$bin/objread" -impl $impl -op $op -repo "$dir"
	done
done
for impl in gogit packidx; do
	measure "objread -op walk -n 10000 ($impl)" "$bin/objread" -impl $impl -op walk -n 10000 -repo "$dir"
done
measure "git cat-file -p HEAD:d00/s00/f00.txt" git cat-file -p HEAD:d00/s00/f00.txt
measure "git log -n 10000 --format=%H%P%s" git log -n 10000 '--format=%H%P%s'

git checkout -q feature-01
echo
echo "== commands (topic feature-01 checked out; 12 topics, one session each)"
measure "git notes --ref=codex/feature-01 list" git notes --ref=codex/feature-01 list
codex "git codex list" list
list=$last_ms list_mib=$last_mib
codex "git codex show" show
show=$last_ms
base=$(git rev-parse HEAD)
echo "refs/heads/feature-01 $base refs/heads/feature-01 0000000000000000000000000000000000000000" >"$bin/refs"
codex "git codex hook pre-push bench file:///nonexistent" hook pre-push bench file:///nonexistent <"$bin/refs"
hook=$last_ms
measure "git log -n 200 --notes=refs/notes/codex/*" git log -n 200 '--notes=refs/notes/codex/*'
gitlog=$last_ms
codex "git codex log -n 200" log -n 200
log=$last_ms
measure "git log HEAD~200..HEAD --notes=refs/notes/codex/*" git log HEAD~200..HEAD '--notes=refs/notes/codex/*'
codex "git codex pr-summary --base HEAD~200" pr-summary --base HEAD~200
prs=$last_ms
ratio=$(echo "$log / $gitlog" | bc -l)
[ "$have_codex" = 1 ] && interleaved
git checkout -q main

if [ "$have_codex" = 1 ]; then
	echo
	echo "== targets (median of $runs runs each)"
	verdict "list" "$list" 50 ms
	verdict "list peak RSS" "$list_mib" 64 MiB
	verdict "show" "$show" 50 ms
	verdict "hook pre-push" "$hook" 50 ms
	verdict "log -n 200 / git log -n 200 --notes" "$ratio" 3 ×
	verdict "pr-summary over 200 commits" "$prs" 200 ms
fi
