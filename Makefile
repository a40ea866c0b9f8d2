# The workshop's front door. Every target is a thin wrapper over `go` and the kit's
# own tool (tools/kit); `make help` lists them.

.DEFAULT_GOAL := help
SHELL := /bin/bash

# The kit's own tool, built once and rebuilt when its sources change.
KIT := .data/bin/kit
KIT_SOURCES := go.mod go.sum $(wildcard tools/kit/*.go internal/*/*.go)
STAGES := 1 2 3

# SQLite needs a C compiler for mattn/go-sqlite3 (cgo). Without one, the kit builds
# with the pure-Go driver instead (modernc.org/sqlite). Set CGO_ENABLED=0 to force it.
CC ?= cc
CGO_ENABLED ?= $(shell command -v $(CC) >/dev/null 2>&1 && $(CC) --version >/dev/null 2>&1 && echo 1 || echo 0)
export CGO_ENABLED
# -race needs cgo.
RACE := $(if $(filter 1,$(CGO_ENABLED)),-race,)

# Per-stage targets are static pattern rules: make skips pattern rules for .PHONY targets.
TEST_STAGES  := $(addprefix test-stage,$(STAGES))
RUN_STAGES   := $(addprefix run-stage,$(STAGES))
RESET_STAGES := $(addprefix reset-stage,$(STAGES))
DIFF_STAGES  := $(addprefix diff-stage,$(STAGES))
COMPARE_STAGES := $(addprefix compare-stage,$(STAGES))

.PHONY: help setup doctor test check-stages verify test-tools lint embed-check gen demo status hint bench slides \
	$(TEST_STAGES) $(RUN_STAGES) $(RESET_STAGES) $(DIFF_STAGES) $(COMPARE_STAGES)

$(KIT): $(KIT_SOURCES)
	@go build -o $@ ./tools/kit

help: ## list the targets
	@grep -hE '^[$$()A-Za-z0-9_ %:-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^\$$\([A-Z_]+\): ([a-z-]+)%:/\1N:/; s/:.*## /\t/' | expand -t 22

setup: ## download modules and build everything once; afterwards all works offline
	@echo "1/3 downloading Go modules (needs the network, once)"
	@go mod download
	@echo "2/3 compiling the stages and the SQLite driver ($(if $(filter 1,$(CGO_ENABLED)),cgo: mattn/go-sqlite3,pure Go: modernc.org/sqlite)); the first time takes a few minutes"
	@go build ./...
	@go build -o $(KIT) ./tools/kit
	@echo "3/3 compiling the tests"
	@go test -count=1 -run '^$$' ./exercises_test/... >/dev/null
	@echo "setup done: nothing else needs the network. Next: make doctor, then make test-stage1"

doctor: $(KIT) ## check this machine: Go version, C compiler or pure-Go fallback, port, disk, modules
	@$(KIT) doctor

# --- the learner's loop -------------------------------------------------------

$(TEST_STAGES): test-stage%: $(KIT) ## run stage N's tests against your code in stages/ (e.g. make test-stage2)
	@$(KIT) test $*

$(RUN_STAGES): run-stage%: ## run stage N's server on 127.0.0.1:8080 (SOLUTION=1 runs the solution)
	@dir=$(if $(SOLUTION),solutions,stages)/$$(ls stages | grep '^0$*-'); \
	echo "Building and starting $$dir (Ctrl-C stops it) ..."; \
	go build -o .data/bin/server-$* ./$$dir/cmd/server && exec .data/bin/server-$* $(ARGS)

status: $(KIT) ## which tasks pass, stage by stage
	@$(KIT) status

hint: $(KIT) ## a hint for a task: make hint TASK=2.3 [LEVEL=2]
	@$(KIT) hint "$(TASK)" "$(LEVEL)"

$(RESET_STAGES): reset-stage%: $(KIT) ## restore stage N's starter (your files are backed up under .data/backup)
	@$(KIT) reset $*

$(DIFF_STAGES): diff-stage%: $(KIT) ## what stage N's solution adds to stage N-1's (the lesson in one diff)
	@$(KIT) diff $*

$(COMPARE_STAGES): compare-stage%: $(KIT) ## your code in stages/ beside stage N's solution
	@$(KIT) compare $*

# --- presenters -----------------------------------------------------------------

demo: $(KIT) ## the latest stage's solution with a seeded story, on 127.0.0.1:8080 (ARGS='-addr ...')
	@$(KIT) demo $(ARGS)

slides: ## render the decks to HTML and PDF in slides/out (needs npm and chromium)
	@bash tools/slides/render.sh

bench: ## event store benchmarks beside raw SQLite, as ratios with verdicts (BENCH_STRICT=1: a missed goal fails)
	@test -d solutions/02-events || { echo "make bench measures solutions/02-events, which this copy of the kit does not have."; exit 1; }
	go run ./tools/bench

# --- the kit's self-check (CI runs this) ------------------------------------------

test: check-stages test-tools verify embed-check lint ## everything: the README's test command
	@echo "make test: all checks passed"

check-stages: $(KIT) ## stages/ is exactly what the generator writes from solutions/
	@$(KIT) check

test-tools: ## unit tests of the kit's own tools and plumbing
	go test $(RACE) -count=1 ./tools/... ./internal/...

verify: $(KIT) ## task tests fail on starters and pass on solutions; known-wrong variants rejected
	@$(KIT) verify

embed-check: $(KIT) ## code on the slides is current with solutions/
	@$(KIT) embed -check

lint: ## go vet and staticcheck, clean
	go vet ./...
	go tool staticcheck ./solutions/... ./internal/... ./tools/... ./exercises_test/...

gen: $(KIT) ## (kit maintainers) regenerate stages/ from solutions/
	@$(KIT) gen
