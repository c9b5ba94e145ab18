# Two commands on a fresh machine: `make demo` runs the pipeline end to end, `make test` runs every check.
# `make demo DEMO_ARGS="--fresh --rows 10000"` passes options to `sakari-sync demo` (see its --help).
VENV ?= .venv
DEMO_ARGS ?=
PIP_LOG := $(VENV)/pip.log
PIP := $(VENV)/bin/pip install --disable-pip-version-check -q

.PHONY: demo test browser

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# With the PostgreSQL driver (psycopg), which the README's own-table walkthrough uses.
$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	@echo "installing sakari-sync into $(VENV) (log: $(PIP_LOG))"
	@$(PIP) -e '.[postgres]' >$(PIP_LOG) 2>&1 || (cat $(PIP_LOG); exit 1)
	@touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	@echo "installing sakari-sync with its dev tools into $(VENV) (log: $(PIP_LOG))"
	@$(PIP) -e '.[dev]' >$(PIP_LOG) 2>&1 || (cat $(PIP_LOG); exit 1)
	@touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	$(VENV)/bin/sakari-sync demo $(DEMO_ARGS)

# The UI test drives Debian's chromium (no browser download); CI machines run as root and get it here.
browser: | $(VENV)/bin/python
	@test -x /usr/bin/chromium || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
		(echo "installing chromium for the UI test (log: $(VENV)/apt.log)"; \
		(apt-get update -qq && apt-get install -y -qq chromium) >$(VENV)/apt.log 2>&1 || \
		(cat $(VENV)/apt.log; exit 1))

test: $(VENV)/.dev browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest -n 2 --dist loadfile
