# mk/fixtures.mk: rebuilds the checked-in WebAssembly test inputs.
#
#   make -f mk/fixtures.mk c-guest    # examples/c-counter/counter.wasm from counter.c
#   make -f mk/fixtures.mk fixtures   # host/testdata/*.wasm from *.wat (and truncated.wasm)
#
# Run from the repository root (or include this file from a Makefile there,
# after that Makefile's default target). Both targets are no-ops when the
# .wasm files are newer than their sources. The .wasm files are committed, so
# `go test` needs none of these tools.
#
# Tools: clang with the wasm32-wasi target, wasm-ld, wasi-libc and the wasm32
# compiler-rt builtins (Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32);
# wabt's wat2wasm; python3 (standard library only) for custom sections.

CLANG    ?= clang
WAT2WASM ?= wat2wasm
PYTHON   ?= python3

C_GUEST_DIR    := examples/c-counter
C_GUEST_CFLAGS ?= --target=wasm32-wasi -O2 -mexec-model=reactor -s -Wall -Wextra

FIXTURE_DIR  := host/testdata
FIXTURE_WAT  := $(wildcard $(FIXTURE_DIR)/*.wat)
FIXTURE_WASM := $(FIXTURE_WAT:.wat=.wasm) $(FIXTURE_DIR)/truncated.wasm $(FIXTURE_DIR)/ckpolicy.wasm
WAT2WASM_FLAGS ?= --enable-annotations

.PHONY: c-guest fixtures
.DELETE_ON_ERROR:

c-guest: $(C_GUEST_DIR)/counter.wasm

$(C_GUEST_DIR)/counter.wasm: $(C_GUEST_DIR)/counter.c
	$(CLANG) $(C_GUEST_CFLAGS) -o $@ $<

fixtures: $(FIXTURE_WASM)

# the C counter with Ray's checkpoint hooks compiled in (-DCKPOLICY)
$(FIXTURE_DIR)/ckpolicy.wasm: $(C_GUEST_DIR)/counter.c
	$(CLANG) $(C_GUEST_CFLAGS) -DCKPOLICY -o $@ $<

# wat2wasm from wabt 1.0.32 does not emit (@custom ...) sections; wat_custom.py
# appends the ones it left out.
$(FIXTURE_DIR)/%.wasm: $(FIXTURE_DIR)/%.wat
	$(WAT2WASM) $(WAT2WASM_FLAGS) -o $@ $<
	@if grep -q '(@custom' $<; then echo "$(PYTHON) $(FIXTURE_DIR)/wat_custom.py $< $@"; \
	  $(PYTHON) $(FIXTURE_DIR)/wat_custom.py $< $@; fi

# the first 20 bytes of minimal.wasm: a wasm header and a cut-off section
$(FIXTURE_DIR)/truncated.wasm: $(FIXTURE_DIR)/minimal.wasm
	head -c 20 $< > $@
