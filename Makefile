# Every target installs what it needs into .venv by itself: a fresh clone with Python 3.11 is enough.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CDK_VERSION := 7.39.1
SOURCES := source-kommo source-helenacrm source-rd-station-conversas
PYTEST_ARGS ?=

.PHONY: install test lint format demo acceptance bench image image-test sandbox clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,demo]"
	touch $(STAMP)

install: $(STAMP)

## The whole test suite (unit, components, end-to-end against the sandbox, image layout, Builder path).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Sandbox up, every connector read into demo/demo.duckdb through PyAirbyte, counts and sample queries, sandbox down.
demo: $(STAMP)
	$(BIN)/python -m sandbox.demo

## Run the sandbox in the foreground (Ctrl-C to stop): make sandbox PORT=8765
sandbox: $(STAMP)
	$(BIN)/python -m sandbox --port $(or $(PORT),8765)

clean:
	rm -rf $(VENV) .pytest_cache .demo
