# Entry points. `make check` and `make demo` install what they need (as root).
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20

.PHONY: all deps build check unit fuzz demo bench clean

all: build

deps:
	scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

fuzz: deps
	[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_lundef=false -Db_sanitize=address,undefined
	ninja -C $(FUZZ_BUILD)

check: build fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh

demo: build
	scripts/demo.sh

bench: build
	@for b in bench/*/run.sh; do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
