# ExcelFlow developer commands. Needs only python3 (>= 3.11) and make; every target makes .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
OUT    := out

.PHONY: demo test lint typecheck pytest bench bench-record soffice chromium officemock postgres dist xlam clean help

help:
	@echo "make demo   - install into .venv and run ExcelFlow on the template and a generated sample (outputs in out/)"
	@echo "make test   - install with dev extras, then ruff, lint-imports, mypy --strict and the whole pytest suite"
	@echo "make bench  - run the benchmarks in benchmarks/ and print their ratios (also into out/bench/)"
	@echo "make bench-record - the same, and write benchmarks/RESULTS.md (BENCH_FULL=1 adds 1M deals)"
	@echo "make dist   - build the wheel of excelflow-sales into dist/"
	@echo "make xlam   - build dist/ExcelFlow.xlam (xlwings' ribbon add-in template with our ribbon)"
	@echo "make clean  - remove .venv, out/ and caches"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@mkdir -p $(OUT)
	$(PY) -m excelflow.cli.demo --out $(OUT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks addin
	$(BIN)/ruff format --check src tests benchmarks addin
	$(BIN)/lint-imports --no-logo

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev soffice chromium officemock postgres
	$(PY) -m pytest -q

test: lint typecheck pytest

# LibreOffice is needed by the tests marked `libreoffice` (with a CJK font, so Chinese renders, and
# poppler's pdftoppm for PNG previews). Installed here when missing and we may (root with apt-get,
# as on CI); elsewhere those tests are skipped with a reason.
soffice:
	@if command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
		&& fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing LibreOffice Calc, poppler-utils and a CJK font for the libreoffice tests..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libreoffice-calc poppler-utils fonts-wqy-microhei >/dev/null) || echo "LibreOffice install failed: libreoffice tests will be skipped"; \
	else echo "soffice not found: libreoffice tests will be skipped"; fi

# Chromium (Debian package) for the task pane test in tests/server/test_taskpane.py, driven by
# Playwright-python with the system browser. Installed like soffice: only when missing and we may.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium for the task pane test..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium >/dev/null) || echo "chromium install failed: the task pane test will be skipped"; \
	else echo "chromium not found: the task pane test will be skipped"; fi

# PostgreSQL's server (Debian package `postgresql`: initdb, pg_ctl) for the tests marked `postgres`,
# which start a throwaway cluster on 127.0.0.1 (tests/history/conftest.py). Installed like
# soffice: only when missing and we may; elsewhere those tests are skipped with a reason.
postgres:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing the PostgreSQL server for the postgres tests..."; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			postgresql >/dev/null) || echo "PostgreSQL install failed: postgres tests will be skipped"; \
	else echo "initdb not found: postgres tests will be skipped"; fi

# Microsoft's Office.js mock (npm office-addin-mock) in a project-local node_modules, when npm is here.
officemock:
	@if [ -f node_modules/office-addin-mock/package.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
		npm install --no-save --no-package-lock --silent office-addin-mock@2 >/dev/null \
			|| echo "npm install office-addin-mock failed: the task pane test will be skipped"; \
	else echo "npm not found: the task pane test will be skipped"; fi

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

bench-record: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py --record

# The distribution excelflow-sales (import package `excelflow`), until it is published.
dist: $(VENV)/.installed-dev
	rm -rf dist
	$(PY) -m pip wheel --no-deps --no-build-isolation -q -w dist .
	@ls dist

# The desktop add-in: xlwings' own ribbon add-in template (from the installed xlwings) with our
# ribbon part. Its VBA is xlwings' as shipped: import addin/ExcelFlow.bas once in Excel (see
# addin/README.md). Run after `make dist`, which empties dist/.
xlam: $(VENV)/.installed
	$(PY) addin/build_xlam.py dist/ExcelFlow.xlam

clean:
	rm -rf $(VENV) $(OUT) dist node_modules .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
