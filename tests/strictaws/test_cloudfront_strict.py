"""CloudFront certificate and alias rules the strict layer restores (bare moto 5.2 has none).

Docs cited below:
- [VC]   API Reference, "ViewerCertificate" (data type).
- [REQ]  Developer Guide, "Use custom URLs by adding alternate domain names (CNAMEs)",
         #alternate-domain-names-requirements and #alternate-domain-names-restrictions.
- [WILD] Developer Guide, "Use wildcards in alternate domain names".
- [CERT] Developer Guide, "Requirements for using SSL/TLS certificates with CloudFront",
         #https-requirements-aws-region and #https-requirements-domain-names-in-cert.
- [IAM]  Developer Guide, "Configure alternate domain names and HTTPS",
         #cnames-and-https-uploading-certificates.
- [LCA]  API Reference, "ListConflictingAliases"; Developer Guide, "Find the source standard
         distribution or distribution tenant" (example response with masked ids).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError

from geoproxy.sandbox.strict.certificates import self_signed_pem
from tests.strictaws import StrictMotoServer
from tests.strictaws.fixtures import CACHING_OPTIMIZED, distribution_config

pytest_plugins = ["tests.strictaws.fixtures"]

CACHE_POLICY = CACHING_OPTIMIZED
BASE = distribution_config("strict")


def acm_viewer(arn: str) -> dict[str, Any]:
    return {
        "ACMCertificateArn": arn,
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }


def config(reference: str, *aliases: str, viewer: dict[str, Any] | None = None) -> dict[str, Any]:
    result = {
        **copy.deepcopy(BASE),
        "CallerReference": reference,
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)},
    }
    if viewer is not None:
        result["ViewerCertificate"] = viewer
    return result


def create(cf: Any, reference: str, *aliases: str, viewer: dict[str, Any] | None = None) -> str:
    created = cf.create_distribution(DistributionConfig=config(reference, *aliases, viewer=viewer))
    return str(created["Distribution"]["Id"])


def error_of(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    response = err.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def update_request(cf: Any, dist_id: str, *aliases: str, **changes: Any) -> dict[str, Any]:
    """UpdateDistribution's arguments: the current config with these aliases and changes."""
    current = cf.get_distribution_config(Id=dist_id)
    new = {
        **current["DistributionConfig"],
        **changes,
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)},
    }
    return {"Id": dist_id, "IfMatch": current["ETag"], "DistributionConfig": new}


def set_aliases(cf: Any, dist_id: str, *aliases: str, **changes: Any) -> dict[str, Any]:
    return dict(cf.update_distribution(**update_request(cf, dist_id, *aliases, **changes)))


# -- rule 1: ViewerCertificate is kept as sent [VC] ------------------------------------------


def test_issue_certificate_makes_an_issued_acm_certificate_in_us_east_1(
    aws: StrictMotoServer,
) -> None:
    arn = aws.issue_certificate("*.example.com", "example.com")
    assert arn.startswith("arn:aws:acm:us-east-1:123456789012:certificate/")
    described = aws.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    assert described["Status"] == "ISSUED" and described["Type"] == "AMAZON_ISSUED"
    assert sorted(described["SubjectAlternativeNames"]) == ["*.example.com", "example.com"]


def test_viewer_certificate_is_returned_as_sent(aws: StrictMotoServer, cf: Any) -> None:
    # moto answers CloudFrontDefaultCertificate=true and drops the ACM certificate's settings.
    arn = aws.issue_certificate("*.example.com")
    dist_id = create(cf, "kept", "shop.example.com", viewer=acm_viewer(arn))
    expected = {
        **acm_viewer(arn),
        "CloudFrontDefaultCertificate": False,
        "Certificate": arn,
        "CertificateSource": "acm",
    }  # the deprecated mirrors
    assert (
        cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"]["ViewerCertificate"]
        == expected
    )
    assert (
        cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["ViewerCertificate"]
        == expected
    )
    summary = cf.list_distributions()["DistributionList"]["Items"][0]
    assert summary["ViewerCertificate"] == expected

    other = aws.issue_certificate("shop.example.com")
    updated = set_aliases(
        cf,
        dist_id,
        "shop.example.com",
        ViewerCertificate={
            **expected,
            "ACMCertificateArn": other,
            "MinimumProtocolVersion": "TLSv1.2_2019",
        },
    )
    # The deprecated Certificate follows the new ARN even when the old one is sent back.
    assert updated["Distribution"]["DistributionConfig"]["ViewerCertificate"] == {
        **expected,
        "ACMCertificateArn": other,
        "Certificate": other,
        "MinimumProtocolVersion": "TLSv1.2_2019",
    }


