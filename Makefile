# safegeo — two commands set everything up:
#   make demo   creates .venv, installs safegeo, runs the demo, writes maps to out/demo/
#   make test   installs the test extras into the same venv, lints (ruff) and runs the test suite
#   make notebooks  installs JupyterLab and opens the notebooks
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PIP     = $(BIN)/python -m pip

.PHONY: demo test venv install install-test notebooks bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e ".[test]"
	touch $@

venv: $(BIN)/python
install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/safegeo demo --out out/demo

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider

# JupyterLab on the notebooks (evacuation, coverage, vehicles, warning); they find the demo study themselves
notebooks: install
	$(PIP) install --quiet -e ".[notebooks]"
	$(BIN)/jupyter lab notebooks/

bench: install-test
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf out .pytest_cache build *.egg-info
