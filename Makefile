# Two commands matter: `make demo` and `make test`. Both install what they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
RUN := $(UV) run --frozen --no-sync

.PHONY: install demo test lint unit bench reference clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: .venv/.installed

# The MLL03 demo: synthetic cohort → validation → analysis → out/demo/report.html and report.pdf.
demo: install
	$(RUN) followup demo --out out/demo

test: install lint unit

lint: install
	$(RUN) ruff check src tests benchmarks studies
	$(RUN) ruff format --check src tests benchmarks studies
	$(RUN) lint-imports
	$(RUN) mypy

unit: install
	$(RUN) pytest

bench: install
	$(RUN) python benchmarks/survival.py

# Regenerates tests/reference/*.json from R; needs Debian's r-base-core r-cran-survival
# r-cran-cmprsk r-cran-jsonlite. CI never runs this: it compares against the committed JSON.
reference:
	cd tests/reference && Rscript make_reference.R

clean:
	rm -rf .venv $(TOOLS) .pytest_cache .ruff_cache .mypy_cache .hypothesis
