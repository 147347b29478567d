#!/usr/bin/env bash
# scale.sh — what git codex costs as the history grows: the table of the
# scale-and-contention issue, measured on synthetic but well-formed data.
#
# Datasets (DATASETS, default all five; the big ones take minutes):
#   topics1k   1,000 topics × 1 session, over 2,000 commits
#   topics10k  10,000 topics × 1 session, over 2,000 commits
#   rec10k     1 topic, 10,000 records on 100 commits
#   rec100k    1 topic, 100,000 records on 1,000 commits
#   rec300k    1 topic, 300,000 records on 100 commits
# bench/mkscale writes them with git fast-import in the store's own format;
# they are cached in $CACHE/NAME-vN (default /tmp/codex-scale; N is the
# generator's format version, so a changed generator rebuilds them).
#
# For each dataset and each binary it prints the median of RUNS runs
# (default 3) of:
#   list         `git codex list`, and its peak RSS
#   show         `git codex show` (the current session of the checked-out topic)
#   show -s      `git codex show -s ID` of an old session
#   reply        `git codex reply MSG` against a loopback OpenAI-compatible
#                server that answers at once (bench/openaiserve), and its peak RSS
#   log          `git codex log -n 5` (right after that reply), and its peak RSS
#   push         the first `git push` of the notes to an empty bare remote over
#                loopback `git daemon`, through the pre-push hook `git codex init`
#                installs (codex.share=all, so every topic travels); PUSH_RUNS
#                runs (default RUNS)
#   plain        `git push` of the same refs with one wildcard refspec, no hook
# Each binary works on its own copy of the dataset (objects hard-linked), after
# one warm-up of each command that is not counted (its list time is printed
# as "cold"); the warm-up list and show check that the binary reads back every
# session the generator wrote, and with two binaries that both print the same
# `list --json`, `show --json` and `show -s ID --json`.
#
# FETCHED=1 measures each dataset as a clone that fetched a teammate's
# notes and merged them: every topic's ref also under
# refs/notes/remotes/origin/codex/, at the same commit.
#
# Binaries: BIN=/path/to/git-codex (default: git-codex on PATH), or
# BIN_BEFORE and BIN_AFTER to measure both, interleaved run by run so that the
# machine's load hits both alike.
#
# Examples:
#   go build -o /tmp/git-codex ./cmd/git-codex && BIN=/tmp/git-codex bash bench/scale.sh
#   DATASETS="rec10k rec100k" RUNS=5 BIN_BEFORE=/tmp/old BIN_AFTER=/tmp/new bash bench/scale.sh
#   DATASETS=topics10k RUNS=1 bash bench/scale.sh
#
# Loopback only, no API key. Daemons and servers stop on exit; nothing is
# left in /tmp but the cached datasets.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
runs=${RUNS:-3}
push_runs=${PUSH_RUNS:-$runs}
datasets=${DATASETS:-topics1k topics10k rec10k rec100k rec300k}
cache=${CACHE:-/tmp/codex-scale}
started=$SECONDS
load0=$(cut -d' ' -f1-3 /proc/loadavg)

for ds in $datasets; do
	case $ds in
	topics1k | topics10k | rec10k | rec100k | rec300k) ;;
	*)
		echo "scale.sh: unknown dataset $ds (want topics1k topics10k rec10k rec100k rec300k)" >&2
		exit 2
		;;
	esac
done

labels=() bins=()
if [ -n "${BIN_BEFORE:-}" ] || [ -n "${BIN_AFTER:-}" ]; then
	: "${BIN_BEFORE:?set both BIN_BEFORE and BIN_AFTER}" "${BIN_AFTER:?set both BIN_BEFORE and BIN_AFTER}"
	labels=(before after) bins=("$BIN_BEFORE" "$BIN_AFTER")
else
	b=${BIN:-$(command -v git-codex || true)}
	[ -n "$b" ] || {
		echo "scale.sh: no git-codex on PATH; set BIN=/path/to/git-codex" >&2
		exit 2
	}
	labels=(bin) bins=("$b")
fi

# shellcheck source=bench/loopback.sh
. "$here/loopback.sh"
loopback_start scale
version=$("$tools/mkscale" version)
for i in "${!labels[@]}"; do
	mkdir -p "$work/bin-${labels[$i]}"
	cp "${bins[$i]}" "$work/bin-${labels[$i]}/git-codex"
done

