"""Profiles: valid ones load, bad ones give one message per problem naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from capacity import limits
from capacity.profile import ProfileError, load_profile, parse_profile, resolve_stack, stack_names
from tests.factories import CLOUDFLARE_WORKLOAD, DELETE, make_profile, profile_data


ROOT_STACKS = Path(__file__).resolve().parent.parent / "stacks"


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
        "workloads[0].consumer.procesing_seconds: unknown key; did you mean processing_seconds? (see docs/profile.md)"
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
    assert "workloads[0].consumer.processing_seconds: -1 is out of range; allowed: >= 1e-06 (below a microsecond is a unit mistake)" in problems


def test_five_independent_problems_in_one_file_are_all_reported_in_field_order():
    from tests.item_profiles import profile_path

    with pytest.raises(ProfileError) as caught:
        load_profile(profile_path("five_problems"))
    assert caught.value.problems == [
        "workloads[0].traffic.trough_to_average: 1.5 is out of range; allowed: <= 1",
        "workloads[0].traffic: give one peak, not both: peak_messages_per_second (50.0) and peak_to_average (3.0)",
        "workloads[0].consumer.concurrency_per_task: 0 is out of range; allowed: >= 1",
        "workloads[0].consumer: task_cpu 300 is not a Fargate size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
        "workloads[0]: consumer.receive_batch (20) is over SQS's 10 messages per receive; allowed: 1-10",
    ]


def test_every_cross_field_check_of_one_consumer_reports_not_just_the_first():
    data = profile_data(consumer__task_cpu=300, consumer__processing_p99_seconds=0.5, consumer__interval_seconds=90)
    assert problems_of(data) == [
        "workloads[0].consumer: task_cpu 300 is not a Fargate size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
        "workloads[0].consumer: processing_p99_seconds (0.5) must be >= processing_seconds (1.0)",
        "workloads[0].consumer: interval_seconds 90 is not a whole number of minutes; EventBridge Scheduler runs "
        "rate(N minutes): use 60 or 120",
        "workloads[0].consumer: interval_seconds only apply to mode scheduled (mode is service)",
    ]


def test_a_workloads_checks_run_even_when_its_consumer_or_a_sibling_workload_failed():
    data = profile_data(consumer__processing_seconds="fast", consumer__image=DELETE)
    cloudflare = profile_data(CLOUDFLARE_WORKLOAD, consumer__script_name=DELETE, traffic__message_bytes=200_000)
    data["workloads"] += cloudflare["workloads"] + [dict(data["workloads"][0], objective="soon")]
    assert problems_of(data) == [
        "workloads[0].consumer.processing_seconds: 'fast' is text, not a number; write the number without quotes "
        "(infinity and NaN are not allowed); allowed: a number >= 1e-06 and <= 1,209,600",
        "workloads[0]: broker sqs needs consumer.image (the consumer container image)",
        "workloads[1]: traffic.message_bytes (200000) is larger than cloudflare allows (128000 bytes)",
        "workloads[1]: broker cloudflare needs consumer.script_name (the consumer Worker script)",
        "workloads[2].consumer.processing_seconds: 'fast' is text, not a number; write the number without quotes "
        "(infinity and NaN are not allowed); allowed: a number >= 1e-06 and <= 1,209,600",
        "workloads[2].objective: expected a mapping (indented `key: value` lines), got str 'soon'",
        "workloads[2]: broker sqs needs consumer.image (the consumer container image)",
        "(top level): workload names must be unique; repeated: events",
    ]


def test_a_check_that_reads_an_invalid_field_adds_no_noise_about_it():
    assert problems_of(profile_data(consumer__processing_seconds="2s", consumer__processing_p99_seconds=3.0)) == [
        "workloads[0].consumer.processing_seconds: '2s' is text, not a number; write the number without quotes "
        "(infinity and NaN are not allowed); allowed: a number >= 1e-06 and <= 1,209,600"
    ]
    assert problems_of(profile_data(broker="kafka", consumer__receive_batch=20, consumer__image=DELETE)) == [
        "workloads[0].broker: 'kafka' is not allowed; allowed: 'sqs', 'sqs-fifo', 'cloudflare' or 'redis'"
    ]
    too_busy_and_short = {"hourly_multipliers": [0.1] * 22 + [10.0]}
    assert problems_of(profile_data(traffic__daily_shape=too_busy_and_short)) == [
        "workloads[0].traffic.daily_shape: hourly_multipliers needs 24 values, hour 0 first (got 23)"
    ]
    # An interval given but out of range still counts as given: only the batch limit is missing.
    assert problems_of(profile_data(consumer__mode="scheduled", consumer__interval_seconds=30)) == [
        "workloads[0].consumer.interval_seconds: 30 is out of range; allowed: >= 60",
        "workloads[0].consumer: mode scheduled needs batch_limit",
    ]


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


# --- strict numbers, finite values, sane bounds, bytes that are not UTF-8 ----------


def test_a_yaml_boolean_is_not_taken_as_a_number():
    assert problems_of(profile_data(objective__max_age_seconds=True)) == [
        "workloads[0].objective.max_age_seconds: True is a YAML boolean (yes/no/on/off/true/false), "
        "not a number; write the number; allowed: a number >= 1 and <= 1,209,600"
    ]


def test_max_age_yes_in_a_file_is_rejected_not_a_one_second_objective(tmp_path):
    path = tmp_path / "yes.yaml"
    text = (ROOT_STACKS / "session-events.yaml").read_text()
    path.write_text(text.replace("max_age_seconds: 120", "max_age_seconds: yes", 1))
    assert "max_age_seconds: yes" in path.read_text()
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert any("is a YAML boolean" in p and "max_age_seconds" in p for p in caught.value.problems)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_floats_are_rejected_naming_the_field(value):
    problems = problems_of(profile_data(traffic__messages_per_day=value))
    assert len(problems) == 1
    assert problems[0].startswith("workloads[0].traffic.messages_per_day: ")
    assert "not a finite number; infinity and NaN are not allowed" in problems[0]


@pytest.mark.parametrize("text", ["inf", "Infinity", "1e3"])
def test_a_number_written_as_text_is_rejected(text):
    assert problems_of(profile_data(consumer__processing_seconds=text)) == [
        f"workloads[0].consumer.processing_seconds: {text!r} is text, not a number; write the number "
        "without quotes (infinity and NaN are not allowed); allowed: a number >= 1e-06 and <= 1,209,600"
    ]


def test_a_float_field_still_takes_an_integer():
    assert make_profile(consumer__processing_seconds=3).workloads[0].consumer.processing_seconds == 3.0


def test_a_count_with_a_fraction_is_rejected():
    assert problems_of(profile_data(consumer__concurrency_per_task=2.5)) == [
        "workloads[0].consumer.concurrency_per_task: 2.5 is not a whole number; this field counts, write an integer; "
        "allowed: a whole number >= 1 and <= 10000"
    ]


def test_an_absurd_peak_rate_is_rejected_naming_the_limit_and_why():
    problems = problems_of(profile_data(traffic__peak_to_average=DELETE, traffic__peak_messages_per_second=1e12))
    assert problems == [
        "workloads[0].traffic.peak_messages_per_second: 1000000000000.0 is out of range; allowed: <= 50,000,000 "
        "(the most one workload could plan: 10,000 Cloudflare queues x 5,000 msg/s)"
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("consumer__processing_seconds", 5e-324),
        ("traffic__backlog_messages", 10**400),
        ("objective__max_age_seconds", 1e308),
        ("sink", {"name": "db", "requests_per_second": 5e-324}),
    ],
)
def test_extreme_numbers_are_out_of_range_not_an_overflow_later(key, value):
    problems = problems_of(profile_data(**{key: value}))
    assert len(problems) == 1 and "is out of range; allowed:" in problems[0]


def test_a_profile_that_is_not_utf8_names_the_line_and_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("environment: dev\n# caf\xe9\nworkloads: []\n".encode("latin-1"))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.problems == ["line 2: not UTF-8 (byte 0xe9 at offset 22); save the file as UTF-8"]


def test_a_key_given_twice_names_both_lines(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("environment: dev\nworkloads: []\nenvironment: prod\n")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.problems == [
        "line 3: key 'environment' is given twice in the same mapping (lines 1 and 3); keep one"
    ]


def test_a_file_over_the_size_bound_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * (limits.MAX_PROFILE_BYTES + 1))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert caught.value.problems == ["larger than 1,048,576 bytes; a profile is a short YAML file"]


def test_a_huge_aliased_value_is_quoted_short():
    nested = [[list(range(1000))] * 1000] * 1000
    problems = problems_of(profile_data(traffic__messages_per_day=nested))
    assert len(problems) == 1 and len(problems[0]) < 200


def test_daily_shape_multipliers_written_as_text_or_yes_are_refused_naming_file_field_and_range(tmp_path):
    path = tmp_path / "shape.yaml"
    shape = '["1", yes, "1e2"' + ", 1" * 21 + "]"
    path.write_text((ROOT_STACKS / "event-backlog.yaml").read_text().replace(
        "      backlog_messages:", f"      daily_shape: {{hourly_multipliers: {shape}}}\n      backlog_messages:", 1))
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    where = "workloads[0].traffic.daily_shape.hourly_multipliers"
    text = "is text, not a number; write the number without quotes (infinity and NaN are not allowed)"
    assert str(caught.value).splitlines() == [
        f"{path}: {where}[0]: '1' {text}; allowed: a number >= 0 and <= 100",
        f"{path}: {where}[1]: True is a YAML boolean (yes/no/on/off/true/false), not a number; write the number; "
        "allowed: a number >= 0 and <= 100",
        f"{path}: {where}[2]: '1e2' {text}; allowed: a number >= 0 and <= 100",
    ]
