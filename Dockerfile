# The Among Us OpenEnv server. Build: docker build -t amongus .   Run: docker run -p 8000:8000 amongus
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Installed as `make venv` does it: a venv, the pinned installer and build backend first, then the
# complete run-time lock with --no-deps (hash-checked; the index never chooses a version), so a
# release on the registry cannot change the image. Dependencies before code: code changes reuse
# this layer.
COPY requirements-bootstrap.lock requirements.lock ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install --require-hashes --no-deps -r requirements-bootstrap.lock \
    && /opt/venv/bin/python -m pip install --require-hashes --no-deps --only-binary=:all: \
        -r requirements.lock
ENV PATH=/opt/venv/bin:$PATH

# Then the project itself, exactly as the README installs it (no dependency resolution).
COPY pyproject.toml setup.cfg README.md LICENSE ./
COPY among-agents/amongagents ./among-agents/amongagents
COPY amongus_marl ./amongus_marl
COPY openenv_facade ./openenv_facade
COPY openenv.yaml ./
RUN pip install --no-deps --no-build-isolation . && pip check && rm -rf build *.egg-info

RUN useradd --system --create-home --uid 10001 amongus
USER amongus

EXPOSE 8000
# The slim image has no curl: ask /health with Python's standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]

CMD ["amongus", "serve", "--host", "0.0.0.0", "--port", "8000"]
