# loopback.sh — sourced by scale.sh and contention.sh: a work directory, the
# helper programs, a hermetic git, the loopback model server and git daemon.
#
# loopback_start NAME sets
#   work     a new directory /tmp/codex-NAME-work.XXXXXX, removed on exit
#   tools    $work/tools, holding mkscale and openaiserve
#   daemon   the git:// URL of a `git daemon` on 127.0.0.1 that serves (and
#            accepts pushes to) the repositories under $work/daemon
# and exports OPENAI_BASE_URL (a bench/openaiserve that answers every request
# at once; no API key), HOME (empty, in $work) and git's identity. On exit
# (also on Ctrl-C) it stops the server and the daemon (each runs in a process
# group of its own) and the script's background jobs, and removes $work.

loopback_groups=()

loopback_cleanup() {
	local g p
	for g in "${loopback_groups[@]}"; do
		kill -- "-$g" 2>/dev/null || true
	done
	# The script's own background jobs: with job control on (set -m) each
	# is a process group, which ends the commands it is running too.
	for p in $(jobs -p); do
		kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# A receive-pack the daemon started may still be writing for a moment.
	for _ in $(seq 50); do
		[ -n "${work:-}" ] && [ -e "$work" ] || break
		rm -rf "$work" 2>/dev/null || sleep 0.1
	done
}

loopback_start() {
	local name=$1 root p g
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	work=$(mktemp -d "/tmp/codex-$name-work.XXXXXX")
	trap loopback_cleanup EXIT
	trap 'exit 130' INT TERM
	tools=$work/tools
	mkdir -p "$tools"
	# Built while Go's caches are still where HOME says.
	(cd "$root" && go build -o "$tools/mkscale" ./bench/mkscale && go build -o "$tools/openaiserve" ./bench/openaiserve)

	export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 XDG_CONFIG_HOME=$work/home/.config NO_COLOR=1 GIT_PAGER=cat
	export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
	unset GIT_DIR GIT_WORK_TREE GIT_COMMON_DIR GIT_INDEX_FILE
	mkdir -p "$HOME"
	git config --global init.defaultBranch main
	git config --global gc.auto 0
	git config --global advice.detachedHead false

	setsid "$tools/openaiserve" -url "$work/openai.url" &
	loopback_groups+=($!)
	for _ in $(seq 200); do
		[ -s "$work/openai.url" ] && break
		sleep 0.05
	done
	if [ ! -s "$work/openai.url" ]; then
		echo "$name: the model server did not start" >&2
		exit 1
	fi
	export OPENAI_BASE_URL=$(cat "$work/openai.url") OPENAI_API_KEY= OPENAI_PRIMARY_MODEL=gpt-5

	mkdir -p "$work/daemon"
	daemon=
	for _ in $(seq 20); do
		p=$((20000 + RANDOM % 40000))
		setsid git daemon --export-all --enable=receive-pack --reuseaddr --base-path="$work/daemon" \
			--listen=127.0.0.1 --port=$p "$work/daemon" 2>"$work/daemon.log" &
		g=$!
		for _ in $(seq 100); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
				daemon=git://127.0.0.1:$p
				break
			fi
			kill -0 "$g" 2>/dev/null || break # the port was taken
			sleep 0.05
		done
		if [ -n "$daemon" ]; then
			loopback_groups+=("$g")
			return
		fi
		kill -- "-$g" 2>/dev/null || true
	done
	echo "$name: git daemon did not start: $(tail -1 "$work/daemon.log")" >&2
	exit 1
}
