# wactor — see README.md. `make help` lists the targets.
GO        ?= go
GOTEST    ?= $(GO) test
PKGS      ?= ./...
BENCHTIME ?= 1s
BENCHCOUNT ?= 3

.PHONY: help build test test-short bench check fmt vet lint tidy-check run guests c-guest fixtures fuzz clean

help:
	@echo "make run     - build the examples and run the demo"
	@echo "make test    - the whole test suite, with -race"
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

test-short:
	$(GOTEST) -short -count=1 $(PKGS)

bench:
	$(GOTEST) -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./host/ ./scheduler/ ./internal/instrument/ ./guest-sdk/go/

run:
	$(GO) run ./examples/demo

check: fmt vet lint tidy-check

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

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
