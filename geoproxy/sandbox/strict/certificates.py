"""CloudFront viewer certificates, which moto 5.2 neither keeps nor checks.

moto rebuilds ViewerCertificate with CloudFrontDefaultCertificate=true whatever was sent, and
accepts aliases on the default certificate or on a certificate that does not cover them. Real
CloudFront keeps what was sent and refuses, with InvalidViewerCertificate, any alias the
attached certificate does not cover. Sources:

- API Reference, "ViewerCertificate": one of ACMCertificateArn, IAMCertificateId,
  CloudFrontDefaultCertificate; ACM certificates only from us-east-1; with the default
  certificate "CloudFront automatically sets the security policy to TLSv1".
- Developer Guide, "Use custom URLs by adding alternate domain names (CNAMEs)",
  #alternate-domain-names-requirements: an alias "must be covered by a valid SSL/TLS
  certificate"; CloudFront checks the certificate's subject alternative names (SAN); a
  `*.example.com` name covers the names "that replace the wildcard at that level" only (not
  `example.com`, not `marketing.product.example.com`).
- Developer Guide, "Requirements for using SSL/TLS certificates with CloudFront"
  (#https-requirements-domain-names-in-cert): "an exact match for the alternate domain name, or
  a wildcard at the same level".
- Developer Guide, "Configure alternate domain names and HTTPS" (#cnames-and-https-uploading-
  certificates): an IAM server certificate must be in the distribution's account and its path
  must start with `/cloudfront/`.
"""

from __future__ import annotations

import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from moto.acm.exceptions import CertificateNotFound
from moto.acm.models import acm_backends
from moto.core.exceptions import ServiceException
from moto.iam.models import iam_backends

ALIAS_DOCS = (
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html"
    "#alternate-domain-names-requirements"
)
# The three messages below are CloudFront's own, as its API returns them (quoted in many public
# bug reports of InvalidViewerCertificate); ONE_SOURCE is our wording of the documented rule.
NO_TRUSTED_CERTIFICATE = (
    "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a "
    "trusted certificate that validates your authorization to use the domain name. For more "
    f"details, see: {ALIAS_DOCS}"
)
NOT_COVERED = (
    "The certificate that is attached to your distribution doesn't cover the alternate domain "
    f"name (CNAME) that you're trying to add. For more details, see: {ALIAS_DOCS}"
)
UNUSABLE = (
    "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or "
    "doesn't include a valid certificate chain."
)
ONE_SOURCE = (
    "Specify exactly one of ACMCertificateArn, IAMCertificateId and "
    "CloudFrontDefaultCertificate (true) in ViewerCertificate."
)
CLOUDFRONT_ACM_REGION = "us-east-1"
# moto's IAM answers every UploadServerCertificate/GetServerCertificate with this one
# ServerCertificateId, so a client can only ever send this id; it names a certificate only while
# the account has exactly one (moto's real per-certificate ids never reach a client).
MOTO_SERVER_CERTIFICATE_ID = "ASCACKCEVSQ6C2EXAMPLE"


class InvalidViewerCertificate(ServiceException):
    code = "InvalidViewerCertificate"  # HTTP 400, from botocore's model


def certificate_covers(name: str, alias: str) -> bool:
    """Whether a certificate name (from its SAN) lets a distribution carry `alias`."""
    name, alias = name.lower().rstrip("."), alias.lower()
    if name == alias:  # also a wildcard alias listed as such on the certificate
        return True
    if not name.startswith("*."):
        return False
    label, dot, rest = alias.partition(".")
    # One label replaces the asterisk: never the apex, never two labels, never another wildcard.
    return bool(dot) and bool(label) and label != "*" and "." + rest == name[1:]


def aliases_overlap(first: str, second: str) -> bool:
    """Two aliases that answer for the same name. A wildcard alias serves every name that ends
    with its suffix, however deep (Developer Guide, "Use wildcards in alternate domain names")."""
    first, second = first.lower(), second.lower()
    if first == second:
        return True
    return any(
        wild.startswith("*.") and other.endswith(wild[1:])
        for wild, other in ((first, second), (second, first))
    )


def _san_dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(name) for name in extension.value.get_values_for_type(x509.DNSName)]


