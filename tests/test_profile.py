"""Profiles: valid ones load, bad ones give one message per problem naming file and field."""

from __future__ import annotations

import pytest

from capacity.profile import ProfileError, load_profile, parse_profile, resolve_stack, stack_names
from tests.factories import CLOUDFLARE_WORKLOAD, DELETE, make_profile, profile_data


def problems_of(data, path="stacks/bad.yaml") -> list[str]:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data, path)
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value.problems


def test_every_shipped_stack_loads():
    names = stack_names()
    assert {"event-backlog", "session-events", "track-points", "scheduled-questions", "job-queues", "dev"} <= set(names)
    for name in names:
        profile = load_profile(resolve_stack(name))
        assert profile.workloads


def test_profile_defaults_fill_in_when_fields_are_left_out():
    p = make_profile()
    w = p.workloads[0]
    assert w.retries.max_receives == 5
    assert w.objective.drain_backlog_within_hours == 24
    assert w.consumer.mode.value == "service"
    assert w.consumer.task_cpu == 256 and w.consumer.task_memory_mib == 512
    assert w.partitions == 1 and w.priorities == ()


def test_p99_defaults_to_twice_the_mean_when_not_given():
    p = make_profile(consumer__processing_p99_seconds=DELETE)
    assert p.workloads[0].consumer.p99_seconds == 2.0


def test_missing_field_is_named_with_its_path():
    assert problems_of(profile_data(consumer__processing_seconds=DELETE)) == [
        "workloads[0].consumer.processing_seconds: required field is missing"
    ]


def test_wrong_unit_type_quotes_the_input():
    problems = problems_of(profile_data(consumer__processing_seconds="2s"))
    assert len(problems) == 1
    assert problems[0].startswith("workloads[0].consumer.processing_seconds: ")
    assert "'2s'" in problems[0]


def test_out_of_range_value_says_what_is_allowed():
    assert problems_of(profile_data(retries__max_receives=0)) == [
        "workloads[0].retries.max_receives: 0 is out of range; allowed: >= 1"
    ]
    assert problems_of(profile_data(retries__max_receives=1001)) == [
        "workloads[0].retries.max_receives: 1001 is out of range; allowed: <= 1000"
    ]


def test_unknown_key_is_an_error_to_catch_typos():
    assert problems_of(profile_data(consumer__procesing_seconds=1.0)) == [
        "workloads[0].consumer.procesing_seconds: unknown key (check the spelling; see docs/profile.md)"
    ]


def test_invalid_fargate_pair_lists_the_allowed_memory():
    problems = problems_of(profile_data(consumer__task_cpu=256, consumer__task_memory_mib=4096))
    assert problems == [
        "workloads[0].consumer: task_memory_mib 4096 does not exist with task_cpu 256; allowed: 512, 1024, 2048 MiB"
    ]
    problems = problems_of(profile_data(consumer__task_cpu=300))
    assert problems == [
        "workloads[0].consumer: task_cpu 300 is not a Fargate size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384"
    ]


def test_sqs_receive_batch_over_ten_is_rejected():
    assert problems_of(profile_data(consumer__receive_batch=20)) == [
        "workloads[0]: consumer.receive_batch (20) is over SQS's 10 messages per receive; allowed: 1-10"
    ]


def test_message_larger_than_the_broker_allows_is_rejected():
    assert problems_of(profile_data(CLOUDFLARE_WORKLOAD, traffic__message_bytes=200_000)) == [
        "workloads[0]: traffic.message_bytes (200000) is larger than cloudflare allows (128000 bytes)"
    ]


def test_peak_must_be_given_once():
    problems = problems_of(profile_data(traffic__peak_to_average=DELETE))
    assert problems[0].startswith("workloads[0].traffic: give the peak")
    problems = problems_of(profile_data(traffic__peak_messages_per_second=50))
    assert problems[0].startswith("workloads[0].traffic: give one peak, not both")


def test_scheduled_mode_needs_interval_and_batch_limit():
    assert problems_of(profile_data(consumer__mode="scheduled", consumer__batch_limit=30)) == [
        "workloads[0].consumer: mode scheduled needs interval_seconds"
    ]


