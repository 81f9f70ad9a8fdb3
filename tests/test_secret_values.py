"""The secret detector: credentials by value and by name, references and the worker's own variables left alone."""

from __future__ import annotations

import re

import pytest

from policies.secret_values import DEFAULT_SECRET_NAME_PATTERN, dsn_key, secret_reason

PATTERN = re.compile(DEFAULT_SECRET_NAME_PATTERN, re.IGNORECASE)


@pytest.mark.parametrize("value,is_key", [
    ("https://3f2a9c1e5b7d4e8f9a0b1c2d3e4f5a6b@o1.ingest.sentry.io/2", True),
    ("redis://:s3cret@cache:6379/0", True),
    ("https://sqs.us-east-1.amazonaws.com/123456789012/orders", False),
    ("https://bob@example.com/", False),
])
def test_a_url_counts_when_its_user_part_is_a_key_or_it_carries_a_password(value, is_key):
    assert dsn_key(value) is is_key


def test_a_reference_name_is_not_a_secret_but_a_credential_value_under_it_is():
    assert secret_reason("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", PATTERN) is None
    assert secret_reason("DB_SECRET_ARN", "AKIAZ7QW3ERTY5UIOP2A", PATTERN) == "detect-secrets: AWS Access Key"


def test_plain_settings_are_not_secrets():
    for name, value in (("LOG_LEVEL", "INFO"), ("BATCH_SIZE", "10"), ("REGION_NAME", "eu-west-1"),
                        ("FEATURE_FLAGS", "fast-path,retry")):
        assert secret_reason(name, value, PATTERN) is None, name


@pytest.mark.parametrize("name", ["AUTHOR", "PASSENGER_LIMIT", "TOKENIZER_MODEL"])
def test_a_credential_word_inside_another_word_is_not_a_secret_name(name):
    assert secret_reason(name, "plain-value", PATTERN) is None


@pytest.mark.parametrize("name", ["DB_PASS", "JWT_SIGNING_KEY", "GITHUB_TOKEN", "APIKEY", "X_API_KEY_VALUE",
                                  "DATABASE_PASSWORD", "AUTH", "SERVICE_CREDENTIALS"])
def test_a_credential_word_as_a_whole_name_part_is_a_secret_name(name):
    assert secret_reason(name, "plain-value", PATTERN) is not None  # by the name, or detect-secrets' keyword plugin


def test_a_url_setting_names_a_service_unless_the_url_carries_a_credential():
    assert secret_reason("AUTH_URL", "https://auth.example.com/oauth2", PATTERN) is None
    assert secret_reason("DATABASE_URL", "postgres://app:hunter2secret@db:5432/app", PATTERN) is not None