def _acm_names(account_id: str, arn: str) -> list[str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "acm" or parts[3] != CLOUDFRONT_ACM_REGION:
        raise InvalidViewerCertificate(UNUSABLE)
    if parts[4] != account_id:  # ACM certificates are never shared across accounts
        raise InvalidViewerCertificate(UNUSABLE)
    try:
        bundle = acm_backends[account_id][CLOUDFRONT_ACM_REGION].get_certificate(arn)
    except CertificateNotFound:
        raise InvalidViewerCertificate(UNUSABLE) from None
    if bundle.status != "ISSUED":  # PENDING_VALIDATION, EXPIRED, ... are not valid yet / now
        raise InvalidViewerCertificate(UNUSABLE)
    # ACM always lists the DomainName among the SANs; keep it for imported certificates too.
    return [bundle.common_name, *_san_dns_names(bundle._cert)]


def _iam_names(account_id: str, certificate_id: str) -> list[str]:
    store = iam_backends[account_id]["aws"].certificates
    found = store.get(certificate_id)
    if found is None and certificate_id == MOTO_SERVER_CERTIFICATE_ID and len(store) == 1:
        found = next(iter(store.values()))
    if found is None or not found.path.startswith("/cloudfront/"):
        raise InvalidViewerCertificate(UNUSABLE)
    try:
        certificate = x509.load_pem_x509_certificate(found.cert_body.encode())
    except ValueError:
        raise InvalidViewerCertificate(UNUSABLE) from None
    if certificate.not_valid_after_utc <= datetime.datetime.now(datetime.timezone.utc):
        raise InvalidViewerCertificate(UNUSABLE)
    return _san_dns_names(certificate)  # CloudFront checks the SAN, not the subject CN


def certificate_names(account_id: str, viewer: dict[str, Any] | None) -> list[str] | None:
    """The names the attached certificate covers; None for the default CloudFront certificate.
    Raises InvalidViewerCertificate for a certificate CloudFront cannot use."""
    viewer = viewer or {}  # no ViewerCertificate at all: the default certificate
    acm, iam = viewer.get("ACMCertificateArn") or "", viewer.get("IAMCertificateId") or ""
    default = viewer.get("CloudFrontDefaultCertificate")
    if sum((bool(acm), bool(iam), default is True)) > 1 or (default is False and not acm + iam):
        raise InvalidViewerCertificate(ONE_SOURCE)
    if acm:
        return _acm_names(account_id, acm)
    if iam:
        return _iam_names(account_id, iam)
    return None


def check_viewer_certificate(
    account_id: str, viewer: dict[str, Any] | None, aliases: list[str]
) -> None:
    """CreateDistribution/UpdateDistribution's certificate rules for this config."""
    names = certificate_names(account_id, viewer)
    if not aliases:
        return
    if names is None:
        raise InvalidViewerCertificate(NO_TRUSTED_CERTIFICATE)
    if not all(any(certificate_covers(name, alias) for name in names) for alias in aliases):
        raise InvalidViewerCertificate(NOT_COVERED)


def stored_viewer_certificate(sent: dict[str, Any] | None) -> dict[str, Any]:
    """ViewerCertificate as GetDistributionConfig returns it: what was sent, plus the fields
    CloudFront fills in. CloudFrontDefaultCertificate is always explicit, and the deprecated
    Certificate/CertificateSource mirror the source (as real responses show them); with the
    default certificate the security policy is TLSv1 whatever was sent (API Reference)."""
    viewer = dict(sent or {})
    custom = viewer.get("ACMCertificateArn") or viewer.get("IAMCertificateId")
    viewer.pop("Certificate", None)  # derived below, so a stale copy sent back cannot stick
    if custom:
        viewer.update(
            CloudFrontDefaultCertificate=False,
            Certificate=custom,
            CertificateSource="acm" if viewer.get("ACMCertificateArn") else "iam",
        )
    else:
        viewer.update(
            CloudFrontDefaultCertificate=True,
            MinimumProtocolVersion="TLSv1",
            CertificateSource="cloudfront",
        )
        viewer.setdefault("SSLSupportMethod", "vip")  # what CloudFront reports for it
    return viewer


def mark_issued(arn: str) -> None:
    """Finish validation of a requested ACM certificate, as ACM does once its DNS record is
    seen; moto would only do it MOTO_ACM_VALIDATION_WAIT (60) seconds after the request."""
    _, _, _, region, account_id, _ = arn.split(":", 5)
    acm_backends[account_id][region].get_certificate(arn).status = "ISSUED"


def self_signed_pem(*names: str, days: int = 30) -> tuple[str, str]:
    """(certificate, private key) in PEM: self-signed for `names`, valid `days` more (an
    IAM server certificate for tests; negative days make an expired one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=60))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), private.decode()
