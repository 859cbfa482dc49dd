"""`viewer_countries` on a compliance rule (the edge fence): the groups, the per-field rules
of the model, and the rules across the application in `checks` (cloudfront section, a PoP
for every fenced country, intersections, origin failover, locations), each with its path."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from geoproxy.errors import PolicyError
from geoproxy.pipeline import compile_policy
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.countries import (
    EEA_MEMBERS,
    EU_MEMBERS,
    GROUPS_CHECKED,
    ISO_3166_ALPHA2,
    country_locations,
    expand_countries,
)
from geoproxy.policy.loader import load_policy
from tests.conftest import MINIMAL_POLICY, write_policy

RULE = "applications[0].compliance[0]"
SECOND = "applications[0].compliance[1]"
CLOUDFRONT = """\
    cloudfront:
      distribution_id: E2EXAMPLE123
"""


def policy(rules: str, cloudfront: str = CLOUDFRONT) -> str:
    """One application with four PoPs (two EU ones, Zurich, Virginia) and these rules."""
    return (
        MINIMAL_POLICY
        + f"""\
      eu-central-1: {{target: c-3.eu-central-1.elb.amazonaws.com}}
      eu-central-2: {{target: d-4.eu-central-2.elb.amazonaws.com}}
{cloudfront}    compliance:
{rules}"""
    )


# Each rule's sources are the region of a PoP it allows, so the latency routes satisfy them
# and the tests are about viewer countries only.
GDPR = """\
      - name: gdpr
        sources: ["eu-west-1"]
        allowed_pops: ["eu-west-1", "eu-central-1"]
        viewer_countries: {countries}
"""
SWISS = """\
      - name: swiss
        sources: ["eu-central-2"]
        allowed_pops: ["eu-central-2"]
        viewer_countries: {countries}
"""


def issues_of(tmp_path: Path, catalog: Catalog, text: str) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as info:
        load_policy(write_policy(tmp_path, text), catalog)
    return [(issue.dotted_path(), issue.message) for issue in info.value.issues]


# --- the groups and the table of locations ------------------------------------------------------


def test_the_groups_are_the_eu_and_the_eea() -> None:
    assert len(EU_MEMBERS) == 27 and "GB" not in EU_MEMBERS and "GR" in EU_MEMBERS
    assert EU_MEMBERS | {"IS", "LI", "NO"} == EEA_MEMBERS
    assert EEA_MEMBERS <= ISO_3166_ALPHA2
    assert GROUPS_CHECKED  # the date the lists were checked, said beside them


def test_groups_expand_sorted_and_once() -> None:
    assert expand_countries(["GB", "EU"]) == tuple(sorted(EU_MEMBERS | {"GB"}))
    assert expand_countries(["CH"]) == ("CH",)
    assert expand_countries([]) == ()


def test_every_code_viewer_countries_accepts_has_a_location() -> None:
    locations = country_locations()
    assert set(locations) == ISO_3166_ALPHA2
    for code, location in locations.items():
        assert location.code == code and location.name
        assert -90 <= location.latitude <= 90 and -180 <= location.longitude < 180


@pytest.mark.parametrize(
    ("code", "lat", "lon"),
    [
        ("DE", 51.0, 10.4),
        ("US", 39.1, -98.4),
        ("FR", 46.5, 2.5),
        ("GF", 3.9, -53.2),
        ("SJ", 78.6, 16.0),
        ("RU", 60.2, 97.3),
        ("NZ", -43.9, 170.5),
        ("GB", 53.8, -2.4),
    ],
)
def test_locations_are_where_the_countries_are(code: str, lat: float, lon: float) -> None:
    # Spot checks, a degree or so: metropolitan France (not pulled into the Atlantic by
    # French Guiana), the contiguous United States, Russia across the antimeridian.
    location = country_locations()[code]
    assert math.isclose(location.latitude, lat, abs_tol=1.0)
    assert math.isclose(location.longitude, lon, abs_tol=1.0)


# --- per field ----------------------------------------------------------------------------------


def test_codes_and_groups_load_as_written(tmp_path: Path, catalog: Catalog) -> None:
    app = load_policy(
        write_policy(tmp_path, policy(GDPR.format(countries="[EU, GB, CH]"))), catalog
    ).policy.applications[0]
    assert app.compliance[0].viewer_countries == ["EU", "GB", "CH"]


def test_a_rule_without_viewer_countries_fences_none(tmp_path: Path, catalog: Catalog) -> None:
    text = policy('      - {name: gdpr, sources: ["eu-*"], allowed_pops: ["eu-*"]}\n', "")
    app = load_policy(write_policy(tmp_path, text), catalog).policy.applications[0]
    assert app.compliance[0].viewer_countries == []  # and no cloudfront section is needed


def test_unknown_codes_are_named_with_the_case_hint(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(tmp_path, catalog, policy(GDPR.format(countries="[de, XX, eu, UK]")))
    assert issues == [
        (
            f"{RULE}.viewer_countries",
            "not ISO 3166-1 alpha-2 country codes or groups (EU, EEA): 'de' (write "
            "'DE'), 'XX', 'eu' (write 'EU'), 'UK'",
        )
    ]


def test_an_unquoted_no_gets_the_quoting_hint(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(tmp_path, catalog, policy(GDPR.format(countries="[SE, NO]")))
    assert issues == [
        (
            f"{RULE}.viewer_countries",
            "YAML reads NO, YES, ON and OFF as booleans: quote country codes (e.g. "
            "'NO' for Norway)",
        )
    ]


@pytest.mark.parametrize(
    ("countries", "message"),
    [
        ("[DE, DE]", "DE listed twice"),
        ("[EU, DE]", "DE listed and also in EU"),
        ("[EU, EEA]", "27 countries (AT, BE, BG, ...) in both EU and EEA"),
    ],
)
def test_a_country_listed_twice_is_an_error(
    tmp_path: Path, catalog: Catalog, countries: str, message: str
) -> None:
    issues = issues_of(tmp_path, catalog, policy(GDPR.format(countries=countries)))
    assert issues == [
        (
            f"{RULE}.viewer_countries",
            f"a country is listed more than once: {message}; list each country once",
        )
    ]


def test_the_schema_describes_the_key() -> None:
    from geoproxy.policy.schema import policy_json_schema

    schema = policy_json_schema()
    field = schema["$defs"]["ComplianceRule"]["properties"]["viewer_countries"]
    assert "EU" in field["description"] and "EEA" in field["description"]
    assert ["EU", "GB", "CH"] in field["examples"]


# --- across the application -----------------------------------------------------------------


def test_viewer_countries_need_a_cloudfront_section(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(tmp_path, catalog, policy(GDPR.format(countries="[EU]"), cloudfront=""))
    assert issues == [
        (
            f"{RULE}.viewer_countries",
            "compliance rule 'gdpr' fences viewer countries, which geoproxy "
            "enforces with a CloudFront Function on the application's "
            "distribution; add a `cloudfront` section",
        )
    ]


def test_a_fencing_rule_must_allow_a_pop(tmp_path: Path, catalog: Catalog) -> None:
    rules = """\
      - name: nordic
        sources: ["eu-north-1"]
        allowed_pops: ["eu-north-*"]
        viewer_countries: [SE, FI]
