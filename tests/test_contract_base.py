"""What the contract layers share: violations that read as one line, and a counter of checks."""

from __future__ import annotations

from factories import registration

from qcap.offline.contract_base import Checker, Violation, is_integral, is_number


def test_a_violation_reads_resource_type_field_message_limit_and_source():
    v = Violation("documented rules", "orders-alarm-age", "aws:cloudwatch/metricAlarm:MetricAlarm", "Period", "60 s",
                  "PutMetricAlarm", "45 s")
    assert str(v) == "orders-alarm-age (aws:cloudwatch/metricAlarm:MetricAlarm) Period: 45 s; limit: 60 s [PutMetricAlarm]"


def test_checker_counts_every_check_and_keeps_only_the_failures():
    checker = Checker("names")
    resource = registration("aws:sqs/queue:Queue", "q", {})
    assert checker.check(True, resource, "f", "l", "s", "m") is True
    assert checker.check(False, ("r", "t"), "f", "l", "s", "m") is False
    assert checker.checks == 2
    assert checker.violations == [Violation("names", "r", "t", "f", "l", "s", "m")]


def test_integral_floats_count_as_integers_and_booleans_as_neither():
    assert is_integral(60.0) and is_integral(3) and not is_integral(1.5) and not is_integral(True)
    assert is_number(1.5) and not is_number(False) and not is_number("1")
