"""Test tiers: the full suite (CI, the README's command) and the fast tier (`pytest -m "not slow"`).

conftest.py picks the tier once per run, in pytest_configure, and records it as the loaded
hypothesis profile:

- QCAP_TEST_TIER=full or QCAP_TEST_TIER=fast in the environment, when set, decides;
- otherwise a `-m` expression that deselects a test marked only `slow` (`-m "not slow"`)
  is the fast tier, and anything else (no `-m`, `-m slow`) the full one;
- `--hypothesis-profile full|fast` on the command line wins over both.

What is slow is marked `slow`: a module's `pytestmark`, a test's decorator, or (conftest.py)
any test that uses a fixture starting a real server (`moto`, `redis_srv`).

The "full" profile keeps hypothesis's own defaults (100 examples) with no deadline, so a loaded
machine never fails a test for being slow; "fast" runs FAST_EXAMPLES. A profile does not
override a count a test pins in `@settings(max_examples=...)`, so such tests pin
`examples(N)`, which is N in the full tier and a tenth of it in the fast tier.
"""

from __future__ import annotations

import os
import re

FULL = "full"
FAST = "fast"
TIERS = (FULL, FAST)
TIER_VARIABLE = "QCAP_TEST_TIER"
# Examples a test gets in the fast tier: a tenth of the full count, at least FAST_EXAMPLES.
FAST_FRACTION = 10
FAST_EXAMPLES = 10


def examples(full: int) -> int:
    """The example count for a test that pins its own: `full`, or a tenth of it (at least 10) in the fast tier."""
    from hypothesis import settings

    if settings.get_current_profile_name() != FAST:
        return full
    return min(full, max(FAST_EXAMPLES, full // FAST_FRACTION))


def tier_of(markexpr: str) -> str:
    """The tier a run is in: $QCAP_TEST_TIER if set, else fast when the `-m` expression deselects `slow` tests."""
    chosen = os.environ.get(TIER_VARIABLE, "").strip().lower()
    if chosen:
        if chosen not in TIERS:
            raise ValueError(f"{TIER_VARIABLE} must be one of {', '.join(TIERS)} (got {chosen!r})")
        return chosen
    if not markexpr.strip():
        return FULL
    try:  # pytest's own evaluator, as it applies -m: does a test marked only `slow` run?
        from _pytest.mark.expression import Expression

        runs_slow = Expression.compile(markexpr).evaluate(lambda name, **kwargs: name == "slow")
    except Exception:  # noqa: BLE001 - a private API: fall back to reading the expression
        runs_slow = not re.search(r"\bnot\s+slow\b", markexpr)
    return FULL if runs_slow else FAST
