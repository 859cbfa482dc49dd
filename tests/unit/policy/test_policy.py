"""Unit tests of geoproxy.policy: loading, strict validation, and where errors point."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from geoproxy.errors import Issue, PolicyError
from geoproxy.policy.catalog import Catalog
from geoproxy.policy.loader import LoadedPolicy, load_policy
from geoproxy.policy.models import normalize_dns_name
from tests.conftest import MINIMAL_POLICY

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str, name: str = "routing.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(path: Path, catalog: Catalog) -> LoadedPolicy:
    return load_policy(path, catalog)


def load_error(path: Path, catalog: Catalog) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(path, catalog)
    error = info.value
    # Every policy error names the file, in the attribute and in the message, and the message
    # shows every issue with its file:line.
    assert error.file == str(path)
    assert str(error).startswith(f"{path}:")
    assert error.kind == "policy_invalid"
    assert error.issues
    for issue in error.issues:
        where = f"{path}:{issue.line}:" if issue.line else f"{path}:"
        assert where in str(error)
        assert issue.message in str(error)
    if len(error.issues) > 1:
        assert f"{path}: invalid policy ({len(error.issues)} problems)" in str(error)
    return error


def summary(error: PolicyError) -> list[tuple[str, int | None, str]]:
    return [(issue.dotted_path(), issue.line, issue.message) for issue in error.issues]


# A valid one-application policy; line numbers below refer to this text.
VALID = MINIMAL_POLICY


# --- the shipped policy -----------------------------------------------------------------------


def test_repo_routing_yaml_loads(catalog: Catalog) -> None:
    loaded = load(REPO / "routing.yaml", catalog)
    assert loaded.file == str(REPO / "routing.yaml")
    policy = loaded.policy
    assert policy.version == 1
    assert [app.name for app in policy.applications] == ["shop"]
    app = policy.application("shop")
    assert app.zone == "example.com"
    assert app.zone_id is None
    assert app.record == "origin.shop.example.com"
    assert app.record_types == ["A"]
    assert app.source_regions == "all"
    assert list(app.pops) == ["us-east-1", "eu-west-1", "ap-southeast-1"]
    assert app.pops["us-east-1"].target == "shop-use1-123.us-east-1.elb.amazonaws.com"
    assert app.pops["ap-southeast-1"].hosted_zone_id == "Z1LMS91P8CMLE5"
    assert app.force == {"me-south-1": "us-east-1"}
    assert app.evaluate_target_health is False
    assert [(r.name, r.sources, r.allowed_pops) for r in app.compliance] == [
        ("gdpr", ["eu-*"], ["eu-*"])
    ]
    assert app.hosted_zone_id_of("us-east-1", catalog) == "Z35SXDOTRQ7X7K"
    assert app.hosted_zone_id_of("eu-west-1", catalog) == "Z32O12XQLNTSW2"
    assert app.hosted_zone_id_of("ap-southeast-1", catalog) == "Z1LMS91P8CMLE5"
    with pytest.raises(KeyError):
        policy.application("nope")


def test_repo_routing_yaml_source_lines(catalog: Catalog) -> None:
    loaded = load(REPO / "routing.yaml", catalog)
    text = (REPO / "routing.yaml").read_text().splitlines()
    line = loaded.source.line_of(("applications", 0, "force", "me-south-1"))
    assert line is not None
    assert text[line - 1].strip() == "me-south-1: us-east-1"


def test_example_policy_is_byte_identical_to_repo_policy() -> None:
    example = REPO / "geoproxy" / "examples" / "routing.yaml"
    assert example.read_bytes() == (REPO / "routing.yaml").read_bytes()


def test_valid_minimal_policy_defaults(tmp_path: Path, catalog: Catalog) -> None:
    app = load(write(tmp_path, VALID), catalog).policy.applications[0]
    assert app.record_types == ["A"]
    assert app.source_regions == "all"
    assert app.force == {}
    assert app.compliance == []
    assert app.evaluate_target_health is False


# --- file and YAML problems ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "nope.yaml"
    error = load_error(path, catalog)
    assert error.issues == [Issue((), "file not found", None)]
    assert f"{path}: file not found" in str(error)


def test_invalid_yaml_reports_line(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """\
        version: 1
        applications:
          - name: shop
            zone: example.com: oops
            record: origin.example.com
        """,
    )
    error = load_error(path, catalog)
    assert len(error.issues) == 1
    issue = error.issues[0]
    assert issue.path == ()
    assert issue.line == 4
    assert issue.message.startswith("not valid YAML: ")
    assert "mapping values are not allowed here" in issue.message
    assert f"{path}:4: not valid YAML" in str(error)


def test_unclosed_flow_sequence_is_invalid_yaml(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, "version: 1\napplications: [\n")
    error = load_error(path, catalog)
    assert len(error.issues) == 1
    assert error.issues[0].message.startswith("not valid YAML: ")
    assert error.issues[0].line == 3  # the stream ends on the (empty) third line


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just a string\n"])
def test_not_a_mapping(tmp_path: Path, catalog: Catalog, text: str) -> None:
    error = load_error(write(tmp_path, text), catalog)
    assert summary(error) == [("", None, "expected a mapping with `version` and `applications`")]


def test_duplicate_key_reports_second_line(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """\
        version: 1
        applications:
          - name: shop
            zone: example.com
            record: origin.example.com
            zone: example.org
            pops:
              us-east-1: {target: a-1.us-east-1.elb.amazonaws.com}
        """,
    )
    error = load_error(path, catalog)
    assert summary(error) == [("applications[0].zone", 6, "key 'zone' appears twice")]
    assert f"{path}:6: applications[0].zone: key 'zone' appears twice" in str(error)


def test_duplicate_top_level_key(tmp_path: Path, catalog: Catalog) -> None:
    error = load_error(write(tmp_path, "version: 1\nversion: 1\napplications: []\n"), catalog)
    assert summary(error) == [("version", 2, "key 'version' appears twice")]


# --- schema problems ------------------------------------------------------------------------------


def test_unknown_keys_with_did_you_mean(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """\
        version: 1
        applications:
          - name: shop
            zone: example.com
            record: origin.example.com
            evaluate_target_helth: false
            pops:
              eu-west-1:
                targt: x.eu-west-1.elb.amazonaws.com
        """,
    )
    error = load_error(path, catalog)
    issues = {issue.dotted_path(): issue for issue in error.issues}
    helth = issues["applications[0].evaluate_target_helth"]
    assert helth.line == 6
    assert helth.message == (
        "unknown key 'evaluate_target_helth' (did you mean 'evaluate_target_health'?)"
    )
    targt = issues["applications[0].pops.eu-west-1.targt"]
    assert targt.line == 9
    assert targt.message == "unknown key 'targt' (did you mean 'target'?)"
    # The key it meant is then missing; reporting that too is optional, nothing else is.
    assert set(issues) <= {
        "applications[0].evaluate_target_helth",
        "applications[0].pops.eu-west-1.targt",
        "applications[0].pops.eu-west-1.target",
    }
    assert (
        f"{path}:6: applications[0].evaluate_target_helth: unknown key "
        "'evaluate_target_helth' (did you mean 'evaluate_target_health'?)"
    ) in str(error)


def test_unknown_top_level_key(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("version: 1", "versoin: 1")
    error = load_error(write(tmp_path, text), catalog)
    issues = {issue.dotted_path(): issue for issue in error.issues}
    assert issues["versoin"].message == "unknown key 'versoin' (did you mean 'version'?)"
    assert issues["versoin"].line == 1
    assert set(issues) <= {"versoin", "version"}


def test_unknown_key_in_compliance_rule(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        VALID
        + textwrap.indent(
            textwrap.dedent("""\
        compliance:
          - name: gdpr
            sources: ["eu-*"]
            allowed_pop: ["eu-*"]
        """),
            "    ",
        ),
    )
    error = load_error(path, catalog)
    issues = {issue.dotted_path(): issue for issue in error.issues}
    unknown = issues["applications[0].compliance[0].allowed_pop"]
    assert unknown.message == "unknown key 'allowed_pop' (did you mean 'allowed_pops'?)"
    assert unknown.line == 12
    assert set(issues) <= {
        "applications[0].compliance[0].allowed_pop",
        "applications[0].compliance[0].allowed_pops",
    }


def test_unknown_key_with_block_value_points_at_the_key(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        VALID
        + textwrap.indent(
            textwrap.dedent("""\
        complianse:
          - name: gdpr
            sources: ["eu-*"]
            allowed_pops: ["eu-*"]
        """),
            "    ",
        ),
    )
    error = load_error(path, catalog)
    assert summary(error) == [
        ("applications[0].complianse", 9, "unknown key 'complianse' (did you mean 'compliance'?)")
    ]


# One bad key or value in an otherwise valid policy: exactly one issue, at its path and line.
ONE_BAD_ENTRY = [
    pytest.param(
        VALID + "      us-east-1: {target: c-3.us-east-1.elb.amazonaws.com}\n",
        ("applications[0].pops.us-east-1", 9, "key 'us-east-1' appears twice"),
        id="duplicate PoP region: its second line",
    ),
    pytest.param(
        VALID.replace("    record: origin", "    zzzzzz: 1\n    record: origin"),
        ("applications[0].zzzzzz", 5, "unknown key 'zzzzzz'"),
        id="unknown key without a close match: no hint",
    ),
    pytest.param(
        VALID.replace("    record: origin.example.com\n", ""),
        # A missing key points at the mapping that lacks it: the application, line 3.
        ("applications[0].record", 3, "required key 'record' is missing"),
        id="missing required record",
    ),
    pytest.param(
        VALID.replace("    pops:", "    source_regions: [us-east-1, eu-centrl-1]\n    pops:"),
        (
            "applications[0].source_regions[1]",
            6,
            "source region 'eu-centrl-1' is not a Route 53 latency region "
            "(did you mean 'eu-central-1'?)",
        ),
        id="unknown source region: did you mean",
    ),
    pytest.param(
        VALID.replace("    pops:", "    source_regions: [us-east-1, us-east-1]\n    pops:"),
        ("applications[0].source_regions", 6, "source_regions lists a region twice"),
        id="duplicate source region",
    ),
    pytest.param(
        VALID.replace("    pops:", "    source_regions: []\n    pops:"),
        ("applications[0].source_regions", 6, "source_regions is empty; use `all` or name regions"),
        id="empty source regions",
    ),
    pytest.param(
        VALID.replace("record: origin.example.com", "record: origin.example.org"),
        (
            "applications[0].record",
            5,
            "record origin.example.org does not lie inside zone example.com",
        ),
        id="record outside its zone",
    ),
    pytest.param(
        VALID.replace("record: origin.example.com", "record: bad..example.com"),
        ("applications[0].record", 5, "'bad..example.com' is not a valid DNS name"),
        id="invalid record name",
    ),
    pytest.param(
        VALID + "    force: {me-south-1: us-west-2}\n",
        (
            "applications[0].force.me-south-1",
            9,
            "forces me-south-1 to us-west-2, which is not one of this application's pops "
            "(us-east-1, eu-west-1)",
        ),
        id="force to a region that is not a PoP",
    ),
    pytest.param(
        VALID.replace("b-2.eu-west-1.elb", "b-2.us-east-1.elb"),
        (
            "applications[0].pops.eu-west-1.target",
            8,
            "target b-2.us-east-1.elb.amazonaws.com is a load balancer in "
            "us-east-1, not in eu-west-1",
        ),
        id="PoP target in another region",
    ),
    pytest.param(
        VALID.replace("a-1.us-east-1.elb.amazonaws.com", "d111.cloudfront.net"),
        (
            "applications[0].pops.us-east-1.target",
            7,
            "cannot tell the alias hosted zone id of d111.cloudfront.net; set `hosted_zone_id`",
        ),
        id="non-ELB target needs a hosted zone id",
    ),
    pytest.param(
        VALID.replace(
            "{target: a-1.us-east-1.elb.amazonaws.com}",
            "{target: a-1.us-east-1.elb.amazonaws.com, hosted_zone_id: z-bad}",
        ),
        (
            "applications[0].pops.us-east-1.hosted_zone_id",
            7,
            "'z-bad' is not a hosted zone id (like Z35SXDOTRQ7X7K)",
        ),
        id="malformed hosted zone id",
    ),
    pytest.param(
        VALID.replace("    pops:", "    record_types: [A, A]\n    pops:"),
        ("applications[0].record_types", 6, "record_types lists a type twice"),
        id="record type listed twice",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ONE_BAD_ENTRY)
def test_one_bad_entry_is_one_issue_at_its_line(
    tmp_path: Path, catalog: Catalog, text: str, expected: tuple[str, int, str]
) -> None:
    assert text != VALID
    error = load_error(write(tmp_path, text), catalog)
    assert summary(error) == [expected]


def test_missing_applications(tmp_path: Path, catalog: Catalog) -> None:
    error = load_error(write(tmp_path, "version: 1\n"), catalog)
    assert summary(error) == [("applications", 1, "required key 'applications' is missing")]


def test_empty_applications(tmp_path: Path, catalog: Catalog) -> None:
    error = load_error(write(tmp_path, "version: 1\napplications: []\n"), catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [("applications", 2)]
    assert "at least 1 item" in error.issues[0].message


def test_version_2_rejected(tmp_path: Path, catalog: Catalog) -> None:
    error = load_error(write(tmp_path, VALID.replace("version: 1", "version: 2")), catalog)
    assert len(error.issues) == 1
    issue = error.issues[0]
    assert (issue.dotted_path(), issue.line) == ("version", 1)
    assert "1" in issue.message
    assert f"{error.file}:1: version:" in str(error)


def test_unknown_pop_region_did_you_mean(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("eu-west-1: {target: b-2.eu-west-1", "eu-west-9: {target: b-2.eu-west-1")
    error = load_error(write(tmp_path, text), catalog)
    assert len(error.issues) == 1
    issue = error.issues[0]
    assert issue.dotted_path() == "applications[0].pops.eu-west-9"
    assert re.fullmatch(
        r"PoP region 'eu-west-9' is not a Route 53 latency region "
        r"\(did you mean 'eu-west-[123]'\?\)",
        issue.message,
    ), issue.message


def test_unknown_forced_regions(tmp_path: Path, catalog: Catalog) -> None:
    error = load_error(write(tmp_path, VALID + "    force: {eu-wst-3: eu-west-1}\n"), catalog)
    assert summary(error) == [
        (
            "applications[0].force.eu-wst-3",
            9,
            "forced source region 'eu-wst-3' is not a Route 53 latency region "
            "(did you mean 'eu-west-3'?)",
        )
    ]
    error = load_error(write(tmp_path, VALID + "    force: {eu-west-3: mars-1}\n"), catalog)
    assert len(error.issues) == 1
    assert error.issues[0].message.startswith(
        "forces eu-west-3 to mars-1, which is not one of this application's pops"
    )


@pytest.mark.parametrize("section", ["pops", "force"])
def test_bad_region_key_points_at_its_entry(tmp_path: Path, catalog: Catalog, section: str) -> None:
    if section == "pops":
        text = VALID.replace(
            "eu-west-1: {target: b-2.eu-west-1", "eu-west-9: {target: b-2.eu-west-1"
        )
    else:
        text = VALID + "    force:\n      us-east-2: us-east-1\n      eu-west-9: eu-west-1\n"
    line = 8 if section == "pops" else 11
    error = load_error(write(tmp_path, text), catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [
        (f"applications[0].{section}.eu-west-9", line)
    ]


def test_record_sharing_only_a_suffix_is_outside_zone(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("record: origin.example.com", "record: badexample.com")
    error = load_error(write(tmp_path, text), catalog)
    assert [i.message for i in error.issues] == [
        "record badexample.com does not lie inside zone example.com"
    ]


def test_record_at_zone_apex_is_allowed(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("record: origin.example.com", "record: example.com")
    assert load(write(tmp_path, text), catalog).policy.applications[0].record == "example.com"


def test_nlb_target_in_another_region(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("b-2.eu-west-1.elb.amazonaws.com", "b-2.elb.eu-west-2.amazonaws.com")
    error = load_error(write(tmp_path, text), catalog)
    assert [i.message for i in error.issues] == [
        "target b-2.elb.eu-west-2.amazonaws.com is a load balancer in eu-west-2, not in eu-west-1"
    ]


def test_hosted_zone_id_makes_non_elb_target_valid(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace(
        "{target: a-1.us-east-1.elb.amazonaws.com}",
        "{target: d111.cloudfront.net, hosted_zone_id: /hostedzone/Z2FDTNDATAQYW2}",
    )
    app = load(write(tmp_path, text), catalog).policy.applications[0]
    assert app.pops["us-east-1"].target == "d111.cloudfront.net"
    assert app.pops["us-east-1"].hosted_zone_id == "Z2FDTNDATAQYW2"
    assert app.hosted_zone_id_of("us-east-1", catalog) == "Z2FDTNDATAQYW2"
    assert app.hosted_zone_id_of("eu-west-1", catalog) == "Z32O12XQLNTSW2"


def test_explicit_hosted_zone_id_overrides_catalog(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace(
        "{target: b-2.eu-west-1.elb.amazonaws.com}",
        "{target: b-2.eu-west-1.elb.amazonaws.com, hosted_zone_id: ZOVERRIDE1}",
    )
    app = load(write(tmp_path, text), catalog).policy.applications[0]
    assert app.hosted_zone_id_of("eu-west-1", catalog) == "ZOVERRIDE1"


def test_nlb_target_gets_nlb_zone(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("b-2.eu-west-1.elb.amazonaws.com", "b-2.elb.eu-west-1.amazonaws.com")
    app = load(write(tmp_path, text), catalog).policy.applications[0]
    assert app.hosted_zone_id_of("eu-west-1", catalog) == "Z2IFOLAFXWLO4F"


def test_zone_id_prefix_is_stripped(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("    record:", "    zone_id: /hostedzone/Z0123ABC\n    record:")
    assert load(write(tmp_path, text), catalog).policy.applications[0].zone_id == "Z0123ABC"


def _two_apps(
    first_name: str,
    first_record: str,
    second_name: str,
    second_record: str,
    second_types: str = "[A]",
) -> str:
    return textwrap.dedent(f"""\
        version: 1
        applications:
          - name: {first_name}
            zone: example.com
            record: {first_record}
            pops:
              us-east-1: {{target: a-1.us-east-1.elb.amazonaws.com}}
          - name: {second_name}
            zone: example.com
            record: {second_record}
            record_types: {second_types}
            pops:
              us-east-1: {{target: a-1.us-east-1.elb.amazonaws.com}}
        """)


def test_duplicate_application_names(tmp_path: Path, catalog: Catalog) -> None:
    text = _two_apps("shop", "a.example.com", "shop", "b.example.com")
    error = load_error(write(tmp_path, text), catalog)
    assert [i.message for i in error.issues] == ["applications[0] is already named 'shop'"]


def test_duplicate_application_name_points_at_second_app(tmp_path: Path, catalog: Catalog) -> None:
    text = _two_apps("shop", "a.example.com", "shop", "b.example.com")
    error = load_error(write(tmp_path, text), catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [("applications[1].name", 8)]


def test_two_apps_manage_same_record_and_type(tmp_path: Path, catalog: Catalog) -> None:
    # Names are compared after normalisation, so case and trailing dots do not hide a clash.
    text = _two_apps("web", "origin.example.com", "api", "Origin.Example.COM.", "[AAAA, A]")
    error = load_error(write(tmp_path, text), catalog)
    assert [(i.dotted_path(), i.message) for i in error.issues] == [
        ("applications[1].record", "origin.example.com is already managed by application 'web'")
    ]


def test_two_apps_may_not_share_a_record_even_with_other_types(
    tmp_path: Path, catalog: Catalog
) -> None:
    # geoproxy's records at a name belong to one application; two would delete each other's.
    text = _two_apps("web", "origin.example.com", "web6", "origin.example.com", "[AAAA]")
    error = load_error(write(tmp_path, text), catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [("applications[1].record", 10)]


def test_record_type_cname_rejected(tmp_path: Path, catalog: Catalog) -> None:
    text = VALID.replace("    pops:", "    record_types: [A, CNAME]\n    pops:")
    error = load_error(write(tmp_path, text), catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [
        ("applications[0].record_types[1]", 6)
    ]
    assert "'A' or 'AAAA'" in error.issues[0].message


def test_bad_application_name(tmp_path: Path, catalog: Catalog) -> None:
    error = load_error(write(tmp_path, VALID.replace("name: shop", "name: -shop")), catalog)
    assert [(i.dotted_path(), i.line) for i in error.issues] == [("applications[0].name", 3)]


def test_every_problem_reported_in_one_pass(tmp_path: Path, catalog: Catalog) -> None:
    # Schema problems are reported together; rules that need a valid shape run after them.
    schema = VALID.replace("version: 1", "version: 3")
    schema = schema.replace("    record: origin.example.com\n", "")
    error = load_error(write(tmp_path, schema), catalog)
    assert sorted(i.dotted_path() for i in error.issues) == ["applications[0].record", "version"]
    assert f"{error.file}: invalid policy (2 problems)" in str(error)
    body = error.to_json()
    assert body["kind"] == "policy_invalid"
    assert body["file"] == error.file
    assert {entry["path"] for entry in body["issues"]} == {  # type: ignore[union-attr]
        "applications[0].record",
        "version",
    }
    rules = VALID.replace("record: origin.example.com", "record: origin.example.org").replace(
        "b-2.eu-west-1.elb", "b-2.us-east-1.elb"
    )
    error = load_error(write(tmp_path, rules), catalog)
    assert sorted(i.dotted_path() for i in error.issues) == [
        "applications[0].pops.eu-west-1.target",
        "applications[0].record",
    ]


def test_upper_case_names_normalised(tmp_path: Path, catalog: Catalog) -> None:
    path = write(
        tmp_path,
        """\
        version: 1
        applications:
          - name: Shop
            zone: Example.COM.
            record: Origin.Shop.Example.com.
            record_types: [AAAA, A]
            source_regions: [eu-west-1]
            pops:
              eu-west-1: {target: Shop-1.EU-WEST-1.ELB.amazonaws.com.}
        """,
    )
    app = load(path, catalog).policy.applications[0]
    assert app.name == "Shop"  # application names are labels, not DNS names
    assert app.zone == "example.com"
    assert app.record == "origin.shop.example.com"
    assert app.pops["eu-west-1"].target == "shop-1.eu-west-1.elb.amazonaws.com"
    assert app.record_types == ["AAAA", "A"]
    assert app.hosted_zone_id_of("eu-west-1", catalog) == "Z32O12XQLNTSW2"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Example.COM.", "example.com"), (" a.b ", "a.b"), ("_srv.x-y.example", "_srv.x-y.example")],
)
def test_normalize_dns_name(value: str, expected: str) -> None:
    assert normalize_dns_name(value) == expected


@pytest.mark.parametrize(
    "value", ["", ".", "a..b", "-a.com", "a-.com", "a b.com", "x" * 64 + ".com"]
)
def test_normalize_dns_name_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="is not a valid DNS name"):
        normalize_dns_name(value)


def test_issue_dotted_path() -> None:
    assert Issue(("applications", 0, "force", "eu-west-3"), "m").dotted_path() == (
        "applications[0].force.eu-west-3"
    )
    assert Issue((), "m").dotted_path() == ""
    assert Issue(("version",), "m").dotted_path() == "version"


def test_source_regions_of_the_wrong_kind_get_one_plain_message(
    tmp_path: Path, catalog: Catalog
) -> None:
    text = VALID.replace("    pops:", "    source_regions: every\n    pops:")
    error = load_error(write(tmp_path, text), catalog)
    assert summary(error) == [
        ("applications[0].source_regions", 6, "expected `all` or a list of regions, got 'every'")
    ]
