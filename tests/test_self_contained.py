"""A clone of the repository tests green on its own: every file the tests read is inside it."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from tests.fixtures import PARITY_DIR

ROOT = Path(__file__).resolve().parents[1]
#: A path into the project's working folder beside the repository (written with ``..`` or
#: built with ``Path`` from the folder's quoted name): a clone has no such folder.
OUTSIDE_PATH = re.compile(r"\.\./shared\b|[\"']shared[\"']")
#: Where a test, a benchmark or a documented snippet could name a file to read.
SEARCHED = ("tests", "benchmarks", "README.md", "Makefile", ".ci")


def test_the_reference_games_are_committed_inside_the_repository() -> None:
    assert PARITY_DIR.resolve().is_relative_to(ROOT), f"{PARITY_DIR} is outside {ROOT}"
    counts = {}
    for name in ("sample5.jsonl.gz", "sample7.jsonl.gz"):
        with gzip.open(PARITY_DIR / name, "rt", encoding="utf-8") as stream:
            counts[name] = sum(1 for line in stream if line.strip())
    assert counts == {"sample5.jsonl.gz": 20, "sample7.jsonl.gz": 20}
    provenance = (PARITY_DIR.parent / "README.md").read_text(encoding="utf-8")
    assert "7vik" in provenance and "CC0-1.0" in provenance


def test_no_test_benchmark_or_readme_reads_from_beside_the_repository() -> None:
    offenders = []
    for entry in SEARCHED:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            if file.suffix in {".gz", ".pyc"}:
                continue
            text = file.read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), start=1):
                if OUTSIDE_PATH.search(line):
                    offenders.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "paths outside the repository:\n" + "\n".join(offenders)
