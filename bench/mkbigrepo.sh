#!/usr/bin/env bash
# mkbigrepo.sh [DIR] — build (or reuse) a large repository for git codex
# speed benchmarks: ≥ 800k objects in ONE pack, a 22k-commit history, a
# commit-graph, and a dozen git codex sessions (notes under
# refs/notes/codex/feature-NN on recent commits, branches feature-NN).
#
# Environment: COMMITS (default 22000), FILES (files per commit, default 12),
# REV=1 to also write a pack .rev file (git ≥ 2.31; default in git ≥ 2.41).
# The repository is cached in DIR (default /tmp/codex-bigrepo); delete DIR to
# rebuild. Prints the object count and the pack size.
set -euo pipefail

dir=${1:-/tmp/codex-bigrepo}
commits=${COMMITS:-22000}
files=${FILES:-12}
here=$(cd "$(dirname "$0")" && pwd)

export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com \
	GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

if [ ! -f "$dir/.done" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	gen="$dir.mkbigrepo.bin"
	(cd "$here/.." && go build -o "$gen" ./bench/mkbigrepo)
	git init -q -b main "$dir"
	cd "$dir"
	git config gc.auto 0
	start=$SECONDS
	echo "mkbigrepo: fast-import $commits commits × $files files…" >&2
	"$gen" history -commits "$commits" -files "$files" | git fast-import --quiet --depth=50
	git rev-list -n 120 main | "$gen" notes -topics 12 -turns 10 | git fast-import --quiet
	git checkout -q -f main
	echo "mkbigrepo: repack into one pack…" >&2
	if [ "${REV:-0}" = 1 ]; then
		git -c pack.writeReverseIndex=true repack -adq
	else
		git repack -adq
	fi
	git commit-graph write --reachable
	git pack-refs --all
	rm -f "$gen"
	touch .done
	echo "mkbigrepo: built in $((SECONDS - start)) s" >&2
fi
cd "$dir"
packs=(.git/objects/pack/pack-*.pack)
echo "repository: $dir"
echo "packs: ${#packs[@]}"
git count-objects -v | sed -n 's/^in-pack: /objects in packs: /p; s/^count: /loose objects: /p; s/^size-pack: /pack size (KiB): /p'
echo "commits: $(git rev-list --count main)"
echo "commit-graph: $(test -f .git/objects/info/commit-graph && echo yes || echo no)"
echo "topics: $(git for-each-ref --format=x refs/notes/codex/ | wc -l)"
