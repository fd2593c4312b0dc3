# Two commands matter: `make demo` and `make test`. Both install what they need on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
RUN := $(UV) run --frozen --no-sync

.PHONY: install system demo serve test lint unit postgres messages bench fuzz reference clean

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

# The web app with the demo study: prints the demo users' sign-in details and the URL.
serve: install
	$(RUN) followup serve

# Programs some tests drive, from Debian: chromium (the browser journeys), node (branching.js
# against the Python evaluator), PostgreSQL's server, gettext (the translation catalogue's checks),
# R (the R export's script is run) and a Japanese font (so the journeys' screenshots in Japanese
# show Japanese, not boxes).
system:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v node >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs; }
	@{ command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	@command -v msgfmt >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }
	@command -v Rscript >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-base-core r-cran-jsonlite; }
	@fc-list :lang=ja 2>/dev/null | grep -q . || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk; }

test: install system lint unit postgres

lint: install
	$(RUN) ruff check src tests benchmarks studies
	$(RUN) ruff format --check src tests benchmarks studies
	$(RUN) lint-imports
	$(RUN) mypy

unit: install system
	$(RUN) pytest

# The web app's model, permission and concurrency tests again, and the fault tests (a killed
# server, a backup during saves), on a real PostgreSQL server started (and stopped) for them;
# the browser journeys are the same on either database, and PyCap's live server runs on SQLite.
postgres: install system
	$(RUN) python -m tests.capture.postgres pytest -q -p no:cacheprovider tests/capture \
		tests/robustness/test_kill.py tests/robustness/test_backup.py \
		--ignore=tests/capture/test_journeys.py --ignore=tests/capture/test_api_pycap.py

# The web app's message catalogue: extract every string of the pages and messages into the .po
# files (translations kept), then compile them. Needs Debian's gettext (make system installs it).
messages: install system
	cd src/followup/capture && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=$(CURDIR) \
		$(CURDIR)/.venv/bin/django-admin makemessages -l ja --no-location --no-obsolete
	cd src/followup/capture && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=$(CURDIR) \
		$(CURDIR)/.venv/bin/django-admin compilemessages

bench: install
	$(RUN) python benchmarks/survival.py
	$(RUN) python benchmarks/cox_counting.py
	$(RUN) python benchmarks/cox_frailty.py
	$(RUN) python benchmarks/fine_gray.py --sizes 5000 100000 --crr-full 5000 --crr-fit-only
	$(RUN) python benchmarks/sqlite_durability.py
	$(RUN) python benchmarks/exports.py

# The parsers' fuzz tests with ten times the suite's examples (25,000 per parser).
fuzz: install
	FOLLOWUP_FUZZ=25000 $(RUN) pytest -q -p no:cacheprovider tests/robustness/test_fuzz.py

# Regenerates tests/reference/*.json from R; needs Debian's r-base-core r-cran-survival
# r-cran-cmprsk r-cran-jsonlite. CI never runs this: it compares against the committed JSON.
reference:
	cd tests/reference && for script in make_*.R; do Rscript $$script || exit 1; done

clean:
	rm -rf .venv $(TOOLS) .pytest_cache .ruff_cache .mypy_cache .hypothesis
