"""Hypothesis profiles: `ci` (the default, used by .ci/run), `deep` (nightly) and `mutation`
(tools/mutate.py).

    HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/property
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci", max_examples=300, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=3000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# `mutation`: tools/mutate.py runs the properties on every mutant of the rules: fewer
# examples, the same ones each run, no shrinking (a failure is all it needs) and no example
# database (a mutant's failures are not worth replaying on the real rules).
settings.register_profile(
    "mutation", max_examples=15, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
