"""Scheduled floors from a daily shape: each hour's floor, every distinct schedule, and the candidates' order."""

from __future__ import annotations

import math

import pytest

from capacity.plan.floors import floor_schedules, schedule_actions, schedule_candidates, scheduled_floors

# Seed 003's jobs partition (stacks/job-queues.yaml): New York business hours, msg/s by local hour.
JOBS_HOURLY = tuple(round(2_000_000 / 86_400 / 4 * m / (23.99 / 24), 6) for m in (
    0.16, 0.16, 0.16, 0.16, 0.16, 0.25, 0.41, 0.82, 1.47, 2.13, 2.38, 2.29,
    1.97, 2.13, 2.29, 2.13, 1.64, 1.15, 0.74, 0.49, 0.33, 0.25, 0.16, 0.16))


def test_scheduled_floors_cover_the_busier_of_each_hour_and_the_next():
    hourly = (1.0,) * 6 + (10.0,) * 12 + (1.0,) * 6
    floors = scheduled_floors(hourly, mu=2.0, max_capacity=50, utilization=0.9)
    # ceil(10 / (2 x 0.9)) = 6 from the hour before the busy hours to their last; 1 outside
    assert floors == (1,) * 5 + (6,) * 13 + (1,) * 6
    actions = schedule_actions(floors, "Europe/Paris")
    assert [(a.hour, a.min_capacity, a.cron, a.time_zone) for a in actions] == [
        (5, 6, "cron(0 5 * * ? *)", "Europe/Paris"), (18, 1, "cron(0 18 * * ? *)", "Europe/Paris")]
    assert scheduled_floors(hourly, mu=2.0, max_capacity=4, utilization=0.9)[10] == 4  # never above max capacity


@pytest.mark.parametrize("mu", [8.0, 4 / 0.52, 4 / 0.53, 3.3])
def test_floor_schedules_are_every_schedule_between_90_and_40_percent_whatever_mu_is(mu):
    # Given the jobs day and a per-task rate (8 today; about 7.7 once the receive overhead counts)
    found = floor_schedules(JOBS_HOURLY, mu, 50, 0.9, 0.4)
    aheads = [max(r, JOBS_HOURLY[(h + 1) % 24]) for h, r in enumerate(JOBS_HOURLY)]
    # Then a fine scan of the utilizations finds none that the crossings missed
    scanned = {scheduled_floors(JOBS_HOURLY, mu, 50, 0.9 - i * 0.0001) for i in range(5_001)}
    assert scanned <= {floors for floors, _ in found}
    assert found[0][0] == scheduled_floors(JOBS_HOURLY, mu, 50, 0.9)
    for floors, busiest in found:
        # and each is a real schedule: some u in the range gives it (ceil(a / (mu u)) = f for every hour
        # exactly when a / (mu f) <= u < a / (mu (f - 1))), and says how busy its busiest hour runs
        lowest_u = max(a / (mu * f) for a, f in zip(aheads, floors))
        highest_u = min((a / (mu * (f - 1)) for a, f in zip(aheads, floors) if f > 1), default=math.inf)
        assert lowest_u < highest_u and lowest_u <= 0.9 and highest_u > 0.4
        assert busiest == lowest_u
    assert len({floors for floors, _ in found}) == len(found)


def test_a_limit_builds_only_the_schedules_with_the_fewest_tasks_even_for_thousands_of_tasks():
    everything = floor_schedules(JOBS_HOURLY, 8.0, 50, 0.9, 0.4)
    assert floor_schedules(JOBS_HOURLY, 8.0, 50, 0.9, 0.4, limit=5) == everything[:5]
    # 1,000 times the traffic: thousands of schedules between 90% and 40%, and the first 20 come at once
    big = tuple(r * 1000 for r in JOBS_HOURLY)
    first = floor_schedules(big, 8.0, 5000, 0.9, 0.4, limit=20)
    assert len(first) == 20 and first[0][0] == scheduled_floors(big, 8.0, 5000, 0.9)
    assert [sum(f) for f, _ in first] == sorted(sum(f) for f, _ in first)
    # each next schedule raises some hours (those whose rates cross together) and lowers none
    for (before, _), (after, _) in zip(first, first[1:]):
        assert all(b <= a for b, a in zip(before, after)) and before != after


def test_schedule_candidates_keep_one_utilization_at_90_percent_and_come_cheapest_first():
    candidates = schedule_candidates(JOBS_HOURLY, 8.0, 10)
    at_90 = scheduled_floors(JOBS_HOURLY, 8.0, 10, 0.9)
    # Every pair has the floors at 90% or the target at 90%; a pair with both lower is never estimated cheaper
    assert all(c.floors == at_90 or c.utilization == 0.9 for c in candidates)
    # every distinct schedule with the target at 0.9, and the 5 lower targets on the 90% floors
    assert len(candidates) == len(floor_schedules(JOBS_HOURLY, 8.0, 10, 0.9, 0.4)) + 5
    estimates = [c.estimate_task_hours for c in candidates]
    assert estimates == sorted(estimates)
    # The cheapest: every hour on the 90% floors (2 tasks from 07:00 to 17:00, 1 at night): 34 task-hours
    first = [(round(c.floor_utilization, 3), c.utilization, c.estimate_task_hours) for c in candidates[:5]]
    assert first == [(0.861, 0.9, 34.0), (0.832, 0.9, 36.0), (0.829, 0.9, 37.0), (0.861, 0.8, 38.0),
                     (0.771, 0.9, 40.0)]
    assert candidates[2].floors[6:19] == (1, 2, 2, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1)
