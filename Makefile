# Build/dev entry points. Everything runs from the project's own .venv, which is
# (re)built from requirements-dev.lock + pyproject.toml whenever either changes.
# requirements.lock pins the run-time dependencies only (the Docker image installs it);
# requirements-dev.lock pins those same versions plus the test tools.

PYTHON ?= python3.11
PORT   ?= 8000
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := test
.PHONY: venv test run demo bench clean-venv

venv: $(STAMP)

$(STAMP): requirements-dev.lock pyproject.toml setup.cfg
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.lock
	$(PY) -m pip install --disable-pip-version-check --no-deps -e .
	@touch $@

test: venv
	$(PY) -m pytest -q

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
