"""Hypothesis settings for the whole suite.

A property test draws new examples on every run: that is how it finds the rare bug, and it is
what a developer's run does (``dev``). CI must not refuse a submission because one run happened
on an example no earlier run tried, so there (``make test``, or ``CI`` set) the examples are
derandomized (``ci``):
seeded from each test's own code, the same on every run until the test changes, and a failure
there fails every time. ``HYPOTHESIS_PROFILE=ci`` replays CI's examples on a developer's
machine; ``HYPOTHESIS_PROFILE=dev`` draws fresh ones under CI.

Neither profile has a deadline, nor does CI check that generating examples is fast: the suite
never asserts on wall-clock time, and CI machines are slow and loaded. (Hypothesis loads a
built-in profile like ``ci`` by itself when it sees ``CI``; these profiles make the choice the
project's own, whatever version of Hypothesis is installed.)
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Both built on Hypothesis' defaults, not on whichever profile it loaded by itself.
settings.register_profile("dev", settings.get_profile("default"), deadline=None, print_blob=True)
settings.register_profile(
    "ci",
    settings.get_profile("default"),
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _under_ci() -> bool:
    """``CI`` set to anything but empty, ``0`` or ``false`` (as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false"}


settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _under_ci() else "dev"))
