# Two entry points for a fresh Debian 12 machine: `make run` and `make test`.
PRESET ?= release
BUILD := build/$(PRESET)

.PHONY: deps build run test asan bench clean
deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET)

run: build
	@bash scripts/demo.sh $(BUILD)/sweinfer

test: build
	@ctest --preset $(PRESET)

asan:
	@$(MAKE) test PRESET=asan

bench: build
	@for b in $(BUILD)/*_bench; do $$b; done

clean:
	rm -rf build demo-out