def test_the_default_certificate_always_has_the_tlsv1_policy(cf: Any) -> None:
    # [VC] MinimumProtocolVersion: with CloudFrontDefaultCertificate, "CloudFront automatically
    # sets the security policy to TLSv1 regardless of the value that you set here".
    dist_id = create(
        cf,
        "default",
        viewer={"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"},
    )
    viewer = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["ViewerCertificate"]
    assert viewer["CloudFrontDefaultCertificate"] is True
    assert viewer["MinimumProtocolVersion"] == "TLSv1"
    assert "ACMCertificateArn" not in viewer and "IAMCertificateId" not in viewer
    # No ViewerCertificate at all is the default certificate too.
    plain = create(cf, "plain")
    assert (
        cf.get_distribution_config(Id=plain)["DistributionConfig"]["ViewerCertificate"][
            "CloudFrontDefaultCertificate"
        ]
        is True
    )


def test_exactly_one_certificate_source(aws: StrictMotoServer, cf: Any) -> None:
    # [VC] "specify a value for one, not both"; CloudFrontDefaultCertificate=false needs one.
    arn = aws.issue_certificate("*.example.com")
    for viewer in (
        {**acm_viewer(arn), "CloudFrontDefaultCertificate": True},
        {**acm_viewer(arn), "IAMCertificateId": "ASCACKCEVSQ6C2EXAMPLE"},
        {"CloudFrontDefaultCertificate": False, "SSLSupportMethod": "sni-only"},
    ):
        code, _, status = error_of(
            cf.create_distribution, DistributionConfig=config("both", viewer=viewer)
        )
        assert (code, status) == ("InvalidViewerCertificate", 400)


# -- rule 2: no alias on the default certificate [REQ] -----------------------------------------

TRUSTED = (
    "To add an alternate domain name (CNAME) to a CloudFront distribution, you must "
    "attach a trusted certificate that validates your authorization to use the domain "
    "name."
)


@pytest.mark.parametrize("viewer", [None, {"CloudFrontDefaultCertificate": True}])
def test_an_alias_needs_more_than_the_default_certificate(
    cf: Any, viewer: dict[str, Any] | None
) -> None:
    code, message, status = error_of(
        cf.create_distribution, DistributionConfig=config("d", "shop.example.com", viewer=viewer)
    )
    assert (code, status) == ("InvalidViewerCertificate", 400)
    assert message.startswith(TRUSTED)
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 0  # nothing was stored

    dist_id = create(cf, "bare", viewer=viewer)
    code, message, _ = error_of(
        cf.update_distribution, **update_request(cf, dist_id, "shop.example.com")
    )
    assert code == "InvalidViewerCertificate" and message.startswith(TRUSTED)
    assert cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Aliases"]["Quantity"] == 0


# -- rule 3: the ACM or IAM certificate must be usable and cover every alias [REQ][CERT][IAM] -

UNUSABLE = (
    "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't "
    "valid, or doesn't include a valid certificate chain."
)
NOT_COVERED = (
    "The certificate that is attached to your distribution doesn't cover the "
    "alternate domain name (CNAME) that you're trying to add."
)


def test_the_acm_certificate_must_exist_in_us_east_1_and_be_issued(
    aws: StrictMotoServer, cf: Any
) -> None:
    pending = aws.client("acm").request_certificate(
        DomainName="shop.example.com", ValidationMethod="DNS"
    )["CertificateArn"]
    arns = {
        "missing": "arn:aws:acm:us-east-1:123456789012:certificate/"
        "00000000-0000-0000-0000-000000000000",
        "eu-west-1": aws.issue_certificate("shop.example.com", region="eu-west-1"),  # [CERT]
        "PENDING_VALIDATION": pending,
    }
    for why, arn in arns.items():
        code, message, status = error_of(
            cf.create_distribution,
            DistributionConfig=config(why, "shop.example.com", viewer=acm_viewer(arn)),
        )
        assert (code, message, status) == ("InvalidViewerCertificate", UNUSABLE, 400), why


