# Build/dev entry points. Everything runs from the project's own .venv, which is
# (re)built from the locks + pyproject.toml whenever any of them changes.
#   requirements-bootstrap.lock  the installer (pip), pinned and hashed
#   requirements.lock            the run-time dependencies only (the Docker image installs it)
#   requirements-dev.lock        those same versions plus the test tools and the `train` extra
# The locks are complete (every transitive dependency pinned and hashed), so they are installed
# with --no-deps: the index is never asked to choose a version, and `pip check` proves the set
# is consistent. tests/test_locks.py fails when a lock stops being complete.

PYTHON ?= python3.11
PORT   ?= 8000
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := test
.PHONY: venv browser test run demo bench clean-venv lock

venv: $(STAMP)

$(STAMP): requirements-bootstrap.lock requirements-dev.lock pyproject.toml setup.cfg
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes --no-deps -r requirements-bootstrap.lock
	$(PIP) install --require-hashes --no-deps --only-binary=:all: -r requirements-dev.lock
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PIP) check
	@touch $@

test: venv browser
	$(PY) -m pytest -q

# The browser tests (tests/web) drive Debian's chromium through Playwright, which cannot
# download a browser of its own here: install the distribution's once.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; }

run: venv
	$(VENV)/bin/amongus serve --host 127.0.0.1 --port $(PORT)

demo: venv
	$(PY) -m amongagents.demo

bench: venv
	@set -e; for f in benchmarks/*.py; do \
		[ -e "$$f" ] || continue; \
		echo "== $$f"; \
		$(PY) $$f; \
	done

clean-venv:
	rm -rf $(VENV)

# Re-resolve the locks (the only step that asks the index to choose versions): after a change to
# pyproject.toml's dependencies or to requirements-bootstrap.in. Uses a pinned pip-tools in a
# throwaway venv; torch resolves to the CPU wheel pip finds on this machine's disk.
LOCK_VENV := .lock-venv
COMPILE   := $(LOCK_VENV)/bin/pip-compile --quiet --allow-unsafe --generate-hashes \
             --no-emit-find-links --no-emit-index-url --strip-extras
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/pip install --quiet pip==26.3 pip-tools==7.7.0; }
	$(COMPILE) --output-file=requirements-bootstrap.lock requirements-bootstrap.in
	$(COMPILE) --extra=test --extra=train --output-file=requirements-dev.lock pyproject.toml
	$(COMPILE) --constraint=requirements-dev.lock --output-file=requirements.lock pyproject.toml