def test_priorities_must_share_the_whole_traffic():
    levels = [{"name": "high", "share": 0.5, "max_age_seconds": 30}, {"name": "low", "share": 0.2, "max_age_seconds": 600}]
    problems = problems_of(profile_data(priorities=levels))
    assert problems == ["workloads[0]: priorities' shares must add up to 1 (they add up to 0.700: high=0.5, low=0.2)"]


def test_several_problems_are_all_reported_at_once():
    data = profile_data(consumer__processing_seconds=-1, traffic__message_bytes=0)
    problems = problems_of(data)
    assert "workloads[0].traffic.message_bytes: 0 is out of range; allowed: > 0" in problems
    assert "workloads[0].consumer.processing_seconds: -1 is out of range; allowed: > 0" in problems


def test_environment_outside_the_enum_lists_the_choices():
    data = profile_data()
    data["environment"] = "production"
    assert problems_of(data) == ["environment: 'production' is not allowed; allowed: 'dev', 'staging' or 'prod'"]


def test_duplicate_workload_names_are_rejected():
    data = profile_data()
    data["workloads"].append(dict(data["workloads"][0]))
    assert problems_of(data) == ["(top level): workload names must be unique; repeated: events"]


def test_bad_yaml_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("environment: dev\nworkloads:\n  - name: [unclosed\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    (problem,) = caught.value.problems
    assert problem.startswith("line 4, column 1: not valid YAML")
    assert caught.value.path == str(path)


def test_a_file_that_is_not_a_mapping_is_rejected(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.problems == [
        "(top level): expected a mapping with environment and workloads, got list"
    ]


def test_missing_file_is_reported_not_raised(tmp_path):
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "nope.yaml")
    assert caught.value.problems == ["file not found"]


def test_resolve_stack_accepts_a_name_or_a_path(tmp_path):
    assert resolve_stack("dev").name == "dev.yaml"
    assert resolve_stack("dev").parent.name == "stacks"
    explicit = tmp_path / "mine.yaml"
    assert resolve_stack(str(explicit)) == explicit


def test_a_drain_longer_than_fourteen_days_is_refused_saying_messages_would_expire():
    from tests.item_profiles import profile_path

    with pytest.raises(ProfileError) as caught:
        load_profile(profile_path("drain_too_long"))
    assert caught.value.problems == [
        "workloads[0].objective.drain_backlog_within_hours: 720 is out of range; allowed: <= 336 (SQS keeps a "
        "message at most 14 days (1,209,600 s), so a backlog drained over a longer time loses its oldest messages "
        "before they are processed)"
    ]
def test_a_daily_shape_is_scaled_to_average_one_in_its_time_zone():
    shape = {"time_zone": "America/New_York", "hourly_multipliers": [0.5] * 12 + [1.5] * 12}
    p = make_profile(traffic__daily_shape=shape)
    daily = p.workloads[0].traffic.daily_shape
    assert daily.time_zone == "America/New_York"
    assert daily.hourly_fractions() == (0.5,) * 12 + (1.5,) * 12


def test_a_daily_shape_needs_24_hours_a_real_time_zone_and_a_busiest_hour_within_the_peak():
    assert problems_of(profile_data(traffic__daily_shape={"hourly_multipliers": [1.0] * 23})) == [
        "workloads[0].traffic.daily_shape: hourly_multipliers needs 24 values, hour 0 first (got 23)"
    ]
    assert problems_of(profile_data(traffic__daily_shape={"hourly_multipliers": [1.0] * 24, "time_zone": "Mars/Base"})) == [
        "workloads[0].traffic.daily_shape: time_zone 'Mars/Base' is not an IANA time zone name such as 'UTC' or "
        "'Europe/London'"
    ]
    too_busy = {"hourly_multipliers": [0.1] * 23 + [10.0]}  # 10 / mean 0.51 = 19.5 x the average, peak is 2 x
    (problem,) = problems_of(profile_data(traffic__daily_shape=too_busy))
    assert problem.startswith("workloads[0].traffic: daily_shape's busiest hour is 19.5 x the average, above the peak (2 x)")