# build DATASET — the cached repository of DATASET (built when missing).
build() {
	local ds=$1 dir=$cache/$1-v$version t0=$SECONDS
	if [ -f "$dir/.done" ]; then
		return
	fi
	echo "scale.sh: building $ds in $dir…" >&2
	rm -rf "$cache/$ds"-v* # older formats too
	mkdir -p "$dir"
	git init -q -b main "$dir/repo"
	(
		cd "$dir/repo"
		"$tools/mkscale" history -dataset "$ds" | git fast-import --quiet
		git rev-list --reverse main | "$tools/mkscale" notes -dataset "$ds" -meta "$dir/meta" | git fast-import --quiet
		git checkout -q -f main
		topic=$(sed -n 's/^current_topic=//p' "$dir/meta")
		if [ "$topic" != main ]; then
			git checkout -q -b "$topic"
		fi
		git config codex.share all
		# One pack, as after gc, but no deltas between the notes of
		# different commits: gc would not make them (a note's versions
		# delta against each other, the newest kept whole), and chains
		# of unrelated megabyte notes would make every read resolve them.
		# -f: fast-import deltas every blob against the one it wrote
		# before (another commit's note), in chains 50 deep, and a
		# repack without -f keeps those deltas.
		git repack -adfq --window=0
		git pack-refs --all
		git commit-graph write --reachable --no-progress
	)
	local want got
	want=$(sed -n 's/^topics=//p' "$dir/meta")
	got=$(git -C "$dir/repo" for-each-ref refs/notes/codex/ | wc -l)
	if [ "$got" != "$want" ]; then
		echo "scale.sh: $ds has $got topic refs, want $want" >&2
		exit 1
	fi
	echo "built_seconds=$((SECONDS - t0))" >>"$dir/meta"
	touch "$dir/.done"
}

