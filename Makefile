# Build/dev entry points. Everything runs from the project's own .venv, which is
# (re)built from the locks + pyproject.toml whenever any of them changes.
#   requirements-bootstrap.lock  the installer (pip) and build backends, pinned and hashed
#   requirements.lock            the run-time dependencies only (the Docker image installs it)
#   requirements-dev.lock        those same versions plus the test tools and the `train`,
#                                `llm-local` and `grpo` extras
# The locks are complete (every transitive dependency pinned and hashed), so they are installed
# with --no-deps: the index is never asked to choose a version, and `pip check` proves the set
# is consistent. Every package comes as a wheel except llama-cpp-python, which PyPI ships only as
# source: it is compiled (about 6 minutes, once; pip caches the wheel) with the bootstrap's pinned
# scikit-build-core, without build isolation, so that no build tool is chosen by the index either.
# tests/test_locks.py fails when a lock stops being complete.

PYTHON ?= python3.11
PORT   ?= 8000
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# `make run` serves from a venv of the run-time lock alone (what the Docker image holds): no
# compiler, torch or test tools stand between a fresh clone and a running server.
RUN_VENV  := .venv-run
RUN_STAMP := $(RUN_VENV)/.installed

.DEFAULT_GOAL := test
.PHONY: venv browser test run demo bench clean-venv lock

venv: $(STAMP)

# One recipe for both venvs: $(1) the venv, $(2) its lock, $(3) extra pip options for that lock.
define build_venv
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip --disable-pip-version-check install --require-hashes --no-deps \
		-r requirements-bootstrap.lock
	$(1)/bin/python -m pip --disable-pip-version-check install --require-hashes --no-deps \
		--only-binary=:all: $(3) -r $(2)
	$(1)/bin/python -m pip --disable-pip-version-check install --no-deps --no-build-isolation -e .
	$(1)/bin/python -m pip --disable-pip-version-check check
	@touch $(1)/.installed
endef

$(STAMP): requirements-bootstrap.lock requirements-dev.lock pyproject.toml setup.cfg
	$(call build_venv,$(VENV),requirements-dev.lock,--no-binary=llama-cpp-python --no-build-isolation)

$(RUN_STAMP): requirements-bootstrap.lock requirements.lock pyproject.toml setup.cfg
	$(call build_venv,$(RUN_VENV),requirements.lock,)

# The gate replays the same Hypothesis examples everywhere (tests/conftest.py); a plain pytest
# run draws fresh ones.
test: venv browser
	HYPOTHESIS_PROFILE="$${HYPOTHESIS_PROFILE:-ci}" $(PY) -m pytest -q

# The browser tests (tests/web) drive Debian's chromium through Playwright, which cannot
# download a browser of its own here: install the distribution's once.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; }

run: $(RUN_STAMP)
	$(RUN_VENV)/bin/amongus serve --host 127.0.0.1 --port $(PORT)

demo: venv
	$(PY) -m amongagents.demo

# Every benchmark with its defaults, except llm_local.py: 20 games a variant with a real model
# take hours on two cores (run it alone, with --games).
bench: venv
	@set -e; for f in benchmarks/*.py; do \
		[ -e "$$f" ] || continue; \
		[ "$$f" = benchmarks/llm_local.py ] && continue; \
		echo "== $$f"; \
		$(PY) $$f; \
	done

clean-venv:
	rm -rf $(VENV) $(RUN_VENV)

# Re-resolve the locks (the only step that asks the index to choose versions): after a change to
# pyproject.toml's dependencies or to requirements-bootstrap.in. Uses a pinned pip-tools in a
# throwaway venv; torch resolves to the CPU wheel pip finds on this machine's disk.
LOCK_VENV := .lock-venv
DEV_EXTRAS := test train llm-local grpo
COMPILE   := $(LOCK_VENV)/bin/pip-compile --quiet --allow-unsafe --generate-hashes \
             --no-emit-find-links --no-emit-index-url --strip-extras
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
		$(LOCK_VENV)/bin/pip install --quiet pip==26.3 pip-tools==7.7.0; }
	$(COMPILE) --output-file=requirements-bootstrap.lock requirements-bootstrap.in
	$(COMPILE) --constraint=requirements-bootstrap.lock $(DEV_EXTRAS:%=--extra=%) \
		--output-file=requirements-dev.lock pyproject.toml
	$(COMPILE) --constraint=requirements-dev.lock --output-file=requirements.lock pyproject.toml
