#!/usr/bin/env bash
# contention.sh — several clones writing to one topic and syncing it through
# one remote at the same time: is anything lost, and how many syncs fail?
#
# Each repeat (REPEATS, default 3) starts afresh: a bare remote served by a
# loopback `git daemon`, a session opened on topic main and pushed there,
# CLONES clones (default 3) that fetch it with `git codex sync`. Then every
# clone at once runs REPLIES replies (default 30; `git codex reply`, against a
# loopback model server that answers at once) one after the other and,
# concurrently with them, SYNCS syncs (default 20; `git codex sync`, back to
# back). When all are done, every clone syncs twice more in turn (the final
# round), and the script counts, in each clone's topic ref and on the remote:
# the turns of the replies (expected: CLONES × REPLIES, each with its answer
# when the reply succeeded), all records, and a digest of their ids, which is
# the same everywhere when every clone holds every record.
#
# It prints each repeat's census, then the syncs and replies that exited
# non-zero, grouped by their first error line (ids and ports masked) and hint.
# Exit status 0 whatever it measured; 1 when it could not run.
#
# BIN=/path/to/git-codex (default: git-codex on PATH). Loopback only, no API
# key; daemons and servers stop on exit, and nothing is left in /tmp.
#
#   go build -o /tmp/git-codex ./cmd/git-codex && BIN=/tmp/git-codex bash bench/contention.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
clones=${CLONES:-3}
replies=${REPLIES:-30}
syncs=${SYNCS:-20}
repeats=${REPEATS:-3}
started=$SECONDS
bin=${BIN:-$(command -v git-codex || true)}
if [ -z "$bin" ]; then
	echo "contention.sh: no git-codex on PATH; set BIN=/path/to/git-codex" >&2
	exit 2
fi

# shellcheck source=bench/loopback.sh
. "$here/loopback.sh"
loopback_start contention
mkdir -p "$work/bin"
cp "$bin" "$work/bin/git-codex"
export PATH=$work/bin:$PATH

# first_error FILE — the first line of a command's stderr that says what
# failed ("git-codex: …", else the first line) and its hint, with object
# ids, ULIDs, ports and temporary paths masked so that alike failures group.
first_error() {
	local err hint
	err=$(grep -m1 '^git-codex: ' "$1" || head -1 "$1")
	hint=$(grep -m1 '^hint: ' "$1" || true)
	printf '%s%s\n' "$err" "${hint:+ | $hint}" |
		sed -E -e 's/[0-9a-f]{40}/<sha>/g' -e 's/[0-9A-HJKMNP-TV-Z]{26}/<id>/g' -e 's/[0-9A-HJKMNP-TV-Z]{12}/<id>/g' \
			-e 's#git://127\.0\.0\.1:[0-9]+#git://127.0.0.1:<port>#g' -e "s#$work#<work>#g"
}

# attempt KIND REPEAT CLONE CMD… — run CMD in the clone; log one line of
# "<exit code>\t<first error>" to $work/r$REPEAT/KIND.log.
attempt() {
	local kind=$1 r=$2 c=$3 rc=0 out
	shift 3
	out=$work/r$r/$kind-c$c.$BASHPID.err
	(cd "$work/r$r/c$c" && "$@") >/dev/null 2>"$out" || rc=$?
	if [ "$rc" = 0 ]; then
		printf '0\t\n' >>"$work/r$r/$kind.log"
	else
		printf '%s\t%s\n' "$rc" "$(first_error "$out")" >>"$work/r$r/$kind.log"
	fi
	rm -f "$out"
}

