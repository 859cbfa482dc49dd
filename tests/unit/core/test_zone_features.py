from datetime import UTC, datetime

from geoproxy.core.zone_features import (
    ACTIVE_RECORD_CHECK,
    ALIAS_TARGET_CHECK,
    NOT_REPORTED,
    features_from,
)


def test_only_enabled_guardrails_count() -> None:
    features = features_from(
        {
            "Features": {
                "ChangeGuardrails": [
                    {"Name": ALIAS_TARGET_CHECK, "Status": "ENABLED"},
                    {"Name": ACTIVE_RECORD_CHECK, "Status": "DISABLED"},
                ]
            }
        }
    )
    assert features.reported
    assert features.has(ALIAS_TARGET_CHECK)
    assert not features.has(ACTIVE_RECORD_CHECK)
    assert not features.change_history


def test_change_history_and_its_start() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    features = features_from(
        {"Features": {"ChangeHistory": {"Status": "ENABLED", "RetentionStartsAt": start}}}
    )
    assert features.change_history
    assert features.history_starts_at == start


def test_a_zone_that_says_nothing_has_nothing() -> None:
    assert features_from({"Id": "/hostedzone/Z1"}) is NOT_REPORTED
    assert not NOT_REPORTED.reported
    assert NOT_REPORTED.guardrails == frozenset()