@pytest.mark.parametrize(
    ("domain", "sans", "alias", "covered"),
    [
        ("shop.example.com", (), "shop.example.com", True),
        ("example.com", ("www.example.com",), "www.example.com", True),  # a SAN, not the domain
        ("*.example.com", (), "shop.example.com", True),  # one label replaces the asterisk
        ("*.example.com", (), "example.com", False),  # "levels higher ... than the wildcard"
        ("*.example.com", (), "marketing.product.example.com", False),  # "... or lower"
        ("*.product.example.com", (), "marketing.product.example.com", True),
        ("*.example.com", (), "*.example.com", True),  # a wildcard alias listed on the certificate
        ("shop.example.com", (), "*.example.com", False),
        ("example.com", (), "shop.example.com", False),
        ("*.example.com", (), "shop.example.org", False),
    ],
)
def test_the_certificate_must_cover_each_alias(
    aws: StrictMotoServer, cf: Any, domain: str, sans: tuple[str, ...], alias: str, covered: bool
) -> None:
    # [REQ] the examples of "how using wildcards in domain names in a certificate work";
    # [CERT] "an exact match for the alternate domain name, or a wildcard at the same level".
    viewer = acm_viewer(aws.issue_certificate(domain, *sans))
    request = config("cover", alias, viewer=viewer)
    if covered:
        assert cf.create_distribution(DistributionConfig=request)["Distribution"]["Id"]
        return
    code, message, status = error_of(cf.create_distribution, DistributionConfig=request)
    assert (code, status) == ("InvalidViewerCertificate", 400)
    assert message.startswith(NOT_COVERED)


def test_every_alias_must_be_covered_on_update(aws: StrictMotoServer, cf: Any) -> None:
    dist_id = create(
        cf, "upd", "shop.example.com", viewer=acm_viewer(aws.issue_certificate("*.example.com"))
    )
    set_aliases(cf, dist_id, "shop.example.com", "www.example.com")
    code, message, _ = error_of(
        cf.update_distribution, **update_request(cf, dist_id, "shop.example.com", "example.com")
    )
    assert code == "InvalidViewerCertificate" and message.startswith(NOT_COVERED)
    assert cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Aliases"]["Items"] == [
        "shop.example.com",
        "www.example.com",
    ]


