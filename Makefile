# bureau: the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck unit integration browser clean

# The virtualenv is rebuilt when the project's dependencies or the lock change.
$(BIN)/bureau: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

demo: $(BIN)/bureau
	$(BIN)/bureau demo

lint: $(BIN)/bureau
	$(BIN)/ruff check bureau tests bench
	$(BIN)/ruff format --check bureau tests bench

typecheck: $(BIN)/bureau
	$(BIN)/mypy --strict bureau tests bench

unit: $(BIN)/bureau
	$(BIN)/pytest tests/unit

integration: $(BIN)/bureau
	$(BIN)/pytest tests/integration

# The dashboard in headless Chromium (installs Debian's chromium and chromium-driver if missing).
browser: $(BIN)/bureau
	bash infra/browser/provision.sh
	$(BIN)/pytest tests/browser

test: lint typecheck
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
