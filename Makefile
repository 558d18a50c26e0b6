# membercard: `make run` sets everything up and serves the demo; `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test test-postgres lint format verify bench screenshots clean

$(STAMP): pyproject.toml
	$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "membercard needs Python >= 3.11"'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/membercard migrate --noinput
	$(BIN)/membercard demo
	$(BIN)/membercard serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/pytest

# The same suite on PostgreSQL (CI does this; needs a server on 127.0.0.1:5432).
test-postgres: setup
	DATABASE_URL=$${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/membercard} \
	MEMBERCARD_REQUIRE_POSTGRES=1 $(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

verify: setup
	$(BIN)/membercard verify

bench: setup
	$(BIN)/python bench/ledger_bench.py

# PNGs of the main screens (fresh demo in a scratch folder, Chromium) into docs/screenshots/.
screenshots: setup
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
