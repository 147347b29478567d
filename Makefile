# Build, test and measure git-codex. `make help` lists the targets.
GO ?= go
BIN ?= $(shell $(GO) env GOPATH)/bin
# STATICCHECK is pinned: a new release may report new things.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help build install test race e2e bench lint fuzz ci

help:
	@echo "build    build ./git-codex"
	@echo "install  go install the binary into $(BIN)"
	@echo "test     run the whole test suite (what CI runs)"
	@echo "race     the test suite under the race detector (needs gcc)"
	@echo "e2e      only the end-to-end testscript scripts"
	@echo "bench    benchmarks that print figures"
	@echo "lint     gofmt, go vet, staticcheck (pinned), go mod tidy check"
	@echo "fuzz     fuzz the record reader, topic encoding, redaction and the V4A applier for 30s each"

# Built without cgo (only net's resolver would use it; Go's own resolver
# then answers): a static binary starts ~1 ms sooner than one that loads
# libc through the dynamic loader, on every command.
build:
	CGO_ENABLED=0 $(GO) build -o git-codex ./cmd/git-codex

install:
	CGO_ENABLED=0 $(GO) install ./cmd/git-codex

test:
	$(GO) test ./...

race:
	$(GO) test -race ./...

e2e:
	$(GO) test ./cmd/git-codex -run TestScripts -v

bench:
	$(GO) test -run '^$$' -bench . -benchtime 100x -count 5 ./gitstore/ ./model/ ./session/ ./workflow/
	$(GO) test -run '^$$' -bench . -count 5 ./redact/
	$(GO) test -count 1 -v -run TestCriticalPathFigures ./workflow/ | grep -E 'wall'
	$(GO) test -run '^$$' -bench 'MCPReply|MCPVersusCLI' -benchtime 30x -count 5 ./cmd/git-codex/
	$(GO) test -run '^$$' -bench MCPTopics -benchtime 5x -count 5 ./cmd/git-codex/
	@echo "large repository: bash bench/bigrepo.sh; at scale: bash bench/scale.sh and bash bench/contention.sh (see AGENTS.md)"
	@echo "Codex CLI driver (needs the pinned Codex, see README): $(GO) test ./codexcli -run '^\$$' -bench . -benchtime 20x"

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff

fuzz:
	$(GO) test ./gitstore -run '^$$' -fuzz FuzzParseNote -fuzztime 30s
	$(GO) test ./gitstore -run '^$$' -fuzz FuzzEncodeTopic -fuzztime 30s
	$(GO) test ./redact -run '^$$' -fuzz FuzzString -fuzztime 30s
	$(GO) test ./worktree -run '^$$' -fuzz FuzzApplyV4A -fuzztime 30s
	$(GO) test ./worktree -run '^$$' -fuzz FuzzV4ARoundTrip -fuzztime 30s

ci:
	bash .ci/run
