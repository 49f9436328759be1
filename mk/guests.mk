# Go example guests: `make guests` rebuilds every examples/NAME/NAME.wasm of a
# Go guest whose sources (the example, the guest SDK, go.mod) are newer.
# Included from the top Makefile; paths are relative to the repository root.
# examples/c-counter is built by `make c-guest`, not here.
# The guests are found, not listed: counter, kv, bank, divmod, pipeline,
# misbehave, and pingpong, paramserver and supervisor (which call other
# actors through the wactor call/send/await/spawn/get_actor/kill/take
# imports, so they need a host with actor-to-actor calls).

GO ?= go

# The committed binaries should not depend on where or from which commit
# they were built: no VCS stamp, no absolute paths.
GUEST_GOFLAGS ?= -buildvcs=false -trimpath

GUEST_SDK_SRC  := $(filter-out %_test.go,$(wildcard guest-sdk/go/*.go))
# A Go guest is an examples/ directory with a `//go:build wasip1` source file
# (other example programs, such as a host-side demo, are not guests).
GO_GUEST_DIRS  := $(filter-out examples/c-counter,$(patsubst %/,%,$(sort $(dir \
                  $(shell grep -l '^//go:build wasip1' examples/*/*.go 2>/dev/null)))))
GO_GUEST_WASM  := $(foreach d,$(GO_GUEST_DIRS),$(d)/$(notdir $(d)).wasm)

# Keep the includer's default goal (this fragment may be included first).
_guests_default_goal := $(.DEFAULT_GOAL)

.PHONY: guests guests-list
guests: $(GO_GUEST_WASM)

guests-list:
	@for f in $(GO_GUEST_WASM); do echo "$$f $$(wc -c < $$f 2>/dev/null || echo missing)"; done

define go_guest_rule
$(1)/$(notdir $(1)).wasm: $$(filter-out %_test.go,$$(wildcard $(1)/*.go)) $$(GUEST_SDK_SRC) go.mod
	GOOS=wasip1 GOARCH=wasm $$(GO) build $$(GUEST_GOFLAGS) -buildmode=c-shared -o $$@ ./$(1)
endef
$(foreach d,$(GO_GUEST_DIRS),$(eval $(call go_guest_rule,$(d))))

.DEFAULT_GOAL := $(_guests_default_goal)
