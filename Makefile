# The workshop's front door. Every target is a thin wrapper over `go` and the kit's
# own tool (tools/kit); `make help` lists them.

.DEFAULT_GOAL := help
SHELL := /bin/bash

# The kit's own tool, built once and rebuilt when its sources change.
KIT := .data/bin/kit
KIT_SOURCES := go.mod go.sum $(wildcard tools/kit/*.go internal/*/*.go internal/dashboard/assets/*)
# The stages are the NN-topic folders learners have (stages/, exercises_test/).
STAGES := $(sort $(shell ls stages exercises_test 2>/dev/null | sed -n 's/^0*\([0-9][0-9]*\)-[a-z0-9-]*$$/\1/p'))

# SQLite needs a C compiler for mattn/go-sqlite3 (cgo). Without one, the kit builds
# with the pure-Go driver instead (modernc.org/sqlite). Set CGO_ENABLED=0 to force it.
CC ?= cc
CGO_ENABLED ?= $(shell command -v $(CC) >/dev/null 2>&1 && $(CC) --version >/dev/null 2>&1 && echo 1 || echo 0)
export CGO_ENABLED
# Compiling SQLite's C source (mattn/go-sqlite3) is most of a cold build. Without
# debug info, which no learner needs, it takes about half as long, with the same
# optimised code (-O2). Set CGO_CFLAGS yourself to override.
CGO_CFLAGS ?= -O2 -g0
export CGO_CFLAGS
# -race needs cgo.
RACE := $(if $(filter 1,$(CGO_ENABLED)),-race,)

# Per-stage targets are static pattern rules: make skips pattern rules for .PHONY targets.
TEST_STAGES  := $(addprefix test-stage,$(STAGES))
RUN_STAGES   := $(addprefix run-stage,$(STAGES))
RESET_STAGES := $(addprefix reset-stage,$(STAGES))
DIFF_STAGES  := $(addprefix diff-stage,$(STAGES))
COMPARE_STAGES := $(addprefix compare-stage,$(STAGES))

.PHONY: help setup setup-build doctor test check-stages verify fuzz mutate mutate-incremental test-tools lint embed-check gen demo tail webhook-sink board status watch hint bench slides \
	demos demo-race demo-why-40 demo-retry demo-relay-crash demo-duplicate demo-rebuild demo-upcast demo-forget \
	maintainer-only learner-edition dashboard test-browser \
	$(TEST_STAGES) $(RUN_STAGES) $(RESET_STAGES) $(DIFF_STAGES) $(COMPARE_STAGES)

$(KIT): $(KIT_SOURCES)
	@go build -o $@ ./tools/kit

help: ## list the targets (without solutions/, only the learner's)
	@grep -hE '^[$$()A-Za-z0-9_ %:-]+:.*## ' $(MAKEFILE_LIST) | $(if $(wildcard solutions/[0-9][0-9]-*),cat,grep -v ': maintainer-only') | sed -E 's/^\$$\([A-Z_]+\): ([a-z-]+)%:/\1N:/; s/:.*## /\t/' | expand -t 22

setup: ## download modules, build the kit and stage 1; afterwards all works offline
	@echo "1/3 downloading Go modules (needs the network, once)"
	@go mod download
	@$(MAKE) --no-print-directory setup-build

# A learner needs the kit and stage 1 first; every other stage compiles the
# first time it is tested or run (seconds: the SQLite driver is built by then).
FIRST_STAGE := $(firstword $(STAGES))
setup-build: # setup's steps 2 and 3, from the module cache (offline)
	@echo "2/3 compiling the kit and the SQLite driver ($(if $(filter 1,$(CGO_ENABLED)),cgo: mattn/go-sqlite3 compiles SQLite's C source,pure Go: modernc.org/sqlite)); about a minute the first time"
	@go build -o $(KIT) ./tools/kit
	@echo "3/3 compiling stage $(FIRST_STAGE) and its tests"
	@dir=$$($(KIT) dir $(FIRST_STAGE)) && go build ./$$dir/... && go test -count=1 -run '^$$' ./exercises_test/$${dir#stages/} >/dev/null
	@echo "setup done: nothing else needs the network. Next: make doctor, then make test-stage$(FIRST_STAGE)"
	@echo "(each other stage compiles the first time you test or run it: a few seconds)"

doctor: $(KIT) ## check this machine: Go version, C compiler or pure-Go fallback, port, disk, modules
	@$(KIT) doctor

# --- the learner's loop -------------------------------------------------------

$(TEST_STAGES): test-stage%: $(KIT) ## run stage N's tests against your code in stages/ (e.g. make test-stage2)
	@$(KIT) test $*

$(RUN_STAGES): run-stage%: $(KIT) ## run stage N's server on 127.0.0.1:8080 (SOLUTION=1 runs the solution; VARIANT=name, one of its known-wrong variants)
	@if [ -n '$(VARIANT)' ]; then exec $(KIT) run $* -variant '$(VARIANT)' -- $(ARGS); fi; \
	dir=$$($(KIT) dir $* $(if $(SOLUTION),solution)) || exit 1; \
	echo "Building and starting $$dir (Ctrl-C stops it) ..."; \
	go build -o .data/bin/server-$* ./$$dir/cmd/server && exec .data/bin/server-$* $(ARGS)

watch: $(KIT) ## re-run a stage's tests whenever you save a file (polls: works on WSL; REPORT=http://HOST:PORT tells the room board)
	@$(KIT) watch $(if $(REPORT),-report "$$REPORT") $(if $(NICK),-nick "$$NICK") $(N)

# REPORT and NICK reach the shell as environment variables (make exports what is set
# on its command line), so a nickname with quotes or spaces arrives intact.
status: $(KIT) ## which tasks pass, stage by stage (REPORT=http://HOST:PORT [NICK=name] sends them to the room board)
	@$(KIT) status $(if $(REPORT),-report "$$REPORT") $(if $(NICK),-nick "$$NICK")

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

tail: $(KIT) ## follow the global event log of a running stage in the terminal (URL=..., FROM=N, WIDE=1: ids whole)
	@$(KIT) tail $(if $(URL),-url '$(URL)') $(if $(FROM),-from '$(FROM)') $(if $(WIDE),-wide)

# Demo scripts: each builds a stage's solution (a known-wrong variant where it shows
# one), starts it on a fresh database on a free port, says what to tell the room
# and ends with a VERDICT line. make demos runs them all (make test does).
demo-race: maintainer-only $(KIT) ## stage 1: 40 withdrawals at once lose updates with read-modify-write, every time, and never without
	@$(KIT) script race

demo-why-40: maintainer-only $(KIT) ## stage 2: why is Ada's balance 40? her events and their references, as a table
	@$(KIT) script why-40

demo-retry: maintainer-only $(KIT) ## stage 3: two withdrawals on one version: the conflict retried with a fresh decision, in the request log
	@$(KIT) script retry

demo-relay-crash: maintainer-only $(KIT) ## stage 5: the relay killed mid-load and restarted: every message arrives at a webhook sink, the copy shown
	@$(KIT) script relay-crash

demo-duplicate: maintainer-only $(KIT) ## stage 6: a message delivered twice to the statement service: applied once, the statement unchanged
	@$(KIT) script duplicate

demo-rebuild: maintainer-only $(KIT) ## stage 6: a read model rebuilt beside the live one, paused half way, then switched in one transaction
	@$(KIT) script rebuild

demo-upcast: maintainer-only $(KIT) ## stage 7: rows older releases wrote, read through the upcasters (stored_as) and never changed
	@$(KIT) script upcast

demo-forget: maintainer-only $(KIT) ## stage 8: a customer forgotten by deleting her key (crypto-shredding): no event changed, her name in no byte of the file
	@$(KIT) script forget

webhook-sink: $(KIT) ## print each message stage 5's relay POSTs (run it with ARGS='-webhook http://127.0.0.1:9090/messages'; SINK_ARGS='-status 503' refuses them)
	@$(KIT) sink $(SINK_ARGS)

board: $(KIT) ## (presenters) a live board of the room's progress: make board [ADDR=0.0.0.0:7070]
	@$(KIT) board $(if $(ADDR),-addr "$$ADDR") $(if $(FRESH),-fresh)

dashboard: $(KIT) ## a live view of a stage's database in the browser: make dashboard DB=.data/07-upcasting.db
	@$(KIT) dashboard $(if $(DB),-db '$(DB)') $(ARGS)

slides: ## render the decks to HTML and PDF in slides/out (needs npm and chromium)
	@bash tools/slides/render.sh

bench: maintainer-only ## event store benchmarks beside raw SQLite, as ratios with verdicts (BENCH_STRICT=1: a missed goal fails)
	go run ./tools/bench

learner-edition: maintainer-only $(KIT) ## (presenters) the kit without solutions, to hand out: make learner-edition DIR=../es-workshop-learner [URL=...]
	@$(KIT) edition $(if $(URL),-url '$(URL)') '$(DIR)'

# --- the kit's self-check (CI runs this) ------------------------------------------

# The targets below check or regenerate the kit from solutions/. The learner edition
# (make learner-edition) has none, so there they say so and stop.
maintainer-only:
	@ls -d solutions/[0-9][0-9]-*/ >/dev/null 2>&1 || { \
	  echo "make $(MAKECMDGOALS) needs solutions/, which this folder does not have (it is the learner edition, or they were"; \
	  echo "removed): it is a command of the full kit, for its maintainers and presenters. Here: make test-stageN,"; \
	  echo "make status, make hint TASK=N.k, make reset-stageN (make help lists them)."; \
	  exit 1; } >&2

# make test prints how long it took: it must stay well inside CI's 90 minutes.
TEST_STARTED := $(shell date +%s)

test: maintainer-only check-stages test-tools test-browser verify fuzz mutate-incremental demos embed-check lint ## everything: the README's test command
	@echo "make test: all checks passed in $$(( $$(date +%s) - $(TEST_STARTED) )) s"

check-stages: maintainer-only $(KIT) ## stages/ is exactly what the generator writes from solutions/
	@$(KIT) check

test-tools: maintainer-only ## unit tests of the kit's own tools and plumbing
	go test $(RACE) -count=1 ./tools/... ./internal/...

# The dashboard in a real browser: headless Chromium (/usr/bin/chromium, or
# CHROMIUM=...) driven by chromedp, a module of its own so that learners never
# download it. Its first run needs the network, for chromedp.
test-browser: maintainer-only ## the dashboard in headless Chromium beside a real stage 7 server (screenshot: /tmp/dash-shot.png)
	cd tools/browsertest && go test -count=1 -v ./...

verify: maintainer-only $(KIT) ## task tests fail on starters and pass on solutions; known-wrong variants rejected
	@$(KIT) verify

FUZZTIME ?= 10s

fuzz: maintainer-only $(KIT) ## fuzz each stage's FuzzGuard_ targets against its solution for FUZZTIME (10s) each
	@$(KIT) fuzz -time $(FUZZTIME) $(N)

mutate: maintainer-only $(KIT) ## mutation testing: each stage's tests must kill its mutants; rewrites the ledgers (make mutate N=3 V=1)
	@$(KIT) mutate $(if $(V),-v) $(N)

# The stages make test holds to their mutation ledgers: a stage joins once a
# full run (make mutate N=7) leaves no survivor and writes its ledger.
MUTATE_STAGES ?= 1 2 3 4 5 6 7 8

mutate-incremental: maintainer-only $(KIT) ## as mutate, but an unchanged stage is settled by its ledger and a sample of its kills
	@$(KIT) mutate -incremental $(if $(V),-v) $(or $(N),$(MUTATE_STAGES))

demos: maintainer-only $(KIT) ## run every demo script (make demo-*) and fail on a verdict not shown
	@$(KIT) script all

embed-check: maintainer-only $(KIT) ## code on the slides is current with solutions/
	@$(KIT) embed -check

lint: maintainer-only ## go vet and staticcheck, clean
	go vet ./...
	go tool staticcheck ./solutions/... ./internal/... ./tools/... ./exercises_test/...

gen: maintainer-only $(KIT) ## (kit maintainers) regenerate stages/ from solutions/
	@$(KIT) gen
