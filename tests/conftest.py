"""Shared test setup: tests import their helpers (factory, fakes) from this folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

try:  # hypothesis is in the `test` extra; the profiles keep CI reproducible and bounded
    from hypothesis import HealthCheck, settings

    # CI (and every default run): derandomized, no example database written into the repository.
    settings.register_profile(
        "ci", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    # Local bug hunting: HYPOTHESIS_PROFILE=explore pytest tests/test_hostile_inputs.py
    settings.register_profile("explore", deadline=None, max_examples=2000, print_blob=True)
    import os as _os

    settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # pragma: no cover
    pass