@pytest.mark.parametrize(
    ("path", "names", "days", "outcome"),
    [
        ("/cloudfront/shop/", ("shop.example.com",), 30, None),
        ("/cloudfront/shop/", ("*.example.com",), 30, None),
        ("/", ("shop.example.com",), 30, UNUSABLE),  # [IAM] the path must start with /cloudfront/
        ("/cloudfront/shop/", ("shop.example.com",), -2, UNUSABLE),  # expired
        ("/cloudfront/shop/", ("www.example.com",), 30, NOT_COVERED),  # the SAN is what counts
    ],
)
def test_an_iam_server_certificate(
    aws: StrictMotoServer,
    cf: Any,
    path: str,
    names: tuple[str, ...],
    days: int,
    outcome: str | None,
) -> None:
    body, key = self_signed_pem(*names, days=days)
    uploaded = aws.client("iam").upload_server_certificate(
        ServerCertificateName="shop", CertificateBody=body, PrivateKey=key, Path=path
    )
    viewer = {
        "IAMCertificateId": uploaded["ServerCertificateMetadata"]["ServerCertificateId"],
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    request = config("iam", "shop.example.com", viewer=viewer)
    if outcome is None:
        stored = cf.create_distribution(DistributionConfig=request)["Distribution"][
            "DistributionConfig"
        ]["ViewerCertificate"]
        assert stored["CertificateSource"] == "iam"
        assert stored["IAMCertificateId"] == viewer["IAMCertificateId"]
        return
    code, message, _ = error_of(cf.create_distribution, DistributionConfig=request)
    assert code == "InvalidViewerCertificate" and message.startswith(outcome)


def test_an_unknown_iam_certificate_id(cf: Any) -> None:
    viewer = {
        "IAMCertificateId": "ASCANOSUCHCERTIFICATE",
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    code, message, _ = error_of(
        cf.create_distribution, DistributionConfig=config("iam", viewer=viewer)
    )
    assert (code, message) == ("InvalidViewerCertificate", UNUSABLE)


# -- rule 4: CNAMEAlreadyExists [REQ] "Duplicate and overlapping alternate domain names" -------

TAKEN = (
    "CNAMEAlreadyExists",
    "One or more of the CNAMEs you provided are already associated with a different resource.",
    409,
)


def test_an_alias_of_another_distribution_in_this_account(aws: StrictMotoServer, cf: Any) -> None:
    # moto lets any number of distributions carry the same alias.
    viewer = acm_viewer(aws.issue_certificate("*.example.com", "example.com"))
    first = create(cf, "first", "shop.example.com", viewer=viewer)
    assert (
        error_of(
            cf.create_distribution,
            DistributionConfig=config("second", "shop.example.com", viewer=viewer),
        )
        == TAKEN
    )
    # An overlapping wildcard is fine within one account.
    second = create(cf, "second", "*.example.com", viewer=viewer)
    assert (
        error_of(
            cf.update_distribution,
            **update_request(cf, second, "*.example.com", "shop.example.com"),
        )
        == TAKEN
    )
    # A distribution keeps its own alias across an update; once it is gone, it is free.
    set_aliases(cf, first, "shop.example.com", Comment="still mine")
    set_aliases(cf, first, "www.example.com")
    set_aliases(cf, second, "*.example.com", "shop.example.com")


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("shop.example.com", "shop.example.com"),
        ("*.example.com", "shop.example.com"),  # overlap across accounts conflicts
        ("shop.example.com", "*.example.com"),
        ("deep.shop.example.com", "*.example.com"),  # [WILD] a wildcard alias serves every depth
    ],
)
def test_an_alias_a_distribution_in_another_account_holds(
    aws: StrictMotoServer, cf: Any, theirs: str, ours: str
) -> None:
    viewer = acm_viewer(aws.issue_certificate("*.example.com"))
    aws.foreign_aliases = {theirs}
    assert (
        error_of(cf.create_distribution, DistributionConfig=config("mine", ours, viewer=viewer))
        == TAKEN
    )
    dist_id = create(cf, "mine", viewer=viewer)
    assert error_of(cf.update_distribution, **update_request(cf, dist_id, ours)) == TAKEN
    assert create(
        cf,
        "unrelated",
        "shop.example.net",
        viewer=acm_viewer(aws.issue_certificate("shop.example.net")),
    )
    aws.reset()
    assert aws.foreign_aliases == set()


# -- rule 5: ListConflictingAliases [LCA] ------------------------------------------------------


@pytest.fixture
def conflicts(aws: StrictMotoServer, cf: Any) -> dict[str, str]:
    """Ours: a target with *.example.com, a source with shop.example.com; theirs: two aliases."""
    viewer = acm_viewer(aws.issue_certificate("*.example.com", "example.com"))
    target = create(cf, "target", "*.example.com", viewer=viewer)
    source = create(cf, "source", "shop.example.com", "example.com", viewer=viewer)
    aws.foreign_aliases = {"api.example.com", "www.example.org"}
    return {"target": target, "source": source}


def mine(dist_id: str) -> dict[str, str]:
    return {"DistributionId": "*******" + dist_id[-7:], "AccountId": "******789012"}


def test_list_conflicting_aliases_for_a_name(
    aws: StrictMotoServer, cf: Any, conflicts: dict[str, str]
) -> None:
    # moto's server has no such route (404).
    aws.reset_log()
    listed = cf.list_conflicting_aliases(
        DistributionId=conflicts["target"], Alias="shop.example.com"
    )["ConflictingAliasesList"]
    # The name and the overlapping wildcard, ids partly hidden even for our own account.
    assert listed == {
        "MaxItems": 100,
        "Quantity": 2,
        "Items": [
            {"Alias": "*.example.com", **mine(conflicts["target"])},
            {"Alias": "shop.example.com", **mine(conflicts["source"])},
        ],
    }
    assert aws.operations() == ["ListConflictingAliases"]


