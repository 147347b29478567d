#!/usr/bin/env bash
# hookcost.sh [RUNS] — what the pre-push hook adds to a real `git push`.
# Pushes one new commit to a bare remote RUNS times (default 15) in each of
# three set-ups, interleaved so machine noise hits all three alike, and prints
# the median and p90 wall time of each and the differences:
#   plain       no hook
#   empty       a hook that only says `exit 0` (the floor for any hook)
#   no-sessions hook installed by `git codex init`, no session notes
#   sessions    hook installed, 3 topics of notes the remote already has
set -euo pipefail
runs=${1:-15}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Keep Go's caches where they are before HOME moves.
export GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE) GOPATH=$(go env GOPATH)
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME" "$work/bin"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main
(cd "$here/.." && go build -o "$work/bin/git-codex" ./cmd/git-codex)
export PATH="$work/bin:$PATH"

setup() { # setup NAME HOOK(yes/no) SESSIONS(yes/no)
	local d=$work/$1
	git init -q --bare "$d.git"
	git init -q "$d"
	(cd "$d" && echo x >f && git add f && git commit -qm init && git remote add origin "$d.git" &&
		git push -q origin main)
	if [ "$2" = yes ]; then
		(cd "$d" && git codex init >/dev/null)
		(cd "$d" && git add -A && git commit -qm context && git push -q origin main)
	fi
	if [ "$3" = yes ]; then
		for t in a b c; do
			(cd "$d" && git notes --ref="refs/notes/codex/$t" add -m '{"v":1,"ts":"2026-01-01T00:00:00.000000000Z","id":"X'$t'","kind":"turn"}' HEAD)
			(cd "$d" && git codex share "$t" origin >/dev/null) # topics no push would share
		done
		(cd "$d" && git push -q origin main && git codex sync origin >/dev/null)
	fi
}
setup plain no no
setup empty no no
printf '#!/bin/sh\nexit 0\n' >"$work/empty/.git/hooks/pre-push"
chmod +x "$work/empty/.git/hooks/pre-push"
setup nosess yes no
setup sess yes yes

push_ms() { # push_ms DIR — commit and push once, print wall ms
	local d=$work/$1 t0 t1
	(cd "$d" && echo "$RANDOM" >>f && git commit -qam c)
	t0=$(date +%s%N)
	(cd "$d" && git push -q origin main 2>/dev/null)
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
declare -A all
for i in $(seq "$runs"); do
	for s in plain empty nosess sess; do
		all[$s]+="$(push_ms $s) "
	done
done
stat() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {printf "%d %d", a[int((NR+1)/2)], a[int(NR*0.9+0.5)]}'; }
read -r mp pp <<<"$(stat "${all[plain]}")"
read -r me pe <<<"$(stat "${all[empty]}")"
read -r mn pn <<<"$(stat "${all[nosess]}")"
read -r ms ps <<<"$(stat "${all[sess]}")"
printf '%-34s %8s %8s\n' "git push of one commit ($runs runs)" "median" "p90"
printf '%-34s %6d ms %6d ms\n' "no hook" "$mp" "$pp"
printf '%-34s %6d ms %6d ms  (+%d ms)\n' "empty hook (exit 0)" "$me" "$pe" $((me - mp))
printf '%-34s %6d ms %6d ms  (+%d ms)\n' "hook, no sessions" "$mn" "$pn" $((mn - mp))
printf '%-34s %6d ms %6d ms  (+%d ms)\n' "hook, 3 topics already pushed" "$ms" "$ps" $((ms - mp))
