"""`geoproxy sandbox`: the strict emulator on 127.0.0.1, seeded from a policy, until Ctrl-C.

It holds what the policy expects to find: each public hosted zone (with the policy's
`zone_id` when it gives one), and for each `cloudfront` section a distribution with the
policy's `distribution_id`, an origin geoproxy does not own, an ISSUED ACM certificate
covering its aliases and, for an edge fence, an origin request policy that forwards the
viewer's country. moto picks random ids; they are changed to the policy's here, in its
backends, since the emulator runs in this process. It never contacts AWS.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from moto.cloudfront.models import cloudfront_backends
from moto.core.models import DEFAULT_ACCOUNT_ID as DEFAULT_ACCOUNT_ID
from moto.route53.models import route53_backends

from geoproxy.sandbox.strict import StrictMotoServer
from geoproxy.sandbox.strict.server import FAKE_AWS_ENV


@dataclass(frozen=True)
class ZoneSeed:
    name: str
    zone_id: str | None = None
    account_id: str = DEFAULT_ACCOUNT_ID  # the account of the application's `account:`


@dataclass(frozen=True)
class DistributionSeed:
    distribution_id: str
    aliases: tuple[str, ...] = ()
    # For an edge fence: the default behaviour forwards CloudFront-Viewer-Country, as the
    # pre-flight requires of a real distribution before geoproxy publishes the fence.
    country_header: bool = False
    account_id: str = DEFAULT_ACCOUNT_ID  # the account of `cloudfront.account`


# AWS's managed origin request policy AllViewerAndCloudFrontHeaders-2022-06, which includes
# CloudFront-Viewer-Country (Developer Guide, "Use managed origin request policies").
COUNTRY_HEADER_POLICY = "33f36d7e-f396-46d9-90e0-52428a34d9dc"


def _zone(server: StrictMotoServer, seed: ZoneSeed) -> str:
    created: str = server.client_in_account("route53", seed.account_id).create_hosted_zone(
        Name=seed.name, CallerReference=f"sandbox-{seed.name}"
    )["HostedZone"]["Id"]
    zone_id = created.split("/")[-1]
    if seed.zone_id and seed.zone_id != zone_id:
        backend = route53_backends[seed.account_id]["global"]
        zone = backend.zones.pop(zone_id)
        zone.resource_id = seed.zone_id
        backend.zones[seed.zone_id] = zone
        zone_id = seed.zone_id
    return zone_id


def _distribution(server: StrictMotoServer, seed: DistributionSeed) -> str:
    origin = {
        "Id": "existing",
        "DomainName": "origin.sandbox.invalid",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    config: dict[str, object] = {
        "CallerReference": f"sandbox-{seed.distribution_id}",
        "Comment": "geoproxy sandbox",
        "Enabled": True,
        "Aliases": {"Quantity": 0},
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "existing",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    if seed.country_header:
        behaviour = config["DefaultCacheBehavior"]
        assert isinstance(behaviour, dict)
        behaviour["OriginRequestPolicyId"] = COUNTRY_HEADER_POLICY
    if seed.aliases:
        config["ViewerCertificate"] = {
            "ACMCertificateArn": server.issue_certificate(
                *seed.aliases, account_id=seed.account_id
            ),
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
    client = server.client_in_account("cloudfront", seed.account_id)
    created = client.create_distribution(DistributionConfig=config)
    distribution_id = str(created["Distribution"]["Id"])
    backend = cloudfront_backends[seed.account_id]["global"]
    distribution = backend.distributions.pop(distribution_id)
    distribution.distribution_id = distribution.id = seed.distribution_id
    distribution.arn = distribution.arn.rsplit("/", 1)[0] + "/" + seed.distribution_id
    backend.distributions[seed.distribution_id] = distribution
    return seed.distribution_id


def run(
    zones: list[ZoneSeed],
    distributions: list[DistributionSeed],
    port: int,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Serve until Ctrl-C (or `stop`), after saying how to point geoproxy at it."""
    with StrictMotoServer(pending_polls=1, port=port) as server:
        for zone in zones:
            say(f"hosted zone {zone.name}: {_zone(server, zone)}")
        for distribution in distributions:
            say(
                f"CloudFront distribution {_distribution(server, distribution)}"
                + (
                    f" with a certificate for {', '.join(distribution.aliases)}"
                    if distribution.aliases
                    else ""
                )
            )
        say("Paste into another shell (fake credentials; it answers on 127.0.0.1 only):")
        say(f"export AWS_ENDPOINT_URL={server.endpoint_url}")
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            say(f"export {key}={FAKE_AWS_ENV[key]}")
        say("unset AWS_PROFILE AWS_SESSION_TOKEN")
        say("The sandbox keeps its state until Ctrl-C.")
        stopping = stop or threading.Event()
        # Ctrl-C (or a TERM) sets the event instead of raising inside the server's locks.
        handlers = {
            sig: signal.signal(sig, lambda *_: stopping.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while not stopping.wait(0.5):
                pass
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        say("Sandbox stopped; its state is gone.")
