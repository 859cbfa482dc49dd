"""Unit tests of the policy's `cloudfront` section: schema, normalisation, and the rules
checked across PoPs and applications (geoproxy.policy, geoproxy.policy_checks)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from geoproxy.core.names import origin_id
from geoproxy.errors import PolicyError
from geoproxy.pipeline import compile_policy
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.loader import load_policy
from geoproxy.policy.models import Application
from tests.conftest import MINIMAL_POLICY, write_policy

# Line numbers below refer to this text; the `cloudfront` block starts on line 9.
BASE = (
    MINIMAL_POLICY
    + """\
    cloudfront:
      distribution_id: E2EXAMPLE123
"""
)

SECOND_APP = """\
  - name: blog
    zone: example.com
    record: blog-origin.example.com
    pops:
      us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}
    cloudfront:
      distribution_id: E3OTHER4567
"""


def with_cloudfront(extra: str) -> str:
    """BASE with more keys in its `cloudfront` block (from line 11 on)."""
    return BASE + textwrap.indent(textwrap.dedent(extra), " " * 6)


def load_app(tmp_path: Path, catalog: Catalog, text: str) -> Application:
    return load_policy(write_policy(tmp_path, text), catalog).policy.applications[0]


def issues_of(tmp_path: Path, catalog: Catalog, text: str) -> list[tuple[str, int | None, str]]:
    path = write_policy(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path, catalog)
    return [(issue.dotted_path(), issue.line, issue.message) for issue in info.value.issues]


# --- defaults and normalisation ----------------------------------------------------------------


def test_cloudfront_defaults(tmp_path: Path, catalog: Catalog) -> None:
    app = load_app(tmp_path, catalog, BASE)
    assert app.cloudfront is not None
    cloudfront = app.cloudfront
    assert cloudfront.distribution_id == "E2EXAMPLE123"
    assert cloudfront.origin_id is None
    assert origin_id(app) == "geoproxy-shop"
    assert cloudfront.aliases == []
    assert (cloudfront.geo_restriction.type, cloudfront.geo_restriction.countries) == ("none", [])
    assert cloudfront.origin_failover is None
    origin = cloudfront.origin
    assert (
        origin.protocol_policy,
        origin.https_port,
        origin.http_port,
        origin.read_timeout,
        origin.keepalive_timeout,
        origin.ssl_protocols,
        origin.connection_attempts,
        origin.connection_timeout,
    ) == ("https-only", 443, 80, 30, 5, ["TLSv1.2"], 3, 10)


def test_an_application_without_cloudfront(tmp_path: Path, catalog: Catalog) -> None:
    app = load_app(tmp_path, catalog, BASE.split("    cloudfront:")[0])
    assert app.cloudfront is None


def test_an_explicit_origin_id(tmp_path: Path, catalog: Catalog) -> None:
    app = load_app(tmp_path, catalog, with_cloudfront("origin_id: web-geo\n"))
    assert origin_id(app) == "web-geo"


def test_aliases_are_normalised(tmp_path: Path, catalog: Catalog) -> None:
    app = load_app(
        tmp_path,
        catalog,
        with_cloudfront("aliases: [Shop.Example.COM., ' www.example.com', cdn.example.net]\n"),
    )
    assert app.cloudfront is not None
    assert app.cloudfront.aliases == ["shop.example.com", "www.example.com", "cdn.example.net"]


def test_geo_restriction_and_origin_failover_load(tmp_path: Path, catalog: Catalog) -> None:
    app = load_app(
        tmp_path,
        catalog,
        with_cloudfront("""\
        geo_restriction: {type: whitelist, countries: [US, CA, 'NO']}
        origin_failover: {secondary_pop: eu-west-1, status_codes: [503, 500]}
        """),
    )
    assert app.cloudfront is not None
    assert app.cloudfront.geo_restriction.type == "whitelist"
    assert app.cloudfront.geo_restriction.countries == ["US", "CA", "NO"]
    assert app.cloudfront.origin_failover is not None
    assert app.cloudfront.origin_failover.secondary_pop == "eu-west-1"
    assert app.cloudfront.origin_failover.status_codes == [503, 500]


def test_origin_failover_default_status_codes(tmp_path: Path, catalog: Catalog) -> None:
    app = load_app(
        tmp_path, catalog, with_cloudfront("origin_failover: {secondary_pop: us-east-1}\n")
    )
    assert app.cloudfront is not None and app.cloudfront.origin_failover is not None
    assert app.cloudfront.origin_failover.status_codes == [500, 502, 503, 504]


def test_compile_policy_accepts_cloudfront(tmp_path: Path, catalog: Catalog) -> None:
    path = write_policy(tmp_path, with_cloudfront("aliases: [shop.example.com]\n"))
    compiled = compile_policy(path, catalog)
    assert origin_id(compiled.routing.applications[0].app) == "geoproxy-shop"


# --- geo restriction ---------------------------------------------------------------------------


GEO = "applications[0].cloudfront.geo_restriction"


@pytest.mark.parametrize(
    ("geo", "path", "message"),
    [
        (
            "{type: blacklist, countries: [KP, XX, ZZ]}",
            GEO + ".countries",
            "not ISO 3166-1 alpha-2 country codes: XX, ZZ",
        ),
        (
            "{type: blacklist, countries: [kp]}",
            GEO + ".countries",
            "not ISO 3166-1 alpha-2 country codes: kp",
        ),
        (
            "{type: blacklist, countries: [KP, CU, KP]}",
            GEO + ".countries",
            "a country is listed twice",
        ),
        ("{type: none, countries: [KP]}", GEO, "type `none` takes no countries"),
        ("{countries: [KP]}", GEO, "type `none` takes no countries"),
        ("{type: whitelist}", GEO, "type `whitelist` needs at least one country"),
        ("{type: blacklist, countries: []}", GEO, "type `blacklist` needs at least one country"),
    ],
)
def test_geo_restriction_problems(
    tmp_path: Path, catalog: Catalog, geo: str, path: str, message: str
) -> None:
    issues = issues_of(tmp_path, catalog, with_cloudfront(f"geo_restriction: {geo}\n"))
    assert (path, 11, message) in issues


def test_no_read_as_a_boolean_gets_the_quoting_hint(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(
        tmp_path,
        catalog,
        with_cloudfront("geo_restriction: {type: blacklist, countries: [SE, NO]}\n"),
    )
    assert issues == [
        (
            GEO + ".countries",
            11,
            "YAML reads NO, YES, ON and OFF as booleans: quote country codes "
            "(e.g. 'NO' for Norway)",
        )
    ]


def test_an_unknown_restriction_type(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(
        tmp_path, catalog, with_cloudfront("geo_restriction: {type: allowlist, countries: [US]}\n")
    )
    assert [(path, line) for path, line, _ in issues] == [(GEO + ".type", 11)]
    assert "'whitelist', 'blacklist' or 'none'" in issues[0][2]


# --- aliases, ids and other schema rules ------------------------------------------------------


def test_an_alias_listed_twice(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(
        tmp_path,
        catalog,
        with_cloudfront("aliases: [shop.example.com, www.example.com, SHOP.example.com.]\n"),
    )
    assert issues == [("applications[0].cloudfront.aliases", 11, "an alias is listed twice")]


def test_an_invalid_alias(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(tmp_path, catalog, with_cloudfront("aliases: ['shop example.com']\n"))
    assert issues == [
        ("applications[0].cloudfront.aliases", 11, "'shop example.com' is not a valid DNS name")
    ]


@pytest.mark.parametrize("distribution_id", ["e2example123", "E2EX", "E2EXAMPLE-123", "E" * 21])
def test_distribution_id_pattern(tmp_path: Path, catalog: Catalog, distribution_id: str) -> None:
    issues = issues_of(tmp_path, catalog, BASE.replace("E2EXAMPLE123", distribution_id))
    assert issues == [
        (
            "applications[0].cloudfront.distribution_id",
            10,
            f"expected text matching ^[A-Z0-9]{{8,20}}$, got {distribution_id!r}",
        )
    ]


def test_distribution_id_is_required(tmp_path: Path, catalog: Catalog) -> None:
    text = BASE.replace(
        "      distribution_id: E2EXAMPLE123\n", "      aliases: [shop.example.com]\n"
    )
    issues = issues_of(tmp_path, catalog, text)
    assert issues == [
        (
            "applications[0].cloudfront.distribution_id",
            9,
            "required key 'distribution_id' is missing",
        )
    ]


def test_an_unknown_cloudfront_key_gets_a_hint(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(tmp_path, catalog, with_cloudfront("alias: [shop.example.com]\n"))
    assert issues == [
        ("applications[0].cloudfront.alias", 11, "unknown key 'alias' (did you mean 'aliases'?)")
    ]


@pytest.mark.parametrize(
    ("origin", "path"),
    [
        ("{protocol_policy: https}", "protocol_policy"),
        ("{https_port: 0}", "https_port"),
        ("{read_timeout: 181}", "read_timeout"),
        ("{ssl_protocols: []}", "ssl_protocols"),
        ("{ssl_protocols: [TLSv1.3]}", "ssl_protocols.0"),
        ("{connection_attempts: 4}", "connection_attempts"),
        ("{connection_timeout: 11}", "connection_timeout"),
    ],
)
def test_origin_setting_limits(tmp_path: Path, catalog: Catalog, origin: str, path: str) -> None:
    issues = issues_of(tmp_path, catalog, with_cloudfront(f"origin: {origin}\n"))
    assert [(p, line) for p, line, _ in issues] == [
        ("applications[0].cloudfront.origin." + path.replace(".0", "[0]"), 11)
    ]


def test_origin_failover_status_codes_are_checked(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(
        tmp_path,
        catalog,
        with_cloudfront("origin_failover: {secondary_pop: us-east-1, status_codes: [500, 418]}\n"),
    )
    assert [(p, line) for p, line, _ in issues] == [
        ("applications[0].cloudfront.origin_failover.status_codes[1]", 11)
    ]


# --- rules across PoPs and applications ---------------------------------------------------------


def test_secondary_pop_must_be_a_pop(tmp_path: Path, catalog: Catalog) -> None:
    issues = issues_of(
        tmp_path,
        catalog,
        with_cloudfront("""\
        origin_failover:
          secondary_pop: ap-south-1
        """),
    )
    assert issues == [
        (
            "applications[0].cloudfront.origin_failover.secondary_pop",
            12,
            "ap-south-1 is not one of this application's pops (us-east-1, eu-west-1)",
        )
    ]


def test_the_same_alias_in_two_applications(tmp_path: Path, catalog: Catalog) -> None:
    text = (
        with_cloudfront("aliases: [shop.example.com, www.example.com]\n")
        + SECOND_APP
        + ("      aliases: [blog.example.com, WWW.example.com.]\n")
    )
    issues = issues_of(tmp_path, catalog, text)
    # Reported at the second application only, at the alias's position in its list.
    assert issues == [
        (
            "applications[1].cloudfront.aliases[1]",
            19,
            "www.example.com is already an alias of application 'shop'",
        )
    ]


def test_different_aliases_in_two_applications(tmp_path: Path, catalog: Catalog) -> None:
    text = (
        with_cloudfront("aliases: [shop.example.com]\n")
        + SECOND_APP
        + ("      aliases: [blog.example.com]\n")
    )
    policy = load_policy(write_policy(tmp_path, text), catalog).policy
    assert [origin_id(app) for app in policy.applications] == ["geoproxy-shop", "geoproxy-blog"]


@pytest.mark.parametrize("alias", ["origin.example.com", "us-east-1.origin.example.com"])
def test_an_alias_may_not_be_the_origin_name_or_below_it(
    tmp_path: Path, catalog: Catalog, alias: str
) -> None:
    issues = issues_of(
        tmp_path, catalog, with_cloudfront(f"aliases: [shop.example.com, {alias}]\n")
    )
    assert issues == [
        (
            "applications[0].cloudfront.aliases[1]",
            11,
            f"alias {alias} is the origin name of application 'shop' or below it; "
            "viewers and origins need different names",
        )
    ]


def test_an_alias_may_not_be_another_applications_record(tmp_path: Path, catalog: Catalog) -> None:
    text = with_cloudfront("aliases: [blog-origin.example.com]\n") + SECOND_APP
    issues = issues_of(tmp_path, catalog, text)
    assert any("blog-origin.example.com" in message for _, _, message in issues)


def test_one_distribution_per_application(tmp_path: Path, catalog: Catalog) -> None:
    text = with_cloudfront("aliases: [shop.example.com]\n") + SECOND_APP.replace(
        "E3OTHER4567", "E2EXAMPLE123"
    )
    issues = issues_of(tmp_path, catalog, text)
    assert [path for path, _, _ in issues] == ["applications[1].cloudfront.distribution_id"]


def test_origin_timeouts_above_60_need_a_raised_quota(tmp_path: Path, catalog: Catalog) -> None:
    # UpdateDistribution refuses them otherwise, after the Route 53 phase has been written.
    issues = issues_of(
        tmp_path, catalog, with_cloudfront("origin: {read_timeout: 61, keepalive_timeout: 90}\n")
    )
    assert [(p, line) for p, line, _ in issues] == [("applications[0].cloudfront.origin", 11)]
    assert (
        "read_timeout 61 and keepalive_timeout 90 s exceed CloudFront's default maximum "
        "of 60 s" in issues[0][2]
    )
    assert "timeout_quota_raised: true" in issues[0][2]
    for accepted in ("{read_timeout: 180, timeout_quota_raised: true}", "{read_timeout: 60}"):
        origin = (
            load_policy(write_policy(tmp_path, with_cloudfront(f"origin: {accepted}\n")), catalog)
            .policy.applications[0]
            .cloudfront.origin
        )  # type: ignore
        assert origin.read_timeout in (180, 60)
