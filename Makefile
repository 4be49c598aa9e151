# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
DEMO_STORE ?= out/demo.duckdb

.PHONY: demo test lint bench clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

LOCK   := requirements-dev.lock

# The demo with the PDF and the dashboard, at the versions of the lock file.
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[pdf,web]'
	touch $@

# Development and tests: exactly the lock file, then this project over it.
$(TSTAMP): pyproject.toml $(LOCK) $(STAMP)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	bash scripts/install-system-deps.sh
	touch $@

# Re-resolve the lock file after changing the dependencies in pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --extra test --no-emit-index-url \
		--no-emit-find-links --unsafe-package policeperf -o $(LOCK) pyproject.toml

demo: $(STAMP)
	$(BIN)/policeperf demo --store $(DEMO_STORE)

test: $(TSTAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(TSTAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: $(TSTAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) out test-output benchmarks/work
