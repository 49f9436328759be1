# wactor — see README.md. `make help` lists the targets.
GO        ?= go
GOTEST    ?= $(GO) test
PKGS      ?= ./...
BENCHTIME ?= 1s
BENCHCOUNT ?= 3

.PHONY: crash-test help build test test-wasmtime test-short bench check fmt vet lint tidy-check run demo guests c-guest fixtures fuzz clean

help:
	@echo "make run     - run the demo, then serve the example classes over HTTP"
	@echo "make demo    - only the demo program"
	@echo "make test    - the whole test suite, with -race (engine: wazero)"
	@echo "make test-wasmtime - host, engine and example tests on wasmtime (-tags wasmtime, cgo)"
	@echo "make bench   - host benchmarks (figures for docs/benchmarks.md)"
	@echo "make check   - gofmt, go vet, staticcheck, go mod tidy"
	@echo "make guests  - rebuild the Go example guests (.wasm) from source"
	@echo "make c-guest - rebuild examples/c-counter/counter.wasm (needs clang, lld, wasi-libc)"
	@echo "make fixtures- rebuild host/testdata/*.wasm from .wat (needs wabt)"
	@echo "make fuzz    - run every fuzz target briefly"

build:
	$(GO) build ./...
	@if [ -d cmd/wactor ]; then echo "$(GO) build -o bin/wactor ./cmd/wactor"; $(GO) build -o bin/wactor ./cmd/wactor; fi

test:
	$(GOTEST) -race -count=1 -timeout 8m $(PKGS)

# test-wasmtime: the host, engine and example suites built with -tags
# wasmtime, which runs every host test on wasmtime (cgo, no -race: wasmtime
# is native code the race detector cannot see).
test-wasmtime:
	CGO_ENABLED=1 $(GOTEST) -tags wasmtime -count=1 -timeout 8m ./host/... ./internal/engine/... ./examples/...

test-short:
	$(GOTEST) -short -count=1 $(PKGS)

bench:
	$(GOTEST) -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./host/ ./scheduler/ ./internal/instrument/ ./guest-sdk/go/

# run: the demo program, then the server with every example class loaded.
run: build
	$(GO) run ./examples/demo
	@echo
	@echo "== Starting the server with the example classes loaded (Ctrl-C stops it)."
	@echo "   In another terminal, with the CLI:"
	@echo "     bin/wactor class ls"
	@echo "     bin/wactor actor spawn CLASS_ID_OF_counter 10 --name c"
	@echo "     bin/wactor call name:c incr 5"
	@echo "     bin/wactor call name:c get --async && bin/wactor future get FUTURE_ID --wait"
	@echo "   or with curl:"
	@echo "     curl -s localhost:7070/v1/classes"
	@echo "     curl -s -X POST localhost:7070/v1/actors -d '{\"class\": \"CLASS_ID\", \"args\": [10], \"options\": {\"name\": \"c2\"}}'"
	@echo "     curl -s -X POST localhost:7070/v1/actors/ACTOR_ID/call/incr -d '{\"args\": [5]}'"
	@echo "     curl -s localhost:7070/metrics | grep wactor_"
	@echo
	bin/wactor serve --preload examples

demo:
	$(GO) run ./examples/demo

check: fmt vet lint tidy-check

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags wasmtime ./...

lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@2025.1.1 ./...

tidy-check:
	@cp go.mod /tmp/wactor-go.mod.bak; cp go.sum /tmp/wactor-go.sum.bak; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum; then echo "go mod tidy changed go.mod/go.sum"; git diff -- go.mod go.sum; exit 1; fi

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
