"""Drift between the live stack and its plan: critical only on the unsafe side."""

from __future__ import annotations

import pytest

from capacity.plan import plan
from capacity.profile import parse_profile
from qcap.live import diagnosis
from tests.factories import DOCTOR_PROFILE as PROFILE, live_facts


@pytest.fixture
def orders():
    return plan(parse_profile(PROFILE)).workloads[0]


def test_diagnose_marks_drift_critical_only_on_the_unsafe_side(orders):
    shorter = diagnosis.diagnose(orders, live_facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds - 1))
    longer = diagnosis.diagnose(orders, live_facts(orders, visibility_timeout_seconds=orders.visibility_timeout_seconds + 60))
    levels = [{c.name: c.level for c in d.checks}["drift: visibility_timeout_seconds"] for d in (shorter, longer)]
    assert levels == ["critical", "warn"]


def _track_points():
    from capacity.profile import load_profile, resolve_stack

    (lane,) = plan(load_profile(resolve_stack("track-points"))).workloads
    return lane  # floors in Europe/London: 1 from 21:00 through the night, 5 from 16:00


def _min_check(lane, live_min: int, read_at: str):
    from datetime import datetime

    from qcap.live.drift_checks import min_capacity_drift
    from qcap.live.facts import ScalingFacts

    facts = ScalingFacts("service/c/track-points", True, live_min, lane.max_capacity,
                         read_at=datetime.fromisoformat(read_at))
    return min_capacity_drift(lane, facts)


def test_a_scheduled_min_capacity_is_judged_against_the_floor_of_the_hour_it_was_read():
    lane = _track_points()
    evening = _min_check(lane, 5, "2026-03-02T17:30:00+00:00")
    assert (evening.level, evening.expected) == ("ok", "5")
    assert "the schedule's floor at 17:30 Europe/London" in evening.detail


def test_a_live_min_below_the_hours_floor_is_critical_and_one_above_it_a_warning():
    lane = _track_points()
    assert _min_check(lane, 1, "2026-03-02T17:30:00+00:00").level == "critical"  # 1 where 5 is due
    assert _min_check(lane, 3, "2026-03-02T02:00:00+00:00").level == "warn"  # 3 where the night needs 1


def test_the_busiest_floor_a_new_stack_is_created_with_is_not_drift():
    lane = _track_points()
    fresh = _min_check(lane, lane.scaling.deploy_min_capacity, "2026-03-02T02:00:00+00:00")
    assert fresh.level == "ok"
    assert "the busiest floor a new stack is created with" in fresh.detail


def _band_check(scale_in_disabled: bool, steps: tuple[str, ...]):
    from qcap.live.drift_checks import scale_in_band_drift
    from qcap.live.facts import ScalingFacts
    from tests.factories import plan_one

    lane = plan_one()  # tests/factories.py's workload: a scale-in band at 1.08
    assert lane.scaling.scale_in_backlog_per_task == 1.08
    return scale_in_band_drift(lane, ScalingFacts("service/c/events", True, lane.min_capacity, lane.max_capacity,
                                                  "p", 1.8, scale_in_disabled=scale_in_disabled,
                                                  scale_in_step_policies=steps))


def test_the_planned_scale_in_band_is_ok_live_and_target_trackings_own_scale_in_in_its_place_is_a_warning():
    ok = _band_check(True, ("qcap-dev-events-scale-in",))
    assert (ok.level, ok.value, ok.expected) == ("ok", "step policy qcap-dev-events-scale-in", "a step policy below 1.08")
    own = _band_check(False, ())
    assert own.level == "warn" and "flapping" in own.detail
    never = _band_check(True, ())
    assert never.level == "warn" and "never shrinks" in never.detail


def test_scale_in_is_not_judged_when_the_policies_were_not_read():
    from qcap.live.drift_checks import scale_in_band_drift
    from qcap.live.facts import ScalingFacts
    from tests.factories import plan_one

    assert scale_in_band_drift(plan_one(), ScalingFacts("service/c/events", True)) is None
