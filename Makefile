# Two commands for a newcomer: `make quickstart` (set up + run the quickstart study on SQLite)
# and `make test`. Everything else is a helper for those two.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONWARNINGS ?= ignore

.PHONY: setup quickstart test test-all bench clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found (hls-sweep needs Python 3.11)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

quickstart: $(STAMP)
	$(BIN)/sweep run studies/quickstart.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

bench: $(STAMP)
	$(BIN)/python bench/trial_cost.py
	$(BIN)/python bench/emulate.py
	$(BIN)/python bench/estimate.py

clean:
	rm -rf $(VENV) sweeps.db hls_projects .hls_sweep_cache