def test_list_conflicting_aliases_for_a_wildcard(cf: Any, conflicts: dict[str, str]) -> None:
    listed = cf.list_conflicting_aliases(DistributionId=conflicts["target"], Alias="*.example.com")[
        "ConflictingAliasesList"
    ]
    assert [(item["Alias"], item["AccountId"]) for item in listed["Items"]] == [
        ("*.example.com", "******789012"),
        ("api.example.com", "******223333"),
        ("shop.example.com", "******789012"),
    ]  # not example.com itself, not example.org
    foreign = listed["Items"][1]["DistributionId"]
    assert foreign.startswith("*******") and len(foreign) == 14


def test_list_conflicting_aliases_pages(cf: Any, conflicts: dict[str, str]) -> None:
    # [LCA] "send a subsequent request that specifies the NextMarker value from the current
    # response as the Marker value" (botocore has no paginator for it).
    found, marker = [], ""
    for _ in range(5):
        page = cf.list_conflicting_aliases(
            DistributionId=conflicts["target"],
            Alias="*.example.com",
            MaxItems=2,
            **({"Marker": marker} if marker else {}),
        )
        listed = page["ConflictingAliasesList"]
        assert listed["MaxItems"] == 2 and listed["Quantity"] == len(listed["Items"])
        found += [item["Alias"] for item in listed["Items"]]
        marker = listed.get("NextMarker", "")
        if not marker:
            break
    assert found == ["*.example.com", "api.example.com", "shop.example.com"]
    assert error_of(
        cf.list_conflicting_aliases,
        DistributionId=conflicts["target"],
        Alias="*.example.com",
        MaxItems=101,
    )[::2] == ("InvalidArgument", 400)


def test_list_conflicting_aliases_needs_a_distribution_whose_certificate_covers_it(
    aws: StrictMotoServer,
    cf: Any,
    conflicts: dict[str, str],
) -> None:
    # [LCA] "the ID of a standard distribution in your account that has an attached TLS
    # certificate that includes the provided alias".
    assert error_of(
        cf.list_conflicting_aliases, DistributionId="E0NOSUCHDIST1", Alias="shop.example.com"
    )[::2] == ("NoSuchDistribution", 404)
    assert error_of(
        cf.list_conflicting_aliases, DistributionId=conflicts["target"], Alias="a.b.example.com"
    )[::2] == ("InvalidArgument", 400)
    assert error_of(
        cf.list_conflicting_aliases, DistributionId=conflicts["target"], Alias="www.example.org"
    )[::2] == ("InvalidArgument", 400)
    default = create(cf, "default")
    assert error_of(cf.list_conflicting_aliases, DistributionId=default, Alias="shop.example.com")[
        ::2
    ] == ("InvalidArgument", 400)


def test_list_conflicting_aliases_takes_injected_faults(
    aws: StrictMotoServer, cf: Any, conflicts: dict[str, str]
) -> None:
    aws.inject("ListConflictingAliases", code="Throttling", status=400)
    assert (
        error_of(
            cf.list_conflicting_aliases,
            DistributionId=conflicts["target"],
            Alias="shop.example.com",
        )[0]
        == "Throttling"
    )
    assert (
        cf.list_conflicting_aliases(DistributionId=conflicts["target"], Alias="shop.example.com")[
            "ConflictingAliasesList"
        ]["Quantity"]
        == 2
    )


def test_a_distribution_arn_has_an_empty_region_as_on_aws(aws: Any) -> None:
    """Service Authorization Reference, CloudFront resource type `distribution`:
    arn:${Partition}:cloudfront::${Account}:distribution/${DistributionId}."""
    from geoproxy.sandbox.strict.cloudfront import aws_distribution_arn

    assert aws_distribution_arn("arn:aws:cloudfront:123456789012:distribution/E1") == (
        "arn:aws:cloudfront::123456789012:distribution/E1"
    )
    assert aws_distribution_arn("arn:aws:cloudfront::123456789012:distribution/E1") == (
        "arn:aws:cloudfront::123456789012:distribution/E1"
    )
    client = aws.client("cloudfront")
    created = client.create_distribution(
        DistributionConfig={
            "CallerReference": "arn-check",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "o.example.net",
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )
    arn = created["Distribution"]["ARN"]
    assert arn == f"arn:aws:cloudfront::123456789012:distribution/{created['Distribution']['Id']}"
    assert client.get_distribution(Id=created["Distribution"]["Id"])["Distribution"]["ARN"] == arn
