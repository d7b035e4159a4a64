# Quick start: `make demo` runs the audit on the bundled sample estate; `make test` runs every test.
# Both create and maintain their own virtualenv in .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-org clean browser constraints

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,demo]'
	touch $@

demo: $(STAMP)
	$(BIN)/efs-audit demo

# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process), with one worker
# more than there are cores: part of the suite waits on sockets, timeouts and child processes (moto,
# Chromium, pip), and the extra worker fills that time (2 cores: 3 min 8 s with 2 workers, 2 min 44 s
# with 3). Each worker has its own moto server and builds the module-scoped estates of the modules it runs.
TEST_WORKERS ?= $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1 )))

test: $(STAMP) browser lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# Style, dead code and types (configuration in pyproject.toml; vulture's exceptions in
# .ci/vulture_whitelist.py, each with its reason).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/vulture auditor tests benchmarks .ci/vulture_whitelist.py --min-confidence 60
	$(BIN)/mypy

# The HTML report tests render in headless Chromium and read its PDF with pdftotext (Debian's
# chromium and poppler-utils). Installed when this machine lets us (root with apt-get); otherwise
# those tests skip and say why.
browser:
	@{ command -v chromium && command -v pdftotext; } >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils) >/dev/null 2>&1; } || \
	  echo "chromium or pdftotext is not installed: the HTML rendering tests will be skipped"

# constraints.txt: the exact runtime versions of .venv, for the Lambda zip and the container image.
constraints: $(STAMP)
	$(BIN)/python samples/deploy/constraints.py

bench: $(STAMP)
	$(BIN)/python benchmarks/analysis.py
	$(BIN)/python benchmarks/collection.py
	$(BIN)/python benchmarks/queries.py

# Organization scale: moto behind a latency proxy, 50 and 200 accounts, 1, 4 and 16 shard workers (slow).
bench-org: $(STAMP)
	$(BIN)/python benchmarks/organization.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache build *.egg-info
