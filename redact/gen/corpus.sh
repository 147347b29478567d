#!/bin/sh
# Regenerates ../testdata/gitleaks/corpus.jsonl: every true- and false-positive sample that
# gitleaks' rule generator (cmd/generate/config, at the version go.mod pins)
# validates its rules against. See ../testdata/gitleaks/README.md.
#
# The generator is built from a temporary copy of the gitleaks module in
# which cmd/generate/config/utils/validate.go is replaced by
# corpus/validate.go, which records the samples instead of checking them.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
mod=$(go list -m -f '{{.Dir}}' github.com/zricethezav/gitleaks/v8)
cp -R "$mod" "$tmp/gitleaks"
chmod -R u+w "$tmp/gitleaks"
cp corpus/validate.go "$tmp/gitleaks/cmd/generate/config/utils/validate.go"
cp go.mod "$tmp/go.mod"
cp go.sum "$tmp/go.sum"
go mod edit -modfile="$tmp/go.mod" -replace "github.com/zricethezav/gitleaks/v8=$tmp/gitleaks"
go build -modfile="$tmp/go.mod" -o "$tmp/generate" github.com/zricethezav/gitleaks/v8/cmd/generate/config
# The generator reads its template relative to its own directory.
(cd "$tmp/gitleaks/cmd/generate/config" && CORPUS_OUT="$tmp/corpus.jsonl" "$tmp/generate" "$tmp/gitleaks.toml")
LC_ALL=C sort "$tmp/corpus.jsonl" >../testdata/gitleaks/corpus.jsonl
wc -l ../testdata/gitleaks/corpus.jsonl
