# Deliberate — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Tests only: checked against for participatory budgeting; without its gurobipy dependency.
PABUTOOLS := pabutools==1.2.3

.PHONY: install run test bench lint format messages lock system-deps-run system-deps-test clean

install: $(STAMP)

# Recreated only when the declared or locked dependencies change.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "Deliberate needs Python 3.11 (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		{ echo "Cannot create a virtual environment: apt-get install -y python3-venv"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt $(PABUTOOLS)
	@touch $(STAMP)

system-deps-run:
	@sh scripts/system-deps.sh run

system-deps-test:
	@sh scripts/system-deps.sh test

run: install system-deps-run
	$(BIN)/deliberate migrate
	$(BIN)/deliberate demo --if-empty
	$(BIN)/deliberate run --host $(HOST) --port $(PORT)

# The whole suite: SQLite and a PostgreSQL 15 server started for the run (every database
# test runs on both), then real headless Chromium. Skips count as failures here.
test: install system-deps-test
	DELIBERATE_STRICT_TESTS=1 $(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --durations=25 $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check src tests bench migrations scripts
	$(BIN)/ruff format --check src tests bench migrations scripts

format: install
	$(BIN)/ruff check --fix src tests bench migrations scripts
	$(BIN)/ruff format src tests bench migrations scripts

# Extract, update and compile the zh_CN and en catalogues.
messages: install
	$(BIN)/python scripts/messages.py

# Re-resolve every dependency to its newest allowed version and write the lock.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade "pip>=24"
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	.venv-lock/bin/python -m pip install --quiet --no-deps $(PABUTOOLS)
	.venv-lock/bin/python -m pip freeze --exclude-editable --all | grep -v '^pip==' > constraints.txt
	rm -rf .venv-lock
	@echo "constraints.txt updated; commit it"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
