# The README's two commands: `make run` and `make test`. Both install into .venv first.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# prefect and vllm cannot share an environment: this is the orchestration + training (CPU) set
EXTRAS ?= orchestrate,train,rl,mlflow,s3,dev
# pip on this machine kind warns about every local index folder it skips; keep the log readable
PIP_FILTER := grep -v "^WARNING: Location 'file://" || true

.PHONY: install run test bench readme clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "installing helix[$(EXTRAS)] into $(VENV) (first time: a few minutes) ..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]" 2>&1 | $(PIP_FILTER)
	@$(BIN)/python -c "import generators, verifiers, storage, pipelines, flows, cli, prefect, ray, duckdb" \
		|| { echo "install failed: helix does not import"; exit 1; }
	@touch $(STAMP)

run: install
	$(BIN)/helix run

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider --timeout 900

bench: install
	$(BIN)/python bench/generation.py

readme: install
	$(BIN)/helix readme

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
