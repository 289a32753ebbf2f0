# Every target installs what it needs into .venv by itself: a fresh clone with Python 3.11 is enough.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CDK_VERSION := 7.39.1
SOURCES := source-kommo source-helenacrm source-rd-station-conversas
PYTEST_ARGS ?=

.PHONY: install test lint format demo acceptance bench image image-base image-test sandbox clean doctor

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

## Sandbox up, every connector read into .demo/demo.duckdb through PyAirbyte, counts and sample queries, sandbox down.
demo: $(STAMP)
	$(BIN)/python -m sandbox.demo

## Read-only, bounded diagnosis of a connector on your own account, report without your data (docs/doctor.md):
## make doctor SOURCE=kommo CONFIG=secrets/kommo.json [DOCTOR_ARGS="--pages 5 --out /tmp"]
doctor: $(STAMP)
	@test -n "$(SOURCE)" -a -n "$(CONFIG)" || { echo "usage: make doctor SOURCE=kommo|helenacrm|rd-station-conversas CONFIG=path/to/config.json"; exit 2; }
	$(BIN)/python -m doctor --source $(SOURCE) --config $(CONFIG) $(DOCTOR_ARGS)

## Run the sandbox in the foreground (Ctrl-C to stop): make sandbox PORT=8765
sandbox: $(STAMP)
	$(BIN)/python -m sandbox --port $(or $(PORT),8765)

## Everything the tools and tests leave behind (never secrets/: that is yours).
clean:
	rm -rf $(VENV) *.egg-info build .pytest_cache .ruff_cache .demo .cache bench/out unit_tests/reliability/last-run.json
	rm -rf $(foreach s,$(SOURCES),$(s)/.tmp $(s)/build $(s)/integration_tests/config.json $(s)/integration_tests/invalid_config.json)
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +

## Airbyte's standard connector tests (`airbyte-cdk connector test`) for each connector, against the sandbox.
## Its Docker-image tests (marker image_tests) are deselected: they need a Docker engine, which
## these machines and CI lack; `make image-test` covers the image with podman instead.
acceptance: $(STAMP)
	$(BIN)/python -m sandbox --port 0 --no-rate-limit --write-connector-configs -- \
	  sh -c 'for s in $(SOURCES); do PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/airbyte-cdk connector test "$(CURDIR)/$$s" \
	    --pytest-arg=-c --pytest-arg=/dev/null --pytest-arg=-m --pytest-arg="not image_tests" --pytest-arg=-q --pytest-arg=--durations=5 || exit 1; done'

## Build a connector image with Docker (production path, on Airbyte's real base image): make image SOURCE=kommo
image:
	@command -v docker >/dev/null && docker info >/dev/null 2>&1 || { \
	  echo "No Docker engine is running here. Build with Docker where one runs, or use 'make image-test' (podman + a stand-in base)."; exit 1; }
	docker build --build-arg BASE_IMAGE=docker.io/airbyte/source-declarative-manifest:$(CDK_VERSION) \
	  -f docker-images/Dockerfile.manifest-only-connector -t airbyte/source-$(SOURCE):dev source-$(SOURCE)

## podman (with runc) and a local stand-in of Airbyte's base image, for image-test on machines without Docker.
## It changes the machine (apt-get packages, podman's system-wide containers.conf) and says what first;
## `bash tools/standin-base-image.sh --plan $(CDK_VERSION)` only prints that.
image-base:
	@command -v podman >/dev/null && podman image exists docker.io/airbyte/source-declarative-manifest:$(CDK_VERSION) \
	  || bash tools/standin-base-image.sh $(CDK_VERSION)

## Build every connector's image from the real image definition with podman and run spec/check/discover/read in it.
image-test: $(STAMP) image-base
	$(BIN)/python -m pytest -m image unit_tests/shipping/test_container.py $(PYTEST_ARGS)

## Benchmarks against the sandbox at the APIs' real rate limits: writes bench/REPORT.md and bench/results.json.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench $(BENCH_ARGS)
