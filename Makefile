# wactor — see README.md. `make help` lists the targets.
GO        ?= go
GOTEST    ?= $(GO) test
PKGS      ?= ./...
BENCHTIME ?= 1s
BENCHCOUNT ?= 3

.PHONY: bench-million crash-test check-addr help build test test-wasmtime test-short bench bench-quick bench-go bench-extism-plugin check fmt vet lint tidy-check run demo guests c-guest fixtures fuzz clean

help:
	@echo "make run     - run the demo, then serve the example classes over HTTP (ADDR=host:port or PORT=n; default 127.0.0.1:7070)"
	@echo "make demo    - only the demo program"
	@echo "make test    - the whole test suite, with -race (engine: wazero)"
	@echo "make test-wasmtime - host, engine and example tests on wasmtime (-tags wasmtime, cgo)"
	@echo "make bench   - the benchmark table against the peers (bench/; docs/benchmarks.md)"
	@echo "make bench-quick - the same table with a fiftieth of the operations (under a minute)"
	@echo "make bench-go- the go test benchmarks of host, scheduler, instrument and the guest SDK"
	@echo "make check   - gofmt, go vet, staticcheck, go mod tidy"
	@echo "make guests  - rebuild the Go example guests (.wasm) from source"
	@echo "make c-guest - rebuild examples/c-counter/counter.wasm (needs clang, lld, wasi-libc)"
	@echo "make fixtures- rebuild host/testdata/*.wasm from .wat (needs wabt)"
	@echo "make fuzz    - run every fuzz target briefly"

build:
	$(GO) build ./...
	@if [ -d cmd/wactor ]; then echo "$(GO) build -o bin/wactor ./cmd/wactor"; $(GO) build -o bin/wactor ./cmd/wactor; fi

# bench/ is a separate module (its peers stay out of go.mod), which `go test
# ./...` here does not enter. Its test runs every row of the benchmark table
# once with the smallest counts; without -race, which would make it slow.
test:
	$(GOTEST) -race -count=1 -timeout 8m $(PKGS)
	cd bench && $(GOTEST) -count=1 -timeout 5m ./...

# test-wasmtime: the host, engine and example suites built with -tags
# wasmtime, which runs every host test on wasmtime (cgo, no -race: wasmtime
# is native code the race detector cannot see).
test-wasmtime:
	CGO_ENABLED=1 $(GOTEST) -tags wasmtime -count=1 -timeout 8m ./host/... ./internal/engine/... ./examples/...

test-short:
	$(GOTEST) -short -count=1 $(PKGS)

# bench: wactor-bench (bench/cmd/wactor-bench), the `ray microbenchmark`-style
# table with the peers measured in the same run. BENCHFLAGS adds flags, such
# as BENCHFLAGS='-json bench.json -markdown bench.md' or '-rows REGEX'.
BENCHFLAGS ?=
bench:
	cd bench && $(GO) run ./cmd/wactor-bench $(BENCHFLAGS)

bench-quick:
	cd bench && $(GO) run ./cmd/wactor-bench -quick $(BENCHFLAGS)

# bench-go: the go test benchmarks of the main module.
bench-go:
	$(GOTEST) -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./host/ ./scheduler/ ./internal/instrument/ ./guest-sdk/go/

# The Extism plugin of the Extism baseline, committed built, its source beside
# it (needs clang and wasm-ld; no libc).
CLANG ?= clang
EXTISM_PLUGIN := bench/testdata/extism-counter/counter
bench-extism-plugin: $(EXTISM_PLUGIN).wasm

$(EXTISM_PLUGIN).wasm: $(EXTISM_PLUGIN).c
	$(CLANG) --target=wasm32-unknown-unknown -O2 -nostdlib -Wall -Wextra -Wl,--no-entry -s -o $@ $<

# run: the demo program, then the server with every example class loaded,
# on ADDR (default 127.0.0.1:7070; PORT=7071 is short for
# ADDR=127.0.0.1:7071). A taken address is reported before anything is
# built (check-addr; wactor serve checks again itself).
PORT ?= 7070
ADDR ?= 127.0.0.1:$(PORT)
run: check-addr
	@$(MAKE) --no-print-directory build
	$(GO) run ./examples/demo
	@echo
	@echo "== Starting the server on $(ADDR) with the example classes loaded (Ctrl-C stops it)."
	@echo "   In another terminal, with the CLI:"
	@echo "     export WACTOR_SERVER=http://$(ADDR)"
	@echo "     bin/wactor class ls"
	@echo "     bin/wactor actor spawn CLASS_ID_OF_counter 10 --name c"
	@echo "     bin/wactor call name:c incr 5"
	@echo "     bin/wactor call name:c get --async && bin/wactor future get FUTURE_ID --wait"
	@echo "   or with curl:"
	@echo "     curl -s $(ADDR)/v1/classes"
	@echo "     curl -s -X POST $(ADDR)/v1/actors -H 'Content-Type: application/json' -d '{\"class\": \"CLASS_ID\", \"args\": [10], \"options\": {\"name\": \"c2\"}}'"
	@echo "     curl -s -X POST $(ADDR)/v1/actors/ACTOR_ID/call/incr -H 'Content-Type: application/json' -d '{\"args\": [5]}'"
	@echo "     curl -s $(ADDR)/metrics | grep wactor_"
	@echo
	bin/wactor serve --preload examples --addr $(ADDR)

# check-addr fails when something already listens on ADDR (bash's /dev/tcp:
# a connection that succeeds means the address is taken).
check-addr:
	@addr='$(ADDR)'; host=$${addr%:*}; port=$${addr##*:}; host=$${host#[}; host=$${host%]}; \
	if [ -z "$$host" ] || [ "$$host" = "0.0.0.0" ] || [ "$$host" = "::" ]; then host=127.0.0.1; fi; \
	if bash -c "exec 3<>/dev/tcp/$$host/$$port" 2>/dev/null; then \
	  echo "make run: $(ADDR) is already in use (another wactor serve?). Stop it, or pick another address: make run ADDR=127.0.0.1:7071 (or PORT=7071)." >&2; exit 1; \
	fi

demo:
	$(GO) run ./examples/demo

check: fmt vet lint tidy-check

# fmt, vet, lint and tidy-check cover both modules, the main one and bench/;
# fmt also the .go files not yet added to git.
fmt:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	$(GO) vet -tags wasmtime ./...

STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(STATICCHECK) ./...
	cd bench && $(STATICCHECK) ./...

# go mod tidy -diff changes nothing: it prints what tidy would change and
# fails if that is anything.
tidy-check:
	$(GO) mod tidy -diff
	cd bench && $(GO) mod tidy -diff

FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GOTEST) $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done

clean:
	rm -rf bin

-include mk/guests.mk
-include mk/fixtures.mk

# crash-test: the SIGKILL crash test with many more rounds than make test.
CRASH_ROUNDS ?= 500
crash-test:
	CRASH_ROUNDS=$(CRASH_ROUNDS) $(GOTEST) -count=1 -timeout 60m -run TestCrash -v ./cmd/wactor/

# bench-million: BenchmarkManyActors with a million actors (docs/benchmarks.md).
bench-million:
	WACTOR_ACTORS=1000000 WACTOR_BUDGET_MIB=256 $(GOTEST) -run '^$$' -bench ManyActors -benchtime 1x -timeout 40m ./host/
