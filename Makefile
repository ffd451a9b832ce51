# `make demo` and `make test` do all set-up on a fresh machine: they create
# .venv (if missing or out of date) and install skimbal with its test extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m skimbal.demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check skimbal tests examples benchmarks
	$(BIN)/ruff format --check skimbal tests examples benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
