# attnlab's front door. On a fresh machine, `make demo` and `make test` do all set-up themselves.
.PHONY: all deps model configure build test demo bench clean help

BUILD_DIR := build
JOBS ?= $(shell nproc)

all: build

help:
	@echo "make demo   set up (deps, build, offline model) and run the notebook end to end"
	@echo "make test   set up, then run every test"
	@echo "make build  configure and build build/attnlab"
	@echo "make bench  side-by-side benchmark against PyTorch + transformers (needs tools/.venv)"

deps:
	@./scripts/install_deps.sh

model:
	@./scripts/fetch_model.sh models/all-MiniLM-L6-v2

configure: deps
	@cmake --preset default >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build model
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

demo: build model
	@./$(BUILD_DIR)/attnlab demo --format png,svg,pdf

# The reference (PyTorch + transformers) lives in tools/.venv, never needed by build/test/demo.
tools/.venv/bin/python:
	python3 -m venv tools/.venv
	tools/.venv/bin/pip install --quiet torch transformers safetensors numpy

bench: build model tools/.venv/bin/python
	@tools/.venv/bin/python tools/make_bench_model.py models/bench-bert-base
	@tools/.venv/bin/python bench/run.py

clean:
	rm -rf $(BUILD_DIR) build-debug build-asan