# copy SRC DST — a work copy of repository SRC whose objects are hard links
# (git never rewrites an object or pack file in place).
copy() {
	local src=$1 dst=$2 e
	mkdir -p "$dst/.git"
	for e in "$src"/* "$src"/.[!.]*; do
		[ -e "$e" ] && [ "$(basename "$e")" != .git ] && cp -a "$e" "$dst/"
	done
	for e in "$src"/.git/*; do
		if [ "$(basename "$e")" = objects ]; then
			cp -al "$e" "$dst/.git/"
		else
			cp -a "$e" "$dst/.git/"
		fi
	done
}

# timed LABEL CMD… — run CMD in the current directory with LABEL's binary;
# sets ms (wall), cpu (user+system of CMD and its children, the figure a
# loaded machine inflates least) and mb (peak RSS of CMD and its children),
# all integers; on failure all are "FAIL" and the error is printed.
timed() {
	local label=$1 t0 t1 rc=0 kb u s
	shift
	t0=$(date +%s%N)
	PATH=$work/bin-$label:$PATH /usr/bin/time -f '%M %U %S' -o "$work/rusage" "$@" >"$work/out" 2>"$work/err" || rc=$?
	t1=$(date +%s%N)
	if [ "$rc" != 0 ]; then
		echo "  $label: $* failed (exit $rc): $(tail -1 "$work/err")" >&2
		ms=FAIL cpu=FAIL mb=FAIL
		return
	fi
	read -r kb u s <<<"$(tail -1 "$work/rusage")"
	ms=$(((t1 - t0) / 1000000))
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }')
	mb=$((kb / 1024))
}

# median VALUES… — the median of numbers (the lower one of an even count);
# FAIL when any failed, "-" when none.
median() {
	[ $# -gt 0 ] || {
		echo -
		return
	}
	case " $* " in *" FAIL "*)
		echo FAIL
		return
		;;
	esac
	printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"
}
maximum() {
	[ $# -gt 0 ] || {
		echo -
		return
	}
	case " $* " in *" FAIL "*)
		echo FAIL
		return
		;;
	esac
	printf '%s\n' "$@" | sort -n | tail -1
}

# secs MS — milliseconds as seconds with two decimals.
secs() {
	case $1 in FAIL | -) echo "$1" ;; *) printf '%d.%02d' $(($1 / 1000)) $((($1 % 1000) / 10)) ;; esac
}

declare -A res # res[ds,label,column] = "v1 v2 …"
add() { res[$1]="${res[$1]:-} $2"; }

# push_once DS LABEL RUN — the first push of DS's notes through the hook to a
# new bare remote over git daemon, checking that every topic arrived.
push_once() {
	local ds=$1 label=$2 r=$3 name=p$3 bare want got
	bare=$work/daemon/$ds-$label-$r.git
	want=$(sed -n 's/^topics=//p' "$cache/$ds-v$version/meta")
	git init -q --bare "$bare"
	git remote add "$name" "$daemon/$(basename "$bare")"
	timed "$label" git push -q "$name" main
	got=$(git -C "$bare" for-each-ref refs/notes/codex/ | wc -l)
	if [ "$ms" != FAIL ] && [ "$got" != "$want" ]; then
		echo "  $label: the push sent $got of $want topics: $(tail -2 "$work/err" | tr '\n' ' ')" >&2
		ms=FAIL
	fi
	add "$ds,$label,push" "$ms"
	add "$ds,$label,pushcpu" "$cpu"
	# Leave no trace: the next run is a first push again.
	git remote remove "$name"
	git for-each-ref --format='delete %(refname)' "refs/notes/remotes/$name/" | git update-ref --stdin
	rm -rf "$bare"
}

# plain_once DS RUN — the same refs pushed by git alone, with one wildcard
# refspec and no hook, to another new bare remote.
plain_once() {
	local ds=$1 r=$2 bare
	bare=$work/daemon/$ds-plain-$r.git
	git init -q --bare "$bare"
	timed "${labels[0]}" git push -q --no-verify "$daemon/$(basename "$bare")" main 'refs/notes/codex/*:refs/notes/codex/*'
	add "$ds,plain" "$ms"
	add "$ds,plaincpu" "$cpu"
	rm -rf "$bare"
}

for ds in $datasets; do
	build "$ds"
	meta=$cache/$ds-v$version/meta
	get() { sed -n "s/^$1=//p" "$meta"; }
	echo "== $ds: $(get records) records, $(get topics) topics, $(get sessions) sessions, $(($(get stored_bytes) / 1048576)) MB of notes ($(get bytes_per_record) bytes a record), $(get commits) commits; pack $(du -sm "$cache/$ds-v$version/repo/.git/objects" | cut -f1) MB" >&2
	old=$(get old_session)
	for label in "${labels[@]}"; do
		dir=$work/$ds-$label
		copy "$cache/$ds-v$version/repo" "$dir"
		cd "$dir"
		if [ -n "${FETCHED:-}" ]; then
			# A clone that fetched a teammate's notes and merged them:
			# every topic also under refs/notes/remotes/origin/codex/.
			git for-each-ref --format='create refs/notes/remotes/origin/codex/%(refname:lstrip=3) %(objectname)' refs/notes/codex/ |
				git update-ref --stdin
			git pack-refs --all
		fi
		PATH=$work/bin-$label:$PATH git codex init >/dev/null 2>&1
		# Warm-up, not counted: reads everything once and checks it.
		timed "$label" git codex list --json
		add "$ds,$label,cold" "$ms"
		if [ "$ms" != FAIL ] && [ "$(jq length "$work/out")" != "$(get sessions)" ]; then
			echo "  $label: list shows $(jq length "$work/out") sessions, the dataset has $(get sessions)" >&2
		fi
		cp "$work/out" "$work/list-$label.json"
		timed "$label" git codex show --json
		if [ "$ms" != FAIL ] && [ "$(jq '.turns | length' "$work/out")" != "$(get current_turns)" ]; then
			echo "  $label: show has $(jq '.turns | length' "$work/out") turns, the current session has $(get current_turns)" >&2
		fi
		cp "$work/out" "$work/show-$label.json"
		timed "$label" git codex show -s "$old" --json
		cp "$work/out" "$work/shows-$label.json"
		timed "$label" git codex log -n 5 --json
		cp "$work/out" "$work/log-$label.json"
		# The first reply restarts the session from git (the server has
		# never seen its response ids); later ones chain as usual.
		timed "$label" git codex reply "Warm up: which test covers the eviction path?"
	done
	if [ "${#labels[@]}" = 2 ]; then
		# Same data, same answers: a faster build must not read differently.
		for what in list show shows log; do
			if ! cmp -s "$work/$what-before.json" "$work/$what-after.json"; then
				echo "  before and after differ on $what --json:" >&2
				diff "$work/$what-before.json" "$work/$what-after.json" | head -6 >&2 || true
			fi
		done
	fi
	for r in $(seq "$runs"); do
		for label in "${labels[@]}"; do
			cd "$work/$ds-$label"
			timed "$label" git codex list
			add "$ds,$label,list" "$ms"
			add "$ds,$label,listcpu" "$cpu"
			add "$ds,$label,listmb" "$mb"
			timed "$label" git codex show
			add "$ds,$label,show" "$ms"
			add "$ds,$label,showcpu" "$cpu"
			timed "$label" git codex show -s "$old"
			add "$ds,$label,shows" "$ms"
			add "$ds,$label,showscpu" "$cpu"
			timed "$label" git codex reply "Run $r: and what about the callers of Evict?"
			add "$ds,$label,reply" "$ms"
			add "$ds,$label,replycpu" "$cpu"
			add "$ds,$label,replymb" "$mb"
			timed "$label" git codex log -n 5
			add "$ds,$label,log" "$ms"
			add "$ds,$label,logcpu" "$cpu"
			add "$ds,$label,logmb" "$mb"
		done
	done
	for r in $(seq "$push_runs"); do
		for label in "${labels[@]}"; do
			cd "$work/$ds-$label"
			push_once "$ds" "$label" "$r"
		done
		plain_once "$ds" "$r"
	done
	for label in "${labels[@]}"; do
		rm -rf "$work/$ds-$label"
	done
	cd "$work"
done

echo
echo "git codex at scale: medians of $runs runs (pushes: $push_runs), peak RSS the largest of them"
echo "load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
fmt='%-10s %-6s %9s %9s %8s %8s %9s %9s %9s %8s %8s %8s %8s\n'
printf "$fmt" dataset bin "list ms" "(cold)" "list MB" "show ms" "show -s" "reply ms" "reply MB" "log ms" "log MB" "push s" "plain s"
# (≤, † and ‡ take three bytes and one column each: printf pads bytes.)
printf '%-10s %-6s %11s %9s %8s %8s %9s %13s %13s %8s %8s %13s %8s\n' goal "" "≤100*" "" "" "" "" "≤50†" "≤64†" "" "" "≤15‡" ""
for ds in $datasets; do
	for label in "${labels[@]}"; do
		k=$ds,$label
		printf "$fmt" "$ds" "$label" \
			"$(median ${res[$k,list]:-})" "$(median ${res[$k,cold]:-})" "$(maximum ${res[$k,listmb]:-})" \
			"$(median ${res[$k,show]:-})" "$(median ${res[$k,shows]:-})" \
			"$(median ${res[$k,reply]:-})" "$(maximum ${res[$k,replymb]:-})" \
			"$(median ${res[$k,log]:-})" "$(maximum ${res[$k,logmb]:-})" \
			"$(secs "$(median ${res[$k,push]:-})")" "$(secs "$(median ${res[$ds,plain]:-})")"
	done
done
echo "* at topics10k and rec100k; † at rec300k; ‡ at topics10k, and within 2× of plain"
echo
echo "CPU time (user+system, with child processes; 10 ms steps), medians"
fmt='%-10s %-6s %9s %9s %9s %9s %9s %9s %9s\n'
printf "$fmt" dataset bin "list ms" "show ms" "show -s" "reply ms" "log ms" "push s" "plain s"
for ds in $datasets; do
	for label in "${labels[@]}"; do
		k=$ds,$label
		printf "$fmt" "$ds" "$label" \
			"$(median ${res[$k,listcpu]:-})" "$(median ${res[$k,showcpu]:-})" "$(median ${res[$k,showscpu]:-})" \
			"$(median ${res[$k,replycpu]:-})" "$(median ${res[$k,logcpu]:-})" "$(secs "$(median ${res[$k,pushcpu]:-})")" "$(secs "$(median ${res[$ds,plaincpu]:-})")"
	done
done

# verdict LABEL VALUE LIMIT — one goal line.
verdict() {
	local ok=no
	case $2 in FAIL | -) ok=no ;; *) awk -v v="$2" -v l="$3" 'BEGIN { exit !(v <= l) }' && ok=yes ;; esac
	printf '  %-40s %8s (goal ≤ %s) %s\n' "$1" "$2" "$3" "$ok"
}
echo
echo "goals"
case " $datasets " in
*" topics10k "* | *" rec100k "* | *" rec300k "*) ;;
*) echo "  (measured at topics10k, rec100k and rec300k only)" ;;
esac
for label in "${labels[@]}"; do
	for ds in $datasets; do
		k=$ds,$label
		case $ds in
		topics10k)
			verdict "$label: list ms at topics10k" "$(median ${res[$k,list]:-})" 100
			p=$(median ${res[$k,push]:-}) q=$(median ${res[$ds,plain]:-})
			verdict "$label: first push s at topics10k" "$(secs "$p")" 15
			if [ "$p" != FAIL ] && [ "$q" != FAIL ] && [ "$q" != - ] && [ "$q" -gt 0 ]; then
				verdict "$label: push ÷ plain push at topics10k" "$(awk -v p="$p" -v q="$q" 'BEGIN { printf "%.1f", p / q }')" 2
			fi
			;;
		rec100k) verdict "$label: list ms at rec100k" "$(median ${res[$k,list]:-})" 100 ;;
		rec300k)
			verdict "$label: reply ms at rec300k" "$(median ${res[$k,reply]:-})" 50
			verdict "$label: reply peak RSS MB at rec300k" "$(maximum ${res[$k,replymb]:-})" 64
			;;
		esac
	done
done
echo
echo "scale.sh took $((SECONDS - started)) s"