"""
    issues = issues_of(tmp_path, catalog, policy(rules))
    assert issues == [
        (
            f"{RULE}.allowed_pops",
            "compliance rule 'nordic' fences viewer countries but allows none of the "
            "application's PoPs (eu-central-1, eu-central-2, eu-west-1, us-east-1)",
        )
    ]


def test_a_country_of_two_rules_needs_a_pop_both_allow(tmp_path: Path, catalog: Catalog) -> None:
    rules = GDPR.format(countries="[EU, CH, LI]") + SWISS.format(countries="[CH, LI]")
    issues = issues_of(tmp_path, catalog, policy(rules))
    assert issues == [
        (
            f"{SECOND}.viewer_countries",
            "viewer countries CH, LI are fenced by compliance rules 'gdpr' and "
            "'swiss', and no PoP of the application is allowed by all of them "
            "('gdpr' allows eu-central-1, eu-west-1; 'swiss' allows eu-central-2)",
        )
    ]


def test_two_rules_that_share_a_pop_are_valid(tmp_path: Path, catalog: Catalog) -> None:
    swiss = SWISS.format(countries="[CH]").replace(
        '["eu-central-2"]\n        viewer', '["eu-central-*"]\n        viewer'
    )
    compile_policy(write_policy(tmp_path, policy(GDPR.format(countries="[EU, CH]") + swiss)))


def test_origin_failover_must_be_allowed_for_fenced_viewers(
    tmp_path: Path, catalog: Catalog
) -> None:
    cloudfront = CLOUDFRONT + "      origin_failover: {secondary_pop: eu-central-2}\n"
    issues = issues_of(tmp_path, catalog, policy(GDPR.format(countries="[EU]"), cloudfront))
    assert issues == [
        (
            "applications[0].cloudfront.origin_failover.secondary_pop",
            "compliance rule 'gdpr': origin failover would retry requests of its "
            "fenced viewer countries on eu-central-2, which the rule does not allow "
            "(the edge fence changes only the origin group's primary)",
        )
    ]


def test_a_country_without_a_location_is_named(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every accepted code has one today (above); should the ISO list outgrow the table, the
    # policy says which code lacks one instead of failing later.
    known = {code: where for code, where in country_locations().items() if code != "CH"}
    monkeypatch.setattr("geoproxy.policy.checks.country_locations", lambda: known)
    issues = issues_of(tmp_path, catalog, policy(GDPR.format(countries="[EU, CH]")))
    assert issues == [
        (
            f"{RULE}.viewer_countries",
            "geoproxy knows no location for CH, so the edge fence cannot choose the PoP nearest it",
        )
    ]


def test_validate_warns_when_no_pop_can_take_requests_without_a_country(tmp_path: Path) -> None:
    rules = (
        GDPR.format(countries="[EU]")
        + """\
      - name: us-only
        sources: ["us-east-1"]
        allowed_pops: ["us-*"]
        viewer_countries: [US]
"""
    )
    compiled = compile_policy(write_policy(tmp_path, policy(rules)))
    assert (
        "shop: no PoP is allowed by every rule that fences viewer countries ('gdpr' and "
        "'us-only'), so the edge fence cannot fail closed: requests without a "
        "CloudFront-Viewer-Country header are left to latency routing"
    ) in compiled.warnings


def test_no_warning_when_a_pop_satisfies_every_fence(tmp_path: Path) -> None:
    compiled = compile_policy(write_policy(tmp_path, policy(GDPR.format(countries="[EU, GB]"))))
    assert not [warning for warning in compiled.warnings if "fail closed" in warning]