total_syncs=0 failed_syncs=0 total_replies=0 failed_replies=0 total_final=0 failed_final=0 lost=0 diverged=0
for r in $(seq "$repeats"); do
	mkdir -p "$work/r$r"
	bare=$work/daemon/r$r.git
	url=$daemon/r$r.git
	git init -q --bare "$bare"

	# The seed: a repository with its context files and one session on main.
	seed=$work/r$r/seed
	git init -q "$seed"
	(
		cd "$seed"
		printf '# Architecture\n\nOne package: `cache`, an LRU.\n' >ARCHITECTURE.md
		printf '# Working here\n\n- test: `go test ./...`\n' >AGENTS.md
		git add -A
		git commit -qm "Initial commit"
		git codex init >/dev/null 2>&1
		git remote add origin "$url"
		git codex delegate "Find why the cache evicts entries early" >/dev/null 2>&1
		git push -q origin main 2>/dev/null
	)
	for c in $(seq "$clones"); do
		git clone -q "$url" "$work/r$r/c$c"
		(cd "$work/r$r/c$c" && git codex init >/dev/null 2>&1 && git codex sync >/dev/null 2>&1)
	done

	marker="ctn-r$r-"
	set -m # each loop below is a process group, which the cleanup can end whole
	pids=()
	for c in $(seq "$clones"); do
		(
			for i in $(seq "$replies"); do
				attempt replies "$r" "$c" git codex reply "${marker}c$c-n$i: and what about the callers of Evict?"
			done
		) &
		pids+=($!)
		(
			for _ in $(seq "$syncs"); do
				attempt syncs "$r" "$c" git codex sync
			done
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	set +m
	for _ in 1 2; do
		for c in $(seq "$clones"); do
			attempt final "$r" "$c" git codex sync
		done
	done

	echo "== repeat $r: $clones clones × $replies replies, $clones × $syncs concurrent syncs"
	want=$((clones * replies))
	ok_replies=$(grep -c '^0' "$work/r$r/replies.log" || true)
	digests=()
	printf '  %-8s %9s %16s %9s %7s  %s\n' where records "reply turns" answered answers digest
	for where in $(seq "$clones") remote; do
		if [ "$where" = remote ]; then
			dir=$bare name=remote
		else
			dir=$work/r$r/c$where name=clone$where
		fi
		line=$(cd "$dir" && "$tools/mkscale" census -marker "$marker" refs/notes/codex/main)
		records=$(sed -E 's/.*records=([0-9]+).*/\1/' <<<"$line")
		marked=$(sed -E 's/.*marked=([0-9]+).*/\1/' <<<"$line")
		answered=$(sed -E 's/.*answered=([0-9]+).*/\1/' <<<"$line")
		answers=$(sed -E 's/.*answers=([0-9]+).*/\1/' <<<"$line")
		digest=$(sed -E 's/.*digest=([0-9a-f]+).*/\1/' <<<"$line")
		digests+=("$digest")
		printf '  %-8s %9s %16s %9s %7s  %s\n' "$name" "$records" "$marked of $want" "$answered of $ok_replies" "$answers" "$digest"
		if [ "$marked" != "$want" ] || [ "$answered" -lt "$ok_replies" ]; then
			lost=$((lost + 1))
		fi
	done
	if [ "$(printf '%s\n' "${digests[@]}" | sort -u | wc -l)" != 1 ]; then
		echo "  the clones and the remote do NOT hold the same records"
		diverged=$((diverged + 1))
	else
		echo "  every clone and the remote hold the same records"
	fi
	n=$(wc -l <"$work/r$r/syncs.log") f=$(grep -vc '^0' "$work/r$r/syncs.log" || true)
	nr=$(wc -l <"$work/r$r/replies.log") fr=$(grep -vc '^0' "$work/r$r/replies.log" || true)
	nf=$(wc -l <"$work/r$r/final.log") ff=$(grep -vc '^0' "$work/r$r/final.log" || true)
	echo "  failed: $f of $n concurrent syncs, $fr of $nr replies, $ff of $nf final syncs"
	total_syncs=$((total_syncs + n)) failed_syncs=$((failed_syncs + f))
	total_replies=$((total_replies + nr)) failed_replies=$((failed_replies + fr))
	total_final=$((total_final + nf)) failed_final=$((failed_final + ff))
done

# failures KIND — the failed attempts of all repeats, grouped.
failures() {
	cat "$work"/r*/"$1.log" | { grep -v '^0' || true; } | sort | uniq -c | sort -rn |
		awk -F'\t' '{ split($1, a, " "); printf "  %4d × exit %s: %s\n", a[1], a[2], $2 }'
}
echo
echo "== over $repeats repeats"
echo "concurrent syncs that failed: $failed_syncs of $total_syncs"
failures syncs
echo "replies that failed: $failed_replies of $total_replies"
failures replies
echo "final-round syncs that failed: $failed_final of $total_final"
failures final
echo "holders (clones and remotes) missing a reply's turn or answer: $lost; repeats whose holders differ: $diverged"
echo
echo "contention.sh took $((SECONDS - started)) s"
