# Build, test and measure git-codex. `make help` lists the targets.
GO ?= go
BIN ?= $(shell $(GO) env GOPATH)/bin

.PHONY: help build install test race e2e bench lint fuzz ci

help:
	@echo "build    build ./git-codex"
	@echo "install  go install the binary into $(BIN)"
	@echo "test     run the whole test suite (what CI runs)"
	@echo "race     the test suite under the race detector (needs gcc)"
	@echo "e2e      only the end-to-end testscript scripts"
	@echo "bench    benchmarks that print figures"
	@echo "lint     gofmt, go vet, go mod tidy check"
	@echo "fuzz     fuzz the record reader, topic encoding and redaction for 30s each"

build:
	$(GO) build -o git-codex ./cmd/git-codex

install:
	$(GO) install ./cmd/git-codex

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
	@echo "large repository: bash bench/bigrepo.sh; at scale: bash bench/scale.sh and bash bench/contention.sh (see AGENTS.md)"

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) mod tidy -diff

fuzz:
	$(GO) test ./gitstore -run '^$$' -fuzz FuzzParseNote -fuzztime 30s
	$(GO) test ./gitstore -run '^$$' -fuzz FuzzEncodeTopic -fuzztime 30s
	$(GO) test ./redact -run '^$$' -fuzz FuzzString -fuzztime 30s

ci:
	bash .ci/run
